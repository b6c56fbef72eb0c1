package dlcourse.nn;

import dlcourse.tensor.Tensor;

import dlcourse.util.Check;
import dlcourse.tensor.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Layer normalisation: each sample is normalised over its last dimensions (those of {@code normalizedShape}),
 * {@code y = (x - mean) / sqrt(var + eps) * weight + bias} with the biased variance. Same in training and
 * evaluation.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (*, normalizedShape)}; output the same</li>
 *   <li>weight: {@code normalizedShape}, ones; bias: {@code normalizedShape}, zeros (as PyTorch)</li>
 * </ul>
 * Defaults: eps 1e-5, elementwise affine, bias. Example: {@code new LayerNorm(384)}.
 */
public class LayerNorm extends Module {
  private final long[] normalizedShape;
  private double eps = 1e-5;
  private Parameter weight;
  private Parameter bias;

  public LayerNorm(long... normalizedShape) {
    this.normalizedShape = NormalizedShape.check(normalizedShape);
    weight = addParameter("weight", Nd4j.create(DataType.FLOAT, normalizedShape));
    bias = addParameter("bias", Nd4j.create(DataType.FLOAT, normalizedShape));
    resetParameters();
  }

  public LayerNorm eps(double eps) {
    Check.nonNegative(eps, "eps");
    this.eps = eps;
    return this;
  }

  /** With {@code false}, no weight and no bias (default true). */
  public LayerNorm elementwiseAffine(boolean affine) {
    if (!affine && weight != null) {
      weight = null;
      removeParameter("weight");
      bias(false);
    }
    return this;
  }

  /** With {@code false}, no bias (default true). */
  public LayerNorm bias(boolean enabled) {
    if (!enabled && bias != null) {
      bias = null;
      removeParameter("bias");
    }
    return this;
  }

  @Override
  public void resetParameters() {
    if (weight != null) {
      weight.data().assign(1);
    }
    if (bias != null) {
      bias.data().assign(0);
    }
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.layerNorm(x, NormalizedShape.match(x.shape(), normalizedShape), weight, bias, eps);
  }

  public long[] normalizedShape() {
    return normalizedShape.clone();
  }

  public double eps() {
    return eps;
  }

  public Parameter weight() {
    return weight;
  }

  public Parameter bias() {
    return bias;
  }

  @Override
  protected String extraRepr() {
    return Shapes.str(normalizedShape) + (eps != 1e-5 ? ", eps=" + eps : "")
        + (weight == null ? ", elementwiseAffine=false" : bias == null ? ", bias=false" : "");
  }
}
