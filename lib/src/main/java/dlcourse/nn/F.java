package dlcourse.nn;

import dlcourse.nn.internal.Graph;
import dlcourse.tensor.Shapes;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;

import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;

/**
 * Stateless functions behind the layers, like {@code torch.nn.functional}: all the math lives here, layers
 * only hold parameters and settings. Shapes are documented on the layer classes.
 */
public final class F {
  private F() {}

  private static SameDiff sd(Tensor x) {
    return x.graph().sameDiff();
  }

  private static Tensor wrap(Tensor like, SDVariable v, long... shape) {
    return Tensor.wrap(like.graph(), v, shape);
  }

  /** Output size of a convolution or pooling window: floor((in + 2p - d(k-1) - 1) / s) + 1. */
  public static long convOutputSize(long in, long kernel, long stride, long padding, long dilation) {
    return Math.floorDiv(in + 2 * padding - dilation * (kernel - 1) - 1, stride) + 1;
  }

  /** y = x W^T + b. See {@link Linear} for shapes. */
  public static Tensor linear(Tensor x, Parameter weight, Parameter bias) {
    long in = weight.shape()[1];
    long out = weight.shape()[0];
    if (x.size(-1) != in) {
      throw new IllegalArgumentException(
          "expected input (*, " + in + "), got " + Shapes.str(x.shape()));
    }
    Tensor w = x.graph().tensor(weight);
    long[] outShape = x.shape();
    outShape[outShape.length - 1] = out;
    Tensor flat = x.dim() == 2 ? x : x.reshape(-1, in);
    // x W^T through mmul's transpose flag: a permute of the weight feeding xw_plus_b gives wrong results
    // from the second run of a graph on (M2.1 reuses the permute's view incorrectly), and costs an op.
    SDVariable y = sd(x).mmul(flat.sd(), w.sd(), false, true, false);
    if (bias != null) {
      y = y.add(x.graph().tensor(bias).sd());
    }
    Tensor result = wrap(x, y, flat.size(0), out);
    return x.dim() == 2 ? result : result.reshape(outShape);
  }

  public static Tensor relu(Tensor x) {
    SDVariable nhwc = x.graph().channelsLastOf(x.sd());
    if (nhwc != null) {
      return fromChannelsLast(x, sd(x).nn().relu(nhwc, 0), x.shape());
    }
    return wrap(x, sd(x).nn().relu(x.sd(), 0), x.shape());
  }

  /**
   * Wraps the NHWC result {@code nhwc} as an NCHW tensor of {@code nchwShape} (a permute that only runs when
   * something other than a channels-last layer consumes it) and records the NHWC form in the graph.
   * Channels-last keeps oneDNN off its slow NCHW pooling path (ENGINE-NOTES: 24.6 vs 9.1 ms/step) and saves
   * the layout reorders around each convolution.
   */
  private static Tensor fromChannelsLast(Tensor like, SDVariable nhwc, long... nchwShape) {
    SDVariable nchw = nhwc.permute(0, 3, 1, 2);
    like.graph().channelsLast(nchw, nhwc);
    return wrap(like, nchw, nchwShape);
  }

  public static Tensor tanh(Tensor x) {
    return wrap(x, sd(x).math().tanh(x.sd()), x.shape());
  }

  public static Tensor sigmoid(Tensor x) {
    return wrap(x, sd(x).nn().sigmoid(x.sd()), x.shape());
  }

  /** Softmax along {@code dim}. */
  public static Tensor softmax(Tensor x, int dim) {
    return wrap(x, sd(x).nn().softmax(x.sd(), Shapes.axis(dim, x.dim())), x.shape());
  }

  /** log(softmax(x)) along {@code dim}, computed stably. */
  public static Tensor logSoftmax(Tensor x, int dim) {
    int axis = Shapes.axis(dim, x.dim());
    // x - max - log(sum(exp(x - max))), composed: ND4J's log_softmax op returns -inf once a probability
    // underflows (logits 0 and 200 give [-inf, 0] instead of [-200, 0]), and with an explicit dimension it
    // cannot even be cloned into its gradient graph in M2.1.
    Tensor shifted = x.sub(x.max(true, axis));
    SDVariable sumExp = sd(x).math().exp(shifted.sd()).sum(true, axis);
    return shifted.sub(wrap(x, sd(x).math().log(sumExp), Shapes.reduce(x.shape(), new int[] {axis}, true)));
  }

