package dlcourse.nn.autograd;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code y = x W^T + b} with a hand-written backward pass: {@code dx = G W}, {@code dW = G^T x},
 * {@code db = sum of G over rows}. Inputs x {@code (N, in)}, weight {@code (out, in)}, optional bias
 * {@code (out)}; output {@code (N, out)}.
 */
public final class LinearFunction extends Function {
  @Override
  public INDArray forward(Context ctx, INDArray... inputs) {
    INDArray x = inputs[0];
    INDArray w = inputs[1];
    if (x.rank() != 2 || w.rank() != 2 || x.size(1) != w.size(1)) {
      throw new IllegalArgumentException("LinearFunction: expected x (N, " + (w.rank() == 2 ? w.size(1) : "in")
          + ") and weight (out, in), got x " + Arrays.toString(x.shape()) + ", weight " + Arrays.toString(w.shape()));
    }
    INDArray y = Nd4j.gemm(x, w, false, true); // (N, out)
    if (inputs.length == 3) {
      y.addi(inputs[2].reshape(1, w.size(0))); // broadcasting op, not addiRowVector: see package-info
    }
    ctx.saveForBackward(x, w);
    return y;
  }

  @Override
  public INDArray[] backward(Context ctx, INDArray g) {
    INDArray x = ctx.savedTensors().get(0);
    INDArray w = ctx.savedTensors().get(1);
    INDArray[] grads = new INDArray[ctx.inputCount()];
    if (ctx.needsInputGrad(0)) {
      grads[0] = Nd4j.gemm(g, w, false, false);
    }
    if (ctx.needsInputGrad(1)) {
      grads[1] = Nd4j.gemm(g, x, true, false);
    }
    if (grads.length == 3 && ctx.needsInputGrad(2)) {
      grads[2] = g.sum(0).reshape(ctx.inputShape(2));
    }
    return grads;
  }
}
