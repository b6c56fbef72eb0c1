package dlcourse.nn;

import dlcourse.nn.internal.Check;

/**
 * Maximum over sliding windows.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, C, H, W)}</li>
 *   <li>Output: {@code (N, C, H_out, W_out)}, {@code H_out = floor((H + 2*padding - k) / stride) + 1}</li>
 * </ul>
 * Example: {@code new MaxPool2d(2)} halves H and W.
 */
public class MaxPool2d extends Module {
  private final int[] kernelSize;
  private int[] stride;
  private int[] padding = {0, 0};

  /** @param kernelSize window size; the stride defaults to it */
  public MaxPool2d(int... kernelSize) {
    this.kernelSize = Check.pair(kernelSize, "kernelSize");
    this.stride = this.kernelSize.clone();
  }

  public MaxPool2d stride(int... stride) {
    this.stride = Check.pair(stride, "stride");
    return this;
  }

  public MaxPool2d padding(int... padding) {
    this.padding = Check.pair(padding, "padding");
    return this;
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.maxPool2d(x, kernelSize, stride, padding);
  }

  @Override
  protected String extraRepr() {
    return "kernelSize=" + kernelSize[0] + (stride[0] != kernelSize[0] ? ", stride=" + stride[0] : "")
        + (padding[0] != 0 ? ", padding=" + padding[0] : "");
  }
}
