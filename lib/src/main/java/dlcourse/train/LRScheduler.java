package dlcourse.train;

import dlcourse.util.Check;

/**
 * A learning-rate schedule, like {@code torch.optim.lr_scheduler}: {@link #lr(int)} is a pure function of the
 * number of {@link #step()} calls so far, and each {@code step()} writes the next rate into the optimizer.
 *
 * <p>A schedule built from an optimizer starts from the optimizer's learning rate at the time the first schedule
 * was attached (PyTorch's {@code initial_lr}) and sets the optimizer's rate to {@code lr(0)} right away. A
 * schedule built from a plain base rate drives nothing and is for plotting:
 *
 * <pre>{@code
 * var sched = new CosineAnnealingLR(opt, epochs);      // call sched.step() once per epoch
 * double[] curve = new CosineAnnealingLR(0.1, 50).lrs(50);
 * }</pre>
 *
 * <p>Whether the trainer steps it once per epoch (PyTorch's usual convention, the default) or once per batch is
 * recorded by {@link #interval(Interval)}; the schedule itself only counts calls.
 */
public abstract class LRScheduler {
  /** When a trainer calls {@link #step()}. */
  public enum Interval {
    /** After every optimizer step (batch). */
    STEP,
    /** After every epoch. */
    EPOCH
  }

  private final double baseLr;
  private final Optimizer<?> optimizer;
  private int t;
  private Interval interval = Interval.EPOCH;

  /** A schedule that drives {@code optimizer}. */
  protected LRScheduler(Optimizer<?> optimizer) {
    if (optimizer == null) {
      throw new IllegalArgumentException("optimizer must not be null");
    }
    this.optimizer = optimizer;
    this.baseLr = optimizer.initialLr();
  }

  /** A schedule that drives nothing, for plotting and for composition. */
  protected LRScheduler(double baseLr) {
    Check.nonNegative(baseLr, "baseLr");
    this.optimizer = null;
    this.baseLr = baseLr;
  }

  /** The rate the schedule starts from. */
  public double baseLr() {
    return baseLr;
  }

  /**
   * The learning rate after {@code t} calls to {@link #step()}; a pure function.
   *
   * @param t number of steps taken, {@code >= 0}
   */
  public abstract double lr(int t);

  /** The first {@code n} rates {@code lr(0) .. lr(n - 1)}, for plotting. */
  public double[] lrs(int n) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = lr(i);
    }
    return out;
  }

  /** Advances the schedule by one and sets the optimizer's rate to {@code lr(t)}. */
  public void step() {
    t++;
    apply();
  }

  /** How many times {@link #step()} was called. */
  public int t() {
    return t;
  }

  /** The current rate {@code lr(t())}. */
  public double lastLr() {
    return lr(t);
  }

  /** The optimizer driven, or null for a schedule built from a base rate. */
  public Optimizer<?> optimizer() {
    return optimizer;
  }

  public Interval interval() {
    return interval;
  }

  /** Records whether the trainer should step this schedule per batch or per epoch; default EPOCH. */
  public LRScheduler interval(Interval interval) {
    this.interval = interval;
    return this;
  }

  /** Writes {@code lr(t())} into the optimizer; subclasses call it after their constructor and setters. */
  protected final void apply() {
    if (optimizer != null) {
      optimizer.lr(lr(t));
    }
  }

  static void checkT(int t) {
    Check.nonNegative(t, "t");
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(baseLr=" + baseLr + ", t=" + t + ")";
  }
}
