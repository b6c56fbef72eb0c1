package dlcourse.nn;

import dlcourse.tensor.Tensor;

import dlcourse.util.Check;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * 2-D convolution over an input of several channels (cross-correlation, as in PyTorch).
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, inChannels, H, W)}</li>
 *   <li>Output: {@code (N, outChannels, H_out, W_out)}, where
 *       {@code H_out = floor((H + 2*padding - dilation*(k - 1) - 1) / stride) + 1}</li>
 *   <li>weight: {@code (outChannels, inChannels, kH, kW)}, Kaiming-uniform with a = sqrt(5); bias:
 *       {@code (outChannels)}, U(-1/sqrt(fanIn), 1/sqrt(fanIn)); as PyTorch initialises them.</li>
 * </ul>
 * Example: {@code new Conv2d(3, 32, 3).stride(2).padding(2).paddingMode(PaddingMode.REFLECT).bias(false)}.
 */
public class Conv2d extends Module {
  private final long inChannels;
  private final long outChannels;
  private final int[] kernelSize;
  private int[] stride = {1, 1};
  private int[] padding = {0, 0};
  private int[] dilation = {1, 1};
  private PaddingMode paddingMode = PaddingMode.ZEROS;
  private final Parameter weight;
  private Parameter bias;

  /** @param kernelSize one value for a square kernel or (kH, kW) */
  public Conv2d(long inChannels, long outChannels, int... kernelSize) {
    this.inChannels = Check.positive(inChannels, "inChannels");
    this.outChannels = Check.positive(outChannels, "outChannels");
    this.kernelSize = Check.pair(kernelSize, "kernelSize");
    Check.positive(this.kernelSize[0], "kernelSize");
    Check.positive(this.kernelSize[1], "kernelSize");
    weight = addParameter("weight",
        Nd4j.create(DataType.FLOAT, outChannels, inChannels, this.kernelSize[0], this.kernelSize[1]));
    bias = addParameter("bias", Nd4j.create(DataType.FLOAT, outChannels));
    resetParameters();
  }

  /** Step of the sliding window, one value or (sH, sW); default 1. */
  public Conv2d stride(int... stride) {
    this.stride = Check.pair(stride, "stride");
    Check.positive(this.stride[0], "stride");
    Check.positive(this.stride[1], "stride");
    return this;
  }

  /** Padding added to both sides of H and W, in pixels: one value or (pH, pW); default 0. */
  public Conv2d padding(int... padding) {
    this.padding = Check.pair(padding, "padding");
    Check.nonNegative(this.padding[0], "padding");
    Check.nonNegative(this.padding[1], "padding");
    return this;
  }

  public Conv2d dilation(int... dilation) {
    this.dilation = Check.pair(dilation, "dilation");
    return this;
  }

  /** How the padding is filled; default {@link PaddingMode#ZEROS}. */
  public Conv2d paddingMode(PaddingMode mode) {
    this.paddingMode = mode;
    return this;
  }

  /** With {@code false}, no bias (default true). */
  public Conv2d bias(boolean enabled) {
    if (!enabled && bias != null) {
      bias = null;
      removeParameter("bias");
    }
    return this;
  }

  @Override
  public void resetParameters() {
    Init.kaimingUniform(weight.data(), Math.sqrt(5));
    if (bias != null) {
      Init.biasUniform(bias.data(), Init.fanIn(weight.shape()));
    }
  }

  @Override
  public Tensor forward(Tensor x) {
    if (paddingMode == PaddingMode.ZEROS) {
      return F.conv2d(x, weight, bias, stride, padding, dilation);
    }
    Tensor padded = F.pad(x, new int[] {padding[1], padding[1], padding[0], padding[0]}, paddingMode);
    return F.conv2d(padded, weight, bias, stride, new int[] {0, 0}, dilation);
  }

  /** {@code relu(forward(x))} as one operation ({@link F#conv2dRelu}); {@link Sequential} calls it. */
  Tensor forwardRelu(Tensor x) {
    if (paddingMode == PaddingMode.ZEROS) {
      return F.conv2dRelu(x, weight, bias, stride, padding, dilation);
    }
    Tensor padded = F.pad(x, new int[] {padding[1], padding[1], padding[0], padding[0]}, paddingMode);
    return F.conv2dRelu(padded, weight, bias, stride, new int[] {0, 0}, dilation);
  }

  public Parameter weight() {
    return weight;
  }

  public Parameter bias() {
    return bias;
  }

  public long inChannels() {
    return inChannels;
  }

  public long outChannels() {
    return outChannels;
  }

  public int[] kernelSize() {
    return kernelSize.clone();
  }

  public int[] stride() {
    return stride.clone();
  }

  public int[] padding() {
    return padding.clone();
  }

  public int[] dilation() {
    return dilation.clone();
  }

  public PaddingMode paddingMode() {
    return paddingMode;
  }

  /** Output (H, W) for an input of (h, w), by the formula above. */
  public long[] outputSize(long h, long w) {
    return new long[] {
      F.convOutputSize(h, kernelSize[0], stride[0], padding[0], dilation[0]),
      F.convOutputSize(w, kernelSize[1], stride[1], padding[1], dilation[1])
    };
  }

  @Override
  protected String extraRepr() {
    StringBuilder b = new StringBuilder(inChannels + ", " + outChannels + ", kernelSize=(" + kernelSize[0] + ", "
        + kernelSize[1] + ")");
    if (stride[0] != 1 || stride[1] != 1) {
      b.append(", stride=(").append(stride[0]).append(", ").append(stride[1]).append(")");
    }
    if (padding[0] != 0 || padding[1] != 0) {
      b.append(", padding=(").append(padding[0]).append(", ").append(padding[1]).append(")");
    }
    if (dilation[0] != 1 || dilation[1] != 1) {
      b.append(", dilation=(").append(dilation[0]).append(", ").append(dilation[1]).append(")");
    }
    if (paddingMode != PaddingMode.ZEROS) {
      b.append(", paddingMode=").append(paddingMode.name().toLowerCase());
    }
    if (bias == null) {
      b.append(", bias=false");
    }
    return b.toString();
  }
}
