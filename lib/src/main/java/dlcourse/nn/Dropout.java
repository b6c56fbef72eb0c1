package dlcourse.nn;

import dlcourse.tensor.Tensor;

import dlcourse.util.Check;

/**
 * During training, zeroes each element with probability {@code p} and scales the others by 1 / (1 - p), so the
 * expected value is unchanged (inverted dropout, as PyTorch); in evaluation mode it is the identity.
 *
 * <p>Each training step draws a new mask from ND4J's global generator, so {@link Init#manualSeed} makes runs
 * reproducible.
 *
 * <h2>Shape</h2> Any; the output has the input's shape. Example: {@code new Dropout(0.3)}.
 */
public class Dropout extends Module {
  private final double p;

  /** Dropout with PyTorch's default p = 0.5. */
  public Dropout() {
    this(0.5);
  }

  /** @param p probability of zeroing an element, in [0, 1] */
  public Dropout(double p) {
    this.p = Check.probability(p, "p");
  }

  public double p() {
    return p;
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.dropout(x, p, training());
  }

  @Override
  protected String extraRepr() {
    return "p=" + p;
  }
}
