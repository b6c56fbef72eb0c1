package dlcourse.data;

import dlcourse.util.Check;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A data set held as two tensors whose first dimension indexes examples, like PyTorch's {@code TensorDataset}.
 *
 * <p>Everything is a tensor for speed: batching gathers rows instead of building one example at a time.
 * Features are float32, images {@code (N, C, H, W)} in [0, 1]; class labels are int64 {@code (N)}, other
 * targets any shape {@code (N, ...)}.
 */
public interface Dataset {
  /** The number of examples {@code N}. */
  long size();

  /** The inputs, shape {@code (N, ...)}, float32. */
  INDArray features();

  /** The targets, shape {@code (N)} int64 for class indices or {@code (N, ...)} otherwise. */
  INDArray labels();

  /** The class names by index, empty when the targets are not classes. */
  List<String> classes();

  /** The examples at {@code indices}, in that order (rows are copied). */
  Dataset subset(long[] indices);

  /** The first {@code n} examples (all of them when {@code n >= size()}). */
  Dataset take(long n);

  /** Every example in an order drawn from {@code seed}: the same seed gives the same order. */
  default Dataset shuffle(long seed) {
    return subset(Splits.permutation(Math.toIntExact(size()), seed));
  }

  /**
   * {@code n} examples drawn without replacement from {@code seed}, like PyTorch's
   * {@code Subset(ds, torch.randperm(len(ds))[:n])}; all of them, shuffled, when {@code n >= size()}.
   */
  default Dataset randomSubset(long n, long seed) {
    Check.nonNegative(n, "n");
    long[] p = Splits.permutation(Math.toIntExact(size()), seed);
    return subset(java.util.Arrays.copyOf(p, (int) Math.min(n, p.length)));
  }
  /**
   * The same {@code n} examples as {@link #randomSubset(long, long)}, but in the data set's order, and the data
   * set itself when {@code n >= size()}: a seeded sample of a file sorted by class that keeps every class and the
   * examples' relative order.
   */
  default Dataset randomSubsetInOrder(long n, long seed) {
    Check.nonNegative(n, "n");
    if (n >= size()) {
      return this;
    }
    long[] p = java.util.Arrays.copyOf(Splits.permutation(Math.toIntExact(size()), seed), (int) n);
    java.util.Arrays.sort(p);
    return subset(p);
  }
}
