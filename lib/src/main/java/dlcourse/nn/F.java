package dlcourse.nn;

import dlcourse.kernels.AttentionSoftmaxKernel;
import dlcourse.kernels.BatchNormKernel;
import dlcourse.kernels.Conv2dKernel;
import dlcourse.kernels.DropoutKernel;
import dlcourse.kernels.Gemm;
import dlcourse.kernels.Layout;
import dlcourse.kernels.GeluKernel;
import dlcourse.kernels.LayerNormKernel;
import dlcourse.kernels.LogSoftmaxKernel;
import dlcourse.kernels.CrossEntropyKernel;
import dlcourse.kernels.Pad2dKernel;
import dlcourse.kernels.PatchTokensKernel;
import dlcourse.kernels.Buffers;
import dlcourse.kernels.Pool2dKernel;
import dlcourse.util.Check;
import dlcourse.kernels.LstmKernel;
import dlcourse.tensor.Shapes;
import dlcourse.tensor.Tensor;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Stateless functions behind the layers, like {@code torch.nn.functional}: all the math lives here, layers only
 * hold parameters and settings. Every function runs eagerly on {@link Tensor}s and records its backward pass on
 * the tape; shapes are documented on the layer classes. Weights are tensors ({@link Parameter} is one), so the
 * functions work as well with weights a notebook makes itself.
 */
public final class F {
  private F() {}

  /** Output size of a convolution or pooling window: floor((in + 2p - d(k-1) - 1) / s) + 1. */
  public static long convOutputSize(long in, long kernel, long stride, long padding, long dilation) {
    return Math.floorDiv(in + 2 * padding - dilation * (kernel - 1) - 1, stride) + 1;
  }

  // ---------------------------------------------------------------- linear and activations

