package dlcourse.train;

import dlcourse.util.Check;

/** Multiplies the rate by {@code gamma} every step: {@code base * gamma^t}, as {@code torch.optim.lr_scheduler.ExponentialLR}. */
public class ExponentialLR extends LRScheduler {
  private final double gamma;

  public ExponentialLR(Optimizer<?> optimizer, double gamma) {
    super(optimizer);
    Check.nonNegative(gamma, "gamma");
    this.gamma = gamma;
    apply();
  }

  public ExponentialLR(double baseLr, double gamma) {
    super(baseLr);
    Check.nonNegative(gamma, "gamma");
    this.gamma = gamma;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    return baseLr() * Math.pow(gamma, t);
  }
}
