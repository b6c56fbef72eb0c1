package dlcourse.train;

import dlcourse.util.Check;
import java.util.Arrays;

/** Multiplies the rate by {@code gamma} at each milestone, as {@code torch.optim.lr_scheduler.MultiStepLR}. */
public class MultiStepLR extends LRScheduler {
  private final int[] milestones;
  private double gamma = 0.1;

  public MultiStepLR(Optimizer<?> optimizer, int... milestones) {
    super(optimizer);
    this.milestones = checked(milestones);
    apply();
  }

  public MultiStepLR(double baseLr, int... milestones) {
    super(baseLr);
    this.milestones = checked(milestones);
  }

  private static int[] checked(int[] milestones) {
    int[] m = milestones.clone();
    Arrays.sort(m);
    for (int x : m) {
      Check.positive(x, "milestone");
    }
    return m;
  }

  /** Factor applied at each milestone; default 0.1. */
  public MultiStepLR gamma(double gamma) {
    Check.nonNegative(gamma, "gamma");
    this.gamma = gamma;
    apply();
    return this;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    int passed = 0;
    for (int m : milestones) {
      if (t >= m) {
        passed++;
      }
    }
    return baseLr() * Math.pow(gamma, passed);
  }
}
