package dlcourse.nn;

import dlcourse.tensor.Tensor;

/**
 * Mean squared error {@code (input - target)^2}, reduced.
 *
 * <h2>Shape</h2> input and target: the same shape; output: scalar, or that shape with reduction "none".
 * Default reduction mean, as PyTorch.
 */
public class MSELoss implements Loss {
  private Reduction reduction = Reduction.MEAN;

  public MSELoss reduction(Reduction reduction) {
    this.reduction = reduction;
    return this;
  }

  public MSELoss reduction(String reduction) {
    return reduction(Reduction.of(reduction));
  }

  public Reduction reduction() {
    return reduction;
  }

  @Override
  public Tensor apply(Tensor input, Tensor target) {
    return F.mseLoss(input, target, reduction);
  }

  @Override
  public String toString() {
    return "MSELoss(" + (reduction != Reduction.MEAN ? "reduction=" + reduction.name().toLowerCase() : "") + ")";
  }
}
