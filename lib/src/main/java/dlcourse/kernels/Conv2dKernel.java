package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Entry;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_eltwise_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * 2-D convolution with zero padding, as {@code torch.nn.functional.conv2d} (groups 1): input {@code x (N, C, H, W)},
 * weight {@code w (O, C, kH, kW)}, bias {@code b (O)} or null, output {@code y (N, O, oH, oW)} with
 * {@code oH = (H + 2 padding[0] - dilation[0] (kH - 1) - 1) / stride[0] + 1} (likewise oW). {@code stride},
 * {@code padding} and {@code dilation} are {@code {height, width}}. Other padding modes: pad with
 * {@link Pad2dKernel} first, then convolve with padding 0. Inputs and outputs are plain NCHW arrays; views and
 * non-'c' arrays are copied first. Stateless and thread-safe.
 *
 * <p>Float arrays run on oneDNN primitives, built once per (shapes, settings) and cached; double arrays, and every
 * array where oneDNN does not load, run on ND4J's {@code conv2d}/{@code conv2d_bp} ops. Weights are given to
 * oneDNN in the layout it prefers ({@code format_tag_any}, reordered each call). A stride that leaves the last
 * input rows or columns unread gets their input gradient 0: it is computed for the rows read (oneDNN's AVX2 kernel
 * rejects the uncovered geometry) and copied into a zeroed gradient.
 *
 * <p>Activations are reordered from NCHW into the blocked layout oneDNN picks ({@code format_tag_any}, here
 * {@code nChw16c}, {@code jit:avx512_common}) and back, which beat handing it plain NCHW ({@code gemm:jit}) on every
 * course shape. {@code ConvLayoutBench}, 2 vCPU AMD EPYC (AVX-512) shared with other jobs (load 3-5), median ms of
 * 50 calls after 10 warm-up, forward (bias, ReLU) + backwardInput (not for a first layer) + backwardWeights (bias),
 * plain / blocked, two runs:
 * <ul>
 *   <li>MNIST b64 1->16 3x3 pad 1, 28 px (no input gradient): 5.9, 5.9 / 1.3, 5.8
 *   <li>MNIST b64 16->32 3x3 pad 1, 14 px: 8.6, 8.6 / 3.8, 3.8
 *   <li>MNIST b64 32->64 3x3 pad 1, 7 px: 6.5, 6.4 / 3.3, 3.3
 *   <li>CIFAR b128 3->32 5x5 pad 2, 32 px (no input gradient): 74, 81 / 26, 67
 *   <li>CIFAR b128 32->64 5x5 pad 2, 16 px: 223, 173 / 229, 84
 * </ul>
 * {@code -Ddlcourse.kernels.convLayout=plain} switches to plain NCHW.
 *
 * <p>Arrays that never leave a call (the blocked copies of input, weight and output gradient, the blocked result
 * before its reorder into a fresh plain array) are per-thread scratch arrays of the cached entry, reused from call
 * to call ({@code -Ddlcourse.kernels.reuseScratch=false}: fresh each call); results are always fresh arrays.
 * {@link #backward} computes all gradients of a call and reorders the output gradient once for both.
 */
public final class Conv2dKernel {
  /** Whether activations go through oneDNN's blocked layout (with reorders) instead of plain NCHW. */
  static volatile boolean blocked = "blocked".equals(System.getProperty("dlcourse.kernels.convLayout", "blocked"));

  private Conv2dKernel() {}

  /** Forward pass; with {@code fuseRelu} the result is {@code relu(conv(x))} (ReLU's backward is the caller's). */
  public static INDArray forward(INDArray x, INDArray w, INDArray b, int[] stride, int[] padding, int[] dilation,
      boolean fuseRelu) {
    Geometry g = new Geometry(x.shape(), w.shape(), b != null, stride, padding, dilation);
    if (b != null && b.length() != g.w[0]) {
      throw new IllegalArgumentException("bias of " + b.length() + " for " + g.w[0] + " output channels");
    }
    if (!Prims.useDnnl(x, w, b)) {
      INDArray y = Nd4j.create(x.dataType(), g.y);
      INDArray wk = w.permute(2, 3, 1, 0).dup('c'); // ND4J's default weight layout (kH, kW, C, O)
      INDArray[] in = b == null ? new INDArray[] {x, wk} : new INDArray[] {x, wk, b.reshape(g.w[0])};
      Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(in).addOutputs(y).addIntegerArguments(g.iargs()).build());
      return fuseRelu ? Transforms.relu(y, false) : y;
    }
    boolean blockedNow = blocked;
    Forward e = Prims.acquire(List.of("conv fwd", g.key(), fuseRelu, blockedNow), () -> new Forward(g, fuseRelu,
        blockedNow));
    try {
      INDArray xs = Prims.toScratch(e, 0, e.xReorder, Prims.plain(x), e.xPlain, e.src);
      INDArray ws = Prims.toScratch(e, 1, e.wReorder, Prims.plain(w), e.wPlain, e.weights);
      INDArray yRaw = e.yReorder == null ? Nd4j.createUninitialized(DataType.FLOAT, g.y, 'c') : Prims.scratch(e, 2,
          e.dst);
      Prims.Args a = Prims.args().add(DNNL_ARG_SRC, e.src, xs).add(DNNL_ARG_WEIGHTS, e.weights, ws)
          .add(DNNL_ARG_DST, e.dst, yRaw);
      if (b != null) {
        a.add(DNNL_ARG_BIAS, e.bias, Prims.plain(b));
      }
      Prims.run(e.conv, a);
      return Prims.from(e.yReorder, yRaw, e.dst, e.yPlain, g.y);
    } finally {
      Prims.release(e);
    }
  }

  /** The gradient of the input {@code (N, C, H, W)} = {@code xShape} from the output's gradient {@code gy}. */
  public static INDArray backwardInput(INDArray gy, INDArray w, long[] xShape, int[] stride, int[] padding,
      int[] dilation) {
    Geometry g = new Geometry(xShape, w.shape(), false, stride, padding, dilation);
    checkGradient(gy, g);
    if (!Prims.useDnnl(gy, w)) {
      return nd4jBackward(Nd4j.zeros(gy.dataType(), xShape), w, null, gy, g)[0];
    }
    BackwardData e = dataEntry(g);
    try {
      return inputGradient(e, Prims.toScratch(e, 0, e.gyReorder, Prims.plain(gy), e.gyPlain, e.diffDst), w, xShape);
    } finally {
      Prims.release(e);
    }
  }

  private static BackwardData dataEntry(Geometry g) {
    boolean blockedNow = blocked;
    return Prims.acquire(List.of("conv bwd data", g.key(), blockedNow), () -> new BackwardData(g, blockedNow));
  }

  private static BackwardWeights weightsEntry(Geometry g) {
    boolean blockedNow = blocked;
    return Prims.acquire(List.of("conv bwd weights", g.key(), blockedNow), () -> new BackwardWeights(g, blockedNow));
  }

  /** The input gradient from {@code gys}, the output gradient already in {@code e.diffDst}'s layout. */
  private static INDArray inputGradient(BackwardData e, INDArray gys, INDArray w, long[] xShape) {
    INDArray ws = Prims.toScratch(e, 1, e.wReorder, Prims.plain(w), e.wPlain, e.weights);
    INDArray raw = e.gxReorder == null ? Nd4j.createUninitialized(DataType.FLOAT, e.read, 'c') : Prims.scratch(e, 2,
        e.diffSrc);
    Prims.run(e.conv, Prims.args().add(DNNL_ARG_DIFF_DST, e.diffDst, gys).add(DNNL_ARG_WEIGHTS, e.weights, ws)
        .add(DNNL_ARG_DIFF_SRC, e.diffSrc, raw));
    INDArray gread = Prims.from(e.gxReorder, raw, e.diffSrc, e.gxPlain, e.read);
    if (Arrays.equals(e.read, xShape)) {
      return gread;
    }
    INDArray gx = Nd4j.zeros(DataType.FLOAT, xShape);
    gx.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, e.read[2]),
        NDArrayIndex.interval(0, e.read[3])).assign(gread);
    return gx;
  }

  /**
   * The gradients of the weight ({@code wShape} = {@code (O, C, kH, kW)}) and, with {@code withBias}, of the bias
   * {@code (O)}: {@code {gw, gb}}, {@code gb} null without bias.
   */
  public static INDArray[] backwardWeights(INDArray gy, INDArray x, long[] wShape, boolean withBias, int[] stride,
      int[] padding, int[] dilation) {
    Geometry g = new Geometry(x.shape(), wShape, withBias, stride, padding, dilation);
    checkGradient(gy, g);
    if (!Prims.useDnnl(gy, x)) {
      INDArray[] r = nd4jBackward(x, Nd4j.zeros(x.dataType(), wShape), withBias ? Nd4j.zeros(x.dataType(), wShape[0])
          : null,
          gy, g);
      return new INDArray[] {r[1], r[2]};
    }
    BackwardWeights e = weightsEntry(g);
    try {
      return weightGradient(e, x, Prims.toScratch(e, 1, e.gyReorder, Prims.plain(gy), e.gyPlain, e.diffDst), wShape,
          withBias);
    } finally {
      Prims.release(e);
    }
  }

  /** {@code {gw, gb}} from {@code gys}, the output gradient already in {@code e.diffDst}'s layout. */
  private static INDArray[] weightGradient(BackwardWeights e, INDArray x, INDArray gys, long[] wShape,
      boolean withBias) {
    INDArray xs = Prims.toScratch(e, 0, e.xReorder, Prims.plain(x), e.xPlain, e.src);
    INDArray gwRaw = e.gwReorder == null ? Nd4j.createUninitialized(DataType.FLOAT, wShape, 'c')
        : Prims.scratch(e, 2, e.diffWeights);
    Prims.Args a = Prims.args().add(DNNL_ARG_SRC, e.src, xs).add(DNNL_ARG_DIFF_DST, e.diffDst, gys)
        .add(DNNL_ARG_DIFF_WEIGHTS, e.diffWeights, gwRaw);
    INDArray gb = null;
    if (withBias) {
      gb = Nd4j.createUninitialized(DataType.FLOAT, new long[] {wShape[0]}, 'c');
      a.add(DNNL_ARG_DIFF_BIAS, e.bias, gb);
    }
    Prims.run(e.conv, a);
    return new INDArray[] {Prims.from(e.gwReorder, gwRaw, e.diffWeights, e.wPlain, wShape), gb};
  }

  /** Whether {@link #backwardRelu} masks the gradient with oneDNN's ReLU backward (else ND4J's step(y) * gy). */
  static volatile boolean dnnlReluMask = !"false".equals(System.getProperty("dlcourse.kernels.dnnlReluMask"));

  /**
   * {@link #backward} of {@code y = relu(conv(x))} ({@link #forward} with {@code fuseRelu}): the output gradient
   * {@code gy} is first masked where {@code y > 0} (oneDNN's ReLU backward into a per-thread scratch array), then
   * the convolution's gradients are computed from it.
   */
  public static INDArray[] backwardRelu(INDArray gy, INDArray y, INDArray x, INDArray w, boolean withBias,
      boolean needInput, boolean needWeights, int[] stride, int[] padding, int[] dilation) {
    if (!Arrays.equals(gy.shape(), y.shape())) {
      throw new IllegalArgumentException("output gradient " + Arrays.toString(gy.shape()) + ", output "
          + Arrays.toString(y.shape()));
    }
    if (!dnnlReluMask || !Prims.useDnnl(gy, y, x, w)) {
      return backward(Transforms.step(y, true).muli(gy), x, w, withBias, needInput, needWeights, stride, padding,
          dilation);
    }
    return backward(reluMask(gy, y), x, w, withBias, needInput, needWeights, stride, padding, dilation);
  }

  /** {@code gy} where {@code y > 0}, else 0, in a per-thread scratch array (it must not leave the caller). */
  static INDArray reluMask(INDArray gy, INDArray y) {
    long[] shape = y.shape();
    ReluMask e = Prims.acquire(List.of("relu bwd", Arrays.toString(shape)), () -> new ReluMask(shape));
    try {
      INDArray gc = Prims.scratch(e, 0, shape);
      Prims.run(e.backward, Prims.args().add(DNNL_ARG_DST, e.md, Prims.plain(y)).add(DNNL_ARG_DIFF_DST, e.md,
          Prims.plain(gy)).add(DNNL_ARG_DIFF_SRC, e.md, gc));
      return gc;
    } finally {
      Prims.release(e);
    }
  }

  /** oneDNN's ReLU backward from the output ({@code relu_use_dst_for_bwd}) on plain arrays of one shape. */
  private static final class ReluMask extends Entry {
    final dnnl_memory_desc_t md;
    final dnnl_primitive backward;

    ReluMask(long[] shape) {
      md = Dnnl.md(dnnl_nchw, shape);
      dnnl_eltwise_desc_t f = new dnnl_eltwise_desc_t();
      Dnnl.check(dnnl_eltwise_forward_desc_init(f, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, md, 0f,
          0f), "ReLU");
      dnnl_primitive_desc fpd = keep(Prims.pd(f, null, null, "ReLU"));
      dnnl_eltwise_desc_t d = new dnnl_eltwise_desc_t();
      Dnnl.check(dnnl_eltwise_backward_desc_init(d, dnnl_eltwise_relu_use_dst_for_bwd, md, md, 0f, 0f),
          "ReLU gradient");
      backward = primitive(Prims.pd(d, null, fpd, "ReLU gradient"), "ReLU gradient");
    }
  }

  /** Whether {@link #backward} reorders the output gradient once for both gradients (when the layouts agree). */
  static volatile boolean shareGradient = !"false".equals(System.getProperty("dlcourse.kernels.shareConvGradient"));

  /**
   * The gradients of input, weight and bias in one call, {@code {gx, gw, gb}}: {@code gx} only with
   * {@code needInput}, {@code gw} and {@code gb} (with {@code withBias}) only with {@code needWeights}, else null.
   * The same numbers as {@link #backwardInput} and {@link #backwardWeights}, but the output gradient is reordered
   * into oneDNN's layout once for both when their layouts agree.
   */
  public static INDArray[] backward(INDArray gy, INDArray x, INDArray w, boolean withBias, boolean needInput,
      boolean needWeights, int[] stride, int[] padding, int[] dilation) {
    Geometry g = new Geometry(x.shape(), w.shape(), withBias, stride, padding, dilation);
    checkGradient(gy, g);
    if (!needInput || !needWeights || !Prims.useDnnl(gy, x, w)) {
      INDArray gx = needInput ? backwardInput(gy, w, x.shape(), stride, padding, dilation) : null;
      INDArray[] gwb = needWeights ? backwardWeights(gy, x, w.shape(), withBias, stride, padding, dilation)
          : new INDArray[2];
      return new INDArray[] {gx, gwb[0], gwb[1]};
    }
    BackwardData d = dataEntry(new Geometry(x.shape(), w.shape(), false, stride, padding, dilation));
    try {
      BackwardWeights e = weightsEntry(g);
      try {
        INDArray gyPlain = Prims.plain(gy);
        INDArray gysData = Prims.toScratch(d, 0, d.gyReorder, gyPlain, d.gyPlain, d.diffDst);
        INDArray gysWeights = shareGradient && Dnnl.same(d.diffDst, e.diffDst) ? gysData
            : Prims.toScratch(e, 1, e.gyReorder, gyPlain, e.gyPlain, e.diffDst);
        INDArray[] gwb = weightGradient(e, x, gysWeights, w.shape(), withBias);
        INDArray gx = inputGradient(d, gysData, w, x.shape());
        return new INDArray[] {gx, gwb[0], gwb[1]};
      } finally {
        Prims.release(e);
      }
    } finally {
      Prims.release(d);
    }
  }

  private static void checkGradient(INDArray gy, Geometry g) {
    if (!Arrays.equals(gy.shape(), g.y)) {
      throw new IllegalArgumentException("output gradient " + Arrays.toString(gy.shape()) + ", expected "
          + Arrays.toString(g.y));
    }
  }

  /** ND4J's {@code conv2d_bp}: {@code {gx, gw, gb}}. */
  private static INDArray[] nd4jBackward(INDArray x, INDArray w, INDArray b, INDArray gy, Geometry g) {
    DataType t = gy.dataType();
    INDArray xx = x.castTo(t);
    INDArray wk = w.castTo(t).permute(2, 3, 1, 0).dup('c');
    INDArray gx = Nd4j.create(t, g.x);
    INDArray gwk = Nd4j.create(t, wk.shape());
    INDArray gb = b == null ? null : Nd4j.create(t, g.w[0]);
    INDArray[] in = b == null ? new INDArray[] {xx, wk, gy} : new INDArray[] {xx, wk, b.castTo(t).reshape(g.w[0]), gy};
    INDArray[] out = b == null ? new INDArray[] {gx, gwk} : new INDArray[] {gx, gwk, gb};
    Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(in).addOutputs(out).addIntegerArguments(g.iargs())
        .build());
    return new INDArray[] {gx, gwk.permute(3, 2, 0, 1).dup('c'), gb};
  }

  /** Shapes and oneDNN's view of the settings. */
  static final class Geometry {
    final long[] x;
    final long[] w;
    final long[] y;
    final long[] stride;
    final long[] padL;
    final long[] padR; // negative when the stride leaves the last rows/columns unread
    final long[] dil; // oneDNN's: dilation - 1
    final boolean bias;

    Geometry(long[] x, long[] w, boolean bias, int[] stride, int[] padding, int[] dilation) {
      if (x.length != 4 || w.length != 4 || x[1] != w[1]) {
        throw new IllegalArgumentException("conv2d needs x (N, C, H, W) and w (O, C, kH, kW), got "
            + Arrays.toString(x) + " and " + Arrays.toString(w));
      }
      this.x = x.clone();
      this.w = w.clone();
      this.bias = bias;
      this.stride = new long[2];
      this.padL = new long[2];
      this.padR = new long[2];
      this.dil = new long[2];
      this.y = new long[] {x[0], w[0], 0, 0};
      for (int d = 0; d < 2; d++) {
        if (stride[d] < 1 || padding[d] < 0 || dilation[d] < 1) {
          throw new IllegalArgumentException("stride " + Arrays.toString(stride) + ", padding "
              + Arrays.toString(padding) + ", dilation " + Arrays.toString(dilation));
        }
        long span = (long) dilation[d] * (w[2 + d] - 1) + 1;
        long o = (x[2 + d] + 2L * padding[d] - span) / stride[d] + 1;
        if (x[2 + d] + 2L * padding[d] < span) {
          throw new IllegalArgumentException("kernel of extent " + span + " larger than the padded input "
              + Arrays.toString(x));
        }
        this.y[2 + d] = o;
        this.stride[d] = stride[d];
        this.padL[d] = padding[d];
        this.padR[d] = (o - 1) * stride[d] + span - x[2 + d] - padding[d];
        this.dil[d] = dilation[d] - 1;
      }
    }

    String key() {
      return Arrays.toString(x) + Arrays.toString(w) + bias + Arrays.toString(stride) + Arrays.toString(padL)
          + Arrays.toString(dil);
    }

    int[] iargs() {
      return new int[] {(int) w[2], (int) w[3], (int) stride[0], (int) stride[1], (int) padL[0], (int) padL[1],
        (int) dil[0] + 1, (int) dil[1] + 1, 0, 0};
    }

    dnnl_memory_desc_t bias() {
      return bias ? Dnnl.md(dnnl_x, w[0]) : null;
    }
  }

  private static boolean ref(dnnl_primitive_desc pd) {
    return Dnnl.implementation(pd).startsWith("ref");
  }

  /**
   * The descriptor {@code build} gives for plain activations (or blocked, with {@code blocked}); when plain gets only
   * oneDNN's slow reference kernel, the blocked one if that is faster code.
   */
  private static dnnl_primitive_desc choose(boolean blocked, IntFunction<dnnl_primitive_desc> build) {
    dnnl_primitive_desc pd = build.apply(blocked ? dnnl_format_tag_any : dnnl_nchw);
    if (!blocked && ref(pd)) {
      dnnl_primitive_desc other = build.apply(dnnl_format_tag_any);
      if (!ref(other)) {
        dnnl_primitive_desc_destroy(pd);
        return other;
      }
      dnnl_primitive_desc_destroy(other);
    }
    return pd;
  }

  private static dnnl_primitive_desc forwardPd(long[] src, Geometry g, long[] padR, int tag, boolean relu) {
    dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
    Dnnl.check(dnnl_dilated_convolution_forward_desc_init(d, dnnl_forward_training, dnnl_convolution_direct,
        Dnnl.md(tag, src), Dnnl.md(dnnl_format_tag_any, g.w), g.bias(), Dnnl.md(tag, g.y), g.stride, g.dil, g.padL,
        padR), "convolution " + g.key());
    return Prims.pd(d, relu ? Dnnl.reluPostOp() : null, null, "convolution " + g.key());
  }

  private static final class Forward extends Entry {
    final dnnl_memory_desc_t xPlain;
    final dnnl_memory_desc_t wPlain;
    final dnnl_memory_desc_t yPlain;
    final dnnl_memory_desc_t src;
    final dnnl_memory_desc_t weights;
    final dnnl_memory_desc_t dst;
    final dnnl_memory_desc_t bias;
    final dnnl_primitive conv;
    final dnnl_primitive xReorder;
    final dnnl_primitive wReorder;
    final dnnl_primitive yReorder;

    Forward(Geometry g, boolean relu, boolean blocked) {
      xPlain = Dnnl.md(dnnl_nchw, g.x);
      wPlain = Dnnl.md(dnnl_oihw, g.w);
      yPlain = Dnnl.md(dnnl_nchw, g.y);
      dnnl_primitive_desc pd = keep(choose(blocked, tag -> forwardPd(g.x, g, g.padR, tag, relu)));
      src = Dnnl.query(pd, dnnl_query_src_md);
      weights = Dnnl.query(pd, dnnl_query_weights_md);
      dst = Dnnl.query(pd, dnnl_query_dst_md);
      bias = g.bias();
      conv = primitive(pd, "conv forward");
      xReorder = reorder(xPlain, src, "conv input");
      wReorder = reorder(wPlain, weights, "conv weights");
      yReorder = reorder(dst, yPlain, "conv output");
    }
  }

  private static final class BackwardData extends Entry {
    final long[] read;
    final dnnl_memory_desc_t gyPlain;
    final dnnl_memory_desc_t wPlain;
    final dnnl_memory_desc_t gxPlain;
    final dnnl_memory_desc_t diffDst;
    final dnnl_memory_desc_t weights;
    final dnnl_memory_desc_t diffSrc;
    final dnnl_primitive conv;
    final dnnl_primitive gyReorder;
    final dnnl_primitive wReorder;
    final dnnl_primitive gxReorder;

    BackwardData(Geometry g, boolean blocked) {
      // Only the rows and columns the output reads: the AVX2 kernel rejects a negative right padding.
      read = new long[] {g.x[0], g.x[1], g.x[2] + Math.min(g.padR[0], 0), g.x[3] + Math.min(g.padR[1], 0)};
      long[] padR = {Math.max(g.padR[0], 0), Math.max(g.padR[1], 0)};
      gyPlain = Dnnl.md(dnnl_nchw, g.y);
      wPlain = Dnnl.md(dnnl_oihw, g.w);
      gxPlain = Dnnl.md(dnnl_nchw, read);
      dnnl_primitive_desc pd = keep(choose(blocked, tag -> {
        dnnl_primitive_desc hint = forwardPd(read, g, padR, tag, false);
        dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
        Dnnl.check(dnnl_dilated_convolution_backward_data_desc_init(d, dnnl_convolution_direct, Dnnl.md(tag, read),
            Dnnl.md(dnnl_format_tag_any, g.w), Dnnl.md(tag, g.y), g.stride, g.dil, g.padL, padR),
            "convolution input gradient " + g.key());
        dnnl_primitive_desc bpd = Prims.pd(d, null, hint, "convolution input gradient " + g.key());
        keep(hint); // the backward descriptor may refer to its hint
        return bpd;
      }));
      diffDst = Dnnl.query(pd, dnnl_query_diff_dst_md);
      weights = Dnnl.query(pd, dnnl_query_weights_md);
      diffSrc = Dnnl.query(pd, dnnl_query_diff_src_md);
      conv = primitive(pd, "conv backward data");
      gyReorder = reorder(gyPlain, diffDst, "conv output gradient");
      wReorder = reorder(wPlain, weights, "conv weights (backward)");
      gxReorder = reorder(diffSrc, gxPlain, "conv input gradient");
    }
  }

  private static final class BackwardWeights extends Entry {
    final dnnl_memory_desc_t xPlain;
    final dnnl_memory_desc_t gyPlain;
    final dnnl_memory_desc_t wPlain;
    final dnnl_memory_desc_t src;
    final dnnl_memory_desc_t diffDst;
    final dnnl_memory_desc_t diffWeights;
    final dnnl_memory_desc_t bias;
    final dnnl_primitive conv;
    final dnnl_primitive xReorder;
    final dnnl_primitive gyReorder;
    final dnnl_primitive gwReorder;

    BackwardWeights(Geometry g, boolean blocked) {
      xPlain = Dnnl.md(dnnl_nchw, g.x);
      gyPlain = Dnnl.md(dnnl_nchw, g.y);
      wPlain = Dnnl.md(dnnl_oihw, g.w);
      bias = g.bias();
      dnnl_primitive_desc pd = keep(choose(blocked, tag -> {
        dnnl_primitive_desc hint = forwardPd(g.x, g, g.padR, tag, false);
        dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
        Dnnl.check(dnnl_dilated_convolution_backward_weights_desc_init(d, dnnl_convolution_direct, Dnnl.md(tag, g.x),
            Dnnl.md(dnnl_format_tag_any, g.w), g.bias(), Dnnl.md(tag, g.y), g.stride, g.dil, g.padL, g.padR),
            "convolution weight gradient " + g.key());
        dnnl_primitive_desc bpd = Prims.pd(d, null, hint, "convolution weight gradient " + g.key());
        keep(hint); // the backward descriptor may refer to its hint
        return bpd;
      }));
      src = Dnnl.query(pd, dnnl_query_src_md);
      diffDst = Dnnl.query(pd, dnnl_query_diff_dst_md);
      diffWeights = Dnnl.query(pd, dnnl_query_diff_weights_md);
      conv = primitive(pd, "conv backward weights");
      xReorder = reorder(xPlain, src, "conv input (backward)");
      gyReorder = reorder(gyPlain, diffDst, "conv output gradient (weights)");
      gwReorder = reorder(diffWeights, wPlain, "conv weight gradient");
    }
  }
}
