package dlcourse.nn;

import dlcourse.util.Check;

/**
 * Window settings shared by {@link MaxPool2d} and {@link AvgPool2d}: kernel, stride (defaults to the kernel),
 * padding (at most half the kernel) and ceil mode, with PyTorch's defaults and output-size rule.
 *
 * @param <P> the concrete layer, so setters chain without casts
 */
public abstract class Pool2d<P extends Pool2d<P>> extends Module {
  final int[] kernelSize;
  int[] stride;
  int[] padding = {0, 0};
  boolean ceilMode;

  /** @param kernelSize window size, one value or (kH, kW); the stride defaults to it */
  Pool2d(int... kernelSize) {
    this.kernelSize = Check.pair(kernelSize, "kernelSize");
    Check.positive(this.kernelSize[0], "kernelSize");
    Check.positive(this.kernelSize[1], "kernelSize");
    this.stride = this.kernelSize.clone();
  }

  @SuppressWarnings("unchecked")
  private P self() {
    return (P) this;
  }

  /** Step of the window, one value or (sH, sW); defaults to the kernel size. */
  public P stride(int... stride) {
    this.stride = Check.pair(stride, "stride");
    Check.positive(this.stride[0], "stride");
    Check.positive(this.stride[1], "stride");
    return self();
  }

  /** Implicit padding on both sides, at most half the kernel; default 0. */
  public P padding(int... padding) {
    int[] p = Check.pair(padding, "padding");
    for (int d = 0; d < 2; d++) {
      Check.nonNegative(p[d], "padding");
      if (2 * p[d] > kernelSize[d]) {
        throw new IllegalArgumentException("padding should be at most half of the kernel size, got padding="
            + p[d] + ", kernelSize=" + kernelSize[d]);
      }
    }
    this.padding = p;
    return self();
  }

  /** Round the output size up instead of down (the last window may hang over the edge); default false. */
  public P ceilMode(boolean ceilMode) {
    this.ceilMode = ceilMode;
    return self();
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
}
