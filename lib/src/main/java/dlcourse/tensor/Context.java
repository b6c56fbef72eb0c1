package dlcourse.tensor;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What an {@link AutogradFunction}'s forward pass leaves for its backward pass, like the {@code ctx} of
 * {@code torch.autograd.Function}: saved arrays, the input shapes, and which inputs need a gradient.
 */
public final class Context {
  private final long[][] inputShapes;
  private final boolean[] needsInputGrad;
  private List<INDArray> saved = List.of();

  Context(long[][] inputShapes, boolean[] needsInputGrad) {
    this.inputShapes = inputShapes;
    this.needsInputGrad = needsInputGrad;
  }

  /** Keeps arrays for the backward pass (not copied: do not modify them afterwards). */
  public void saveForBackward(INDArray... arrays) {
    saved = List.of(arrays);
  }

  /** The arrays given to {@link #saveForBackward}, in order. */
  public List<INDArray> savedTensors() {
    return saved;
  }

  /** The {@code i}-th array given to {@link #saveForBackward}. */
  public INDArray saved(int i) {
    return saved.get(i);
  }

  /** The shape of input {@code i} of the forward call. */
  public long[] inputShape(int i) {
    return inputShapes[i].clone();
  }

  /** The number of inputs of the forward call. */
  public int inputCount() {
    return inputShapes.length;
  }

  /** Whether input {@code i} needs a gradient; the backward pass may return null for the others. */
  public boolean needsInputGrad(int i) {
    return needsInputGrad[i];
  }
}
