package dlcourse.nn;

import dlcourse.tensor.Tensor;

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
public class MaxPool2d extends Pool2d<MaxPool2d> {
  /** @param kernelSize window size, one value or (kH, kW); the stride defaults to it */
  public MaxPool2d(int... kernelSize) {
    super(kernelSize);
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.maxPool2d(x, kernelSize, stride, padding, ceilMode);
  }
}
