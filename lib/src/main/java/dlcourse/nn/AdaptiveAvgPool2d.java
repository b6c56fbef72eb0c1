package dlcourse.nn;

import dlcourse.tensor.Tensor;

/**
 * Pools to a fixed output size whatever the input size: output cell i takes the mean over rows
 * {@code floor(i*H/outH)} to {@code ceil((i+1)*H/outH)} (exclusive), as PyTorch. Output 1x1 is global pooling.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, C, H, W)}</li>
 *   <li>Output: {@code (N, C, outH, outW)}</li>
 * </ul>
 * Example: {@code new Sequential(new AdaptiveAvgPool2d(1), new Flatten())} maps (N, C, H, W) to (N, C).
 */
public class AdaptiveAvgPool2d extends AdaptivePool2d {
  /** @param outputSize one value or (outH, outW) */
  public AdaptiveAvgPool2d(int... outputSize) {
    super(outputSize);
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.adaptiveAvgPool2d(x, outputSize[0], outputSize[1]);
  }
}
