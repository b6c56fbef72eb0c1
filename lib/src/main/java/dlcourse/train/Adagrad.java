package dlcourse.train;

import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adagrad, exactly as {@code torch.optim.Adagrad}:
 *
 * <pre>
 * g = grad + weightDecay * p
 * clr = lr / (1 + (t - 1) * lrDecay)
 * sum = sum + g * g          (sum starts at initialAccumulatorValue)
 * p = p - clr * g / (sqrt(sum) + eps)
 * </pre>
 *
 * <p>Defaults as PyTorch: lr 0.01, lrDecay 0, weight decay 0, initialAccumulatorValue 0, eps 1e-10.
 */
public class Adagrad extends Optimizer<Adagrad> {
  private double lrDecay;
  private double initialAccumulatorValue;
  private double eps = 1e-10;

  public Adagrad(List<Parameter> params, double lr) {
    super(params, lr, 0.0);
  }

  /** Adagrad with PyTorch's default learning rate 0.01. */
  public Adagrad(List<Parameter> params) {
    this(params, 0.01);
  }

  public double lrDecay() {
    return lrDecay;
  }

  /** Learning-rate decay per step; default 0. */
  public Adagrad lrDecay(double lrDecay) {
    Check.nonNegative(lrDecay, "lrDecay");
    this.lrDecay = lrDecay;
    return this;
  }

  public double initialAccumulatorValue() {
    return initialAccumulatorValue;
  }

  /** Starting value of the sum of squared gradients; default 0 (takes effect for parameters not yet stepped). */
  public Adagrad initialAccumulatorValue(double value) {
    Check.nonNegative(value, "initialAccumulatorValue");
    this.initialAccumulatorValue = value;
    return this;
  }

  public double eps() {
    return eps;
  }

  /** Term added to the denominator; default 1e-10. */
  public Adagrad eps(double eps) {
    Check.nonNegative(eps, "eps");
    this.eps = eps;
    return this;
  }

  @Override
  protected void update(INDArray p, INDArray grad, double weightDecay, State s) {
    INDArray g = effectiveGrad(p, grad, weightDecay, s);
    INDArray sum = s.buffer("sum", p, initialAccumulatorValue);
    INDArray tmp = s.scratch("tmp", p);
    double clr = lr() / (1 + (s.step() - 1) * lrDecay);
    g.mul(g, tmp);
    sum.addi(tmp);
    Nd4j.exec(new Sqrt(sum, tmp));
    tmp.addi(eps);
    g.div(tmp, tmp);
    axpy(-clr, tmp, p);
  }

  @Override
  public String toString() {
    return "Adagrad(lr=" + lr() + ", lrDecay=" + lrDecay + ", eps=" + eps + ", weightDecay=" + weightDecay() + ")";
  }
}
