package dlcourse.nn;

import dlcourse.tensor.Tensor;

import dlcourse.util.Check;
import dlcourse.tensor.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Root-mean-square normalisation: {@code y = x / sqrt(mean(x^2) + eps) * weight} over the last dimensions (those
 * of {@code normalizedShape}); no centring, no bias. Same in training and evaluation.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (*, normalizedShape)}; output the same</li>
 *   <li>weight: {@code normalizedShape}, ones</li>
 * </ul>
 * eps: PyTorch's default {@code eps=None} means the machine epsilon of the input type (1.19e-7 for float32,
 * 2.22e-16 for float64); that is the default here too, and {@link #eps(double)} sets a fixed value (1e-6 and 1e-5
 * are common in papers). Example: {@code new RMSNorm(384)}.
 */
public class RMSNorm extends Module {
  private final long[] normalizedShape;
  private Double eps;
  private Parameter weight;

  public RMSNorm(long... normalizedShape) {
    this.normalizedShape = NormalizedShape.check(normalizedShape);
    weight = addParameter("weight", Nd4j.create(DataType.FLOAT, normalizedShape));
    resetParameters();
  }

  public RMSNorm eps(double eps) {
    Check.nonNegative(eps, "eps");
    this.eps = eps;
    return this;
  }

  /** With {@code false}, no weight (default true). */
  public RMSNorm elementwiseAffine(boolean affine) {
    if (!affine && weight != null) {
      weight = null;
      removeParameter("weight");
    }
    return this;
  }

  @Override
  public void resetParameters() {
    if (weight != null) {
      weight.data().assign(1);
    }
  }

  /** The eps used for inputs of {@code type}: the one set, else the type's machine epsilon. */
  public double eps(DataType type) {
    if (eps != null) {
      return eps;
    }
    return type == DataType.DOUBLE ? Math.ulp(1.0) : type == DataType.FLOAT ? Math.ulp(1.0f) : 9.765625e-4;
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.rmsNorm(x, NormalizedShape.match(x.shape(), normalizedShape), weight, eps(x.dtype()));
  }

  public long[] normalizedShape() {
    return normalizedShape.clone();
  }

  public Parameter weight() {
    return weight;
  }

  @Override
  protected String extraRepr() {
    return Shapes.str(normalizedShape) + (eps != null ? ", eps=" + eps : "")
        + (weight == null ? ", elementwiseAffine=false" : "");
  }
}
