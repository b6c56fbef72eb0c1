package dlcourse.nn.autograd;

import dlcourse.nn.Unfold;
import dlcourse.nn.internal.Check;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.factory.Nd4j;

/**
 * 2-D max pooling (floor mode, no padding) through {@link Unfold}, with a hand-written backward pass: the forward
 * pass keeps a one-hot mask of each window's arg-max (the first maximum, as PyTorch), and the backward pass
 * sends each output gradient to that one pixel ({@code fold(mask * grad)}).
 *
 * <h2>Shape</h2>
 * {@code (B, C, H, W) -> (B, C, H_out, W_out)}, {@code H_out = floor((H - k) / stride) + 1}.
 */
public final class MaxPool2dFunction extends Function {
  private final int[] kernel;
  private final int[] stride;

  /**
   * @param kernel window, one value or (kH, kW)
   * @param stride step, one value or (sH, sW)
   */
  public MaxPool2dFunction(int[] kernel, int[] stride) {
    this.kernel = Check.pair(kernel, "kernel");
    this.stride = Check.pair(stride, "stride");
    for (int d = 0; d < 2; d++) {
      Check.positive(this.kernel[d], "kernel");
      Check.positive(this.stride[d], "stride");
    }
  }

  /** Square window with stride equal to the window. */
  public MaxPool2dFunction(int kernel) {
    this(new int[] {kernel}, new int[] {kernel});
  }

  @Override
  public INDArray forward(Context ctx, INDArray... inputs) {
    INDArray x = inputs[0];
    if (x.rank() != 4) {
      throw new IllegalArgumentException("MaxPool2dFunction: expected input (B, C, H, W), got "
          + Arrays.toString(x.shape()));
    }
    long[] s = x.shape();
    // Pool every channel alone: (B*C, 1, H, W) -> windows (B*C, kH*kW, L).
    INDArray cols = Unfold.unfold(x.reshape('c', s[0] * s[1], 1, s[2], s[3]), kernel, stride, new int[] {0, 0});
    long k = cols.size(1);
    long l = cols.size(2);
    INDArray argMax = Nd4j.argMax(cols, 1); // (B*C, L)
    INDArray mask = Nd4j.exec(new OneHot(argMax, (int) k, 1, 1.0, 0.0, x.dataType()))[0]; // (B*C, K, L)
    ctx.saveForBackward(mask);
    long oh = (s[2] - kernel[0]) / stride[0] + 1;
    long ow = (s[3] - kernel[1]) / stride[1] + 1;
    return cols.max(1).reshape('c', s[0], s[1], oh, ow);
  }

  @Override
  public INDArray[] backward(Context ctx, INDArray gradOutput) {
    INDArray mask = ctx.savedTensors().get(0); // (B*C, K, L)
    long[] s = ctx.inputShape(0);
    long n = mask.size(0);
    long l = mask.size(2);
    INDArray g = gradOutput.reshape('c', n, 1, l).broadcast(mask.shape()); // (B*C, K, L)
    INDArray dx = Unfold.fold(mask.mul(g), new long[] {s[2], s[3]}, kernel, stride, new int[] {0, 0});
    return new INDArray[] {dx.reshape('c', s)};
  }
}
