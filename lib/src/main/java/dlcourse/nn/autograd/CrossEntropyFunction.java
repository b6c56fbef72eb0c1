package dlcourse.nn.autograd;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Mean cross-entropy of {@code logits} {@code (N, C)} against class indices {@code target} {@code (N)}, a scalar;
 * the backward pass gives {@code (softmax(logits) - onehot(target)) / N} for the logits and nothing for the target.
 */
public final class CrossEntropyFunction extends Function {
  @Override
  public INDArray forward(Context ctx, INDArray... inputs) {
    INDArray logits = inputs[0];
    INDArray target = inputs[1];
    if (logits.rank() != 2 || target.length() != logits.size(0)) {
      throw new IllegalArgumentException("CrossEntropyFunction: expected logits (N, C) and target (N), got logits "
          + Arrays.toString(logits.shape()) + ", target " + Arrays.toString(target.shape()));
    }
    long c = logits.size(1);
    INDArray max = logits.max(1).reshape(logits.size(0), 1);
    INDArray exp = Transforms.exp(logits.sub(max), true); // shifted by the row max: no overflow
    INDArray sum = exp.sum(1).reshape(logits.size(0), 1);
    INDArray logSumExp = Transforms.log(sum, true).addi(max); // (N, 1)
    INDArray onehot = Nd4j.exec(new OneHot(target.reshape(-1).castTo(org.nd4j.linalg.api.buffer.DataType.LONG),
        (int) c, 1, 1.0, 0.0, logits.dataType()))[0]; // (N, C)
    INDArray picked = logits.mul(onehot).sum(1).reshape(logits.size(0), 1);
    ctx.saveForBackward(exp.divi(sum), onehot);
    return Nd4j.scalar(logits.dataType(), logSumExp.sub(picked).meanNumber().doubleValue());
  }

  @Override
  public INDArray[] backward(Context ctx, INDArray gradOutput) {
    INDArray softmax = ctx.savedTensors().get(0);
    INDArray onehot = ctx.savedTensors().get(1);
    double scale = gradOutput.getDouble(0) / softmax.size(0);
    return new INDArray[] {softmax.sub(onehot).muli(scale), null};
  }
}
