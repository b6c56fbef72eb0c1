package dlcourse.nn;

import dlcourse.tensor.Tensor;

import dlcourse.util.Check;

/**
 * Cross-entropy of logits against class indices: {@code -log softmax(logits)[target]}, reduced.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>input: logits {@code (N, C)}, unnormalised (no softmax before this loss)</li>
 *   <li>target: {@code (N)} int64 class indices</li>
 *   <li>output: scalar, or {@code (N)} with reduction "none"</li>
 * </ul>
 * Defaults as PyTorch: reduction mean, ignoreIndex -100, labelSmoothing 0.
 * Example: {@code new CrossEntropyLoss().labelSmoothing(0.1).apply(logits, target)}.
 */
public class CrossEntropyLoss implements Loss {
  private Reduction reduction = Reduction.MEAN;
  private long ignoreIndex = -100;
  private double labelSmoothing;

  public CrossEntropyLoss reduction(Reduction reduction) {
    this.reduction = reduction;
    return this;
  }

  /** PyTorch's spelling: "mean", "sum" or "none". */
  public CrossEntropyLoss reduction(String reduction) {
    return reduction(Reduction.of(reduction));
  }

  /** Targets with this value are skipped and not counted by the mean; default -100. */
  public CrossEntropyLoss ignoreIndex(long ignoreIndex) {
    this.ignoreIndex = ignoreIndex;
    return this;
  }

  /** Mixes the one-hot target with the uniform distribution, in [0, 1]; default 0. */
  public CrossEntropyLoss labelSmoothing(double s) {
    this.labelSmoothing = Check.probability(s, "labelSmoothing");
    return this;
  }

  public Reduction reduction() {
    return reduction;
  }

  public long ignoreIndex() {
    return ignoreIndex;
  }

  public double labelSmoothing() {
    return labelSmoothing;
  }

  @Override
  public Tensor apply(Tensor logits, Tensor target) {
    return F.crossEntropy(logits, target, reduction, ignoreIndex, labelSmoothing);
  }

  @Override
  public String toString() {
    return "CrossEntropyLoss(" + (reduction != Reduction.MEAN ? "reduction=" + reduction.name().toLowerCase() : "")
        + (labelSmoothing != 0 ? (reduction != Reduction.MEAN ? ", " : "") + "labelSmoothing=" + labelSmoothing : "")
        + ")";
  }
}
