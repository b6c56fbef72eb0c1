package dlcourse.train;

import java.util.function.IntToDoubleFunction;

/** The base rate times a factor given by a function of the step, as {@code torch.optim.lr_scheduler.LambdaLR}. */
public class LambdaLR extends LRScheduler {
  private final IntToDoubleFunction factor;

  public LambdaLR(Optimizer<?> optimizer, IntToDoubleFunction factor) {
    super(optimizer);
    this.factor = factor;
    apply();
  }

  public LambdaLR(double baseLr, IntToDoubleFunction factor) {
    super(baseLr);
    this.factor = factor;
  }

  @Override
  public double lr(int t) {
    checkT(t);
    return baseLr() * factor.applyAsDouble(t);
  }
}
