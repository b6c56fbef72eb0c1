package dlcourse.nn;

import dlcourse.tensor.Tensor;

/**
 * Mean over sliding windows.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, C, H, W)}</li>
 *   <li>Output: {@code (N, C, H_out, W_out)}, {@code H_out = floor((H + 2*padding - k) / stride) + 1} (ceil with
 *       {@code ceilMode(true)}, as {@link MaxPool2d}).</li>
 * </ul>
 * The divisor counts the zero padding unless {@code countIncludePad(false)}; a ceil-mode window that hangs over
 * the padding divides by its part inside input plus padding, as PyTorch does.
 * Example: {@code new AvgPool2d(2)}.
 */
public class AvgPool2d extends Pool2d<AvgPool2d> {
  private boolean countIncludePad = true;

  /** @param kernelSize window size, one value or (kH, kW); the stride defaults to it */
  public AvgPool2d(int... kernelSize) {
    super(kernelSize);
  }

  /** Whether the zero padding counts in the divisor; default true. */
  public AvgPool2d countIncludePad(boolean include) {
    this.countIncludePad = include;
    return this;
  }

  public boolean countIncludePad() {
    return countIncludePad;
  }

  @Override
  protected String extraRepr() {
    return super.extraRepr() + (countIncludePad ? "" : ", countIncludePad=false");
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.avgPool2d(x, kernelSize, stride, padding, ceilMode, countIncludePad);
  }
}
