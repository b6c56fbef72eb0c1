package dlcourse.nn;

import dlcourse.tensor.Tensor;

/**
 * A loss of two tensors, like PyTorch's loss modules: {@code loss.apply(input, target)} returns a scalar (or
 * per-element values with {@link Reduction#NONE}).
 */
public interface Loss {
  Tensor apply(Tensor input, Tensor target);
}
