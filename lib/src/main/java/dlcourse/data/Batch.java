package dlcourse.data;

import dlcourse.tensor.Shapes;
import dlcourse.tensor.Tensor;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One mini-batch from a {@link DataLoader}: inputs {@code x} and targets {@code y} with the same first dimension, as
 * tensors (no gradient), so a training loop reads like PyTorch's:
 * {@code F.crossEntropy(model.forward(b.x()), b.y())}.
 *
 * @param x inputs, shape {@code (B, ...)}, e.g. {@code (B, C, H, W)} float32 for images
 * @param y targets, shape {@code (B)} int64 for class indices or {@code (B, ...)} otherwise
 */
public record Batch(Tensor x, Tensor y) {
  /** Checks that both tensors are present and hold the same number of examples. */
  public Batch {
    Objects.requireNonNull(x, "x");
    Objects.requireNonNull(y, "y");
    if (x.dim() < 1 || y.dim() < 1 || x.size(0) != y.size(0)) {
      throw new IllegalArgumentException("x and y must have the same first dimension, got shapes "
          + Shapes.str(x.shape()) + " and " + Shapes.str(y.shape()));
    }
  }

  /** A batch of the arrays {@code x} and {@code y} (not copied). */
  public static Batch of(INDArray x, INDArray y) {
    return new Batch(Tensor.of(Objects.requireNonNull(x, "x")), Tensor.of(Objects.requireNonNull(y, "y")));
  }

  /** The number of examples {@code B} in this batch. */
  public long size() {
    return x.size(0);
  }

  @Override
  public String toString() {
    return "Batch(x=" + Shapes.str(x.shape()) + " " + x.dtype() + ", y=" + Shapes.str(y.shape()) + " " + y.dtype()
        + ")";
  }
}
