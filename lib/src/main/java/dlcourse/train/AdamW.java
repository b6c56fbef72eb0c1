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
public class AdamW extends AbstractAdam<AdamW> {
  /** AdamW with PyTorch's defaults (weight decay 0.01). */
  public AdamW(List<Parameter> params, double lr) {
    super(params, lr, 0.01);
  }

  /** AdamW with PyTorch's default learning rate 1e-3. */
  public AdamW(List<Parameter> params) {
    this(params, 1e-3);
  }

  @Override
  protected void update(INDArray p, INDArray grad, double weightDecay, State s) {
    // The decay p *= 1 - lr * weightDecay happens inside the Adam pass where that pass is fused (float arrays).
    adamUpdate(p, effectiveGrad(p, grad, 0.0, s), s, weightDecay == 0 ? 1 : 1 - lr() * weightDecay);
  }
}