  /**
   * GELU, x * Phi(x). With {@code approximate = "tanh"}: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as in
   * GPT-2; with {@code "none"} the exact form with erf. See {@link GELU}.
   */
  public static Tensor gelu(Tensor x, String approximate) {
    switch (approximate) {
      case "none" -> {
        SDVariable erf = sd(x).math().erf(x.sd().mul(1 / Math.sqrt(2)));
        return wrap(x, x.sd().mul(erf.add(1)).mul(0.5), x.shape());
      }
      case "tanh" -> {
        SDVariable inner = x.sd().add(x.sd().pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
        return wrap(x, x.sd().mul(sd(x).math().tanh(inner).add(1)).mul(0.5), x.shape());
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
   * the identity otherwise. See {@link Dropout}.
   */
  public static Tensor dropout(Tensor x, double p, boolean training) {
    dlcourse.nn.internal.Check.probability(p, "p");
    if (!training || p == 0) {
      return x;
    }
    if (p == 1) {
      return x.mul(0);
    }
    // The mask is drawn in Java from Init's seeded generator and fed in at every run: p is unambiguously the
    // drop probability (ND4J's dropout op takes the retain probability), and runs repeat across JVMs, which
    // ND4J's native generator does not.
    SDVariable mask = x.graph().dropoutMask(p, x.dtype(), x.shape()).sd();
    return wrap(x, x.sd().mul(mask), x.shape());
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
    dlcourse.nn.internal.Check.positive(outH, "outputSize");
    dlcourse.nn.internal.Check.positive(outW, "outputSize");
    long h = x.size(2);
    long w = x.size(3);
    if (outH == 1 && outW == 1) {
      Tensor g = max ? globalMaxPool(x) : globalAvgPool(x);
      return g.reshape(x.size(0), x.size(1), 1, 1);
    }
    if (h % outH == 0 && w % outW == 0) {
      // Equal windows: one ordinary pooling op.
      int[] k = {(int) (h / outH), (int) (w / outW)};
      return max ? maxPool2d(x, k, k, new int[] {0, 0}, false) : avgPool2d(x, k, k, new int[] {0, 0}, false, true);
    }
    // Unequal windows (PyTorch: cell i covers [floor(i*H/out), ceil((i+1)*H/out))): one slice per cell.
    SDVariable[] rows = new SDVariable[outH];
    for (int i = 0; i < outH; i++) {
      long h0 = i * h / outH;
      long h1 = ((i + 1) * h + outH - 1) / outH;
      SDVariable[] cells = new SDVariable[outW];
      for (int j = 0; j < outW; j++) {
        long w0 = j * w / outW;
        long w1 = ((j + 1) * w + outW - 1) / outW;
        SDVariable cell = sd(x).slice(x.sd(), new int[] {0, 0, (int) h0, (int) w0},
            new int[] {(int) x.size(0), (int) x.size(1), (int) (h1 - h0), (int) (w1 - w0)});
        cells[j] = max ? cell.max(true, 2, 3) : cell.mean(true, 2, 3);
      }
      rows[i] = outW == 1 ? cells[0] : sd(x).concat(3, cells);
    }
    SDVariable y = outH == 1 ? rows[0] : sd(x).concat(2, rows);
    return wrap(x, y, x.size(0), x.size(1), outH, outW);
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

  private static void checkPool(Tensor x, int[] kernel, int[] stride, int[] padding) {
    check4d(x);
    for (int d = 0; d < 2; d++) {
      if (padding[d] * 2 > kernel[d]) {
        throw new IllegalArgumentException(
            "padding should be at most half of the kernel size, got padding=" + padding[d] + ", kernel=" + kernel[d]);
      }
    }
  }

  /**
   * Pads for pooling: {@code padding} on the left and top, {@code padding} plus whatever the ceil-mode windows
   * overhang on the right and bottom, with {@code value}.
   */
  private static Tensor poolPad(Tensor x, long outH, long outW, int[] kernel, int[] stride, int[] padding,
      double value) {
    long needH = (outH - 1) * stride[0] + kernel[0];
    long needW = (outW - 1) * stride[1] + kernel[1];
    int bottom = (int) Math.max(0, needH - x.size(2) - padding[0]);
    int right = (int) Math.max(0, needW - x.size(3) - padding[1]);
    Tensor y = padConstant(x, 3, padding[1], right, value);
    return padConstant(y, 2, padding[0], bottom, value);
  }

  private static Tensor padConstant(Tensor x, int dim, int before, int after, double value) {
    if (before == 0 && after == 0) {
      return x;
    }
    java.util.List<SDVariable> parts = new java.util.ArrayList<>();
    long[] zs = x.shape();
    if (before > 0) {
      zs[dim] = before;
      parts.add(sd(x).zero(null, x.dtype(), zs).add(value));
    }
    parts.add(x.sd());
    if (after > 0) {
      zs[dim] = after;
      parts.add(sd(x).zero(null, x.dtype(), zs).add(value));
    }
    long[] out = x.shape();
    out[dim] += before + after;
    return wrap(x, sd(x).concat(dim, parts.toArray(new SDVariable[0])), out);
  }

  /**
   * 2-D convolution with zero padding. See {@link Conv2d} for shapes.
   *
   * @param padding {top/bottom, left/right} zero padding in pixels
   */
  public static Tensor conv2d(
      Tensor x, Parameter weight, Parameter bias, int[] stride, int[] padding, int[] dilation) {
    long[] w = weight.shape(); // (out, in, kH, kW)
    if (x.dim() != 4 || x.size(1) != w[1]) {
      throw new IllegalArgumentException("expected input (N, " + w[1] + ", H, W), got " + Shapes.str(x.shape()));
    }
    long outH = convOutputSize(x.size(2), w[2], stride[0], padding[0], dilation[0]);
    long outW = convOutputSize(x.size(3), w[3], stride[1], padding[1], dilation[1]);
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException("input " + Shapes.str(x.shape()) + " is smaller than the kernel "
          + w[2] + "x" + w[3] + " (output would be " + outH + "x" + outW + ")");
    }
    // Channels-last when the input already is (the output of a pooling or channels-last layer); NCHW otherwise.
    SDVariable nhwc = x.graph().channelsLastOf(x.sd());
    Conv2DConfig cfg = Conv2DConfig.builder()
        .kH(w[2]).kW(w[3]).sH(stride[0]).sW(stride[1]).pH(padding[0]).pW(padding[1])
        .dH(dilation[0]).dW(dilation[1]).paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID)
        .dataFormat(nhwc != null ? "NHWC" : "NCHW")
        .build();
    // conv2d_bp of ND4J 1.0.0-M2.1 ignores weightsFormat=OIYX (it reads the weight as (kH, kW, in, out) and
    // rejects the gradient shape), so the PyTorch-layout weight is permuted to that layout in the graph.
    SDVariable wv = x.graph().tensor(weight).sd().permute(2, 3, 1, 0);
    SDVariable in = nhwc != null ? nhwc : x.sd();
    SDVariable y = bias == null
        ? sd(x).cnn().conv2d(in, wv, cfg)
        : sd(x).cnn().conv2d(in, wv, x.graph().tensor(bias).sd(), cfg);
    return nhwc != null
        ? fromChannelsLast(x, y, x.size(0), w[0], outH, outW)
        : wrap(x, y, x.size(0), w[0], outH, outW);
  }

  /** 2-D max pooling, floor mode. See {@link MaxPool2d}. */
  public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
    return maxPool2d(x, kernel, stride, padding, false);
  }

  /** 2-D max pooling; padding counts as minus infinity, as in PyTorch. See {@link MaxPool2d}. */
  public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode) {
    checkPool(x, kernel, stride, padding);
    long outH = poolOutputSize(x.size(2), kernel[0], stride[0], padding[0], ceilMode);
    long outW = poolOutputSize(x.size(3), kernel[1], stride[1], padding[1], ceilMode);
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException("input " + Shapes.str(x.shape()) + " is smaller than the pooling window");
    }
    // Explicit padding keeps the semantics ours rather than the native op's padding rules.
    Tensor p = poolPad(x, outH, outW, kernel, stride, padding, Double.NEGATIVE_INFINITY);
    Pooling2DConfig cfg = Pooling2DConfig.builder()
        .kH(kernel[0]).kW(kernel[1]).sH(stride[0]).sW(stride[1]).pH(0).pW(0)
        .paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID).isNHWC(true).build();
    // Always channels-last: oneDNN's NCHW max pooling is its slow reference kernel, worth a permute.
    SDVariable nhwc = p.graph().channelsLastOf(p.sd());
    if (nhwc == null) {
      nhwc = p.sd().permute(0, 2, 3, 1);
    }
    return fromChannelsLast(x, sd(x).cnn().maxPooling2d(nhwc, cfg), x.size(0), x.size(1), outH, outW);
  }

  /**
   * 2-D average pooling. With {@code countIncludePad} (PyTorch's default) the divisor counts the zero padding
   * but not the part of a ceil-mode window beyond it. See {@link AvgPool2d}.
   */
  public static Tensor avgPool2d(
      Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
    checkPool(x, kernel, stride, padding);
    long h = x.size(2);
    long w = x.size(3);
    long outH = poolOutputSize(h, kernel[0], stride[0], padding[0], ceilMode);
    long outW = poolOutputSize(w, kernel[1], stride[1], padding[1], ceilMode);
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException("input " + Shapes.str(x.shape()) + " is smaller than the pooling window");
    }
    Tensor p = poolPad(x, outH, outW, kernel, stride, padding, 0);
    Pooling2DConfig cfg = Pooling2DConfig.builder()
        .kH(kernel[0]).kW(kernel[1]).sH(stride[0]).sW(stride[1]).pH(0).pW(0).extra(0)
        .paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID).isNHWC(false).build();
    Tensor avg = wrap(x, sd(x).cnn().avgPooling2d(p.sd(), cfg), x.size(0), x.size(1), outH, outW);
    boolean uniform = !ceilMode && (padding[0] == 0 && padding[1] == 0 || countIncludePad);
    if (uniform) {
      return avg; // every window has k*k counted elements
    }
    // Rescale each window from k*k to its own divisor, computed here once.
    org.nd4j.linalg.api.ndarray.INDArray scale =
        org.nd4j.linalg.factory.Nd4j.create(x.dtype(), 1, 1, outH, outW);
    for (int i = 0; i < outH; i++) {
      for (int j = 0; j < outW; j++) {
        long hs = (long) i * stride[0] - padding[0];
        long ws = (long) j * stride[1] - padding[1];
        long he = Math.min(hs + kernel[0], h + padding[0]);
        long we = Math.min(ws + kernel[1], w + padding[1]);
        long count = countIncludePad
            ? (he - hs) * (we - ws)
            : (Math.min(he, h) - Math.max(hs, 0)) * (Math.min(we, w) - Math.max(ws, 0));
        scale.putScalar(new long[] {0, 0, i, j}, (double) kernel[0] * kernel[1] / count);
      }
    }
    return avg.mul(x.graph().constant(scale));
  }

  /** Cross-entropy of {@code logits} (N, C) against class indices {@code target} (N), averaged. See {@link CrossEntropyLoss}. */
  public static Tensor crossEntropy(Tensor logits, Tensor target) {
    return crossEntropy(logits, target, Reduction.MEAN, -100, 0.0);
  }

  public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
    return crossEntropy(logits, target, reduction, -100, 0.0);
  }

  /**
   * Cross-entropy with all of PyTorch's options. Takes logits, not probabilities: the log-softmax is inside.
   *
   * @param logits (N, C) unnormalised scores
   * @param target (N) class indices (int64)
   * @param ignoreIndex targets equal to it contribute nothing and are not counted by the mean; PyTorch uses -100
   * @param labelSmoothing in [0, 1]: the target distribution is (1 - s) one-hot + s / C uniform
   * @return a scalar, or (N) with {@link Reduction#NONE}
   */
  public static Tensor crossEntropy(
      Tensor logits, Tensor target, Reduction reduction, long ignoreIndex, double labelSmoothing) {
    dlcourse.nn.internal.Check.probability(labelSmoothing, "labelSmoothing");
    checkClassification(logits, target, "logits");
    if (reduction != Reduction.NONE && logits.graph().fusedLosses()) {
      return fusedCrossEntropy(logits, target, reduction, ignoreIndex, labelSmoothing);
    }
    Tensor logp = logSoftmax(logits, 1);
    Tensor perSample = pickNegative(logp, target); // (N)
    if (labelSmoothing > 0) {
      Tensor uniform = logp.mean(false, 1).neg(); // (N): -mean_c log p_c
      perSample = perSample.mul(1 - labelSmoothing).add(uniform.mul(labelSmoothing));
    }
    return reduceClassification(perSample, target, reduction, ignoreIndex);
  }

  /**
   * Mean or sum cross-entropy as ND4J's single softmax_cross_entropy_loss op (and one fused backward op) instead
   * of the ~11 forward ops of the composed form, when the graph allows it: each executed op has a fixed cost in
   * SameDiff. The loss op's backward ignores the gradient flowing into it (it assumes it is the loss itself), so
   * the graph records the output as terminal-only and {@link dlcourse.nn.internal.Executable} rebuilds with the
   * composed form when anything else consumes it. Same semantics: a target outside [0, C) has an all-zero
   * one-hot row, ignored samples weigh 0, the op's smoothing (1 - s) one-hot + s / C is PyTorch's, and the mean
   * weighs each kept sample by 1 / (number kept), which gives NaN when all are ignored, as PyTorch does.
   */
  private static Tensor fusedCrossEntropy(
      Tensor logits, Tensor target, Reduction reduction, long ignoreIndex, double labelSmoothing) {
    SameDiff sd = sd(logits);
    SDVariable oneHot = sd.oneHot(target.sd(), (int) logits.size(1), -1, 1.0, 0.0, logits.dtype());
    SDVariable weights = target.sd().neq(ignoreIndex).castTo(logits.dtype());
    if (reduction == Reduction.MEAN) {
      weights = weights.div(weights.sum());
    }
    // SDLoss marks the output as a loss variable; Executable sets the graph's loss variables itself afterwards.
    SDVariable loss = sd.loss().softmaxCrossEntropy(
        oneHot, logits.sd(), weights, org.nd4j.autodiff.loss.LossReduce.SUM, labelSmoothing);
    logits.graph().markTerminalOnly(loss);
    return wrap(logits, loss);
  }

  /** Negative log-likelihood of {@code logProbs} (N, C) at class indices {@code target} (N), averaged. See {@link NLLLoss}. */
  public static Tensor nllLoss(Tensor logProbs, Tensor target) {
    return nllLoss(logProbs, target, Reduction.MEAN, -100);
  }

  public static Tensor nllLoss(Tensor logProbs, Tensor target, Reduction reduction, long ignoreIndex) {
    checkClassification(logProbs, target, "log-probabilities");
    return reduceClassification(pickNegative(logProbs, target), target, reduction, ignoreIndex);
  }

  private static void checkClassification(Tensor scores, Tensor target, String what) {
    if (scores.dim() != 2 || target.dim() != 1 || target.size(0) != scores.size(0)) {
      throw new IllegalArgumentException("expected " + what + " (N, C) and targets (N), got "
          + Shapes.str(scores.shape()) + " and " + Shapes.str(target.shape()));
    }
    if (target.dtype().isFPType()) {
      throw new IllegalArgumentException("targets must be class indices (int64), got " + target.dtype());
    }
  }

  /** -logp[n, target[n]] as (N); an index outside [0, C) (the ignore index) gives 0. */
  private static Tensor pickNegative(Tensor logp, Tensor target) {
    SDVariable oneHot = sd(logp).oneHot(target.sd(), (int) logp.size(1), -1, 1.0, 0.0, logp.dtype());
    return wrap(logp, logp.sd().mul(oneHot), logp.shape()).sum(false, 1).neg();
  }

  private static Tensor reduceClassification(Tensor perSample, Tensor target, Reduction reduction, long ignoreIndex) {
    Tensor keep = wrap(target, target.sd().neq(ignoreIndex).castTo(perSample.dtype()), target.shape());
    Tensor kept = perSample.mul(keep);
    return switch (reduction) {
      case NONE -> kept;
      case SUM -> kept.sum();
      case MEAN -> kept.sum().div(keep.sum());
    };
  }

  /** Mean squared error averaged over all elements. See {@link MSELoss}. */
  public static Tensor mseLoss(Tensor input, Tensor target) {
    return mseLoss(input, target, Reduction.MEAN);
  }

  public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
    if (!java.util.Arrays.equals(input.shape(), target.shape())) {
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

  /**
   * Batch normalisation over the channel dimension 1 of (N, C), (N, C, L) or (N, C, H, W). In training it uses
   * the batch statistics (biased variance) and, when the running buffers are given, records the update
   * {@code running = (1 - momentum) running + momentum batch} (unbiased variance) to apply after the training
   * step; otherwise it uses the running statistics. See {@link BatchNorm2d}.
   */
  public static Tensor batchNorm(Tensor x, Parameter runningMean, Parameter runningVar, Parameter weight,
      Parameter bias, boolean training, double momentum, double eps) {
    if (x.dim() < 2 || x.dim() > 4) {
      throw new IllegalArgumentException("expected input (N, C), (N, C, L) or (N, C, H, W), got " + Shapes.str(x.shape()));
    }
    long c = x.size(1);
    long[] statShape = new long[x.dim()];
    java.util.Arrays.fill(statShape, 1);
    statShape[1] = c;
    int[] dims = java.util.stream.IntStream.range(0, x.dim()).filter(d -> d != 1).toArray();
    Tensor mean;
    Tensor var;
    if (training || runningMean == null) {
      long n = x.numel() / c;
      if (n <= 1) {
        throw new IllegalArgumentException(
            "expected more than 1 value per channel when training, got input " + Shapes.str(x.shape()));
      }
      mean = x.mean(true, dims);
      Tensor xc = x.sub(mean);
      var = xc.mul(xc).mean(true, dims);
      if (training && runningMean != null) {
        Graph g = x.graph();
        g.addStateUpdate(runningMean,
            g.tensor(runningMean).mul(1 - momentum).add(mean.reshape(c).mul(momentum)));
        g.addStateUpdate(runningVar,
            g.tensor(runningVar).mul(1 - momentum).add(var.reshape(c).mul(momentum * n / (n - 1.0))));
      }
    } else {
      mean = x.graph().tensor(runningMean).reshape(statShape);
      var = x.graph().tensor(runningVar).reshape(statShape);
    }
    Tensor y = x.sub(mean).mul(var.add(eps).pow(-0.5));
    if (weight != null) {
      y = y.mul(x.graph().tensor(weight).reshape(statShape)).add(x.graph().tensor(bias).reshape(statShape));
    }
    return y;
  }

  /**
   * Layer normalisation over the last {@code normalizedDims} dimensions (biased variance), then the element-wise
   * affine map if {@code weight} is given. See {@link LayerNorm}.
   */
  public static Tensor layerNorm(Tensor x, int normalizedDims, Parameter weight, Parameter bias, double eps) {
    int[] dims = java.util.stream.IntStream.range(x.dim() - normalizedDims, x.dim()).toArray();
    Tensor mean = x.mean(true, dims);
    Tensor xc = x.sub(mean);
    Tensor y = xc.mul(xc.mul(xc).mean(true, dims).add(eps).pow(-0.5));
    if (weight != null) {
      y = y.mul(x.graph().tensor(weight));
    }
    if (bias != null) {
      y = y.add(x.graph().tensor(bias));
    }
    return y;
  }

  /** x / sqrt(mean(x^2) + eps) * weight over the last {@code normalizedDims} dimensions. See {@link RMSNorm}. */
  public static Tensor rmsNorm(Tensor x, int normalizedDims, Parameter weight, double eps) {
    int[] dims = java.util.stream.IntStream.range(x.dim() - normalizedDims, x.dim()).toArray();
    Tensor y = x.mul(x.mul(x).mean(true, dims).add(eps).pow(-0.5));
    return weight == null ? y : y.mul(x.graph().tensor(weight));
  }

  /** Rows of {@code weight} (V, D) at the int64 indices {@code input} (*): output (*, D). See {@link Embedding}. */
  public static Tensor embedding(Tensor input, Parameter weight) {
    if (input.dtype().isFPType()) {
      throw new IllegalArgumentException("embedding indices must be integers (int64), got " + input.dtype());
    }
    long[] out = java.util.Arrays.copyOf(input.shape(), input.dim() + 1);
    out[input.dim()] = weight.shape()[1];
    // A one-hot matrix product rather than gather: the gradient of gather with respect to the table came out
    // wrong in M2.1 (LayersTest's finite-difference check), a matmul's is exact. Costs (numel x V) memory.
    Tensor flat = input.reshape(input.numel());
    Tensor w = input.graph().tensor(weight);
    SDVariable oneHot = sd(input).oneHot(flat.sd(), (int) weight.shape()[0], -1, 1.0, 0.0, w.dtype());
    return wrap(input, oneHot.mmul(w.sd()), input.numel(), weight.shape()[1]).reshape(out);
  }

  /**
   * Pads the last two dimensions of {@code x} (N, C, H, W) by {@code pad = {left, right, top, bottom}}, like
   * {@code torch.nn.functional.pad}. Built from slices and concatenation rather than ND4J's pad op, whose
   * gradient ignores the mirror modes (ENGINE-NOTES), so gradients are exact for every mode.
   */
  public static Tensor pad(Tensor x, int[] pad, PaddingMode mode) {
    if (pad.length != 4) {
      throw new IllegalArgumentException("pad takes {left, right, top, bottom}, got " + pad.length + " values");
    }
    Tensor y = padDim(x, 3, pad[0], pad[1], mode);
    return padDim(y, 2, pad[2], pad[3], mode);
  }

  private static Tensor padDim(Tensor x, int dim, int before, int after, PaddingMode mode) {
    if (before == 0 && after == 0) {
      return x;
    }
    long n = x.size(dim);
    if (mode == PaddingMode.REFLECT && (before >= n || after >= n)) {
      throw new IllegalArgumentException("reflect padding " + Math.max(before, after)
          + " must be smaller than the input size " + n + " along dimension " + dim);
    }
    if (mode == PaddingMode.CIRCULAR && (before > n || after > n)) {
      throw new IllegalArgumentException("circular padding " + Math.max(before, after)
          + " must not exceed the input size " + n + " along dimension " + dim);
    }
    java.util.List<SDVariable> parts = new java.util.ArrayList<>();
    switch (mode) {
      case ZEROS -> {
        long[] zs = x.shape();
        if (before > 0) {
          zs[dim] = before;
          parts.add(sd(x).zero(null, x.dtype(), zs));
        }
        parts.add(x.sd());
        if (after > 0) {
          zs[dim] = after;
          parts.add(sd(x).zero(null, x.dtype(), zs));
        }
      }
      case REFLECT -> {
        for (int i = before; i >= 1; i--) {
          parts.add(slice(x, dim, i, 1));
        }
        parts.add(x.sd());
        for (int i = 1; i <= after; i++) {
          parts.add(slice(x, dim, n - 1 - i, 1));
        }
      }
      case REPLICATE -> {
        SDVariable first = slice(x, dim, 0, 1);
        SDVariable last = slice(x, dim, n - 1, 1);
        for (int i = 0; i < before; i++) {
          parts.add(first);
        }
        parts.add(x.sd());
        for (int i = 0; i < after; i++) {
          parts.add(last);
        }
      }
      case CIRCULAR -> {
        if (before > 0) {
          parts.add(slice(x, dim, n - before, before));
        }
        parts.add(x.sd());
        if (after > 0) {
          parts.add(slice(x, dim, 0, after));
        }
      }
    }
    long[] out = x.shape();
    out[dim] += before + after;
    return wrap(x, sd(x).concat(dim, parts.toArray(new SDVariable[0])), out);
  }

  private static SDVariable slice(Tensor x, int dim, long start, long length) {
    int[] begin = new int[x.dim()];
    int[] size = new int[x.dim()];
    for (int i = 0; i < x.dim(); i++) {
      size[i] = (int) x.size(i);
    }
    begin[dim] = (int) start;
    size[dim] = (int) length;
    return sd(x).slice(x.sd(), begin, size);
  }
}
