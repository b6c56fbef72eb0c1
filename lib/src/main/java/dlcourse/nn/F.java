package dlcourse.nn;

import dlcourse.nn.internal.Shapes;
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
    SDVariable y = bias == null
        ? flat.sd().mmul(w.sd().permute(1, 0))
        : sd(x).nn().linear(flat.sd(), w.sd().permute(1, 0), x.graph().tensor(bias).sd());
    Tensor result = wrap(x, y, flat.size(0), out);
    return x.dim() == 2 ? result : result.reshape(outShape);
  }

  public static Tensor relu(Tensor x) {
    return wrap(x, sd(x).nn().relu(x.sd(), 0), x.shape());
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
    // LogSoftMax with an explicit dimension cannot be cloned into its gradient graph in M2.1
    // ("Error setting property"), so work on the last axis and move the wanted one there.
    if (axis == x.dim() - 1) {
      return wrap(x, sd(x).nn().logSoftmax(x.sd()), x.shape());
    }
    return logSoftmax(x.transpose(axis, -1), -1).transpose(axis, -1);
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
    Conv2DConfig cfg = Conv2DConfig.builder()
        .kH(w[2]).kW(w[3]).sH(stride[0]).sW(stride[1]).pH(padding[0]).pW(padding[1])
        .dH(dilation[0]).dW(dilation[1]).paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID).dataFormat("NCHW")
        .build();
    // conv2d_bp of ND4J 1.0.0-M2.1 ignores weightsFormat=OIYX (it reads the weight as (kH, kW, in, out) and
    // rejects the gradient shape), so the PyTorch-layout weight is permuted to that layout in the graph.
    SDVariable wv = x.graph().tensor(weight).sd().permute(2, 3, 1, 0);
    SDVariable y = bias == null
        ? sd(x).cnn().conv2d(x.sd(), wv, cfg)
        : sd(x).cnn().conv2d(x.sd(), wv, x.graph().tensor(bias).sd(), cfg);
    return wrap(x, y, x.size(0), w[0], outH, outW);
  }

  /** 2-D max pooling. See {@link MaxPool2d}. */
  public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
    if (x.dim() != 4) {
      throw new IllegalArgumentException("expected input (N, C, H, W), got " + Shapes.str(x.shape()));
    }
    long outH = convOutputSize(x.size(2), kernel[0], stride[0], padding[0], 1);
    long outW = convOutputSize(x.size(3), kernel[1], stride[1], padding[1], 1);
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException("input " + Shapes.str(x.shape()) + " is smaller than the pooling window");
    }
    Pooling2DConfig cfg = Pooling2DConfig.builder()
        .kH(kernel[0]).kW(kernel[1]).sH(stride[0]).sW(stride[1]).pH(padding[0]).pW(padding[1])
        .paddingMode(org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode.VALID).isNHWC(false).build();
    return wrap(x, sd(x).cnn().maxPooling2d(x.sd(), cfg), x.size(0), x.size(1), outH, outW);
  }

  /**
   * Cross-entropy between {@code logits} (N, C) and class indices {@code target} (N), averaged over the batch
   * (PyTorch's {@code reduction='mean'}). Takes logits, not probabilities: the softmax is inside.
   */
  public static Tensor crossEntropy(Tensor logits, Tensor target) {
    return nllLoss(logSoftmax(logits, 1), target);
  }

  /** Negative log-likelihood of log-probabilities {@code logProbs} (N, C) at class indices {@code target} (N), mean over N. */
  public static Tensor nllLoss(Tensor logProbs, Tensor target) {
    if (logProbs.dim() != 2 || target.dim() != 1 || target.size(0) != logProbs.size(0)) {
      throw new IllegalArgumentException("expected log-probabilities (N, C) and targets (N), got "
          + Shapes.str(logProbs.shape()) + " and " + Shapes.str(target.shape()));
    }
    SDVariable oneHot = sd(logProbs).oneHot(target.sd(), (int) logProbs.size(1), -1, 1.0, 0.0, logProbs.dtype());
    Tensor picked = wrap(logProbs, logProbs.sd().mul(oneHot), logProbs.shape()).sum(false, 1);
    return picked.mean().neg();
  }

  /** Mean squared error averaged over all elements. */
  public static Tensor mseLoss(Tensor input, Tensor target) {
    Tensor d = input.sub(target);
    return d.mul(d).mean();
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
