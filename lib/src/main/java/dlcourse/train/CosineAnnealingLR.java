package dlcourse.train;

import dlcourse.util.Check;

/**
 * Cosine annealing from the base rate down to {@code etaMin} over {@code tMax} steps, as
 * {@code torch.optim.lr_scheduler.CosineAnnealingLR}:
 * {@code etaMin + (base - etaMin) * (1 + cos(pi * t / tMax)) / 2}.
 *
 * <p>As in PyTorch the curve goes on past {@code tMax} (rising again), so set {@code tMax} to the length of the
 * run.
 */
public class CosineAnnealingLR extends LRScheduler {
  private final int tMax;
  private double etaMin;

  public CosineAnnealingLR(Optimizer<?> optimizer, int tMax) {
    super(optimizer);
    Check.positive(tMax, "tMax");
    this.tMax = tMax;
    apply();
  }

  public CosineAnnealingLR(double baseLr, int tMax) {
    super(baseLr);
    Check.positive(tMax, "tMax");
    this.tMax = tMax;
  }

  /** The lowest rate, reached at {@code t == tMax}; default 0. */
  public CosineAnnealingLR etaMin(double etaMin) {
    Check.nonNegative(etaMin, "etaMin");
    this.etaMin = etaMin;
    apply();
    return this;
  }

  public double etaMin() {
    return etaMin;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    return etaMin + (baseLr() - etaMin) * (1 + Math.cos(Math.PI * t / tMax)) / 2;
  }
}
