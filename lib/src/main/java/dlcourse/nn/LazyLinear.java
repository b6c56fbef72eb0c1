package dlcourse.nn;

import dlcourse.util.Check;
import dlcourse.tensor.Tensor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link Linear} layer whose input size comes from the first input it sees, like {@code torch.nn.LazyLinear}: a
 * network can end in {@code new LazyLinear(10)} after a {@code Flatten} without computing {@code 576} by hand.
 *
 * <p>The weight {@code (outFeatures, inFeatures)} and bias are created on the first {@link #forward} (or
 * {@link Module#summary}) and initialised as {@link Linear} does, from {@link Init}'s generator. Until then the
 * layer has no parameters to give an optimizer: run one batch or {@code summary} before building the optimizer, as
 * in PyTorch.
 *
 * <h2>Shape</h2>
 * Input {@code (*, inFeatures)} (fixed by the first call), output {@code (*, outFeatures)}.
 */
public class LazyLinear extends Module {
  private final long outFeatures;
  private final boolean withBias;
  private Parameter weight;
  private Parameter bias;

  public LazyLinear(long outFeatures) {
    this(outFeatures, true);
  }

  public LazyLinear(long outFeatures, boolean bias) {
    this.outFeatures = Check.positive(outFeatures, "outFeatures");
    this.withBias = bias;
  }

  /** Whether the input size is known yet (after the first call). */
  public boolean initialized() {
    return weight != null;
  }

  /** The weight, or null before the first call. */
  public Parameter weight() {
    return weight;
  }

  /** The bias, or null before the first call or without bias. */
  public Parameter bias() {
    return bias;
  }

  @Override
  public void resetParameters() {
    if (weight != null) {
      Init.kaimingUniform(weight.data(), Math.sqrt(5));
      if (bias != null) {
        Init.biasUniform(bias.data(), weight.size(1));
      }
    }
  }

  @Override
  public Tensor forward(Tensor x) {
    if (weight == null) {
      if (x.dim() < 1) {
        throw new IllegalArgumentException("expected input (*, inFeatures), got a scalar");
      }
      weight = addParameter("weight", Nd4j.create(x.dtype(), outFeatures, x.size(-1)));
      if (withBias) {
        bias = addParameter("bias", Nd4j.create(x.dtype(), outFeatures));
      }
      resetParameters();
    }
    return F.linear(x, weight, bias);
  }

  @Override
  protected String extraRepr() {
    return "inFeatures=" + (weight == null ? "?" : String.valueOf(weight.size(1))) + ", outFeatures=" + outFeatures
        + (withBias ? "" : ", bias=false");
  }
}
