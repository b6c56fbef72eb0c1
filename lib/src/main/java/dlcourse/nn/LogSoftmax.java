package dlcourse.nn;

import dlcourse.tensor.Tensor;

/**
 * log(softmax(x)) along {@code dim}, computed stably; pair it with {@link NLLLoss}.
 *
 * <h2>Shape</h2> Any; the output has the input's shape. Example: {@code new LogSoftmax(1)} over the classes of (N, C).
 */
public class LogSoftmax extends Module {
  private final int dim;

  /** @param dim the dimension to normalise over (negative counts from the end); PyTorch requires it too */
  public LogSoftmax(int dim) {
    this.dim = dim;
  }

  public int dim() {
    return dim;
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.logSoftmax(x, dim);
  }

  @Override
  protected String extraRepr() {
    return "dim=" + dim;
  }
}
