package dlcourse.train;

import java.util.List;

/**
 * Runs schedules one after another, switching at the milestones, as {@code torch.optim.lr_scheduler.SequentialLR}:
 * between milestones {@code m[i-1]} and {@code m[i]} the rate is {@code schedules[i].lr(t - m[i-1])}.
 *
 * <pre>{@code
 * var warm = new LinearLR(opt).startFactor(0.1).totalIters(5);
 * var sched = new SequentialLR(opt, List.of(warm, new CosineAnnealingLR(opt, 95)), 5);
 * }</pre>
 */
public class SequentialLR extends LRScheduler {
  private final List<LRScheduler> schedules;
  private final int[] milestones;

  public SequentialLR(Optimizer<?> optimizer, List<LRScheduler> schedules, int... milestones) {
    super(optimizer);
    this.schedules = List.copyOf(schedules);
    this.milestones = milestones.clone();
    check();
    apply();
  }

  public SequentialLR(double baseLr, List<LRScheduler> schedules, int... milestones) {
    super(baseLr);
    this.schedules = List.copyOf(schedules);
    this.milestones = milestones.clone();
    check();
  }

  private void check() {
    if (schedules.size() != milestones.length + 1) {
      throw new IllegalArgumentException(
          "SequentialLR needs one more schedule than milestones, got "
              + schedules.size()
              + " schedules and "
              + milestones.length
              + " milestones");
    }
    for (int i = 0; i < milestones.length; i++) {
      if (milestones[i] <= 0 || (i > 0 && milestones[i] <= milestones[i - 1])) {
        throw new IllegalArgumentException(
            "milestones must be positive and increasing, got " + java.util.Arrays.toString(milestones));
      }
    }
  }

  @Override
  public double lr(int t) {
    checkT(t);
    int i = 0;
    while (i < milestones.length && t >= milestones[i]) {
      i++;
    }
    return schedules.get(i).lr(i == 0 ? t : t - milestones[i - 1]);
  }
}
