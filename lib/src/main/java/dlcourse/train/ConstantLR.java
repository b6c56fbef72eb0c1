package dlcourse.train;

import dlcourse.util.Check;

/**
 * Scales the rate by {@code factor} for the first {@code totalIters} steps, then uses the base rate, as
 * {@code torch.optim.lr_scheduler.ConstantLR}. Defaults as PyTorch: factor 1/3, totalIters 5. With factor 1 it
 * is the constant schedule.
 */
public class ConstantLR extends LRScheduler {
  private double factor = 1.0 / 3;
  private int totalIters = 5;

  public ConstantLR(Optimizer<?> optimizer) {
    super(optimizer);
    apply();
  }

  public ConstantLR(double baseLr) {
    super(baseLr);
  }

  /** Factor for the first steps, in [0, 1]. */
  public ConstantLR factor(double factor) {
    Check.inRange(factor, 0, 1, "factor");
    this.factor = factor;
    apply();
    return this;
  }

  public ConstantLR totalIters(int n) {
    Check.nonNegative(n, "totalIters");
    totalIters = n;
    apply();
    return this;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    return t < totalIters ? baseLr() * factor : baseLr();
  }
}
