package dlcourse.nn;

import dlcourse.tensor.Tensor;

import dlcourse.util.Check;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Affine map {@code y = x W^T + b}.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (*, inFeatures)}</li>
 *   <li>Output: {@code (*, outFeatures)}</li>
 *   <li>weight: {@code (outFeatures, inFeatures)}, bias: {@code (outFeatures)}, both U(-1/sqrt(in), 1/sqrt(in))
 *       as in PyTorch.</li>
 * </ul>
 * Example: {@code new Linear(576, 10)}.
 */
public class Linear extends Module {
  private final long inFeatures;
  private final long outFeatures;
  private final Parameter weight;
  private Parameter bias;

  public Linear(long inFeatures, long outFeatures) {
    this.inFeatures = Check.positive(inFeatures, "inFeatures");
    this.outFeatures = Check.positive(outFeatures, "outFeatures");
    weight = addParameter("weight", Nd4j.create(DataType.FLOAT, outFeatures, inFeatures));
    bias = addParameter("bias", Nd4j.create(DataType.FLOAT, outFeatures));
    resetParameters();
  }

  /** With {@code false}, the layer has no bias (default true). */
  public Linear bias(boolean enabled) {
    if (!enabled && bias != null) {
      bias = null;
      removeParameter("bias");
    }
    return this;
  }

  @Override
  public void resetParameters() {
    Init.kaimingUniform(weight.data(), Math.sqrt(5));
    if (bias != null) {
      Init.biasUniform(bias.data(), inFeatures);
    }
  }

  public Parameter weight() {
    return weight;
  }

  public Parameter bias() {
    return bias;
  }

  public long inFeatures() {
    return inFeatures;
  }

  public long outFeatures() {
    return outFeatures;
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.linear(x, weight, bias);
  }

  @Override
  protected String extraRepr() {
    return "inFeatures=" + inFeatures + ", outFeatures=" + outFeatures + (bias == null ? ", bias=false" : "");
  }
}
