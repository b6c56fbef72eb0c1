package dlcourse.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A learnable tensor of a module, like {@code torch.nn.Parameter}: its value, its gradient after a backward
 * pass, and its path in the module tree ({@code features.0.weight}).
 *
 * <p>The value array is shared with every graph built from the module, so an optimizer that updates
 * {@link #data()} in place changes the model. Buffers (batch-norm running statistics) are parameters with
 * {@code requiresGrad == false}.
 */
public final class Parameter {
  private final String name;
  private INDArray data;
  private final boolean requiresGrad;
  private INDArray grad;

  Parameter(String name, INDArray data, boolean requiresGrad) {
    this.name = name;
    this.data = data;
    this.requiresGrad = requiresGrad;
  }

  /**
   * A trainable parameter outside any {@link Module}, for layers written without SameDiff (eager code with a
   * hand-written backward pass); optimizers update it like any other parameter.
   *
   * @param name a short name such as {@code weight}
   * @param data the value, not copied; optimizers update it in place
   * @throws IllegalArgumentException if the name is empty or the data is null
   */
  public static Parameter of(String name, INDArray data) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("name must be non-empty, got '" + name + "'");
    }
    if (data == null) {
      throw new IllegalArgumentException("data of parameter '" + name + "' must not be null");
    }
    return new Parameter(name, data, true);
  }

  /** The parameter's own name inside its module ({@code weight}); {@link Module#namedParameters()} gives paths. */
  public String name() {
    return name;
  }

  /** The value, updated in place by optimizers. */
  public INDArray data() {
    return data;
  }

  /** Replaces the value array (used by {@link Module#to}); graphs built before keep the old one. */
  void data(INDArray data) {
    this.data = data;
    this.grad = null;
  }

  /** The gradient of the last backward pass, or {@code null} before the first. */
  public INDArray grad() {
    return grad;
  }

  /** Sets the gradient (called by the training step; optimizers read it). */
  public void grad(INDArray grad) {
    this.grad = grad;
  }

  /** Whether optimizers update it; false for buffers such as running means. */
  public boolean requiresGrad() {
    return requiresGrad;
  }

  public long[] shape() {
    return data.shape();
  }

  public long numel() {
    return data.length();
  }

  @Override
  public String toString() {
    return "Parameter(" + name + ", shape=" + java.util.Arrays.toString(data.shape()) + ")";
  }
}
