package dlcourse.nn;

import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A learnable tensor of a module, like {@code torch.nn.Parameter}: a leaf {@link Tensor} that requires a gradient,
 * with its name in the module ({@code weight}; {@link Module#namedParameters()} gives paths such as
 * {@code features.0.weight}).
 *
 * <p>Optimizers update {@link #data()} in place, which changes the model. Buffers (batch-norm running statistics)
 * are parameters with {@code requiresGrad() == false}.
 */
public final class Parameter extends Tensor {
  private final String name;

  Parameter(String name, INDArray data, boolean requiresGrad) {
    super(data, requiresGrad);
    this.name = name;
  }

  /**
   * A trainable parameter outside any {@link Module}; optimizers update it like any other parameter.
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

  /** The value, updated in place by optimizers; the same array as {@link #array()}. */
  public INDArray data() {
    return array();
  }

  /** Replaces the value array (used by {@link Module#to}); the gradient is cleared. */
  void data(INDArray data) {
    replaceArray(data);
    zeroGrad();
  }

  @Override
  public String toString() {
    return "Parameter(" + name + ", shape=" + java.util.Arrays.toString(shape()) + ")";
  }
}
