package dlcourse.train.bench;

import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fixed cost per op: {@value #CHAIN} adds on (4, 4) float tensors ({@code y = x; y = y + c} repeated), then a
 * sum and the backward pass, so that the time is almost all per-op overhead, not arithmetic. Ours runs on the
 * eager {@link Tensor} API; PyTorch's side is {@code op_cost_step} in {@code torch_models.py}.
 */
final class OpCost implements Bench.Side {
  /** Adds per step. */
  static final int CHAIN = 100;

  private final Tensor x;
  private final Tensor c;

  private OpCost(long seed) {
    Nd4j.getRandom().setSeed(seed);
    x = Tensor.of(Nd4j.randn(DataType.FLOAT, 4, 4)).requiresGrad(true);
    c = Tensor.of(Nd4j.randn(DataType.FLOAT, 4, 4));
  }

  /** Our side. */
  static Bench.Side create(long seed) {
    return new OpCost(seed);
  }

  /** One step: the chain of adds, a sum and backward; the gradient is cleared first, as PyTorch's side does. */
  Tensor run() {
    x.zeroGrad();
    Tensor y = x;
    for (int i = 0; i < CHAIN; i++) {
      y = y.add(c);
    }
    y.sum().backward();
    return x.grad();
  }

  @Override
  public double step() {
    long t0 = System.nanoTime();
    run();
    return (System.nanoTime() - t0) / 1e6;
  }

  @Override
  public String engine() {
    return "eager";
  }
}
