package dlcourse.nn;

import dlcourse.tensor.Tensor;

/**
 * exp(x_i) / sum_j exp(x_j) along {@code dim}: probabilities that sum to 1.
 *
 * <h2>Shape</h2> Any; the output has the input's shape. Example: {@code new Softmax(1)} over the classes of (N, C).
 */
public class Softmax extends Module {
  private final int dim;

  /** @param dim the dimension to normalise over (negative counts from the end); PyTorch requires it too */
  public Softmax(int dim) {
    this.dim = dim;
  }

  public int dim() {
    return dim;
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.softmax(x, dim);
  }

  @Override
  protected String extraRepr() {
    return "dim=" + dim;
  }
}
