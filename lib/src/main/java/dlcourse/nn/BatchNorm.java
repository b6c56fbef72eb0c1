package dlcourse.nn;

import dlcourse.tensor.Tensor;

import dlcourse.util.Check;
import dlcourse.tensor.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Common part of {@link BatchNorm1d} and {@link BatchNorm2d}: {@code y = (x - mean) / sqrt(var + eps) * weight
 * + bias} per channel (dimension 1).
 *
 * <p>In training mode mean and var are the batch statistics (biased variance), and after each training step the
 * running estimates move towards them: {@code running = (1 - momentum) * running + momentum * batch}, with the
 * unbiased variance, as PyTorch. In evaluation mode the running estimates are used.
 *
 * <p>Parameters: weight {@code (C)} ones and bias {@code (C)} zeros (with {@code affine}); buffers
 * runningMean {@code (C)} zeros and runningVar {@code (C)} ones. Defaults: eps 1e-5, momentum 0.1.
 */
public abstract class BatchNorm extends Module {
  private final long numFeatures;
  private double eps = 1e-5;
  private double momentum = 0.1;
  private Parameter weight;
  private Parameter bias;
  private final Parameter runningMean;
  private final Parameter runningVar;

  protected BatchNorm(long numFeatures) {
    this.numFeatures = Check.positive(numFeatures, "numFeatures");
    weight = addParameter("weight", Nd4j.create(DataType.FLOAT, numFeatures));
    bias = addParameter("bias", Nd4j.create(DataType.FLOAT, numFeatures));
    runningMean = addBuffer("runningMean", Nd4j.create(DataType.FLOAT, numFeatures));
    runningVar = addBuffer("runningVar", Nd4j.create(DataType.FLOAT, numFeatures));
    resetParameters();
  }

  /** Added to the variance for stability; default 1e-5. */
  public BatchNorm eps(double eps) {
    Check.nonNegative(eps, "eps");
    this.eps = eps;
    return this;
  }

  /** Weight of the new batch in the running estimates, in [0, 1]; default 0.1. */
  public BatchNorm momentum(double momentum) {
    this.momentum = Check.probability(momentum, "momentum");
    return this;
  }

  /** With {@code false}, no learnable weight and bias (default true). */
  public BatchNorm affine(boolean affine) {
    if (!affine && weight != null) {
      weight = null;
      bias = null;
      removeParameter("weight");
      removeParameter("bias");
    }
    return this;
  }

  @Override
  public void resetParameters() {
    runningMean.data().assign(0);
    runningVar.data().assign(1);
    if (weight != null) {
      weight.data().assign(1);
      bias.data().assign(0);
    }
  }

  /** Input ranks this variant accepts. */
  protected abstract boolean acceptsRank(int rank);

  protected abstract String expectedShape();

  @Override
  public Tensor forward(Tensor x) {
    checkInput(x);
    return F.batchNorm(x, runningMean, runningVar, weight, bias, training(), momentum, eps);
  }

  /** {@code relu(forward(x))} as one operation ({@link F#batchNormRelu}); used by {@link Sequential}. */
  Tensor forwardRelu(Tensor x) {
    checkInput(x);
    return F.batchNormRelu(x, runningMean, runningVar, weight, bias, training(), momentum, eps);
  }

  private void checkInput(Tensor x) {
    if (!acceptsRank(x.dim()) || x.size(1) != numFeatures) {
      throw new IllegalArgumentException("expected input " + expectedShape() + " with C = " + numFeatures
          + ", got " + Shapes.str(x.shape()));
    }
  }

  public long numFeatures() {
    return numFeatures;
  }

  public double eps() {
    return eps;
  }

  public double momentum() {
    return momentum;
  }

  public Parameter weight() {
    return weight;
  }

  public Parameter bias() {
    return bias;
  }

  public Parameter runningMean() {
    return runningMean;
  }

  public Parameter runningVar() {
    return runningVar;
  }

  @Override
  protected String extraRepr() {
    return numFeatures + (eps != 1e-5 ? ", eps=" + eps : "") + (momentum != 0.1 ? ", momentum=" + momentum : "")
        + (weight == null ? ", affine=false" : "");
  }
}
