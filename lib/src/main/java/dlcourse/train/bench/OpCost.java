package dlcourse.train.bench;

/**
 * The fixed cost per op: {@value #CHAIN} adds on (4, 4) float tensors ({@code y = x; y = y + c} repeated), then a
 * sum and the backward pass, so that the time is almost all per-op overhead, not arithmetic. PyTorch's side is
 * {@code op_cost_step} in {@code torch_models.py}.
 */
final class OpCost {
  /** Adds per step. */
  static final int CHAIN = 100;

  private OpCost() {}

  /** Our side, or null while the library has no eager tensor API to write it with. */
  static Bench.Side create(long seed) {
    return null;
  }

  /** Why {@link #create} returned null. */
  static String unavailable() {
    return "not measured: the eager tensor API dlcourse.tensor.Tensor is not on this branch yet";
  }
}
