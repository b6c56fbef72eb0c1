package dlcourse.nn.autograd;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** {@code max(0, x)} elementwise; backward passes the gradient where {@code x > 0}. Any shape. */
public final class ReLUFunction extends Function {
  @Override
  public INDArray forward(Context ctx, INDArray... inputs) {
    INDArray x = inputs[0];
    ctx.saveForBackward(x.gt(0).castTo(x.dataType())); // the mask is all the backward pass needs
    return Transforms.relu(x, true);
  }

  @Override
  public INDArray[] backward(Context ctx, INDArray gradOutput) {
    return new INDArray[] {gradOutput.mul(ctx.savedTensors().get(0))};
  }
}
