package dlcourse.nn.autograd;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Flattens every dimension after the first: {@code (N, d1, d2, ...) -> (N, d1*d2*...)}; backward reshapes the
 * gradient back.
 */
public final class ReshapeFunction extends Function {
  @Override
  public INDArray forward(Context ctx, INDArray... inputs) {
    INDArray x = inputs[0];
    return x.dup('c').reshape('c', x.size(0), x.length() / x.size(0));
  }

  @Override
  public INDArray[] backward(Context ctx, INDArray gradOutput) {
    return new INDArray[] {gradOutput.dup('c').reshape('c', ctx.inputShape(0))};
  }
}
