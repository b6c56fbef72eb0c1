package dlcourse.train;

import dlcourse.nn.Parameter;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), exactly as {@code torch.optim.AdamW}: first
 * {@code p = p * (1 - lr * weightDecay)}, then the {@link Adam} step without any L2 term in the gradient.
 *
 * <p>Defaults as PyTorch: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
 */
public class AdamW extends Adam {
  /** AdamW with PyTorch's defaults (weight decay 0.01). */
  public AdamW(List<Parameter> params, double lr) {
    super(params, lr, 0.01);
  }

  /** AdamW with PyTorch's default learning rate 1e-3. */
  public AdamW(List<Parameter> params) {
    this(params, 1e-3);
  }

  @Override
  public AdamW betas(double beta1, double beta2) {
    super.betas(beta1, beta2);
    return this;
  }

  @Override
  public AdamW eps(double eps) {
    super.eps(eps);
    return this;
  }

  @Override
  public AdamW amsgrad(boolean amsgrad) {
    super.amsgrad(amsgrad);
    return this;
  }

  @Override
  public AdamW lr(double lr) {
    super.lr(lr);
    return this;
  }

  @Override
  public AdamW weightDecay(double weightDecay) {
    super.weightDecay(weightDecay);
    return this;
  }

  @Override
  public AdamW maximize(boolean maximize) {
    super.maximize(maximize);
    return this;
  }

  @Override
  public AdamW paramGroup(List<Parameter> params, double weightDecay) {
    super.paramGroup(params, weightDecay);
    return this;
  }

  @Override
  protected void update(INDArray p, INDArray grad, double weightDecay, State s) {
    if (weightDecay != 0) {
      p.muli(1 - lr() * weightDecay);
    }
    adamUpdate(p, effectiveGrad(p, grad, 0.0, s), s);
  }
}
