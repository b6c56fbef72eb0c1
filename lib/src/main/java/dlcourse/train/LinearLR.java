package dlcourse.train;

import dlcourse.util.Check;

/**
 * Changes the rate linearly from {@code startFactor * base} to {@code endFactor * base} over {@code totalIters}
 * steps, then holds it, as {@code torch.optim.lr_scheduler.LinearLR}. Defaults as PyTorch: startFactor 1/3,
 * endFactor 1, totalIters 5.
 */
public class LinearLR extends LRScheduler {
  private double startFactor = 1.0 / 3;
  private double endFactor = 1.0;
  private int totalIters = 5;

  public LinearLR(Optimizer<?> optimizer) {
    super(optimizer);
    apply();
  }

  public LinearLR(double baseLr) {
    super(baseLr);
  }

  /** Factor at step 0, in (0, 1]. */
  public LinearLR startFactor(double f) {
    if (!(f > 0 && f <= 1)) {
      throw new IllegalArgumentException("startFactor must be in (0, 1], got " + f);
    }
    startFactor = f;
    apply();
    return this;
  }

  /** Factor from step {@code totalIters} on, in [0, 1]. */
  public LinearLR endFactor(double f) {
    Check.inRange(f, 0, 1, "endFactor");
    endFactor = f;
    apply();
    return this;
  }

  /** Number of steps of the ramp. */
  public LinearLR totalIters(int n) {
    Check.positive(n, "totalIters");
    totalIters = n;
    apply();
    return this;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    double frac = (double) Math.min(t, totalIters) / totalIters;
    return baseLr() * (startFactor + (endFactor - startFactor) * frac);
  }
}
