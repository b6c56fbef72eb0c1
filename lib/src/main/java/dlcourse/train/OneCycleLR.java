package dlcourse.train;

import dlcourse.util.Check;

/**
 * The one-cycle policy of {@code torch.optim.lr_scheduler.OneCycleLR}: the rate rises from
 * {@code maxLr / divFactor} to {@code maxLr} over the first {@code pctStart} of {@code totalSteps}, then anneals to
 * {@code maxLr / divFactor / finalDivFactor} at the last step. With {@link #threePhase(boolean)} it comes back down
 * to the start rate symmetrically before the final annealing (fast.ai's version).
 *
 * <p>Only the learning rate is cycled (PyTorch's {@code cycle_momentum=False}). Like PyTorch it is stepped once per
 * batch: its {@link #interval()} is {@code STEP}, and {@code totalSteps} is epochs x batches per epoch.
 *
 * <pre>{@code
 * var sched = new OneCycleLR(opt, 0.1, epochs * loader.size());   // trainer.scheduler(sched) steps it per batch
 * }</pre>
 */
public class OneCycleLR extends LRScheduler {
  /** How the rate moves within a phase. */
  public enum Anneal {
    /** {@code end + (start - end) (1 + cos(pi p)) / 2}, PyTorch's default {@code "cos"}. */
    COS,
    /** {@code start + (end - start) p}. */
    LINEAR
  }

  private final double maxLr;
  private final int totalSteps;
  private double pctStart = 0.3;
  private double divFactor = 25;
  private double finalDivFactor = 1e4;
  private Anneal anneal = Anneal.COS;
  private boolean threePhase;

  /** A schedule that drives {@code optimizer}, whose own rate it replaces (PyTorch's {@code max_lr / div_factor}). */
  public OneCycleLR(Optimizer<?> optimizer, double maxLr, int totalSteps) {
    super(optimizer);
    this.maxLr = checkMax(maxLr);
    this.totalSteps = checkTotal(totalSteps);
    interval(Interval.STEP);
    apply();
  }

  /** A schedule for plotting. */
  public OneCycleLR(double maxLr, int totalSteps) {
    super(maxLr);
    this.maxLr = checkMax(maxLr);
    this.totalSteps = checkTotal(totalSteps);
    interval(Interval.STEP);
  }

  private static double checkMax(double maxLr) {
    Check.positive(maxLr, "maxLr");
    return maxLr;
  }

  private static int checkTotal(int totalSteps) {
    Check.positive(totalSteps, "totalSteps");
    return totalSteps;
  }

  /** The fraction of the steps spent rising; default 0.3. */
  public OneCycleLR pctStart(double pctStart) {
    if (!(pctStart > 0 && pctStart < 1)) {
      throw new IllegalArgumentException("pctStart must be in (0, 1), got " + pctStart);
    }
    this.pctStart = pctStart;
    apply();
    return this;
  }

  /** The start rate is {@code maxLr / divFactor}; default 25. */
  public OneCycleLR divFactor(double divFactor) {
    Check.positive(divFactor, "divFactor");
    this.divFactor = divFactor;
    apply();
    return this;
  }

  /** The final rate is the start rate / {@code finalDivFactor}; default 1e4. */
  public OneCycleLR finalDivFactor(double finalDivFactor) {
    Check.positive(finalDivFactor, "finalDivFactor");
    this.finalDivFactor = finalDivFactor;
    apply();
    return this;
  }

  public OneCycleLR anneal(Anneal anneal) {
    if (anneal == null) {
      throw new IllegalArgumentException("anneal must not be null");
    }
    this.anneal = anneal;
    apply();
    return this;
  }

  public OneCycleLR threePhase(boolean threePhase) {
    this.threePhase = threePhase;
    apply();
    return this;
  }

  public double maxLr() {
    return maxLr;
  }

  public int totalSteps() {
    return totalSteps;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    if (t > totalSteps) {
      throw new IllegalArgumentException("OneCycleLR was stepped " + t + " times, past its totalSteps = " + totalSteps
          + "; set totalSteps to epochs x batches per epoch");
    }
    double initial = maxLr / divFactor;
    double min = initial / finalDivFactor;
    // Phase ends (as steps) and their start/end rates, as PyTorch lays them out.
    double[] ends;
    double[][] rates;
    if (threePhase) {
      ends = new double[] {pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, totalSteps - 1};
      rates = new double[][] {{initial, maxLr}, {maxLr, initial}, {initial, min}};
    } else {
      ends = new double[] {pctStart * totalSteps - 1, totalSteps - 1};
      rates = new double[][] {{initial, maxLr}, {maxLr, min}};
    }
    double start = 0;
    for (int i = 0; i < ends.length; i++) {
      if (t <= ends[i] || i == ends.length - 1) {
        // t == totalSteps (the step after the last batch) stays at the final rate; PyTorch extrapolates there.
        double p = Math.min(1, (t - start) / (ends[i] - start));
        return anneal == Anneal.COS
            ? rates[i][1] + (rates[i][0] - rates[i][1]) / 2 * (1 + Math.cos(Math.PI * p))
            : rates[i][0] + (rates[i][1] - rates[i][0]) * p;
      }
      start = ends[i];
    }
    throw new AssertionError("unreachable");
  }
}
