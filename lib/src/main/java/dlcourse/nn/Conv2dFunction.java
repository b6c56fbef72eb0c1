package dlcourse.nn;

import dlcourse.util.Check;
import dlcourse.tensor.AutogradFunction;
import dlcourse.tensor.Context;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * 2-D convolution (cross-correlation, zero padding) through {@link Unfold}, with a hand-written backward pass: the
 * VU assignment's {@code Conv2DFunc}, a custom function of the same autograd as every layer
 * ({@code new Conv2dFunction(1, 1).apply(x, weight, bias)}).
 *
 * <p>Forward: the windows of the input become rows {@code U} of shape {@code (B*L, C*kH*kW)}, and
 * {@code Y = U W^T + b} with the weight reshaped to {@code (out, C*kH*kW)}. Backward, from {@code G = dLoss/dY}
 * of shape {@code (B*L, out)}: the kernel gradient is {@code G^T U} (through the unfolded input), the bias
 * gradient sums {@code G} over rows, and the input gradient is {@code fold(G W)} (the adjoint of unfold adds each
 * window's gradient back onto the pixels it read).
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>inputs: x {@code (B, C, H, W)}, weight {@code (out, C, kH, kW)}, optional bias {@code (out)}</li>
 *   <li>output: {@code (B, out, H_out, W_out)}, {@code H_out = floor((H + 2*padding - kH) / stride) + 1}</li>
 * </ul>
 */
public final class Conv2dFunction extends AutogradFunction {
  private final int[] stride;
  private final int[] padding;

  /**
   * @param stride one value or (sH, sW)
   * @param padding zero padding, one value or (pH, pW)
   */
  public Conv2dFunction(int[] stride, int[] padding) {
    this.stride = Check.pair(stride, "stride");
    this.padding = Check.pair(padding, "padding");
    for (int d = 0; d < 2; d++) {
      Check.positive(this.stride[d], "stride");
      Check.nonNegative(this.padding[d], "padding");
    }
  }

  /** Square stride and padding. */
  public Conv2dFunction(int stride, int padding) {
    this(new int[] {stride}, new int[] {padding});
  }

  /** Output (H, W) for an input of (h, w) and a kernel of (kH, kW). */
  public long[] outputSize(long h, long w, long kh, long kw) {
    return new long[] {F.convOutputSize(h, kh, stride[0], padding[0], 1), F.convOutputSize(w, kw, stride[1],
        padding[1], 1)};
  }

  @Override
  public INDArray forward(Context ctx, INDArray... inputs) {
    if (inputs.length != 2 && inputs.length != 3) {
      throw new IllegalArgumentException("Conv2dFunction takes (x, weight) or (x, weight, bias), got "
          + inputs.length + " inputs");
    }
    INDArray x = inputs[0];
    INDArray w = inputs[1];
    long[] ws = w.shape();
    if (x.rank() != 4 || w.rank() != 4 || x.size(1) != ws[1]) {
      throw new IllegalArgumentException("Conv2dFunction: expected x (B, " + (w.rank() == 4 ? ws[1] : "C")
          + ", H, W) and weight (out, C, kH, kW), got x " + Arrays.toString(x.shape()) + ", weight "
          + Arrays.toString(ws));
    }
    if (inputs.length == 3 && inputs[2].length() != ws[0]) {
      throw new IllegalArgumentException("Conv2dFunction: bias must have " + ws[0] + " elements, got shape "
          + Arrays.toString(inputs[2].shape()));
    }
    long b = x.size(0);
    long ck = ws[1] * ws[2] * ws[3];
    long[] o = outputSize(x.size(2), x.size(3), ws[2], ws[3]);
    long l = o[0] * o[1];
    int[] kernel = {(int) ws[2], (int) ws[3]};
    INDArray cols = Unfold.unfold(x, kernel, stride, padding); // (B, CK, L)
    INDArray u = cols.permute(0, 2, 1).dup('c').reshape('c', b * l, ck); // (B*L, CK)
    INDArray y = Nd4j.gemm(u, w.reshape('c', ws[0], ck), false, true); // (B*L, out)
    if (inputs.length == 3) {
      y.addi(inputs[2].reshape(1, ws[0])); // broadcasting op, not addiRowVector: see package-info
    }
    ctx.saveForBackward(u, w);
    return y.reshape('c', b, l, ws[0]).permute(0, 2, 1).dup('c').reshape('c', b, ws[0], o[0], o[1]);
  }

  @Override
  public INDArray[] backward(Context ctx, INDArray gradOutput) {
    INDArray u = ctx.savedTensors().get(0); // (B*L, CK)
    INDArray w = ctx.savedTensors().get(1);
    long[] xs = ctx.inputShape(0);
    long[] ws = w.shape();
    long b = xs[0];
    long ck = u.size(1);
    long l = u.size(0) / b;
    INDArray g = gradOutput.reshape('c', b, ws[0], l).permute(0, 2, 1).dup('c').reshape('c', b * l, ws[0]);
    INDArray[] grads = new INDArray[ctx.inputCount()];
    if (ctx.needsInputGrad(1)) {
      grads[1] = Nd4j.gemm(g, u, true, false).reshape('c', ws); // (out, CK) -> (out, C, kH, kW)
    }
    if (grads.length == 3 && ctx.needsInputGrad(2)) {
      grads[2] = g.sum(0).reshape(ctx.inputShape(2));
    }
    if (ctx.needsInputGrad(0)) {
      INDArray du = Nd4j.gemm(g, w.reshape('c', ws[0], ck), false, false); // (B*L, CK)
      INDArray dcols = du.reshape('c', b, l, ck).permute(0, 2, 1); // (B, CK, L)
      grads[0] = Unfold.fold(dcols, new long[] {xs[2], xs[3]}, new int[] {(int) ws[2], (int) ws[3]}, stride,
          padding);
    }
    return grads;
  }

  @Override
  public String toString() {
    return "Conv2dFunction(stride=" + Arrays.toString(stride) + ", padding=" + Arrays.toString(padding) + ")";
  }
}
