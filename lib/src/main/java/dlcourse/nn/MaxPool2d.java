package dlcourse.nn;

import dlcourse.nn.internal.Check;

/**
 * Maximum over sliding windows; padding counts as minus infinity.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, C, H, W)}</li>
 *   <li>Output: {@code (N, C, H_out, W_out)}, {@code H_out = floor((H + 2*padding - k) / stride) + 1}; with
 *       {@code ceilMode(true)} ceil instead of floor, dropping a last window that would start in the right
 *       padding (PyTorch's rule).</li>
 * </ul>
 * Example: {@code new MaxPool2d(2)} halves H and W; {@code new MaxPool2d(2).ceilMode(true)} maps 7 to 4.
 */
public class MaxPool2d extends Module {
  private final int[] kernelSize;
  private int[] stride;
  private int[] padding = {0, 0};
  private boolean ceilMode;

  /** @param kernelSize window size, one value or (kH, kW); the stride defaults to it */
  public MaxPool2d(int... kernelSize) {
    this.kernelSize = Check.pair(kernelSize, "kernelSize");
    Check.positive(this.kernelSize[0], "kernelSize");
    Check.positive(this.kernelSize[1], "kernelSize");
    this.stride = this.kernelSize.clone();
  }

  /** Step of the window, one value or (sH, sW); defaults to the kernel size. */
  public MaxPool2d stride(int... stride) {
    this.stride = Check.pair(stride, "stride");
    Check.positive(this.stride[0], "stride");
    Check.positive(this.stride[1], "stride");
    return this;
  }

  /** Implicit padding on both sides, at most half the kernel; default 0. */
  public MaxPool2d padding(int... padding) {
    int[] p = Check.pair(padding, "padding");
    for (int d = 0; d < 2; d++) {
      Check.nonNegative(p[d], "padding");
      if (2 * p[d] > kernelSize[d]) {
        throw new IllegalArgumentException("padding should be at most half of the kernel size, got padding="
            + p[d] + ", kernelSize=" + kernelSize[d]);
      }
    }
    this.padding = p;
    return this;
  }

  /** Round the output size up instead of down (the last window may hang over the edge); default false. */
  public MaxPool2d ceilMode(boolean ceilMode) {
    this.ceilMode = ceilMode;
    return this;
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

  public boolean ceilMode() {
    return ceilMode;
  }

  /** Output (H, W) for an input of (h, w). */
  public long[] outputSize(long h, long w) {
    return new long[] {
      F.poolOutputSize(h, kernelSize[0], stride[0], padding[0], ceilMode),
      F.poolOutputSize(w, kernelSize[1], stride[1], padding[1], ceilMode)
    };
  }

  private static String pair(int[] v) {
    return v[0] == v[1] ? String.valueOf(v[0]) : "(" + v[0] + ", " + v[1] + ")";
  }

  @Override
  protected String extraRepr() {
    return "kernelSize=" + pair(kernelSize)
        + (java.util.Arrays.equals(stride, kernelSize) ? "" : ", stride=" + pair(stride))
        + (padding[0] == 0 && padding[1] == 0 ? "" : ", padding=" + pair(padding))
        + (ceilMode ? ", ceilMode=true" : "");
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.maxPool2d(x, kernelSize, stride, padding, ceilMode);
  }
}