  /** y = x W^T + b: one GEMM forward, two backward. See {@link Linear} for shapes. */
  public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
    long in = weight.size(1);
    long out = weight.size(0);
    if (x.dim() < 1 || x.size(-1) != in) {
      throw new IllegalArgumentException("expected input (*, " + in + "), got " + Shapes.str(x.shape()));
    }
    sameType(x, weight, "linear");
    long[] xShape = x.shape();
    long[] outShape = xShape.clone();
    outShape[outShape.length - 1] = out;
    INDArray x2 = contiguous(x.array()).reshape('c', x.numel() / in, in);
    INDArray w = weight.array();
    boolean sgemm = Gemm.supports(x2, w) && (bias == null || bias.dtype() == DataType.FLOAT);
    INDArray y = sgemm ? Gemm.linear(x2, w, bias == null ? null : bias.array(), outShape) // in its final shape
        : Nd4j.gemm(x2, w, false, true);
    if (bias != null && !sgemm) {
      y.addi(bias.array().reshape(1, out));
    }
    Tensor[] inputs = bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
    boolean batched = WeightRows.batches(weight, bias);
    INDArray value = Arrays.equals(y.shape(), outShape) ? y : y.reshape('c', outShape);
    return Tensor.record("linear", value, inputs, (g, into) -> {
      INDArray g2 = contiguous(g).reshape('c', x2.size(0), out);
      // A weight used again (an LSTM's over the time steps) has its .grad already: its GEMM adds into it (beta 1).
      INDArray gx = x.requiresGrad() ? Tensor.AccumulatingBackward.gemm(g2, w, false, false, into[0]) : null;
      if (gx != null && gx != into[0]) {
        gx = gx.reshape('c', xShape);
      }
      WeightRows rows = batched ? Tensor.deferred(weight, () -> new WeightRows(weight, bias)) : null;
      if (rows != null && rows.bias == bias) { // a recurrence's weight: one GEMM at the end of the pass
        rows.add(g2, x2);
        return bias == null ? new INDArray[] {gx, null} : new INDArray[] {gx, null, null};
      }
      INDArray gw = weight.requiresGrad() ? Tensor.AccumulatingBackward.gemm(g2, x2, true, false, into[1]) : null;
      if (bias == null) {
        return new INDArray[] {gx, gw};
      }
      INDArray gb = null;
      if (bias.requiresGrad()) { // a bias used again adds its row sums into its .grad (one GEMV with a row of ones)
        gb = Gemm.supports(g2) ? Gemm.sumRows(g2, Gemm.accepts(into[2], out) ? into[2] : null) : g2.sum(0);
      }
      return new INDArray[] {gx, gw, gb};
    }, x, weight);
  }

  /** A scope opened by {@link #batchWeightGradients}; closing it ends the marking. */
  public interface WeightBatch extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Marks the weights of a recurrence: until the returned scope is closed, each {@link #linear} call on this thread
   * whose weight is one of {@code weights} keeps its input, and its backward pass keeps its output gradient; the
   * backward pass then computes that weight's gradient, and its bias's, once for all those calls: one GEMM over the
   * rows of every time step, after every other operation of the pass, instead of one rank-B update of the whole
   * gradient per call (for the IST captioner's LSTM input weights, 22 passes over a (1024, 612) gradient). The
   * gradients equal the per-call ones up to rounding. For decoders that call a cell step by step, e.g.
   * {@code try (var b = F.batchWeightGradients(cell.weightIh(), cell.weightHh())) { ... loop ... }}. Weights that are
   * not leaves, and calls that pair a weight with another bias, are computed per call as usual.
   * {@code -Ddlcourse.nn.batchWeightGradients=false} turns it off (for A/B timings).
   */
  public static WeightBatch batchWeightGradients(Tensor... weights) {
    java.util.Set<Tensor> before = WeightRows.MARKED.get();
    java.util.Set<Tensor> now = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    if (before != null) {
      now.addAll(before);
    }
    for (Tensor w : weights) {
      if (w != null) {
        now.add(w);
      }
    }
    WeightRows.MARKED.set(now);
    return () -> WeightRows.MARKED.set(before);
  }

  /** The input rows and output gradient rows of one weight's {@link #linear} calls in one backward pass. */
  private static final class WeightRows implements Tensor.Deferred {
    static final ThreadLocal<java.util.Set<Tensor>> MARKED = new ThreadLocal<>();
    static volatile boolean enabled = !"false".equals(System.getProperty("dlcourse.nn.batchWeightGradients"));
    final Tensor weight;
    final Tensor bias;
    private final java.util.List<INDArray> grads = new java.util.ArrayList<>();
    private final java.util.List<INDArray> inputs = new java.util.ArrayList<>();

    WeightRows(Tensor weight, Tensor bias) {
      this.weight = weight;
      this.bias = bias;
    }

    /** Whether a linear call recorded now with this weight and bias leaves their gradients to the end of the pass. */
    static boolean batches(Tensor weight, Tensor bias) {
      java.util.Set<Tensor> marked = MARKED.get();
      return enabled && marked != null && marked.contains(weight) && weight.isLeaf() && weight.requiresGrad()
          && (bias == null || bias.isLeaf()) && dlcourse.tensor.GradMode.isEnabled();
    }

    /**
     * Whether float rows are appended to two growing Java arrays ({@link HeapRows}) instead of a native copy of each
     * call's rows that {@link #rows} then concatenates; {@code -Ddlcourse.nn.weightRowsInHeap=false} (for A/B).
     */
    static volatile boolean inHeap = !"false".equals(System.getProperty("dlcourse.nn.weightRowsInHeap"));

    /**
     * Each float weight's two row arrays of its last pass, taken again by its next pass (a training step fills the
     * same sizes every time: no new Java arrays, no growth); weak keys, so a dropped weight drops them.
     */
    private static final java.util.Map<Tensor, float[][]> SPARE =
        java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** The float rows of all calls for a float weight ({@link #inHeap}); else null (the lists hold them). */
    private HeapRows heapGrads;
    private HeapRows heapInputs;

    /**
     * One call's output gradient and input rows, both copied: the engine may reuse the gradient's array, and an
     * input marked with {@link Tensor#recycleAfterBackward} may be reused before the end of the pass.
     */
    void add(INDArray g2, INDArray x2) {
      if (heapGrads == null && grads.isEmpty() && inHeap && weight.dtype() == DataType.FLOAT) {
        float[][] spare = SPARE.remove(weight);
        heapGrads = new HeapRows(weight.size(0), spare == null ? null : spare[0]);
        heapInputs = new HeapRows(weight.size(1), spare == null ? null : spare[1]);
      }
      if (heapGrads != null) { // a float weight: float rows (linear checks that x and the weight share a type)
        heapGrads.append(g2);
        heapInputs.append(x2);
        return;
      }
      grads.add(g2.dup('c'));
      inputs.add(x2.dup('c'));
    }

    /** Float rows of a fixed width appended to one Java array (doubling), made a native (rows, width) array once. */
    private static final class HeapRows {
      private final int width;
      private float[] v;
      private int used;

      HeapRows(long width, float[] spare) {
        this.width = Math.toIntExact(width);
        this.v = spare != null ? spare : new float[0];
      }

      void append(INDArray rows) {
        INDArray p = Layout.plain(rows);
        int n = Math.toIntExact(p.length());
        if (used + n > v.length) {
          v = Arrays.copyOf(v, Math.max(used + n, 2 * v.length));
        }
        p.data().asNioFloat().get(0, v, used, n);
        java.lang.ref.Reference.reachabilityFence(p);
        used += n;
      }

      /** The rows as a native (rows, width) array from the buffer pool (give it back with Buffers.recycle). */
      INDArray array() {
        INDArray a = dlcourse.kernels.Buffers.take(DataType.FLOAT, used / width, width);
        a.data().asNioFloat().put(0, v, 0, used);
        return a;
      }
    }

    @Override
    public String name() {
      return "linear (batched weight gradient)";
    }

    @Override
    public Tensor[] leaves() {
      return new Tensor[] {weight, bias != null && bias.requiresGrad() ? bias : null};
    }

    @Override
    public INDArray[] gradients(INDArray[] into) {
      boolean heap = heapGrads != null;
      INDArray g = heap ? heapGrads.array() : rows(grads); // (sum of M, out)
      INDArray x = heap ? heapInputs.array() : rows(inputs); // (sum of M, in)
      INDArray gw = Tensor.AccumulatingBackward.gemm(g, x, true, false, into[0]);
      INDArray gb = null;
      if (bias != null && bias.requiresGrad()) {
        long out = g.size(1);
        gb = Gemm.supports(g) ? Gemm.sumRows(g, Gemm.accepts(into[1], out) ? into[1] : null) : g.sum(0);
      }
      if (heap) { // read by the GEMMs above only
        dlcourse.kernels.Buffers.recycle(g);
        dlcourse.kernels.Buffers.recycle(x);
        SPARE.put(weight, new float[][] {heapGrads.v, heapInputs.v});
      }
      return new INDArray[] {gw, gb};
    }

    private static INDArray rows(java.util.List<INDArray> parts) {
      INDArray[] a = parts.toArray(new INDArray[0]);
      if (a.length == 1) {
        return a[0];
      }
      return dlcourse.kernels.ConcatKernel.supports(a) ? dlcourse.kernels.ConcatKernel.cat(0, a) : Nd4j.concat(0, a);
    }
  }

  public static Tensor relu(Tensor x) {
    return x.relu();
  }

  public static Tensor tanh(Tensor x) {
    return x.tanh();
  }

  public static Tensor sigmoid(Tensor x) {
    return x.sigmoid();
  }

  /** Softmax along {@code dim}. */
  public static Tensor softmax(Tensor x, int dim) {
    return x.softmax(dim);
  }

  /** log(softmax(x)) along {@code dim}, computed stably. */
  public static Tensor logSoftmax(Tensor x, int dim) {
    return x.logSoftmax(dim);
  }

  /**
   * GELU, x * Phi(x). With {@code approximate = "tanh"}: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as in
   * GPT-2; with {@code "none"} the exact form with erf. See {@link GELU}.
   */
  public static Tensor gelu(Tensor x, String approximate) {
    INDArray v = x.array();
    if ((approximate.equals("none") || approximate.equals("tanh")) && GeluKernel.supports(v)) {
      boolean tanh = approximate.equals("tanh"); // float: one oneDNN pass each way
      return Tensor.record("gelu", GeluKernel.forward(v, tanh), new Tensor[] {x},
          g -> new INDArray[] {GeluKernel.backward(v, g, tanh)}, x);
    }
    switch (approximate) {
      case "none" -> {
        INDArray cdf = Nd4j.exec(new Erf(v.mul(1 / Math.sqrt(2)))).addi(1).muli(0.5); // Phi(x)
        return Tensor.record("gelu", v.mul(cdf), new Tensor[] {x}, g -> {
          INDArray pdf = Transforms.exp(v.mul(v).muli(-0.5), false).muli(1 / Math.sqrt(2 * Math.PI));
          return new INDArray[] {g.mul(cdf.add(pdf.muli(v)))};
        }, x);
      }
      case "tanh" -> {
        double c = Math.sqrt(2 / Math.PI);
        INDArray t = Transforms.tanh(v.add(v.mul(v).muli(v).muli(0.044715)).muli(c), false);
        return Tensor.record("gelu", v.mul(t.add(1)).muli(0.5), new Tensor[] {x}, g -> {
          // d/dx 0.5 x (1 + t) = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 0.044715 x^2)
          INDArray inner = v.mul(v).muli(3 * 0.044715).addi(1).muli(c);
          INDArray d = t.mul(t).rsubi(1).muli(inner).muli(v).addi(t).addi(1).muli(0.5);
          return new INDArray[] {g.mul(d)};
        }, x);
      }
      default -> throw new IllegalArgumentException(
          "approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
    }
  }

  /** Exact GELU. */
  public static Tensor gelu(Tensor x) {
    return gelu(x, "none");
  }

  /**
   * Zeroes each element with probability {@code p} and scales the rest by 1 / (1 - p) when {@code training};
   * the identity otherwise. The mask comes from {@link Init#generator()}, so {@link Init#manualSeed} repeats it.
   * See {@link Dropout}.
   */
  public static Tensor dropout(Tensor x, double p, boolean training) {
    Check.probability(p, "p");
    if (!training || p == 0) {
      return x;
    }
    if (p == 1) {
      return x.mul(0);
    }
    long seed = Init.generator().nextLong();
    if (x.dtype() == DataType.FLOAT) {
      // The same draws and numbers as below, without the double mask, its cast and two ND4J products; the mask is
      // kept as bits in a Java array (3.1 M elements: 390 KB), not as a native float array.
      long[] shape = x.shape();
      INDArray xp = plainFloat(x.array());
      INDArray out = dlcourse.kernels.Buffers.take(DataType.FLOAT, shape);
      int n = Math.toIntExact(out.length());
      long[] kept = DropoutKernel.forward(buf(xp), buf(out), n, p, seed, null);
      java.lang.ref.Reference.reachabilityFence(xp); // an NIO view does not keep its array's memory alive
      return Tensor.record("dropout", out, new Tensor[] {x}, g -> {
        INDArray gp = plainFloat(g);
        INDArray gxa = dlcourse.kernels.Buffers.take(DataType.FLOAT, shape);
        DropoutKernel.backward(buf(gp), buf(gxa), n, p, kept);
        java.lang.ref.Reference.reachabilityFence(gp);
        return new INDArray[] {gxa};
      });
    }
    DropoutKernel.Bits bits = new DropoutKernel.Bits(seed, p);
    double keep = 1 / (1 - p);
    double[] m = new double[Math.toIntExact(x.numel())];
    for (int i = 0; i < m.length; i++) {
      m[i] = bits.drop() ? 0 : keep;
    }
    INDArray mask = Nd4j.createFromArray(m).reshape(x.shape()).castTo(x.dtype());
    return Tensor.record("dropout", x.array().mul(mask), new Tensor[] {x}, g -> new INDArray[] {g.mul(mask)});
  }

  // ---------------------------------------------------------------- convolution, pooling, padding

  /**
   * 2-D convolution with zero padding. See {@link Conv2d} for shapes.
   *
   * @param padding {top/bottom, left/right} zero padding in pixels
   */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation) {
    return conv2d(x, weight, bias, stride, padding, dilation, false);
  }

  /**
   * {@code relu(conv2d(x, weight, bias, ...))} as one operation: oneDNN applies the ReLU as the convolution's
   * post-op, and the backward pass masks the gradient with {@code y > 0} before the convolution's backward pass.
   * The same numbers as the two calls, one pass and one activation-sized array fewer. {@link Sequential} uses it
   * for a {@link Conv2d} followed by a {@link ReLU}.
   */
  public static Tensor conv2dRelu(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding,
      int[] dilation) {
    return conv2d(x, weight, bias, stride, padding, dilation, true);
  }

  private static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
      boolean relu) {
    long[] w = weight.shape(); // (out, in, kH, kW)
    if (x.dim() != 4 || x.size(1) != w[1]) {
      throw new IllegalArgumentException("expected input (N, " + w[1] + ", H, W), got " + Shapes.str(x.shape()));
    }
    sameType(x, weight, "conv2d");
    long outH = convOutputSize(x.size(2), w[2], stride[0], padding[0], dilation[0]);
    long outW = convOutputSize(x.size(3), w[3], stride[1], padding[1], dilation[1]);
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException("input " + Shapes.str(x.shape()) + " is smaller than the kernel "
          + w[2] + "x" + w[3] + " (output would be " + outH + "x" + outW + ")");
    }
    INDArray xv = x.array();
    INDArray y = Conv2dKernel.forward(xv, weight.array(), bias == null ? null : bias.array(), stride, padding,
        dilation, relu);
    Tensor[] inputs = bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
    return Tensor.record(relu ? "conv2dRelu" : "conv2d", y, inputs, g -> {
      boolean needW = weight.requiresGrad() || (bias != null && bias.requiresGrad());
      INDArray[] gs = relu
          ? Conv2dKernel.backwardRelu(g, y, xv, weight.array(), bias != null, x.requiresGrad(), needW, stride, padding,
              dilation)
          : Conv2dKernel.backward(g, xv, weight.array(), bias != null, x.requiresGrad(), needW, stride, padding,
              dilation);
      return bias == null ? new INDArray[] {gs[0], gs[1]} : new INDArray[] {gs[0], gs[1], gs[2]};
    }, inputs);
  }

  /** 2-D max pooling, floor mode. See {@link MaxPool2d}. */
  public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
    return maxPool2d(x, kernel, stride, padding, false);
  }

  /** 2-D max pooling; padding counts as minus infinity, as in PyTorch. See {@link MaxPool2d}. */
  public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode) {
    checkPool(x, kernel, stride, padding, ceilMode);
    long[] xShape = x.shape();
    Pool2dKernel.MaxPool r = Pool2dKernel.maxForward(x.array(), kernel, stride, padding, ceilMode);
    return Tensor.record("maxPool2d", r.output(), new Tensor[] {x},
        g -> new INDArray[] {Pool2dKernel.maxBackward(g, r, xShape, kernel, stride, padding, ceilMode)});
  }

  /**
   * 2-D average pooling. With {@code countIncludePad} (PyTorch's default) the divisor counts the zero padding
   * but not the part of a ceil-mode window beyond it. See {@link AvgPool2d}.
   */
  public static Tensor avgPool2d(
      Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
    checkPool(x, kernel, stride, padding, ceilMode);
    long[] xShape = x.shape();
    INDArray y = Pool2dKernel.avgForward(x.array(), kernel, stride, padding, ceilMode, countIncludePad);
    return Tensor.record("avgPool2d", y, new Tensor[] {x}, g -> new INDArray[] {
      Pool2dKernel.avgBackward(g, xShape, kernel, stride, padding, ceilMode, countIncludePad)});
  }

  /**
   * Output size of pooling by PyTorch's rule: floor or ceil of (in + 2p - k) / s, plus 1; in ceil mode the last
   * window must start inside the input or the left padding.
   */
  public static long poolOutputSize(long in, long kernel, long stride, long padding, boolean ceilMode) {
    long num = in + 2 * padding - kernel;
    long out = (ceilMode ? Math.floorDiv(num + stride - 1, stride) : Math.floorDiv(num, stride)) + 1;
    if (ceilMode && (out - 1) * stride >= in + padding) {
      out--;
    }
    return out;
  }

  private static void checkPool(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode) {
    check4d(x);
    for (int d = 0; d < 2; d++) {
      if (padding[d] * 2 > kernel[d]) {
        throw new IllegalArgumentException(
            "padding should be at most half of the kernel size, got padding=" + padding[d] + ", kernel=" + kernel[d]);
      }
      if (poolOutputSize(x.size(2 + d), kernel[d], stride[d], padding[d], ceilMode) < 1) {
        throw new IllegalArgumentException("input " + Shapes.str(x.shape()) + " is smaller than the pooling window");
      }
    }
  }

  /** Max over H and W: (N, C, H, W) -> (N, C). */
  public static Tensor globalMaxPool(Tensor x) {
    check4d(x);
    return x.max(false, 2, 3);
  }

  /** Mean over H and W: (N, C, H, W) -> (N, C). */
  public static Tensor globalAvgPool(Tensor x) {
    check4d(x);
    return x.mean(false, 2, 3);
  }

  private static void check4d(Tensor x) {
    if (x.dim() != 4) {
      throw new IllegalArgumentException("expected input (N, C, H, W), got " + Shapes.str(x.shape()));
    }
  }

  /** Adaptive max pooling to (outH, outW). See {@link AdaptiveMaxPool2d}. */
  public static Tensor adaptiveMaxPool2d(Tensor x, int outH, int outW) {
    return adaptivePool(x, outH, outW, true);
  }

  /** Adaptive average pooling to (outH, outW). See {@link AdaptiveAvgPool2d}. */
  public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
    return adaptivePool(x, outH, outW, false);
  }

  private static Tensor adaptivePool(Tensor x, int outH, int outW, boolean max) {
    check4d(x);
    Check.positive(outH, "outputSize");
    Check.positive(outW, "outputSize");
    long h = x.size(2);
    long w = x.size(3);
    if (!max && outH == 1 && outW == 1) {
      // Not for max: globalMaxPool shares a gradient among tied maxima, PyTorch gives it to the first one.
      return globalAvgPool(x).reshape(x.size(0), x.size(1), 1, 1);
    }
    if (h % outH == 0 && w % outW == 0) {
      // Equal windows: one ordinary pooling op (max pooling sends the gradient to the first maximum).
      int[] k = {(int) (h / outH), (int) (w / outW)};
      return max ? maxPool2d(x, k, k, new int[] {0, 0}, false) : avgPool2d(x, k, k, new int[] {0, 0}, false, true);
    }
    if (max) {
      return adaptiveMaxPoolUnequal(x, outH, outW);
    }
    // Unequal windows (PyTorch: cell i covers [floor(i*H/out), ceil((i+1)*H/out))): one slice per cell.
    Tensor[] rows = new Tensor[outH];
    for (int i = 0; i < outH; i++) {
      long h0 = i * h / outH;
      long h1 = ((i + 1) * h + outH - 1) / outH;
      Tensor band = x.narrow(2, h0, h1 - h0);
      Tensor[] cells = new Tensor[outW];
      for (int j = 0; j < outW; j++) {
        long w0 = j * w / outW;
        long w1 = ((j + 1) * w + outW - 1) / outW;
        Tensor cell = band.narrow(3, w0, w1 - w0);
        cells[j] = cell.mean(true, 2, 3);
      }
      rows[i] = Tensor.cat(3, cells);
    }
    return Tensor.cat(2, rows);
  }

  /**
   * Adaptive max pooling with unequal windows, as PyTorch computes it: the gradient of each window goes to its first
   * maximum in row-major order (a NaN wins), not shared among tied maxima as {@link Tensor#max} does.
   */
  private static Tensor adaptiveMaxPoolUnequal(Tensor x, int outH, int outW) {
    long[] s = x.shape();
    int h = (int) s[2];
    int w = (int) s[3];
    int planes = Math.toIntExact(s[0] * s[1]);
    double[] xv = contiguous(x.array()).castTo(DataType.DOUBLE).data().asDouble();
    double[] out = new double[planes * outH * outW];
    int[] arg = new int[out.length]; // flat index into x of each window's maximum
    for (int p = 0, o = 0; p < planes; p++) {
      int base = p * h * w;
      for (int i = 0; i < outH; i++) {
        int h0 = (int) ((long) i * h / outH);
        int h1 = (int) (((long) (i + 1) * h + outH - 1) / outH);
        for (int j = 0; j < outW; j++, o++) {
          int w0 = (int) ((long) j * w / outW);
          int w1 = (int) (((long) (j + 1) * w + outW - 1) / outW);
          double best = Double.NEGATIVE_INFINITY;
          int at = base + h0 * w + w0;
          for (int r = h0; r < h1; r++) {
            for (int q = w0; q < w1; q++) {
              double v = xv[base + r * w + q];
              if (v > best || Double.isNaN(v)) { // PyTorch's CPU rule
                best = v;
                at = base + r * w + q;
              }
            }
          }
          out[o] = best;
          arg[o] = at;
        }
      }
    }
    DataType type = x.dtype();
    INDArray y = Nd4j.createFromArray(out).reshape('c', s[0], s[1], outH, outW).castTo(type);
    return Tensor.record("adaptiveMaxPool2d", y, new Tensor[] {x}, g -> {
      double[] gv = contiguous(g).castTo(DataType.DOUBLE).data().asDouble();
      double[] gx = new double[xv.length];
      for (int o = 0; o < gv.length; o++) {
        gx[arg[o]] += gv[o];
      }
      return new INDArray[] {Nd4j.createFromArray(gx).reshape('c', s).castTo(type)};
    });
  }

  /**
   * Pads the last two dimensions of {@code x} (N, C, H, W) by {@code pad = {left, right, top, bottom}}, like
   * {@code torch.nn.functional.pad}, with exact gradients for every mode (ND4J's own pad op gets the mirror modes'
   * gradients wrong).
   */
  public static Tensor pad(Tensor x, int[] pad, PaddingMode mode) {
    if (pad.length != 4) {
      throw new IllegalArgumentException("pad takes {left, right, top, bottom}, got " + pad.length + " values");
    }
    check4d(x);
    long[] limits = {x.size(3), x.size(3), x.size(2), x.size(2)};
    for (int i = 0; i < 4; i++) {
      Check.nonNegative(pad[i], "pad");
      if (mode == PaddingMode.REFLECT && pad[i] >= limits[i]) {
        throw new IllegalArgumentException("reflect padding " + pad[i] + " must be smaller than the input size "
            + limits[i] + " along dimension " + (i < 2 ? 3 : 2));
      }
      if (mode == PaddingMode.CIRCULAR && pad[i] > limits[i]) {
        throw new IllegalArgumentException("circular padding " + pad[i] + " must not exceed the input size "
            + limits[i] + " along dimension " + (i < 2 ? 3 : 2));
      }
    }
    int[] p = pad.clone();
    INDArray v = x.array();
    return switch (mode) {
      case ZEROS -> Tensor.record("pad", Pad2dKernel.constant(v, p, 0), new Tensor[] {x},
          g -> new INDArray[] {Pad2dKernel.constantBackward(g, p)});
      case REFLECT -> Tensor.record("pad", Pad2dKernel.reflect(v, p), new Tensor[] {x},
          g -> new INDArray[] {Pad2dKernel.reflectBackward(g, p)});
      case REPLICATE -> Tensor.record("pad", Pad2dKernel.replicate(v, p), new Tensor[] {x},
          g -> new INDArray[] {Pad2dKernel.replicateBackward(g, p)});
      case CIRCULAR -> Tensor.record("pad", Pad2dKernel.circular(v, p), new Tensor[] {x},
          g -> new INDArray[] {Pad2dKernel.circularBackward(g, p)});
    };
  }

  // ---------------------------------------------------------------- losses

  /** Cross-entropy of {@code logits} (N, C) against class indices {@code target} (N), averaged. See {@link CrossEntropyLoss}. */
  public static Tensor crossEntropy(Tensor logits, Tensor target) {
    return crossEntropy(logits, target, Reduction.MEAN, -100, 0.0);
  }

  public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
    return crossEntropy(logits, target, reduction, -100, 0.0);
  }

  /**
   * Cross-entropy with all of PyTorch's options, as one operation (log-softmax, pick, smoothing and reduction
   * forward; {@code softmax - smoothed one-hot} backward). Takes logits, not probabilities.
   *
   * @param logits (N, C) unnormalised scores
   * @param target (N) class indices (integers)
   * @param ignoreIndex targets equal to it contribute nothing and are not counted by the mean; PyTorch uses -100
   * @param labelSmoothing in [0, 1]: the target distribution is (1 - s) one-hot + s / C uniform
   * @return a scalar, or (N) with {@link Reduction#NONE}; the mean over zero kept targets is NaN, as in PyTorch
   */
  public static Tensor crossEntropy(
      Tensor logits, Tensor target, Reduction reduction, long ignoreIndex, double labelSmoothing) {
    Check.probability(labelSmoothing, "labelSmoothing");
    long[] t = targets(logits, target, ignoreIndex, "logits");
    int n = t.length;
    int c = (int) logits.size(1);
    if (logits.dtype() == DataType.FLOAT && LogSoftmaxKernel.supports(logits.array())) {
      return crossEntropyFloat(logits, t, reduction, ignoreIndex, labelSmoothing);
    }
    // The host loops of CrossEntropyKernel, shared with the captured CNN step (dlcourse.compile).
    double[] lp = CrossEntropyKernel.logSoftmax(CrossEntropyKernel.doubles(logits.array()), c);
    double[] perSample = new double[n];
    int kept = CrossEntropyKernel.perSample(lp, t, c, ignoreIndex, labelSmoothing, perSample);
    double scale = reduction == Reduction.MEAN ? 1.0 / kept : 1.0;
    INDArray value = reduction == Reduction.NONE
        ? Nd4j.createFromArray(perSample).castTo(logits.dtype())
        : Nd4j.scalar(logits.dtype(), Arrays.stream(perSample).sum() * scale);
    int keptFinal = kept;
    return Tensor.record("crossEntropy", value, new Tensor[] {logits}, g -> {
      // d/dlogits = p - ((1 - s) onehot + s / C), per kept row, times the upstream gradient (and 1 / kept).
      double[] up = reduction == Reduction.NONE ? g.castTo(DataType.DOUBLE).data().asDouble() : null;
      double gs = reduction == Reduction.NONE ? 1 : g.getDouble(0) * (reduction == Reduction.MEAN ? 1.0 / keptFinal
          : 1);
      double[] grad = new double[n * c];
      CrossEntropyKernel.gradient(lp, t, c, ignoreIndex, labelSmoothing, up, gs, grad);
      return new INDArray[] {Nd4j.createFromArray(grad).reshape(n, c).castTo(logits.dtype())};
    });
  }

  /**
   * {@link #crossEntropy(Tensor, Tensor, Reduction, long, double)} of float logits on oneDNN's log-softmax
   * ({@code kernels.LogSoftmaxKernel}): the per-row losses are read from the float log-probabilities and summed in
   * double; backward, the log-softmax's backward pass from {@code gy = -w q} ({@code q} the smoothed one-hot target,
   * {@code w} the row's upstream gradient; zero on ignored rows) gives {@code w (softmax - q)}.
   */
  private static Tensor crossEntropyFloat(Tensor logits, long[] t, Reduction reduction, long ignoreIndex,
      double labelSmoothing) {
    int n = t.length;
    int c = (int) logits.size(1);
    INDArray logp = LogSoftmaxKernel.forward(logits.array()); // (N, C)
    java.nio.FloatBuffer lb = buf(logp);
    double[] perSample = new double[n];
    int kept = 0;
    double total = 0;
    for (int i = 0; i < n; i++) {
      if (t[i] == ignoreIndex) {
        continue;
      }
      kept++;
      double picked = -lb.get(i * c + (int) t[i]);
      if (labelSmoothing > 0) {
        double mean = 0;
        for (int k = 0; k < c; k++) {
          mean -= lb.get(i * c + k);
        }
        picked = (1 - labelSmoothing) * picked + labelSmoothing * mean / c;
      }
      perSample[i] = picked;
      total += picked;
    }
    java.lang.ref.Reference.reachabilityFence(logp);
    double scale = reduction == Reduction.MEAN ? 1.0 / kept : 1.0;
    INDArray value = reduction == Reduction.NONE ? Nd4j.createFromArray(perSample).castTo(DataType.FLOAT)
        : Nd4j.scalar(DataType.FLOAT, total * scale);
    int keptFinal = kept;
    return Tensor.record("crossEntropy", value, new Tensor[] {logits}, g -> {
      double[] up = reduction == Reduction.NONE ? g.castTo(DataType.DOUBLE).data().asDouble() : null;
      double gs = reduction == Reduction.NONE ? 1 : g.getDouble(0) * (reduction == Reduction.MEAN ? 1.0 / keptFinal
          : 1);
      INDArray gx = dlcourse.kernels.Buffers.take(DataType.FLOAT, n, c); // every element written below
      java.nio.FloatBuffer gb = buf(gx);
      float[] row = new float[c];
      float lastFill = Float.NaN;
      for (int i = 0; i < n; i++) {
        double w = t[i] == ignoreIndex ? 0 : up == null ? gs : up[i];
        float fill = (float) (-w * labelSmoothing / c);
        if (Float.compare(fill, lastFill) != 0) {
          java.util.Arrays.fill(row, fill);
          lastFill = fill;
        }
        gb.put(i * c, row);
        if (t[i] != ignoreIndex) {
          gb.put(i * c + (int) t[i], (float) (fill - w * (1 - labelSmoothing)));
        }
      }
      LogSoftmaxKernel.backward(logp, gx, gx); // in place: gy - exp(logp) sum(gy) = w (softmax - q)
      java.lang.ref.Reference.reachabilityFence(gx);
      return new INDArray[] {gx};
    });
  }

  /** Negative log-likelihood of {@code logProbs} (N, C) at class indices {@code target} (N), averaged. See {@link NLLLoss}. */
  public static Tensor nllLoss(Tensor logProbs, Tensor target) {
    return nllLoss(logProbs, target, Reduction.MEAN, -100);
  }

  public static Tensor nllLoss(Tensor logProbs, Tensor target, Reduction reduction, long ignoreIndex) {
    long[] t = targets(logProbs, target, ignoreIndex, "log-probabilities");
    int c = (int) logProbs.size(1);
    INDArray weights = Nd4j.zeros(logProbs.dtype(), t.length, c); // -1 at each kept target
    int kept = 0;
    for (int i = 0; i < t.length; i++) {
      if (t[i] != ignoreIndex) {
        weights.putScalar(i, t[i], -1);
        kept++;
      }
    }
    Tensor perSample = logProbs.mul(Tensor.of(weights)).sum(false, 1);
    return switch (reduction) {
      case NONE -> perSample;
      case SUM -> perSample.sum();
      case MEAN -> perSample.sum().div(kept);
    };
  }

  /** The targets as longs, checked: (N) integers against scores (N, C), each in [0, C) or the ignore index. */
  private static long[] targets(Tensor scores, Tensor target, long ignoreIndex, String what) {
    if (scores.dim() != 2 || target.dim() != 1 || target.size(0) != scores.size(0)) {
      throw new IllegalArgumentException("expected " + what + " (N, C) and targets (N), got "
          + Shapes.str(scores.shape()) + " and " + Shapes.str(target.shape()));
    }
    if (target.dtype().isFPType()) {
      throw new IllegalArgumentException("targets must be class indices (int64), got " + target.dtype());
    }
    long[] t = target.array().toLongVector();
    CrossEntropyKernel.checkTargets(t, scores.size(1), ignoreIndex);
    return t;
  }

  /** Mean squared error averaged over all elements. See {@link MSELoss}. */
  public static Tensor mseLoss(Tensor input, Tensor target) {
    return mseLoss(input, target, Reduction.MEAN);
  }

  public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
    if (!Arrays.equals(input.shape(), target.shape())) {
      throw new IllegalArgumentException("input " + Shapes.str(input.shape()) + " and target "
          + Shapes.str(target.shape()) + " must have the same shape");
    }
    Tensor d = input.sub(target);
    Tensor sq = d.mul(d);
    return switch (reduction) {
      case NONE -> sq;
      case SUM -> sq.sum();
      case MEAN -> sq.mean();
    };
  }

  // ---------------------------------------------------------------- normalisation and embedding

  /**
   * Batch normalisation over the channel dimension 1 of (N, C), (N, C, L) or (N, C, H, W). In training it uses
   * the batch statistics (biased variance) and updates the running buffers, when given, in place:
   * {@code running = (1 - momentum) running + momentum batch} (unbiased variance); otherwise it uses the running
   * statistics. See {@link BatchNorm2d}.
   */
  public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
      boolean training, double momentum, double eps) {
    return batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps, false);
  }

  /**
   * {@code relu(batchNorm(...))} as one operation: the ReLU is applied in the batch norm's output pass, and the
   * backward pass masks the gradient with {@code y > 0} inside the batch norm's. The same numbers as the two calls,
   * one pass and one activation-sized array fewer each way. {@link Sequential} uses it for a {@link BatchNorm2d} or
   * {@link BatchNorm1d} followed by a {@link ReLU}.
   */
  public static Tensor batchNormRelu(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
      boolean training, double momentum, double eps) {
    return batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps, true);
  }

  private static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
      boolean training, double momentum, double eps, boolean relu) {
    if (x.dim() < 2 || x.dim() > 4) {
      throw new IllegalArgumentException("expected input (N, C), (N, C, L) or (N, C, H, W), got " + Shapes.str(x
          .shape()));
    }
    long c = x.size(1);
    INDArray xv = x.array();
    INDArray w = weight == null ? null : weight.array();
    INDArray b = bias == null ? null : bias.array();
    boolean batchStats = training || runningMean == null;
    INDArray y;
    INDArray mean;
    INDArray var;
    if (batchStats) {
      long n = x.numel() / c;
      if (n <= 1) {
        throw new IllegalArgumentException(
            "expected more than 1 value per channel when training, got input " + Shapes.str(x.shape()));
      }
      BatchNormKernel.Stats st = BatchNormKernel.training(xv, w, b, eps, relu);
      y = st.output();
      mean = st.mean();
      var = st.var();
      if (training && runningMean != null) {
        batchNormRunningStats(runningMean, runningVar, mean, var, momentum, n);
      }
    } else {
      // copies: the backward pass must see the statistics of this forward pass, whatever happens to the buffers
      mean = runningMean.array().dup();
      var = runningVar.array().dup();
      y = BatchNormKernel.inference(xv, mean, var, w, b, eps, relu);
    }
    Tensor[] inputs = normInputs(x, weight, bias);
    INDArray reluOutput = relu ? y : null;
    return Tensor.record(relu ? "batchNormRelu" : "batchNorm", y, inputs, g -> {
      BatchNormKernel.Grads gr = BatchNormKernel.backward(g, reluOutput, xv, mean, var, w, b, eps, batchStats);
      return normGrads(inputs, x, gr.x(), weight, gr.weight(), bias, gr.bias());
    }, weight == null ? new Tensor[] {x} : new Tensor[] {x, weight});
  }

  /**
   * Moves batch norm's running estimates towards a training batch's statistics, in place:
   * {@code running = (1 - momentum) running + momentum batch}, the variance unbiased ({@code var n / (n - 1)} for
   * {@code n} values per channel), as PyTorch. {@code mean} and {@code var} (C) are the batch's mean and biased variance.
   * Used by {@link #batchNorm} and by the captured CNN step ({@code dlcourse.compile}).
   */
  public static void batchNormRunningStats(Tensor runningMean, Tensor runningVar, INDArray mean, INDArray var,
      double momentum, long n) {
    try (var g = Tensor.noGrad()) {
      runningMean.muli(1 - momentum).addi(Tensor.of(mean.castTo(runningMean.dtype()).mul(momentum)));
      runningVar.muli(1 - momentum).addi(Tensor.of(var.castTo(runningVar.dtype()).mul(momentum * n / (n - 1.0))));
    }
  }

  /**
   * Layer normalisation over the last {@code normalizedDims} dimensions (biased variance), then the element-wise
   * affine map if {@code weight} is given. See {@link LayerNorm}.
   */
  public static Tensor layerNorm(Tensor x, int normalizedDims, Tensor weight, Tensor bias, double eps) {
    INDArray xv = x.array();
    INDArray w = weight == null ? null : weight.array();
    INDArray b = bias == null ? null : bias.array();
    LayerNormKernel.Stats st = LayerNormKernel.forward(xv, normalizedDims, w, b, eps);
    LayerNormKernel.Stats saved = new LayerNormKernel.Stats(null, st.mean(), st.var());
    Tensor[] inputs = normInputs(x, weight, bias);
    return Tensor.record("layerNorm", st.output(), inputs, g -> {
      LayerNormKernel.Grads gr = LayerNormKernel.backward(g, xv, saved, normalizedDims, w, b, eps);
      return normGrads(inputs, x, gr.x(), weight, gr.weight(), bias, gr.bias());
    }, weight == null ? new Tensor[] {x} : new Tensor[] {x, weight});
  }

  /** x, then weight and bias where given. */
  private static Tensor[] normInputs(Tensor x, Tensor weight, Tensor bias) {
    return weight == null ? (bias == null ? new Tensor[] {x} : new Tensor[] {x, bias})
        : (bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias});
  }

  /** The gradients of {@link #normInputs}, each in its tensor's type. */
  private static INDArray[] normGrads(Tensor[] inputs, Tensor x, INDArray gx, Tensor weight, INDArray gw, Tensor bias,
      INDArray gb) {
    INDArray[] out = new INDArray[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      Tensor t = inputs[i];
      INDArray gr = t == x ? gx : t == weight ? gw : gb;
      out[i] = gr.dataType() == t.dtype() ? gr : gr.castTo(t.dtype());
    }
    return out;
  }

  /** x / sqrt(mean(x^2) + eps) * weight over the last {@code normalizedDims} dimensions. See {@link RMSNorm}. */
  public static Tensor rmsNorm(Tensor x, int normalizedDims, Tensor weight, double eps) {
    if (x.dtype() == DataType.FLOAT && (weight == null || weight.dtype() == DataType.FLOAT) && normalizedDims > 0
        && normalizedDims <= x.dim()) {
      return rmsNormFloat(x, normalizedDims, weight, eps);
    }
    int[] dims = IntStream.range(x.dim() - normalizedDims, x.dim()).toArray();
    Tensor y = x.mul(x.mul(x).mean(true, dims).add(eps).pow(-0.5));
    return weight == null ? y : y.mul(weight);
  }

  /**
   * {@link #rmsNorm} of float tensors as one op: per row of the normalised dimensions {@code r = (mean(x^2) +
   * eps)^-1/2}, {@code y = x r w}, accumulated in double. Backward: {@code gw = sum_rows(g x r)},
   * {@code gx = r g w - x r^3 / C * sum(g w x)}. Replaces 7 ops (mul, mean, add, pow, mul, mul) and their backward.
   */
  private static Tensor rmsNormFloat(Tensor x, int normalizedDims, Tensor weight, double eps) {
    long[] shape = x.shape();
    long cl = 1;
    for (int i = shape.length - normalizedDims; i < shape.length; i++) {
      cl *= shape[i];
    }
    int c = Math.toIntExact(cl);
    INDArray xa = plainFloat(x.array());
    java.nio.FloatBuffer a = buf(xa);
    float[] w = weight == null ? null : plainFloat(weight.array()).toFloatVector();
    if (w != null && w.length != c) {
      throw new IllegalArgumentException("rmsNorm: weight " + Shapes.str(weight.shape()) + " does not match the last "
          + normalizedDims + " dimensions of " + Shapes.str(shape));
    }
    int rows = c == 0 ? 0 : Math.toIntExact(xa.length() / c);
    double[] r = new double[rows];
    INDArray out = dlcourse.kernels.Buffers.take(DataType.FLOAT, shape);
    java.nio.FloatBuffer y = buf(out);
    for (int i = 0; i < rows; i++) {
      int off = i * c;
      double ss = 0;
      for (int j = 0; j < c; j++) {
        double v = a.get(off + j);
        ss += v * v;
      }
      double ri = 1 / Math.sqrt(ss / c + eps);
      r[i] = ri;
      for (int j = 0; j < c; j++) {
        y.put(off + j, (float) (w == null ? a.get(off + j) * ri : a.get(off + j) * ri * w[j]));
      }
    }
    Tensor[] inputs = weight == null ? new Tensor[] {x} : new Tensor[] {x, weight};
    return Tensor.record("rmsNorm", out, inputs, g -> {
      INDArray gp = plainFloat(g);
      java.nio.FloatBuffer gv = buf(gp);
      java.nio.FloatBuffer xb = buf(xa); // through the array: it stays alive while the graph does
      INDArray gxa = dlcourse.kernels.Buffers.take(DataType.FLOAT, shape);
      java.nio.FloatBuffer gx = buf(gxa);
      double[] gw = new double[c];
      for (int i = 0; i < rows; i++) {
        int off = i * c;
        double ri = r[i];
        double dot = 0;
        for (int j = 0; j < c; j++) {
          double gj = w == null ? gv.get(off + j) : (double) gv.get(off + j) * w[j];
          double xj = xb.get(off + j);
          dot += gj * xj;
          if (w != null) {
            gw[j] += gv.get(off + j) * xj * ri;
          }
        }
        double k = ri * ri * ri * dot / c;
        for (int j = 0; j < c; j++) {
          double gj = w == null ? gv.get(off + j) : (double) gv.get(off + j) * w[j];
          gx.put(off + j, (float) (ri * gj - xb.get(off + j) * k));
        }
      }
      java.lang.ref.Reference.reachabilityFence(gp);
      java.lang.ref.Reference.reachabilityFence(xa);
      if (w == null) {
        return new INDArray[] {gxa};
      }
      float[] gwf = new float[c];
      for (int j = 0; j < c; j++) {
        gwf[j] = (float) gw[j];
      }
      return new INDArray[] {gxa, Nd4j.createFromArray(gwf).reshape(weight.shape())};
    });
  }

  /**
   * Rows of {@code weight} (V, D) at the integer indices {@code input} (*): output (*, D). The gradient of a row
   * used several times is the sum of its uses. See {@link Embedding}.
   */
  public static Tensor embedding(Tensor input, Tensor weight) {
    if (input.dtype().isFPType()) {
      throw new IllegalArgumentException("embedding indices must be integers (int64), got " + input.dtype());
    }
    long v = weight.size(0);
    long d = weight.size(1);
    long[] idx = embeddingIndexRows ? indices(input.array())
        : input.array().dup('c').reshape(input.numel()).toLongVector();
    for (int i = 0; i < idx.length; i++) {
      if (idx[i] < 0 || idx[i] >= v) {
        throw new IllegalArgumentException("index " + idx[i] + " at position " + i + " is outside [0, " + v + ")");
      }
    }
    long[] out = Arrays.copyOf(input.shape(), input.dim() + 1);
    out[input.dim()] = d;
    INDArray rows = embeddingIndexRows && weight.dtype() == DataType.FLOAT ? embeddingRows(weight.array(), idx)
        : Nd4j.pullRows(weight.array(), 1, Arrays.stream(idx).mapToInt(Math::toIntExact).toArray());
    return Tensor.record("embedding", rows.reshape(out), new Tensor[] {weight}, (g, into) -> {
      if (weight.dtype() == DataType.FLOAT) {
        // Float weights: sum the rows straight into a zeroed native array (no Java arrays, no casts), or into the
        // weight's gradient so far when the engine offers it (a decoder's embedding, used at every step).
        INDArray gp = plainFloat(g);
        java.nio.FloatBuffer gb = buf(gp);
        INDArray acc = into[0];
        INDArray gwa = acc != null && acc.dataType() == DataType.FLOAT && Layout.isPlain(acc) ? acc
            : Nd4j.zeros(DataType.FLOAT, v, d);
        java.nio.FloatBuffer gwb = buf(gwa);
        int di = (int) d;
        for (int i = 0; i < idx.length; i++) {
          int src = i * di;
          int dst = (int) (idx[i] * d);
          for (int k = 0; k < di; k++) {
            gwb.put(dst + k, gwb.get(dst + k) + gb.get(src + k));
          }
        }
        java.lang.ref.Reference.reachabilityFence(gp);
        return new INDArray[] {gwa};
      }
      double[] gv = contiguous(g).castTo(DataType.DOUBLE).data().asDouble();
      double[] gw = new double[Math.toIntExact(v * d)];
      for (int i = 0; i < idx.length; i++) {
        int src = i * (int) d;
        int dst = (int) (idx[i] * d);
        for (int k = 0; k < d; k++) {
          gw[dst + k] += gv[src + k];
        }
      }
      return new INDArray[] {Nd4j.createFromArray(gw).reshape(v, d).castTo(weight.dtype())};
    });
  }

  /**
   * Whether {@link #embedding} reads the indices with one bulk get and copies a float weight's rows in Java (one
   * array in, one out) instead of a {@code dup}, {@code toLongVector} and ND4J's {@code pullRows} (~0.3-0.6 ms per
   * call for a decoder step's 8 tokens); {@code -Ddlcourse.nn.embeddingIndexRows=false} turns it off (A/B timings).
   */
  static volatile boolean embeddingIndexRows = !"false".equals(System.getProperty("dlcourse.nn.embeddingIndexRows"));

  /** The integer entries of {@code a} in c order, as longs (an int64 array without a copy on the ND4J side). */
  private static long[] indices(INDArray a) {
    if (a.dataType() != DataType.LONG) {
      return a.dup('c').reshape(a.length()).toLongVector();
    }
    long[] idx = new long[Math.toIntExact(a.length())];
    if (Layout.isPlain(a)) {
      a.data().asNioLong().get(0, idx);
      java.lang.ref.Reference.reachabilityFence(a);
      return idx;
    }
    if (a.rank() == 1 || a.length() == a.size(0)) { // a column or a strided vector: element by element
      INDArray v = a.reshape(a.length());
      for (int i = 0; i < idx.length; i++) {
        idx[i] = v.getLong(i);
      }
      return idx;
    }
    return a.dup('c').reshape(a.length()).toLongVector();
  }

  /** Rows {@code idx} of the float matrix {@code weight} (V, D) as a new (n, D) 'c' array. */
  private static INDArray embeddingRows(INDArray weight, long[] idx) {
    INDArray w = Layout.plain(weight);
    int d = (int) w.size(1);
    float[] out = new float[idx.length * d];
    java.nio.FloatBuffer wb = w.data().asNioFloat();
    for (int i = 0; i < idx.length; i++) {
      wb.get((int) idx[i] * d, out, i * d, d);
    }
    java.lang.ref.Reference.reachabilityFence(w);
    return Layout.plainFloats(out, idx.length, d);
  }

  // ---------------------------------------------------------------- attention and positions

  /** The result of {@link #scaledDotProductAttentionWithWeights} and {@link #multiheadAttention}. */
  public record Attention(Tensor output, Tensor weights) {}

  /**
   * Scaled dot-product attention, {@code softmax(q k^T / sqrt(E) + mask) v}, like PyTorch 2's
   * {@code torch.nn.functional.scaled_dot_product_attention}: see {@link #scaledDotProductAttentionWithWeights}.
   */
  public static Tensor scaledDotProductAttention(
      Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean causal, double dropoutP, boolean training) {
    return attention(q, k, v, attnMask, causal, dropoutP, training, false).output();
  }

  /**
   * Scaled dot-product attention, also returning the attention weights:
   * {@code A = dropout(softmax(q k^T / sqrt(E) + mask))}, output {@code A v}.
   *
   * <p>Shapes: {@code q (..., L, E)}, {@code k (..., S, E)}, {@code v (..., S, Ev)} with the same leading dimensions
   * ({@code (B, h, T, d)} for heads, or {@code (B, T, d)}); output {@code (..., L, Ev)}, weights {@code (..., L, S)}.
   *
   * <p>Masks follow {@code scaled_dot_product_attention}: a BOOL {@code attnMask} is true where a query <em>may</em>
   * attend to a key (the opposite of {@link MultiheadAttention}'s BOOL masks, as in PyTorch); a floating-point one is
   * added to the scores ({@code -inf} forbids). It must broadcast to {@code (..., L, S)}. {@code causal} lets query i
   * see keys {@code j <= i} (the top-left aligned {@code tril} of an {@code L x S} matrix); unlike PyTorch, which
   * refuses both, a mask and {@code causal} may be combined.
   *
   * <p>Fully masked rows: a query that may attend to no key gets attention weights of zero and an output of zero
   * (and passes no gradient), as PyTorch 2.5's math backend does; PyTorch 1.x and {@code softmax} give NaN there.
   * The softmax subtracts each row's maximum, so large scores do not overflow.
   *
   * @param attnMask null, BOOL (true = attend) or additive, broadcastable to {@code (..., L, S)}
   * @param causal whether query i sees only keys {@code j <= i}
   * @param dropoutP probability of zeroing an attention weight when {@code training} (see {@link #dropout})
   * @return the output and the weights that multiplied {@code v} (after dropout, as PyTorch's
   *     {@code MultiheadAttention} returns them)
   */
  public static Attention scaledDotProductAttentionWithWeights(
      Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean causal, double dropoutP, boolean training) {
    return attention(q, k, v, attnMask, causal, dropoutP, training, true);
  }

  /**
   * {@link #scaledDotProductAttentionWithWeights}; unless the caller gets the weights ({@code weightsOut}), the
   * (..., L, S) arrays inside go back to the buffer pool when they are dead: the scores once the softmax has read them,
   * the softmax output and the weights once the backward pass has used them ({@link Tensor#recycleAfterBackward}).
   */
  private static Attention attention(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean causal, double dropoutP,
      boolean training, boolean weightsOut) {
    Check.probability(dropoutP, "dropoutP");
    long[] qs = q.shape();
    long[] ks = k.shape();
    long[] vs = v.shape();
    int r = qs.length;
    if (r < 2 || ks.length != r || vs.length != r
        || !Arrays.equals(Arrays.copyOf(qs, r - 2), Arrays.copyOf(ks, r - 2))
        || !Arrays.equals(Arrays.copyOf(qs, r - 2), Arrays.copyOf(vs, r - 2))
        || qs[r - 1] != ks[r - 1] || ks[r - 2] != vs[r - 2]) {
      throw new IllegalArgumentException("expected q (..., L, E), k (..., S, E), v (..., S, Ev) with equal leading"
          + " dimensions, got " + Shapes.str(qs) + ", " + Shapes.str(ks) + ", " + Shapes.str(vs));
    }
    long l = qs[r - 2];
    long s = ks[r - 2];
    double scale = 1 / Math.sqrt(qs[r - 1]);
    if (attnMask == null && q.dtype() == DataType.FLOAT && k.dtype() == DataType.FLOAT) {
      double p = training ? dropoutP : 0;
      if (AttentionSoftmaxKernel.enabled() && p < 1) {
        // The scale on q (T x E values) instead of on the scores (T x S); softmax, mask and dropout as one op.
        Tensor scaled = q.mul(scale).matmul(k.transpose(-2, -1)); // (..., L, S)
        if (AttentionSoftmaxKernel.supports(scaled.array())) {
          Tensor weights = softmaxDropout(scaled, causal, p);
          if (!weightsOut || weights.array() != scaled.array()) {
            Tensor.recycleAfterBackward(scaled); // the probabilities: read only by the softmax's backward pass
          }
          if (!weightsOut && weights.array() != scaled.array()) {
            Tensor.recycleAfterBackward(weights); // read only by the backward pass of weights @ v
          }
          return new Attention(weights.matmul(v), weights); // (..., L, Ev)
        }
        Tensor weights = dropout(scaledSoftmax(scaled, 1, causal), dropoutP, training); // (..., L, S)
        return new Attention(weights.matmul(v), weights);
      }
      // One fused op for scale, causal mask and softmax (no (..., L, S) mask array, no select).
      Tensor scores = q.matmul(k.transpose(-2, -1)); // (..., L, S)
      Tensor probs = scaledSoftmax(scores, scale, causal);
      dlcourse.kernels.Buffers.recycle(scores.array()); // read by no backward pass (matmul's reads q and k)
      Tensor weights = dropout(probs, dropoutP, training);
      if (weights != probs || !weightsOut) {
        Tensor.recycleAfterBackward(probs); // read only by the softmax's backward pass (dropout's reads no input)
      }
      if (weights != probs && !weightsOut) {
        Tensor.recycleAfterBackward(weights);
      }
      return new Attention(weights.matmul(v), weights); // (..., L, Ev)
    }
    Tensor scores = q.matmul(k.transpose(-2, -1)).mul(scale); // (..., L, S)
    if (causal) {
      scores = scores.maskedFill(Tensor.of(Nd4j.ones(DataType.INT8, l, s)).triu(1), Double.NEGATIVE_INFINITY);
    }
    if (attnMask != null) {
      scores = applyMask(scores, attnMask);
    }
    Tensor weights = dropout(safeSoftmax(scores), dropoutP, training); // (..., L, S)
    return new Attention(weights.matmul(v), weights); // (..., L, Ev)
  }

  /** {@code scores} with a BOOL (true = keep) or additive mask applied; the shape must not grow. */
  private static Tensor applyMask(Tensor scores, Tensor mask) {
    long[] s = scores.shape();
    if (!Arrays.equals(Shapes.broadcast(s, mask.shape(), "attnMask"), s)) {
      throw new IllegalArgumentException("attnMask " + Shapes.str(mask.shape()) + " does not broadcast to the scores "
          + Shapes.str(s));
    }
    if (mask.dtype() == DataType.BOOL) {
      return scores.maskedFill(Tensor.of(mask.array().castTo(DataType.INT8).eq(0)), Double.NEGATIVE_INFINITY);
    }
    if (!mask.dtype().isFPType()) {
      throw new IllegalArgumentException("attnMask must be BOOL or floating point (additive), got " + mask.dtype());
    }
    return scores.add(mask.dtype() == scores.dtype() ? mask : mask.to(scores.dtype()));
  }

  /**
   * Attention weights from scaled scores {@code x (..., L, S)} (float, plain; overwritten): {@code softmax} over the last
   * dimension with the causal mask when {@code causal} ({@code kernels.AttentionSoftmaxKernel}, in place in x's
   * array), then dropout with probability {@code p < 1} (none when 0), as one recorded op. Dropout draws only where a
   * weight can be non-zero (a masked weight is 0 either way); its mask is kept as bits. Backward: the dropout mask
   * applied to the gradient, then {@code y (g - sum(g y))} on oneDNN. Without dropout the result shares x's array.
   */
  private static Tensor softmaxDropout(Tensor x, boolean causal, double p) {
    INDArray probs = x.array();
    long[] shape = probs.shape();
    AttentionSoftmaxKernel.forwardInPlace(probs, causal); // probs now holds softmax(x)
    if (p == 0) {
      return Tensor.record("attnSoftmax", probs, new Tensor[] {x}, g -> {
        INDArray gx = dlcourse.kernels.Buffers.take(DataType.FLOAT, shape);
        INDArray gp = plainFloat(g);
        AttentionSoftmaxKernel.backward(probs, gp, gx);
        java.lang.ref.Reference.reachabilityFence(gp);
        return new INDArray[] {gx};
      });
    }
    int cols = Math.toIntExact(shape[shape.length - 1]);
    int l = Math.toIntExact(shape[shape.length - 2]);
    int mats = Math.toIntExact(probs.length() / ((long) l * cols));
    DropoutKernel.Bits bits = new DropoutKernel.Bits(Init.generator().nextLong(), p);
    float fk = (float) (1 / (1 - p));
    long[] kept = new long[Math.toIntExact((probs.length() + 63) >>> 6)];
    INDArray out = dlcourse.kernels.Buffers.take(DataType.FLOAT, shape); // every element written below
    java.nio.FloatBuffer pb = buf(probs);
    java.nio.FloatBuffer w = buf(out);
    attentionRows(mats, l, cols, causal, w, (off, n) -> { // masked: 0, no draw
      for (int j = off; j < off + n; j++) {
        boolean drop = bits.drop();
        if (!drop) {
          kept[j >>> 6] |= 1L << j;
        }
        w.put(j, pb.get(j) * (drop ? 0f : fk));
      }
    });
    java.lang.ref.Reference.reachabilityFence(probs); // an NIO view does not keep its array's memory alive
    java.lang.ref.Reference.reachabilityFence(out);
    return Tensor.record("attnSoftmaxDropout", out, new Tensor[] {x}, g -> {
      INDArray gp = plainFloat(g);
      java.nio.FloatBuffer gv = buf(gp);
      INDArray gx = dlcourse.kernels.Buffers.take(DataType.FLOAT, shape); // every element written below
      java.nio.FloatBuffer gb = buf(gx);
      attentionRows(mats, l, cols, causal, gb, (off, n) -> {
        for (int j = off; j < off + n; j++) {
          gb.put(j, gv.get(j) * ((kept[j >>> 6] >>> j & 1L) * fk)); // j's low 6 bits select the bit: 0 or fk
        }
      });
      AttentionSoftmaxKernel.backward(probs, gx, gx); // in place: the gradient of the softmax's input
      java.lang.ref.Reference.reachabilityFence(gp);
      java.lang.ref.Reference.reachabilityFence(gx);
      return new INDArray[] {gx};
    });
  }

  /**
   * {@code softmax(scale * x)} over the last dimension of a float {@code x (..., L, S)}, with the causal mask when
   * {@code causal} (row i sees columns {@code j <= i}; the rest is 0 and passes no gradient), as one operation: the
   * scale, the mask and the softmax of {@link #scaledDotProductAttentionWithWeights} without the mask array and the
   * select ops. Computed row by row in double from the float scores (each row's maximum subtracted), stored in float.
   * Backward: {@code scale * y (g - sum(g y))}. Every row has at least key 0, so none is fully masked.
   */
  static Tensor scaledSoftmax(Tensor x, double scale, boolean causal) {
    INDArray xv = plainFloat(x.array());
    long[] shape = xv.shape();
    int cols = Math.toIntExact(shape[shape.length - 1]);
    int rows = Math.toIntExact(shape[shape.length - 2]);
    java.nio.FloatBuffer a = buf(xv);
    INDArray out = dlcourse.kernels.Buffers.take(DataType.FLOAT, shape); // every element written below
    java.nio.FloatBuffer y = buf(out);
    double[] e = new double[cols];
    float[] zeros = new float[cols];
    int mats = rows * cols == 0 ? 0 : Math.toIntExact(xv.length() / ((long) rows * cols));
    attentionRows(mats, rows, cols, causal, y, (off, n) -> {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        max = Math.max(max, a.get(off + j));
      }
      if (max == Double.NEGATIVE_INFINITY) {
        y.put(off, zeros, 0, n); // only -inf scores: zeros, as safeSoftmax
        return;
      }
      double sum = 0;
      for (int j = 0; j < n; j++) {
        e[j] = Math.exp((a.get(off + j) - max) * scale);
        sum += e[j];
      }
      for (int j = 0; j < n; j++) {
        y.put(off + j, (float) (e[j] / sum));
      }
    });
    java.lang.ref.Reference.reachabilityFence(xv); // an NIO view does not keep its array's memory alive
    return Tensor.record("attnSoftmax", out, new Tensor[] {x}, g -> {
      INDArray gp = plainFloat(g);
      java.nio.FloatBuffer gv = buf(gp);
      java.nio.FloatBuffer y2 = buf(out); // through the array: it stays alive while the graph does
      INDArray gxa = dlcourse.kernels.Buffers.take(DataType.FLOAT, shape); // every element written below
      java.nio.FloatBuffer gx = buf(gxa);
      attentionRows(mats, rows, cols, causal, gx, (off, n) -> {
        double dot = 0;
        for (int j = 0; j < n; j++) {
          dot += (double) gv.get(off + j) * y2.get(off + j);
        }
        for (int j = 0; j < n; j++) {
          gx.put(off + j, (float) (scale * y2.get(off + j) * (gv.get(off + j) - dot)));
        }
      });
      java.lang.ref.Reference.reachabilityFence(gp);
      java.lang.ref.Reference.reachabilityFence(out);
      return new INDArray[] {gxa};
    });
  }

  /** The visible part of one row of attention weights: elements {@code off .. off + n - 1} of the flat array. */
  private interface AttentionRow {
    void visit(int off, int n);
  }

  /**
   * Visits each row of {@code mats} plain {@code (l, cols)} matrices of attention weights, in order, with the columns
   * it sees ({@code n = cols}, or {@code i + 1} for row i when {@code causal}), and writes 0 to the masked rest of the
   * row in {@code dst}.
   */
  private static void attentionRows(int mats, int l, int cols, boolean causal, java.nio.FloatBuffer dst,
      AttentionRow row) {
    float[] zeros = new float[cols];
    for (int m = 0; m < mats; m++) {
      for (int i = 0; i < l; i++) {
        int off = (m * l + i) * cols;
        int n = causal ? Math.min(i + 1, cols) : cols;
        dst.put(off + n, zeros, 0, cols - n); // the masked columns
        row.visit(off, n);
      }
    }
  }

  /**
   * {@code a} as a float array that owns its whole c-ordered buffer (itself, or a cast / copy), so that
   * {@link #buf} reads its elements in order. The fused ops read and write native memory through NIO views: large
   * Java arrays would be allocated in the old generation under the launcher's small young generation ({@code -Xmn8m}).
   */
  private static INDArray plainFloat(INDArray a) {
    INDArray f = a.dataType() == DataType.FLOAT ? a : a.castTo(DataType.FLOAT);
    return Layout.plain(f);
  }

  /** {@code a} as a double array that owns its whole c-ordered buffer, like {@link #plainFloat}. */
  private static INDArray plainDouble(INDArray a) {
    INDArray f = a.dataType() == DataType.DOUBLE ? a : a.castTo(DataType.DOUBLE);
    return Layout.plain(f);
  }

  /** The native buffer of a {@link #plainFloat} array. */
  private static java.nio.FloatBuffer buf(INDArray a) {
    return a.data().asNioFloat();
  }

  /**
   * Softmax over the last dimension in which a row of only {@code -inf} gives zeros instead of NaN (its maximum is
   * taken as 0 and its sum as 1). Backward: {@code y (g - sum(g y))}, zero on such rows.
   */
  private static Tensor safeSoftmax(Tensor x) {
    INDArray y = dlcourse.kernels.SoftmaxKernel.forward(x.array(), true);
    return Tensor.record("softmax", y, new Tensor[] {x},
        g -> new INDArray[] {dlcourse.kernels.SoftmaxKernel.backward(y, g)});
  }

  /** {@code cond ? a : b} element-wise for arrays of one shape (ND4J's select op). */
  private static INDArray select(INDArray cond, INDArray a, INDArray b) {
    INDArray out = b.ulike();
    Nd4j.exec(new org.nd4j.linalg.api.ops.impl.controlflow.Select(new INDArray[] {cond, a, b}, new INDArray[] {out}));
    return out;
  }

  /**
   * Multi-head attention as {@code torch.nn.functional.multi_head_attention_forward} with {@code batch_first}: the
   * math of {@link MultiheadAttention}, which documents shapes and masks.
   *
   * @param inProjWeight (3E, E): the rows of W_q, W_k, W_v stacked
   * @param inProjBias (3E) or null
   * @param outProjBias (E) or null
   * @param needWeights whether to return the weights averaged over heads (else {@code weights()} is null)
   */
  public static Attention multiheadAttention(Tensor query, Tensor key, Tensor value, int numHeads,
      Tensor inProjWeight, Tensor inProjBias, Tensor outProjWeight, Tensor outProjBias, Tensor keyPaddingMask,
      boolean needWeights, Tensor attnMask, boolean causal, double dropoutP, boolean training) {
    long e = inProjWeight.size(1);
    if (query.dim() != 3 || key.dim() != 3 || value.dim() != 3 || query.size(2) != e || key.size(2) != e
        || value.size(2) != e || key.size(0) != query.size(0) || value.size(0) != query.size(0)
        || key.size(1) != value.size(1)) {
      throw new IllegalArgumentException("expected query (B, L, " + e + "), key and value (B, S, " + e + "), got "
          + Shapes.str(query.shape()) + ", " + Shapes.str(key.shape()) + ", " + Shapes.str(value.shape()));
    }
    long b = query.size(0);
    long l = query.size(1);
    long s = key.size(1);
    long hd = e / numHeads;
    Tensor q;
    Tensor k;
    Tensor v;
    if (query == key && key == value) {
      Tensor fused = linear(query, inProjWeight, inProjBias); // (B, L, 3E)
      if (attnMask == null && keyPaddingMask == null && !needWeights && (dropoutP == 0 || !training)
          && dlcourse.kernels.HeadsAttentionKernel.supports(fused.array(), numHeads)) {
        Tensor y = headsAttention(fused, numHeads, causal); // (B, L, E): heads side by side
        if (!WeightRows.batches(outProjWeight, outProjBias)) { // else the deferred weight gradient reads y late
          Tensor.recycleAfterBackward(y); // read by the output projection's backward pass, which runs first
        }
        return new Attention(linear(y, outProjWeight, outProjBias), null);
      }
      Tensor[] qkv = fused.chunk(3, -1); // 3 x (B, L, E)
      q = qkv[0];
      k = qkv[1];
      v = qkv[2];
    } else {
      Tensor[] w = inProjWeight.chunk(3, 0); // 3 x (E, E)
      Tensor[] bias = inProjBias == null ? new Tensor[3] : inProjBias.chunk(3, 0); // 3 x (E)
      q = linear(query, w[0], bias[0]); // (B, L, E)
      k = linear(key, w[1], bias[1]); // (B, S, E)
      v = linear(value, w[2], bias[2]); // (B, S, E)
    }
    q = q.reshape(b, l, numHeads, hd).transpose(1, 2); // (B, h, L, hd)
    k = k.reshape(b, s, numHeads, hd).transpose(1, 2); // (B, h, S, hd)
    v = v.reshape(b, s, numHeads, hd).transpose(1, 2); // (B, h, S, hd)
    Tensor mask = mhaMask(attnMask, keyPaddingMask, b, numHeads, l, s, q.dtype()); // null or (B|1, h|1, L|1, S)
    Attention a = scaledDotProductAttentionWithWeights(q, k, v, mask, causal, dropoutP, training);
    Tensor y = a.output().transpose(1, 2).reshape(b, l, e); // (B, L, E): heads side by side
    Tensor out = linear(y, outProjWeight, outProjBias); // (B, L, E)
    return new Attention(out, needWeights ? a.weights().mean(false, 1) : null); // weights (B, L, S)
  }

  /**
   * Self-attention of the fused projection {@code qkv (B, L, 3E)} without masks or dropout as one recorded op
   * ({@code kernels.HeadsAttentionKernel}): the heads split into plain arrays, {@code softmax(q k^T / sqrt(d)) v} per
   * head (causal when asked) and the heads merged into {@code (B, L, E)}; the same values as the narrow, reshape,
   * transpose, scale, matmul, softmax and merge ops of {@link #multiheadAttention}'s general path. The saved heads and
   * weights and qkv itself go back to the buffer pool after the backward pass: all are internal to
   * {@link #multiheadAttention}. {@code -Ddlcourse.kernels.headsAttention=false}: the general path (A/B timings).
   */
  private static Tensor headsAttention(Tensor qkv, int numHeads, boolean causal) {
    var saved = new dlcourse.kernels.HeadsAttentionKernel.Saved[1];
    INDArray y = dlcourse.kernels.HeadsAttentionKernel.forward(qkv.array(), numHeads, causal, saved);
    var s = saved[0];
    Tensor out = Tensor.record("headsAttention", y, new Tensor[] {qkv},
        g -> new INDArray[] {dlcourse.kernels.HeadsAttentionKernel.backward(s, g)});
    if (!out.requiresGrad()) {
      s.recycle(); // no backward pass will read them
      return out;
    }
    Tensor.recycleAfterBackward(out, s.arrays());
    Tensor.recycleAfterBackward(qkv); // read by this op only (its forward pass)
    return out;
  }

  /**
   * {@link MultiheadAttention}'s masks (BOOL: true = masked out; float: added) as one additive mask for
   * {@link #scaledDotProductAttentionWithWeights}, or null when there is none.
   */
  private static Tensor mhaMask(Tensor attnMask, Tensor keyPaddingMask, long b, long h, long l, long s, DataType t) {
    Tensor sum = null;
    if (attnMask != null) {
      long[] ms = attnMask.shape();
      if (Arrays.equals(ms, new long[] {l, s})) {
        sum = additive(attnMask, t).reshape(1, 1, l, s);
      } else if (Arrays.equals(ms, new long[] {b * h, l, s})) {
        sum = additive(attnMask, t).reshape(b, h, l, s);
      } else {
        throw new IllegalArgumentException("attnMask must be (L, S) = (" + l + ", " + s
            + ") or (B * numHeads, L, S) = (" + b * h + ", " + l + ", " + s + "), got " + Shapes.str(ms));
      }
    }
    if (keyPaddingMask != null) {
      if (!Arrays.equals(keyPaddingMask.shape(), new long[] {b, s})) {
        throw new IllegalArgumentException("keyPaddingMask must be (B, S) = (" + b + ", " + s + "), got "
            + Shapes.str(keyPaddingMask.shape()));
      }
      Tensor kpm = additive(keyPaddingMask, t).reshape(b, 1, 1, s);
      sum = sum == null ? kpm : sum.add(kpm);
    }
    return sum;
  }

  /** A BOOL mask (true = masked out) as 0 / -inf in type {@code t}; a floating-point mask as it is, in {@code t}. */
  private static Tensor additive(Tensor mask, DataType t) {
    if (mask.dtype() == DataType.BOOL) {
      INDArray m = mask.array();
      return Tensor.of(select(m, Nd4j.valueArrayOf(m.shape(), Double.NEGATIVE_INFINITY, t), Nd4j.zeros(t, m.shape())));
    }
    if (!mask.dtype().isFPType()) {
      throw new IllegalArgumentException("masks must be BOOL or floating point (additive), got " + mask.dtype());
    }
    return mask.to(t);
  }

  /**
   * Rotary position embedding (RoPE, Su et al. 2021) of {@code x (..., T, d)} at positions
   * {@code offset .. offset + T - 1}: see {@link #rope(Tensor, long[])}.
   */
  public static Tensor rope(Tensor x, long offset) {
    long t = x.dim() < 2 ? 0 : x.size(-2);
    long[] pos = new long[Math.toIntExact(t)];
    for (int i = 0; i < pos.length; i++) {
      pos[i] = offset + i;
    }
    return rope(x, pos);
  }

  /**
   * Rotary position embedding of {@code x (..., T, d)}, {@code d} even: the pair of channels {@code (x[2i], x[2i+1])}
   * at position {@code p} is rotated by the angle {@code p * theta_i}, {@code theta_i = 10000^(-2i/d)} (the course
   * template's {@code inv_freq = 1/10000^(arange(0, d, 2)/d)}):
   * {@code y[2i] = x[2i] cos - x[2i+1] sin}, {@code y[2i+1] = x[2i] sin + x[2i+1] cos}.
   *
   * <p>Pairing: adjacent (interleaved) channels, as in the RoFormer paper and Meta's LLaMA code. GPT-NeoX and
   * Hugging Face's {@code rotate_half} pair channel {@code i} with {@code i + d/2} instead; the two differ by a fixed
   * permutation of the channels, so they give the same attention scores only when q and k are permuted alike.
   * Because rotations preserve dot products up to the angle difference, {@code <rope(q, m), rope(k, n)>} depends on
   * positions only through {@code m - n}. The gradient is the inverse rotation of the upstream gradient (exact).
   *
   * @param positions one position per row of the {@code T} dimension
   */
  public static Tensor rope(Tensor x, long[] positions) {
    if (x.dim() < 2 || x.size(-1) % 2 != 0 || x.size(-2) != positions.length) {
      throw new IllegalArgumentException("rope: expected input (..., T, d) with d even and T = " + positions.length
          + " positions, got " + Shapes.str(x.shape()));
    }
    if (x.dtype() == DataType.FLOAT || x.dtype() == DataType.DOUBLE) {
      return ropeFused(x, positions);
    }
    int t = positions.length;
    int d = (int) x.size(-1);
    double[] cos = new double[t * d];
    double[] sin = new double[t * d]; // signed: -sin at even channels, +sin at odd ones
    for (int p = 0; p < t; p++) {
      for (int i = 0; i < d / 2; i++) {
        double angle = positions[p] * Math.pow(10000, -2.0 * i / d);
        cos[p * d + 2 * i] = cos[p * d + 2 * i + 1] = Math.cos(angle);
        sin[p * d + 2 * i] = -Math.sin(angle);
        sin[p * d + 2 * i + 1] = Math.sin(angle);
      }
    }
    double[] swap = new double[d * d]; // (x @ swap)[2i] = x[2i+1], (x @ swap)[2i+1] = x[2i]
    for (int i = 0; i < d; i += 2) {
      swap[(i + 1) * d + i] = 1;
      swap[i * d + i + 1] = 1;
    }
    DataType type = x.dtype();
    Tensor c = Tensor.of(Nd4j.createFromArray(cos).reshape(t, d).castTo(type)); // (T, d)
    Tensor s = Tensor.of(Nd4j.createFromArray(sin).reshape(t, d).castTo(type)); // (T, d)
    Tensor pairSwap = Tensor.of(Nd4j.createFromArray(swap).reshape(d, d).castTo(type)); // (d, d)
    return x.mul(c).add(x.matmul(pairSwap).mul(s)); // (..., T, d)
  }

  /**
   * {@link #rope(Tensor, long[])} of a float or double tensor as one op on the native buffers: each pair is rotated
   * by its angle, {@code y[2i] = x[2i] cos - x[2i+1] sin}, {@code y[2i+1] = x[2i+1] cos + x[2i] sin}, with the
   * products rounded to the tensor's type as the general path's (mul, matmul by the pair swap, mul, add) do; backward
   * is the rotation by the negative angle. Replaces 4 ops (2 broadcast muls, a d x d matmul, an add) and their
   * backward.
   */
  private static Tensor ropeFused(Tensor x, long[] positions) {
    int t = positions.length;
    int d = (int) x.size(-1);
    int h = d / 2;
    double[] cos = new double[t * h];
    double[] sin = new double[t * h];
    for (int p = 0; p < t; p++) {
      for (int i = 0; i < h; i++) {
        double angle = positions[p] * Math.pow(10000, -2.0 * i / d);
        cos[p * h + i] = Math.cos(angle);
        sin[p * h + i] = Math.sin(angle);
      }
    }
    long[] shape = x.shape();
    boolean f = x.dtype() == DataType.FLOAT;
    INDArray xa = f ? plainFloat(x.array()) : plainDouble(x.array());
    int rows = d == 0 ? 0 : Math.toIntExact(xa.length() / d);
    INDArray out = dlcourse.kernels.Buffers.take(x.dtype(), shape);
    ropeRotate(xa, out, cos, sin, f, rows, t, h, 1);
    return Tensor.record("rope", out, new Tensor[] {x}, g -> {
      INDArray ga = f ? plainFloat(g) : plainDouble(g);
      INDArray gx = dlcourse.kernels.Buffers.take(x.dtype(), shape);
      ropeRotate(ga, gx, cos, sin, f, rows, t, h, -1);
      return new INDArray[] {gx};
    });
  }

  /** Rotates the pairs of {@code src} ((rows, 2h) c-ordered, row r at position r % t) by {@code sign} * angle. */
  private static void ropeRotate(INDArray src, INDArray dst, double[] cos, double[] sin, boolean f, int rows, int t,
      int h, int sign) {
    int d = 2 * h;
    if (f) {
      float[] cf = new float[cos.length];
      float[] sf = new float[sin.length];
      for (int i = 0; i < cf.length; i++) {
        cf[i] = (float) cos[i];
        sf[i] = (float) sin[i];
      }
      java.nio.FloatBuffer a = buf(src);
      java.nio.FloatBuffer y = buf(dst);
      for (int r = 0; r < rows; r++) {
        int off = r * d;
        int po = (r % t) * h;
        for (int i = 0; i < h; i++) {
          float x0 = a.get(off + 2 * i);
          float x1 = a.get(off + 2 * i + 1);
          float c = cf[po + i];
          float s = sign > 0 ? sf[po + i] : -sf[po + i];
          y.put(off + 2 * i, x0 * c + x1 * -s);
          y.put(off + 2 * i + 1, x1 * c + x0 * s);
        }
      }
      java.lang.ref.Reference.reachabilityFence(src); // an NIO view does not keep its array's memory alive
      java.lang.ref.Reference.reachabilityFence(dst);
      return;
    }
    double[] a = src.data().asDouble(); // Java arrays: double is not the hot path
    double[] y = new double[a.length];
    for (int r = 0; r < rows; r++) {
      int off = r * d;
      int po = (r % t) * h;
      for (int i = 0; i < h; i++) {
        double x0 = a[off + 2 * i];
        double x1 = a[off + 2 * i + 1];
        double c = cos[po + i];
        double s = sign * sin[po + i];
        y[off + 2 * i] = x0 * c + x1 * -s;
        y[off + 2 * i + 1] = x1 * c + x0 * s;
      }
    }
    dst.assign(Nd4j.createFromArray(y).reshape(dst.shape()));
  }

  /**
   * The fixed sinusoidal position table of "Attention is all you need" for positions {@code 0 .. length - 1}:
   * {@code PE[p, 2i] = sin(p / 10000^(2i/d))}, {@code PE[p, 2i+1] = cos(p / 10000^(2i/d))}, float, shape
   * {@code (length, d)}. See {@link SinusoidalPositionalEmbedding}.
   */
  public static Tensor sinusoidalPositionalEncoding(long length, long d) {
    return sinusoidalPositionalEncoding(java.util.stream.LongStream.range(0, length).toArray(), d);
  }

  /** Rows of the sinusoidal table at {@code positions}: shape {@code (positions.length, d)}, float. */
  public static Tensor sinusoidalPositionalEncoding(long[] positions, long d) {
    Check.positive(d, "d");
    if (d % 2 != 0) {
      throw new IllegalArgumentException("d must be even, got " + d);
    }
    int n = positions.length;
    int dd = (int) d;
    double[] pe = new double[n * dd];
    for (int p = 0; p < n; p++) {
      for (int i = 0; i < dd / 2; i++) {
        double angle = positions[p] / Math.pow(10000, 2.0 * i / d);
        pe[p * dd + 2 * i] = Math.sin(angle);
        pe[p * dd + 2 * i + 1] = Math.cos(angle);
      }
    }
    return Tensor.of(Nd4j.createFromArray(pe).reshape(n, dd).castTo(DataType.FLOAT));
  }

  /**
   * A vision transformer's input tokens: the patch embeddings {@code patches (B, C, h, w)} (a patch convolution's
   * output) as N = h w tokens row by row, the class token {@code cls (1, 1, C)} prepended, each token plus its row of
   * {@code positions (N + 1, C)}. The same as
   * {@code Tensor.cat(1, cls.expand(B, 1, C), patches.flatten(2).transpose(1, 2)).add(positions)}, which it runs for
   * double tensors; float tensors take one recorded op ({@link PatchTokensKernel}).
   *
   * @return {@code (B, N + 1, C)}
   */
  public static Tensor patchTokens(Tensor patches, Tensor cls, Tensor positions) {
    if (patches.dim() != 4) {
      throw new IllegalArgumentException("patchTokens: expected patches (B, C, h, w), got " + Shapes.str(
          patches.shape()));
    }
    long b = patches.size(0);
    long c = patches.size(1);
    long t = patches.size(2) * patches.size(3) + 1;
    if (cls.numel() != c || positions.dim() != 2 || positions.size(0) != t || positions.size(1) != c) {
      throw new IllegalArgumentException("patchTokens: patches " + Shapes.str(patches.shape()) + " need a class token"
          + " of " + c + " values and positions (" + t + ", " + c + "), got " + Shapes.str(cls.shape()) + " and "
          + Shapes.str(positions.shape()));
    }
    if (!fusedPatchTokens || patches.dtype() != DataType.FLOAT || cls.dtype() != DataType.FLOAT
        || positions.dtype() != DataType.FLOAT) {
      Tensor p = patches.flatten(2).transpose(1, 2); // (B, N, C): one token per patch, row by row
      return Tensor.cat(1, cls.reshape(1, 1, c).expand(b, 1, c), p).add(positions);
    }
    INDArray out = PatchTokensKernel.forward(patches.array(), Layout.plain(cls.array()).data().asFloat(),
        Layout.plain(positions.array()).data().asFloat());
    long[] patchShape = patches.shape();
    long[] clsShape = cls.shape();
    long[] posShape = positions.shape();
    return Tensor.record("patchTokens", out, new Tensor[] {patches, cls, positions}, g -> {
      INDArray gPatches = patches.requiresGrad() ? Buffers.take(DataType.FLOAT, patchShape) : null;
      float[] gCls = new float[(int) c];
      float[] gPos = new float[(int) (t * c)];
      PatchTokensKernel.backward(g, gPatches, gCls, gPos);
      return new INDArray[] {gPatches, cls.requiresGrad() ? Nd4j.createFromArray(gCls).reshape(clsShape) : null,
        positions.requiresGrad() ? Nd4j.createFromArray(gPos).reshape(posShape) : null};
    });
  }

  /**
   * Whether {@link #patchTokens} of float tensors is one op ({@code -Ddlcourse.nn.fusedPatchTokens=false}: the
   * general ops, for A/B timings).
   */
  static volatile boolean fusedPatchTokens = !"false".equals(System.getProperty("dlcourse.nn.fusedPatchTokens"));

  // ---------------------------------------------------------------- recurrent

  /**
   * One LSTM step, like {@code torch.nn.LSTMCell}: gates {@code x W_ih^T + b_ih + h W_hh^T + b_hh} in the order
   * input, forget, cell, output; {@code c' = f c + i g}, {@code h' = o tanh(c')}. Two GEMMs and one recorded gate
   * operation (closed-form backward). See {@link LSTMCell} for shapes.
   *
   * @param state the previous (h, c), each (B, H); null starts from zeros
   * @param biasIh may be null, with {@code biasHh}, for no bias
   * @return the new (h, c)
   */
  public static LSTMCell.State lstmCell(Tensor x, LSTMCell.State state, Tensor weightIh, Tensor weightHh,
      Tensor biasIh, Tensor biasHh) {
    long hidden = checkLstmWeights(weightIh, weightHh, biasIh, biasHh);
    if (x.dim() != 2 || x.size(1) != weightIh.size(1)) {
      throw new IllegalArgumentException("expected input (B, " + weightIh.size(1) + "), got " + Shapes.str(x.shape()));
    }
    sameType(x, weightIh, "lstmCell");
    long batch = x.size(0);
    LSTMCell.State s = state != null ? state : zeroState(x.dtype(), batch, hidden);
    checkState(s.h(), "h", batch, hidden);
    checkState(s.c(), "c", batch, hidden);
    if ((biasIh == null) != (biasHh == null)) {
      throw new IllegalArgumentException("give both LSTM biases or neither");
    }
    // Each bias in its own product's rows (no (4H) add per step, and each bias's gradient is one row sum).
    Tensor xg = linear(x, weightIh, biasIh); // (B, 4H)
    Tensor hh = linear(s.h(), weightHh, biasHh); // (B, 4H)
    if (floatCell && x.dtype() == DataType.FLOAT && s.c().dtype() == DataType.FLOAT) {
      return lstmCellFloat(xg, hh, s.c(), (int) batch, (int) hidden);
    }
    LstmLayerRun run = new LstmLayerRun(xg, null, 1, (int) batch, (int) hidden);
    LstmStep step = run.step(0, hh, s.c(), LstmKernel.doubles(s.c().array()));
    return new LSTMCell.State(run.part(step, 0), run.part(step, 1));
  }

  /**
   * Whether {@link #lstmCell} on float tensors runs its gates in float ({@code LstmKernel}'s float step, one recorded
   * op and two parts per step) instead of the double step of {@link LstmLayerRun};
   * {@code -Ddlcourse.nn.lstmCellFloat=false} turns it off (for A/B timings).
   */
  static volatile boolean floatCell = !"false".equals(System.getProperty("dlcourse.nn.lstmCellFloat"));

  /**
   * Whether the h' and c' parts of a float {@link #lstmCell} step add their gradient into the packed (2, B, H)
   * gradient the engine accumulates (the other part's, when it came first) instead of each returning a zero-padded
   * (2, B, H) array that the engine then adds; {@code -Ddlcourse.nn.lstmPartsInto=false} turns it off (A/B timings).
   */
  static volatile boolean lstmPartsInto = !"false".equals(System.getProperty("dlcourse.nn.lstmPartsInto"));

  /**
   * The gates of one float {@link #lstmCell} step: one recorded op {@code lstmGates} with the packed (2, B, H)
   * output h' then c' (closed-form backward on the native buffers; xg and hh share one gradient array, as their
   * gradients are the same values), and h' and c' as its two parts.
   */
  private static LSTMCell.State lstmCellFloat(Tensor xg, Tensor hh, Tensor c, int batch, int hidden) {
    int bh = batch * hidden;
    INDArray xa = Layout.plain(xg.array()), ha = Layout.plain(hh.array()), ca = Layout.plain(c.array());
    INDArray hc = Nd4j.createUninitialized(DataType.FLOAT, new long[] {2, batch, hidden}, 'c');
    LstmKernel.SavedFloat saved = LstmKernel.forward(buf(xa), buf(ha), buf(ca), buf(hc), batch, hidden);
    java.lang.ref.Reference.reachabilityFence(xa);
    java.lang.ref.Reference.reachabilityFence(ha);
    Tensor out = Tensor.record("lstmGates", hc, new Tensor[] {xg, hh, c}, g -> {
      INDArray gp = plainFloat(g);
      INDArray gGates = Nd4j.createUninitialized(DataType.FLOAT, new long[] {batch, 4L * hidden}, 'c');
      INDArray gc = c.requiresGrad() ? Nd4j.createUninitialized(DataType.FLOAT, new long[] {batch, hidden}, 'c') : null;
      LstmKernel.backward(saved, buf(ca), buf(gp), buf(gGates), gc == null ? null : buf(gc));
      java.lang.ref.Reference.reachabilityFence(ca); // the NIO views do not keep their arrays' memory alive
      java.lang.ref.Reference.reachabilityFence(gp);
      java.lang.ref.Reference.reachabilityFence(gGates);
      java.lang.ref.Reference.reachabilityFence(gc);
      return new INDArray[] {xg.requiresGrad() ? gGates : null, hh.requiresGrad() ? gGates : null, gc};
    }, c);
    Tensor[] parts = new Tensor[2];
    for (int which = 0; which < 2; which++) {
      int from = which * bh;
      INDArray part = Nd4j.createUninitialized(DataType.FLOAT, new long[] {batch, hidden}, 'c');
      buf(part).put(0, buf(hc), from, bh);
      Tensor.AccumulatingBackward back = (g, into) -> {
        INDArray gp = plainFloat(g);
        INDArray acc = into == null ? null : into[0];
        if (lstmPartsInto && acc != null && acc.dataType() == DataType.FLOAT && Layout.isPlain(acc)
            && acc.length() == 2L * bh) { // the other part's gradient so far: add this half into it
          java.nio.FloatBuffer ab = buf(acc), gb = buf(gp);
          float[] half = new float[bh], add = new float[bh];
          ab.get(from, half);
          gb.get(0, add);
          for (int i = 0; i < bh; i++) {
            half[i] += add[i];
          }
          ab.put(from, half);
          java.lang.ref.Reference.reachabilityFence(gp);
          java.lang.ref.Reference.reachabilityFence(acc);
          return new INDArray[] {acc};
        }
        INDArray d = Nd4j.zeros(DataType.FLOAT, 2, batch, hidden); // the other part's half stays zero
        buf(d).put(from, buf(gp), 0, bh);
        java.lang.ref.Reference.reachabilityFence(gp);
        return new INDArray[] {d};
      };
      String name = which == 0 ? "lstmH" : "lstmC";
      Tensor[] in = {out};
      // a fresh d: the other part may add into it (lstmPartsInto)
      parts[which] = lstmPartsInto ? Tensor.recordFresh(name, part, in, back) : Tensor.record(name, part, in, back);
    }
    java.lang.ref.Reference.reachabilityFence(hc);
    return new LSTMCell.State(parts[0], parts[1]);
  }

  /**
   * A multi-layer LSTM over a sequence, like {@code torch.nn.LSTM}: per layer one GEMM projects the inputs of all
   * time steps at once, then each step does one GEMM {@code h W_hh^T} and one recorded gate operation. See
   * {@link LSTM} for shapes.
   *
   * @param x (T, B, I), or (B, T, I) with {@code batchFirst}
   * @param state (h0, c0), each (numLayers, B, H); null starts from zeros
   * @param weights per layer, in PyTorch's order: {@code weightIh, weightHh, biasIh, biasHh} (4 per layer), or
   *     {@code weightIh, weightHh} (2 per layer) without bias
   * @param dropout probability of dropout on the outputs of every layer but the last (training only)
   * @return the output (T, B, H) (or (B, T, H)): the last layer's h at every step, and the final (h, c) of every
   *     layer, each (numLayers, B, H)
   */
  public static LSTM.Output lstm(Tensor x, LSTMCell.State state, Tensor[] weights, int numLayers, boolean batchFirst,
      double dropout, boolean training) {
    Check.positive(numLayers, "numLayers");
    if (weights.length != 4 * numLayers && weights.length != 2 * numLayers) {
      throw new IllegalArgumentException("expected 4 weights per layer (2 without bias) for " + numLayers
          + " layers, got " + weights.length);
    }
    int per = weights.length / numLayers;
    if (x.dim() != 3 || x.size(-1) != weights[0].size(1)) {
      throw new IllegalArgumentException("expected input " + (batchFirst ? "(B, T, " : "(T, B, ") + weights[0].size(1)
          + "), got " + Shapes.str(x.shape()));
    }
    sameType(x, weights[0], "lstm");
    Tensor seq = batchFirst ? x.permute(1, 0, 2) : x; // (T, B, I)
    int steps = (int) seq.size(0);
    int batch = (int) seq.size(1);
    long hidden = weights[1].size(1);
    if (steps == 0) {
      throw new IllegalArgumentException("expected at least one time step, got input " + Shapes.str(x.shape()));
    }
    if (state != null) {
      checkState(state.h(), "h0", numLayers, batch, hidden);
      checkState(state.c(), "c0", numLayers, batch, hidden);
    }
    Tensor[] hn = new Tensor[numLayers];
    Tensor[] cn = new Tensor[numLayers];
    for (int l = 0; l < numLayers; l++) {
      Tensor wIh = weights[l * per];
      Tensor wHh = weights[l * per + 1];
      Tensor bIh = per == 4 ? weights[l * per + 2] : null;
      Tensor bHh = per == 4 ? weights[l * per + 3] : null;
      long h = checkLstmWeights(wIh, wHh, bIh, bHh);
      if (h != hidden || wIh.size(1) != seq.size(2)) {
        throw new IllegalArgumentException("layer " + l + ": weightIh " + Shapes.str(wIh.shape()) + " and weightHh "
            + Shapes.str(wHh.shape()) + " do not fit an input of size " + seq.size(2) + " and hidden size " + hidden);
      }
      LSTMCell.State s0 = state == null ? zeroState(x.dtype(), batch, hidden)
          : new LSTMCell.State(state.h().narrow(0, l, 1).reshape(batch, hidden),
              state.c().narrow(0, l, 1).reshape(batch, hidden));
      Tensor xg = linear(seq.reshape((long) steps * batch, seq.size(2)), wIh, lstmBias(bIh, bHh)); // (T*B, 4H)
      LstmLayerRun run = new LstmLayerRun(xg, wHh, steps, batch, (int) hidden);
      LstmStep step = run.step(0, run.firstRecurrent(s0.h()), s0.c(), LstmKernel.doubles(s0.c().array()));
      LstmStep[] all = new LstmStep[steps];
      all[0] = step;
      for (int t = 1; t < steps; t++) {
        step = run.step(t, run.recurrent(step), step.hc(), step.c());
        all[t] = step;
      }
      seq = run.output(all); // (T, B, H)
      hn[l] = run.part(step, 0);
      cn[l] = run.part(step, 1);
      if (dropout > 0 && l < numLayers - 1) {
        seq = dropout(seq, dropout, training);
      }
    }
    Tensor out = batchFirst ? seq.permute(1, 0, 2) : seq;
    return new LSTM.Output(out, new LSTMCell.State(Tensor.stack(0, hn), Tensor.stack(0, cn)));
  }

  /** b_ih + b_hh, added once to the input projection; null without bias. */
  private static Tensor lstmBias(Tensor biasIh, Tensor biasHh) {
    if ((biasIh == null) != (biasHh == null)) {
      throw new IllegalArgumentException("give both LSTM biases or neither");
    }
    return biasIh == null ? null : biasIh.add(biasHh);
  }

  /** Checks the shapes of one layer's weights, (4H, I), (4H, H), (4H), (4H); returns H. */
  private static long checkLstmWeights(Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh) {
    long h = weightHh.dim() == 2 ? weightHh.size(1) : -1;
    boolean ok = weightIh.dim() == 2 && h > 0 && weightIh.size(0) == 4 * h && weightHh.size(0) == 4 * h
        && (biasIh == null || Arrays.equals(biasIh.shape(), new long[] {4 * h}))
        && (biasHh == null || Arrays.equals(biasHh.shape(), new long[] {4 * h}));
    if (!ok) {
      throw new IllegalArgumentException("expected LSTM weights weightIh (4H, I), weightHh (4H, H), biases (4H), got "
          + Shapes.str(weightIh.shape()) + ", " + Shapes.str(weightHh.shape())
          + (biasIh == null ? "" : ", " + Shapes.str(biasIh.shape()) + ", " + Shapes.str(biasHh.shape())));
    }
    return h;
  }

  private static void checkState(Tensor t, String name, long... shape) {
    if (t == null || !Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException("expected " + name + " of shape " + Shapes.str(shape) + ", got "
          + (t == null ? "null" : Shapes.str(t.shape())));
    }
  }

  private static LSTMCell.State zeroState(DataType type, long batch, long hidden) {
    return new LSTMCell.State(Tensor.of(Nd4j.zeros(type, batch, hidden)), Tensor.of(Nd4j.zeros(type, batch, hidden)));
  }

  /**
   * One step's result: {@code hc} is the recorded output (2, B, H) holding h then c; {@code h}, {@code hValues} and
   * {@code c} are the same values as an array and as Java doubles, for the next step's GEMM and gate loop.
   */
  private record LstmStep(Tensor hc, INDArray h, double[] hValues, double[] c) {}

  /**
   * The time steps of one LSTM layer over its input pre-activations {@code xg} (T*B, 4H), computed by one GEMM.
   *
   * <p>The steps' gradients of {@code xg} are gathered in one Java array instead of a full-size gradient per step
   * (what slicing {@code xg} with {@code narrow} would cost: T zero-filled (T*B, 4H) arrays and their sums). The
   * tape runs the steps' backward passes latest first, and step 0, which every later step depends on, last; so
   * steps 1.. write their rows and hand on nothing, and step 0 writes its rows and hands on the whole array as
   * {@code xg}'s gradient, before the projection's own backward pass runs. The same rows are the gradients of
   * the recurrent products {@code h W_hh^T}, so W_hh's gradient is one GEMM over all steps too, made by the
   * product of step 0, whose backward pass runs after every other step's.
   */
  private static final class LstmLayerRun {
    private final Tensor xg;
    /** W_hh when the recurrent products go through {@link #firstRecurrent} and {@link #recurrent}, else null. */
    private final Tensor weightHh;
    /** The h each step's recurrent product read: h0, then the h of steps 0, 1, ... */
    private final java.util.List<INDArray> hPrev = new java.util.ArrayList<>();
    /** d loss / d gates of every step, (T*B, 4H), from step 0's backward pass to the first recurrent product's. */
    private INDArray dGatesAll;
    private final double[] xgValues;
    private final int steps;
    private final int batch;
    private final int hidden;
    private final DataType type;
    /** d loss / d xg of the backward pass in progress; null between passes. */
    private double[] dxg;

    LstmLayerRun(Tensor xg, Tensor weightHh, int steps, int batch, int hidden) {
      this.xg = xg;
      this.weightHh = weightHh;
      this.xgValues = LstmKernel.doubles(xg.array());
      this.steps = steps;
      this.batch = batch;
      this.hidden = hidden;
      this.type = xg.dtype();
    }

    /** Step {@code t}: gates from xg's rows of step t plus {@code hh}; {@code cSrc} is c0 (B, H) or the last hc. */
    LstmStep step(int t, Tensor hh, Tensor cSrc, double[] cPrev) {
      int bh = batch * hidden;
      int rows = batch * 4 * hidden;
      double[] hc = new double[2 * bh];
      double[] h = new double[bh];
      double[] c = new double[bh];
      LstmKernel.Saved saved = LstmKernel.forward(xgValues, t * rows, LstmKernel.doubles(hh.array()), cPrev, h, c,
          batch, hidden);
      System.arraycopy(h, 0, hc, 0, bh);
      System.arraycopy(c, 0, hc, bh, bh);
      boolean packed = cSrc.dim() == 3;
      Tensor out = Tensor.record("lstmGates", LstmKernel.array(hc, type, 2, batch, hidden),
          new Tensor[] {xg, hh, cSrc}, g -> {
            double[] gv = LstmKernel.doubles(g);
            double[] dGates = new double[rows];
            double[] dcPrev = new double[packed ? 2 * bh : bh];
            LstmKernel.backward(saved, gv, dGates, dcPrev, packed ? bh : 0);
            INDArray gx = null;
            INDArray all = null;
            boolean gatherW = weightHh != null && weightHh.requiresGrad();
            if (xg.requiresGrad() || gatherW) {
              if (dxg == null) {
                dxg = new double[steps * rows];
              }
              System.arraycopy(dGates, 0, dxg, t * rows, rows);
              if (t == 0) {
                all = LstmKernel.array(dxg, type, (long) steps * batch, 4L * hidden);
                gx = xg.requiresGrad() ? all : null;
                dGatesAll = gatherW ? all : null;
                dxg = null;
              }
            }
            INDArray gc = packed ? LstmKernel.array(dcPrev, type, 2, batch, hidden)
                : LstmKernel.array(dcPrev, type, batch, hidden);
            // One step (lstmCell): hh's gradient is xg's, the same values; both products only read it.
            INDArray gh = steps == 1 && all != null ? all : LstmKernel.array(dGates, type, batch, 4L * hidden);
            return new INDArray[] {gx, gh, gc};
          });
      return new LstmStep(out, LstmKernel.array(h, type, batch, hidden), h, c);
    }

    /**
     * h0 W_hh^T for step 0; its backward pass, the last of the layer's steps, also gives W_hh's gradient for all
     * steps: {@code dGatesAll^T [h0; h_0; ...; h_(T-2)]}, one GEMM.
     */
    Tensor firstRecurrent(Tensor h0) {
      INDArray h = h0.array();
      INDArray w = weightHh.array();
      hPrev.add(h);
      return Tensor.record("lstmRecurrent", Nd4j.gemm(h, w, false, true), new Tensor[] {h0, weightHh}, g -> {
        INDArray dw = null;
        if (dGatesAll != null) {
          INDArray hs = Nd4j.concat(0, hPrev.toArray(new INDArray[0])); // (T*B, H)
          dw = Nd4j.gemm(dGatesAll, hs, true, false);
          dGatesAll = null;
        }
        return new INDArray[] {h0.requiresGrad() ? Nd4j.gemm(g, w, false, false) : null, dw};
      }, h0, weightHh);
    }

    /** h W_hh^T for the step after {@code prev}, reading h from its packed output; one GEMM. */
    Tensor recurrent(LstmStep prev) {
      INDArray h = prev.h();
      INDArray w = weightHh.array();
      hPrev.add(h);
      return Tensor.record("lstmRecurrent", Nd4j.gemm(h, w, false, true), new Tensor[] {prev.hc(), weightHh}, g -> {
        INDArray dhc = Nd4j.zeros(type, 2, batch, hidden);
        dhc.slice(0).assign(Nd4j.gemm(g, w, false, false));
        return new INDArray[] {dhc, null}; // W_hh's gradient: see firstRecurrent
      }, weightHh);
    }

    /** h (which 0) or c (which 1) of a step, (B, H). */
    Tensor part(LstmStep s, int which) {
      int bh = batch * hidden;
      INDArray value = which == 0 ? s.h() : LstmKernel.array(s.c(), type, batch, hidden);
      return Tensor.record(which == 0 ? "lstmH" : "lstmC", value, new Tensor[] {s.hc()}, g -> {
        double[] d = new double[2 * bh];
        System.arraycopy(LstmKernel.doubles(g), 0, d, which * bh, bh);
        return new INDArray[] {LstmKernel.array(d, type, 2, batch, hidden)};
      });
    }

    /** The h of every step, (T, B, H). */
    Tensor output(LstmStep[] all) {
      int bh = batch * hidden;
      double[] y = new double[all.length * bh];
      Tensor[] hcs = new Tensor[all.length];
      for (int t = 0; t < all.length; t++) {
        System.arraycopy(all[t].hValues(), 0, y, t * bh, bh);
        hcs[t] = all[t].hc();
      }
      return Tensor.record("lstmOutput", LstmKernel.array(y, type, all.length, batch, hidden), hcs, g -> {
        double[] gv = LstmKernel.doubles(g);
        INDArray[] out = new INDArray[all.length];
        for (int t = 0; t < all.length; t++) {
          double[] d = new double[2 * bh];
          System.arraycopy(gv, t * bh, d, 0, bh);
          out[t] = LstmKernel.array(d, type, 2, batch, hidden);
        }
        return out;
      });
    }
  }

  // ---------------------------------------------------------------- tiled and local attention

  /**
   * Exact scaled dot-product attention computed tile by tile with an online softmax (FlashAttention): equals
   * {@code scaledDotProductAttention(q, k, v, null, causal, 0, false)} up to rounding, with {@code O(tileSize^2 + L)}
   * working memory instead of the {@code L x S} scores and weights. See {@link FlashAttention} for the algorithm and
   * the shapes.
   *
   * @param causal whether query i sees only keys {@code j <= i}
   * @param tileSize queries and keys per tile
   */
  public static Tensor flashAttention(Tensor q, Tensor k, Tensor v, boolean causal, int tileSize) {
    return new FlashAttention(causal, tileSize).apply(q, k, v);
  }

  /** {@link #flashAttention(Tensor, Tensor, Tensor, boolean, int)} with tiles of 64 queries and 64 keys. */
  public static Tensor flashAttention(Tensor q, Tensor k, Tensor v, boolean causal) {
    return flashAttention(q, k, v, causal, 64);
  }

  /**
   * Sliding-window (local) self-attention: query i attends only to the keys j with {@code |i - j| <= window}, or with
   * {@code causal} to {@code i - window <= j <= i} (the local attention of Longformer and of Mistral's sliding window).
   * The queries are cut into blocks of {@code B = max(window, 16)}; block i is scored only against the keys of blocks
   * i - 1, i and i + 1, which hold its whole band, all blocks in one batched product (Longformer's chunked form). So
   * the cost is {@code 3B} keys per query, {@code O(L * window * E)} time and memory instead of the {@code O(L^2 E)}
   * of full attention, with a fixed number of operations whatever L; the result equals
   * {@link #scaledDotProductAttention} with the band as a BOOL mask.
   *
   * <p>Shapes: {@code q} and {@code k (..., L, E)}, {@code v (..., L, Ev)} (queries and keys at the same positions);
   * output {@code (..., L, Ev)}.
   *
   * @param window how many positions on each side (before only, with causal) a query sees besides its own
   * @param causal whether query i sees only keys {@code j <= i}
   */
  public static Tensor slidingWindowAttention(Tensor q, Tensor k, Tensor v, int window, boolean causal) {
    Check.nonNegative(window, "window");
    long[] qs = q.shape();
    int r = qs.length;
    if (r < 2 || !Arrays.equals(qs, k.shape()) || v.dim() != r
        || !Arrays.equals(Arrays.copyOf(qs, r - 1), Arrays.copyOf(v.shape(), r - 1))) {
      throw new IllegalArgumentException("expected q and k (..., L, E) of one shape and v (..., L, Ev), got "
          + Shapes.str(qs) + ", " + Shapes.str(k.shape()) + ", " + Shapes.str(v.shape()));
    }
    long n = qs[r - 2];
    long e = qs[r - 1];
    long ev = v.size(-1);
    long m = n * e == 0 ? 0 : q.numel() / (n * e);
    long b = Math.max(window, 16);
    long nb = (n + b - 1) / b; // blocks of queries
    long tail = nb * b - n; // padding that fills the last block
    Tensor qb = padRows(q.reshape(m, n, e), 0, tail).reshape(m, nb, b, e); // (M, nb, B, E)
    Tensor kc = padRows(k.reshape(m, n, e), b, tail + b).reshape(m, nb + 2, b, e); // chunk c: keys (c-1)B .. cB-1
    Tensor vc = padRows(v.reshape(m, n, ev), b, tail + b).reshape(m, nb + 2, b, ev); // (M, nb + 2, B, Ev)
    Tensor kb = Tensor.cat(2, kc.narrow(1, 0, nb), kc.narrow(1, 1, nb), kc.narrow(1, 2, nb)); // (M, nb, 3B, E)
    Tensor vb = Tensor.cat(2, vc.narrow(1, 0, nb), vc.narrow(1, 1, nb), vc.narrow(1, 2, nb)); // (M, nb, 3B, Ev)
    Tensor band = bandMask(n, b, nb, window, causal, q.dtype()); // (nb, B, 3B), 0 or -inf
    Tensor out = scaledDotProductAttention(qb, kb, vb, band, false, 0, false); // (M, nb, B, Ev)
    long[] outShape = Arrays.copyOf(qs, r);
    outShape[r - 1] = ev;
    return out.reshape(m, nb * b, ev).narrow(1, 0, n).reshape(outShape); // (..., L, Ev)
  }

  /** {@code x (M, n, c)} with {@code before} and {@code after} rows of zeros around its n rows. */
  private static Tensor padRows(Tensor x, long before, long after) {
    java.util.List<Tensor> parts = new java.util.ArrayList<>();
    if (before > 0) {
      parts.add(Tensor.of(Nd4j.zeros(x.dtype(), x.size(0), before, x.size(2))));
    }
    parts.add(x);
    if (after > 0) {
      parts.add(Tensor.of(Nd4j.zeros(x.dtype(), x.size(0), after, x.size(2))));
    }
    return parts.size() == 1 ? x : Tensor.cat(1, parts.toArray(new Tensor[0]));
  }

  /**
   * The additive mask (0 = attend, -inf = hidden) of {@link #slidingWindowAttention}: query row r of block i (position
   * {@code iB + r}) against key column c of its three chunks (position {@code (i - 1)B + c}); padding keys are hidden.
   */
  private static Tensor bandMask(long n, long b, long nb, int window, boolean causal, DataType type) {
    int cols = Math.toIntExact(3 * b);
    float[] add = new float[Math.toIntExact(nb * b * cols)];
    for (long blk = 0; blk < nb; blk++) {
      for (long row = 0; row < b; row++) {
        long i = blk * b + row;
        for (int c = 0; c < cols; c++) {
          long j = (blk - 1) * b + c;
          boolean keep = j >= 0 && j < n && (causal ? j <= i && i - j <= window : Math.abs(i - j) <= window);
          add[(int) ((blk * b + row) * cols + c)] = keep ? 0 : Float.NEGATIVE_INFINITY;
        }
      }
    }
    return Tensor.of(Nd4j.createFromArray(add).reshape(nb, b, cols).castTo(type)); // (nb, B, 3B)
  }

  // ---------------------------------------------------------------- leaky ReLU

  /**
   * Leaky ReLU, {@code x} where {@code x > 0} and {@code negativeSlope * x} elsewhere, like
   * {@code torch.nn.functional.leaky_relu} (PyTorch's default slope is 0.01; GAT uses 0.2). The gradient at 0 is
   * {@code negativeSlope}, as in PyTorch.
   */
  public static Tensor leakyRelu(Tensor x, double negativeSlope) {
    INDArray a = x.array();
    INDArray positive = a.gt(0).castTo(a.dataType());
    INDArray scale = positive.mul(1 - negativeSlope).addi(negativeSlope); // 1 where x > 0, negativeSlope elsewhere
    return Tensor.record("leakyRelu", a.mul(scale), new Tensor[] {x}, g -> new INDArray[] {g.mul(scale)});
  }

  // ---------------------------------------------------------------- additive attention

  /**
   * The weights of additive (Bahdanau) attention as one op: a {@code Linear(A, 1)} with {@code weight} and
   * {@code bias} applied to {@code relu(keys + query.unsqueeze(1))}, then a softmax over the R positions:
   * {@code y[b, r] = softmax_r(sum_a weight[a] relu(keys[b, r, a] + query[b, a]) + bias)}. Equal (up to rounding) to
   * {@code softmax(linear(relu(keys.add(query.unsqueeze(1))), weight, bias).reshape(B, R), 1)}, at the cost of one
   * pass over the keys each way and no (B, R, A) temporaries; a key used at every step of a decoder has its
   * gradients added in place.
   *
   * @param keys (B, R, A), e.g. the projected image regions {@code W_enc f_r + b_enc}
   * @param query (B, A), e.g. the projected decoder state {@code W_hid h + b_hid}
   * @param weight (1, A), the weight of the scoring {@code Linear(A, 1)}, or (A)
   * @param bias (1), or null
   * @return the weights (B, R), each row summing to 1
   */
  public static Tensor additiveAttentionWeights(Tensor keys, Tensor query, Tensor weight, Tensor bias) {
    if (keys.dim() != 3 || query.dim() != 2 || query.size(0) != keys.size(0) || query.size(1) != keys.size(2)
        || weight.numel() != keys.size(2) || weight.dim() > 2 || (bias != null && bias.numel() != 1)) {
      throw new IllegalArgumentException("additiveAttentionWeights: expected keys (B, R, A), query (B, A), weight "
          + "(1, A) and bias (1), got " + Shapes.str(keys.shape()) + ", " + Shapes.str(query.shape()) + ", "
          + Shapes.str(weight.shape()) + (bias == null ? "" : ", " + Shapes.str(bias.shape())));
    }
    sameType(keys, query, "additiveAttentionWeights");
    sameType(keys, weight, "additiveAttentionWeights");
    if (keys.dtype() != DataType.FLOAT && keys.dtype() != DataType.DOUBLE) {
      throw new IllegalArgumentException("additiveAttentionWeights: expected float or double, got " + keys.dtype());
    }
    double b = bias == null ? 0 : bias.array().getDouble(0);
    INDArray y = dlcourse.kernels.AdditiveAttentionKernel.forward(keys.array(), query.array(), weight.array(), b);
    Tensor[] inputs = bias == null ? new Tensor[] {keys, query, weight} : new Tensor[] {keys, query, weight, bias};
    return Tensor.record("additiveAttention", y, inputs, (g, into) -> {
      boolean[] need = new boolean[4];
      INDArray[] to = new INDArray[4];
      long[][] shapes = new long[4][];
      for (int i = 0; i < inputs.length; i++) {
        need[i] = inputs[i].requiresGrad();
        to[i] = into[i];
        shapes[i] = inputs[i].shape();
      }
      INDArray[] grads = dlcourse.kernels.AdditiveAttentionKernel.backward(g, y, keys.array(), query.array(),
          weight.array(), need, to, shapes);
      return java.util.Arrays.copyOf(grads, inputs.length);
    }, keys, query, weight);
  }

  // ---------------------------------------------------------------- helpers

  private static void sameType(Tensor x, Tensor weight, String op) {
    if (x.dtype() != weight.dtype()) {
      throw new IllegalArgumentException(op + ": input is " + x.dtype() + " but the weight is " + weight.dtype()
          + "; convert the model with module.to(DataType." + x.dtype() + ") or the input with to(DataType."
          + weight.dtype() + ")");
    }
  }

  private static INDArray contiguous(INDArray a) {
    return Layout.plain(a);
  }
}
