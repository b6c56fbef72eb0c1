package dlcourse.train;

import dlcourse.nn.Parameter;
import java.util.List;

/**
 * Adam with bias correction, optional AMSGrad and coupled L2 weight decay, exactly as {@code torch.optim.Adam}:
 *
 * <pre>
 * g = grad + weightDecay * p
 * m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
 * vmax = max(vmax, v) if amsgrad
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * <p>Defaults as PyTorch: betas (0.9, 0.999), eps 1e-8, weight decay 0. Example:
 * {@code new Adam(model.parameters(), 1e-3).betas(0.9, 0.95)}.
 */
public class Adam extends AbstractAdam<Adam> {
  /** Adam with PyTorch's defaults. */
  public Adam(List<Parameter> params, double lr) {
    super(params, lr, 0.0);
  }

  /** Adam with PyTorch's default learning rate 1e-3. */
  public Adam(List<Parameter> params) {
    this(params, 1e-3);
  }
}
