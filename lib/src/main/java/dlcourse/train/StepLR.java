package dlcourse.train;

import dlcourse.util.Check;

/** Multiplies the rate by {@code gamma} every {@code stepSize} steps: {@code base * gamma^(t / stepSize)}, as {@code torch.optim.lr_scheduler.StepLR}. */
public class StepLR extends LRScheduler {
  private final int stepSize;
  private double gamma = 0.1;

  public StepLR(Optimizer<?> optimizer, int stepSize) {
    super(optimizer);
    Check.positive(stepSize, "stepSize");
    this.stepSize = stepSize;
    apply();
  }

  public StepLR(double baseLr, int stepSize) {
    super(baseLr);
    Check.positive(stepSize, "stepSize");
    this.stepSize = stepSize;
  }

  /** Factor applied every {@code stepSize} steps; default 0.1. */
  public StepLR gamma(double gamma) {
    Check.nonNegative(gamma, "gamma");
    this.gamma = gamma;
    apply();
    return this;
  }

  public double gamma() {
    return gamma;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    return baseLr() * Math.pow(gamma, t / stepSize);
  }
}
