package dlcourse.nn;

import dlcourse.nn.internal.Check;

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
public class AvgPool2d extends Module {
  private final int[] kernelSize;
  private int[] stride;
  private int[] padding = {0, 0};
  private boolean ceilMode;
  private boolean countIncludePad = true;

  /** @param kernelSize window size, one value or (kH, kW); the stride defaults to it */
  public AvgPool2d(int... kernelSize) {
    this.kernelSize = Check.pair(kernelSize, "kernelSize");
    Check.positive(this.kernelSize[0], "kernelSize");
    Check.positive(this.kernelSize[1], "kernelSize");
    this.stride = this.kernelSize.clone();
  }

  /** Whether the zero padding counts in the divisor; default true. */
  public AvgPool2d countIncludePad(boolean include) {
    this.countIncludePad = include;
    return this;
  }

  public boolean countIncludePad() {
    return countIncludePad;
  }

  /** Step of the window, one value or (sH, sW); defaults to the kernel size. */
  public AvgPool2d stride(int... stride) {
    this.stride = Check.pair(stride, "stride");
    Check.positive(this.stride[0], "stride");
    Check.positive(this.stride[1], "stride");
    return this;
  }

  /** Implicit padding on both sides, at most half the kernel; default 0. */
  public AvgPool2d padding(int... padding) {
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
  public AvgPool2d ceilMode(boolean ceilMode) {
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
        + (ceilMode ? ", ceilMode=true" : "") + (countIncludePad ? "" : ", countIncludePad=false");
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.avgPool2d(x, kernelSize, stride, padding, ceilMode, countIncludePad);
  }
}
