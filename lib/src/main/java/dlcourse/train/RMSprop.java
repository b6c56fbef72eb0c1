package dlcourse.train;

import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt;
import org.nd4j.linalg.factory.Nd4j;

/**
 * RMSprop, exactly as {@code torch.optim.RMSprop}:
 *
 * <pre>
 * g = grad + weightDecay * p
 * sq = alpha * sq + (1 - alpha) * g * g
 * centered: ga = alpha * ga + (1 - alpha) * g;  avg = sqrt(sq - ga * ga) + eps
 * else:     avg = sqrt(sq) + eps
 * momentum > 0: b = momentum * b + g / avg;  p = p - lr * b
 * else:         p = p - lr * g / avg
 * </pre>
 *
 * <p>Defaults as PyTorch: lr 0.01, alpha 0.99, eps 1e-8, weight decay 0, momentum 0, not centered.
 */
public class RMSprop extends Optimizer<RMSprop> {
  private double alpha = 0.99;
  private double eps = 1e-8;
  private double momentum;
  private boolean centered;

  public RMSprop(List<Parameter> params, double lr) {
    super(params, lr, 0.0);
  }

  /** RMSprop with PyTorch's default learning rate 0.01. */
  public RMSprop(List<Parameter> params) {
    this(params, 0.01);
  }

  public double alpha() {
    return alpha;
  }

  /** Smoothing constant of the squared-gradient average, in [0, 1]; default 0.99. */
  public RMSprop alpha(double alpha) {
    Check.inRange(alpha, 0, 1, "alpha");
    this.alpha = alpha;
    return this;
  }

  public double eps() {
    return eps;
  }

  /** Term added to the denominator; default 1e-8. */
  public RMSprop eps(double eps) {
    Check.nonNegative(eps, "eps");
    this.eps = eps;
    return this;
  }

  public double momentum() {
    return momentum;
  }

  /** Momentum factor; default 0. */
  public RMSprop momentum(double momentum) {
    Check.nonNegative(momentum, "momentum");
    this.momentum = momentum;
    return this;
  }

  public boolean centered() {
    return centered;
  }

  /** Normalizes by an estimate of the gradient's variance instead of its second moment; default false. */
  public RMSprop centered(boolean centered) {
    this.centered = centered;
    return this;
  }

  @Override
  protected void update(INDArray p, INDArray grad, double weightDecay, State s) {
    INDArray g = effectiveGrad(p, grad, weightDecay, s);
    INDArray sq = s.buffer("square_avg", p);
    INDArray avg = s.scratch("avg", p);
    g.mul(g, avg);
    sq.muli(alpha);
    axpy(1 - alpha, avg, sq);
    if (centered) {
      INDArray ga = s.buffer("grad_avg", p);
      ga.muli(alpha);
      axpy(1 - alpha, g, ga);
      ga.mul(ga, avg);
      sq.sub(avg, avg);
      Nd4j.exec(new Sqrt(avg, avg));
    } else {
      Nd4j.exec(new Sqrt(sq, avg));
    }
    avg.addi(eps);
    g.div(avg, avg);
    if (momentum > 0) {
      INDArray b = s.buffer("momentum_buffer", p);
      b.muli(momentum).addi(avg);
      axpy(-lr(), b, p);
    } else {
      axpy(-lr(), avg, p);
    }
  }

  @Override
  public String toString() {
    return "RMSprop(lr=" + lr() + ", alpha=" + alpha + ", eps=" + eps + ", momentum=" + momentum
        + ", centered=" + centered + ", weightDecay=" + weightDecay() + ")";
  }
}
