package dlcourse.train;

import dlcourse.util.Check;

/**
 * Polynomial decay to zero over {@code totalIters} steps, as {@code torch.optim.lr_scheduler.PolynomialLR}:
 * {@code base * (1 - min(t, totalIters) / totalIters)^power}.
 */
public class PolynomialLR extends LRScheduler {
  private final int totalIters;
  private double power = 1.0;

  public PolynomialLR(Optimizer<?> optimizer, int totalIters) {
    super(optimizer);
    Check.positive(totalIters, "totalIters");
    this.totalIters = totalIters;
    apply();
  }

  public PolynomialLR(double baseLr, int totalIters) {
    super(baseLr);
    Check.positive(totalIters, "totalIters");
    this.totalIters = totalIters;
  }

  /** Exponent of the decay; default 1 (linear). */
  public PolynomialLR power(double power) {
    Check.nonNegative(power, "power");
    this.power = power;
    apply();
    return this;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    return baseLr() * Math.pow(1.0 - (double) Math.min(t, totalIters) / totalIters, power);
  }
}
