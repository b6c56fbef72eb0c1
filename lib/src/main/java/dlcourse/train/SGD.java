package dlcourse.train;

import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and coupled L2 weight decay,
 * exactly as {@code torch.optim.SGD}:
 *
 * <pre>
 * g = grad + weightDecay * p
 * if momentum != 0:  b = g on the first step, else b = momentum * b + (1 - dampening) * g
 *                    g = nesterov ? g + momentum * b : b
 * p = p - lr * g
 * </pre>
 *
 * <p>Example: {@code var opt = new SGD(model.parameters(), 0.1).momentum(0.9).weightDecay(5e-4);}
 */
public class SGD extends Optimizer<SGD> {
  private double momentum;
  private double dampening;
  private boolean nesterov;

  /** Plain SGD; momentum, dampening and weight decay default to 0 as in PyTorch. */
  public SGD(List<Parameter> params, double lr) {
    super(params, lr, 0.0);
  }

  public double momentum() {
    return momentum;
  }

  /** Momentum factor; default 0. */
  public SGD momentum(double momentum) {
    Check.nonNegative(momentum, "momentum");
    this.momentum = momentum;
    return this;
  }

  public double dampening() {
    return dampening;
  }

  /** Dampening of the momentum; default 0. */
  public SGD dampening(double dampening) {
    this.dampening = dampening;
    return this;
  }

  public boolean nesterov() {
    return nesterov;
  }

  /** Nesterov momentum; needs momentum > 0 and dampening 0 (checked at the first step). */
  public SGD nesterov(boolean nesterov) {
    this.nesterov = nesterov;
    return this;
  }

  @Override
  protected void update(INDArray p, INDArray grad, double weightDecay, State s) {
    if (nesterov && (momentum <= 0 || dampening != 0)) {
      throw new IllegalStateException(
          "nesterov momentum needs momentum > 0 and dampening 0, got momentum "
              + momentum
              + " and dampening "
              + dampening);
    }
    INDArray g = effectiveGrad(p, grad, weightDecay, s);
    if (momentum != 0) {
      INDArray b;
      if (!s.has("momentum_buffer")) {
        b = g.dup();
        s.put("momentum_buffer", b);
      } else {
        b = s.buffer("momentum_buffer", p);
        b.muli(momentum);
        axpy(1 - dampening, g, b);
      }
      if (nesterov) {
        INDArray n = s.scratch("nesterov", p).assign(g);
        axpy(momentum, b, n);
        g = n;
      } else {
        g = b;
      }
    }
    axpy(-lr(), g, p);
  }

  @Override
  public String toString() {
    return "SGD(lr=" + lr() + ", momentum=" + momentum + ", dampening=" + dampening + ", nesterov=" + nesterov
        + ", weightDecay=" + weightDecay() + ")";
  }
}
