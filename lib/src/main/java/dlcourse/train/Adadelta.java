package dlcourse.train;

import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adadelta, exactly as {@code torch.optim.Adadelta}:
 *
 * <pre>
 * g = grad + weightDecay * p
 * sq = rho * sq + (1 - rho) * g * g
 * delta = sqrt(acc + eps) / sqrt(sq + eps) * g
 * acc = rho * acc + (1 - rho) * delta * delta
 * p = p - lr * delta
 * </pre>
 *
 * <p>Defaults as PyTorch: lr 1.0, rho 0.9, eps 1e-6, weight decay 0.
 */
public class Adadelta extends Optimizer<Adadelta> {
  private double rho = 0.9;
  private double eps = 1e-6;

  public Adadelta(List<Parameter> params, double lr) {
    super(params, lr, 0.0);
  }

  /** Adadelta with PyTorch's default learning rate 1.0. */
  public Adadelta(List<Parameter> params) {
    this(params, 1.0);
  }

  public double rho() {
    return rho;
  }

  /** Decay rate of the running averages, in [0, 1]; default 0.9. */
  public Adadelta rho(double rho) {
    Check.inRange(rho, 0, 1, "rho");
    this.rho = rho;
    return this;
  }

  public double eps() {
    return eps;
  }

  /** Term added inside the square roots; default 1e-6. */
  public Adadelta eps(double eps) {
    Check.nonNegative(eps, "eps");
    this.eps = eps;
    return this;
  }

  @Override
  protected void update(INDArray p, INDArray grad, double weightDecay, State s) {
    INDArray g = effectiveGrad(p, grad, weightDecay, s);
    INDArray sq = s.buffer("square_avg", p);
    INDArray acc = s.buffer("acc_delta", p);
    INDArray std = s.scratch("std", p);
    INDArray delta = s.scratch("delta", p);
    g.mul(g, std);
    sq.muli(rho);
    axpy(1 - rho, std, sq);
    Nd4j.exec(new Sqrt(sq.add(eps, std), std));
    Nd4j.exec(new Sqrt(acc.add(eps, delta), delta));
    delta.divi(std).muli(g);
    delta.mul(delta, std);
    acc.muli(rho);
    axpy(1 - rho, std, acc);
    axpy(-lr(), delta, p);
  }

  @Override
  public String toString() {
    return "Adadelta(lr=" + lr() + ", rho=" + rho + ", eps=" + eps + ", weightDecay=" + weightDecay() + ")";
  }
}
