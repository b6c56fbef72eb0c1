package dlcourse.train;

import dlcourse.util.Check;

/**
 * Linear warm-up, then another schedule, as in nanoGPT's {@code get_lr}: for {@code t < warmup} the rate is
 * {@code base * (t + 1) / (warmup + 1)} (never zero, so the first step trains), then {@code after.lr(t - warmup)}.
 *
 * <pre>{@code
 * // nanoGPT: warm-up of 100 steps, then cosine down to lr/10 by step 5000
 * var sched = new WarmupLR(opt, 100, new CosineAnnealingLR(opt, 4900).etaMin(6e-5)).interval(Interval.STEP);
 * }</pre>
 */
public class WarmupLR extends LRScheduler {
  private final int warmup;
  private final LRScheduler after;

  public WarmupLR(Optimizer<?> optimizer, int warmup, LRScheduler after) {
    super(optimizer);
    this.warmup = checkWarmup(warmup);
    this.after = checkAfter(after);
    apply();
  }

  public WarmupLR(double baseLr, int warmup, LRScheduler after) {
    super(baseLr);
    this.warmup = checkWarmup(warmup);
    this.after = checkAfter(after);
  }

  private static int checkWarmup(int warmup) {
    Check.nonNegative(warmup, "warmup");
    return warmup;
  }

  private static LRScheduler checkAfter(LRScheduler after) {
    if (after == null) {
      throw new IllegalArgumentException("after must not be null");
    }
    return after;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    return t < warmup ? baseLr() * (t + 1) / (warmup + 1) : after.lr(t - warmup);
  }
}
