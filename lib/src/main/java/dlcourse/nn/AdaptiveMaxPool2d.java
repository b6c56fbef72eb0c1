package dlcourse.nn;

import dlcourse.tensor.Tensor;

/**
 * Pools to a fixed output size whatever the input size: output cell i takes the maximum over rows
 * {@code floor(i*H/outH)} to {@code ceil((i+1)*H/outH)} (exclusive), as PyTorch. Output 1x1 is global pooling.
 * The gradient of a cell goes to the first maximum of its window (row-major), as in PyTorch, even when several
 * values tie.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, C, H, W)}</li>
 *   <li>Output: {@code (N, C, outH, outW)}</li>
 * </ul>
 * Example: {@code new Sequential(new AdaptiveMaxPool2d(1), new Flatten())} maps (N, C, H, W) to (N, C).
 */
public class AdaptiveMaxPool2d extends AdaptivePool2d {
  /** @param outputSize one value or (outH, outW) */
  public AdaptiveMaxPool2d(int... outputSize) {
    super(outputSize);
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.adaptiveMaxPool2d(x, outputSize[0], outputSize[1]);
  }
}
