package dlcourse.nn;

import dlcourse.tensor.Tensor;

/**
 * Gaussian error linear unit, {@code x * Phi(x)} with Phi the standard normal CDF.
 *
 * <p>{@code new GELU()} is exact (erf); {@code new GELU("tanh")} is the approximation
 * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))} used by GPT-2, as PyTorch's {@code approximate="tanh"}.
 *
 * <h2>Shape</h2> Any; the output has the input's shape.
 */
public class GELU extends Module {
  private final String approximate;

  public GELU() {
    this("none");
  }

  /** @param approximate "none" (exact, default) or "tanh" */
  public GELU(String approximate) {
    if (!approximate.equals("none") && !approximate.equals("tanh")) {
      throw new IllegalArgumentException("approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
    }
    this.approximate = approximate;
  }

  public String approximate() {
    return approximate;
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.gelu(x, approximate);
  }

  @Override
  protected String extraRepr() {
    return approximate.equals("none") ? "" : "approximate=" + approximate;
  }
}
