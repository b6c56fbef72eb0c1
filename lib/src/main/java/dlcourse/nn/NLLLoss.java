package dlcourse.nn;

import dlcourse.tensor.Tensor;

/**
 * Negative log-likelihood of log-probabilities (the output of {@link LogSoftmax}) at class indices.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>input: {@code (N, C)} log-probabilities</li>
 *   <li>target: {@code (N)} int64 class indices</li>
 *   <li>output: scalar, or {@code (N)} with reduction "none"</li>
 * </ul>
 * Defaults as PyTorch: reduction mean, ignoreIndex -100.
 */
public class NLLLoss implements Loss {
  private Reduction reduction = Reduction.MEAN;
  private long ignoreIndex = -100;

  public NLLLoss reduction(Reduction reduction) {
    this.reduction = reduction;
    return this;
  }

  public NLLLoss reduction(String reduction) {
    return reduction(Reduction.of(reduction));
  }

  public NLLLoss ignoreIndex(long ignoreIndex) {
    this.ignoreIndex = ignoreIndex;
    return this;
  }

  public Reduction reduction() {
    return reduction;
  }

  @Override
  public Tensor apply(Tensor logProbs, Tensor target) {
    return F.nllLoss(logProbs, target, reduction, ignoreIndex);
  }

  @Override
  public String toString() {
    return "NLLLoss(" + (reduction != Reduction.MEAN ? "reduction=" + reduction.name().toLowerCase() : "") + ")";
  }
}
