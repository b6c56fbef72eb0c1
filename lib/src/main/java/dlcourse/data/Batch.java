package dlcourse.data;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One mini-batch from a {@link DataLoader}: inputs {@code x} and targets {@code y} with the same first dimension.
 *
 * @param x inputs, shape {@code (B, ...)}, e.g. {@code (B, C, H, W)} float32 for images
 * @param y targets, shape {@code (B)} int64 for class indices or {@code (B, ...)} otherwise
 */
public record Batch(INDArray x, INDArray y) {
  /** Checks that both tensors are present and hold the same number of examples. */
  public Batch {
    Objects.requireNonNull(x, "x");
    Objects.requireNonNull(y, "y");
    if (x.rank() < 1 || y.rank() < 1 || x.size(0) != y.size(0)) {
      throw new IllegalArgumentException(
          "x and y must have the same first dimension, got shapes " + Arrays.toString(x.shape())
              + " and " + Arrays.toString(y.shape()));
    }
  }

  /** The number of examples {@code B} in this batch. */
  public long size() {
    return x.size(0);
  }

  @Override
  public String toString() {
    return "Batch(x=" + Arrays.toString(x.shape()) + " " + x.dataType() + ", y="
        + Arrays.toString(y.shape()) + " " + y.dataType() + ")";
  }
}
