package dlcourse.nn;

import dlcourse.util.Check;

/**
 * The output size shared by {@link AdaptiveAvgPool2d} and {@link AdaptiveMaxPool2d}: output cell i pools rows
 * {@code floor(i*H/outH)} to {@code ceil((i+1)*H/outH)} (exclusive), as PyTorch, and columns likewise.
 */
public abstract class AdaptivePool2d extends Module {
  final int[] outputSize;

  /** @param outputSize one value or (outH, outW) */
  AdaptivePool2d(int... outputSize) {
    this.outputSize = Check.pair(outputSize, "outputSize");
    Check.positive(this.outputSize[0], "outputSize");
    Check.positive(this.outputSize[1], "outputSize");
  }

  public int[] outputSize() {
    return outputSize.clone();
  }

  @Override
  protected String extraRepr() {
    return "outputSize=" + (outputSize[0] == outputSize[1] ? String.valueOf(outputSize[0])
        : "(" + outputSize[0] + ", " + outputSize[1] + ")");
  }
}
