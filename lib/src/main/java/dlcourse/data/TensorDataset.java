package dlcourse.data;

import dlcourse.util.Check;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A {@link Dataset} backed by a features tensor and a labels tensor with the same first dimension.
 *
 * <pre>{@code
 * var ds = new TensorDataset(x, y, List.of("0", "1"));   // x (N, 1, 28, 28) float32, y (N) int64
 * var first100 = ds.take(100);
 * }</pre>
 */
public final class TensorDataset implements Dataset {
  private final INDArray features;
  private final INDArray labels;
  private final List<String> classes;

  /**
   * Wraps {@code features} {@code (N, ...)} and {@code labels} {@code (N, ...)}; {@code classes} may be empty.
   *
   * @throws IllegalArgumentException when the first dimensions differ or a tensor is a scalar
   */
  public TensorDataset(INDArray features, INDArray labels, List<String> classes) {
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(labels, "labels");
    if (features.rank() < 1 || labels.rank() < 1) {
      throw new IllegalArgumentException(
          "features and labels need a first (example) dimension, got shapes "
              + Arrays.toString(features.shape()) + " and " + Arrays.toString(labels.shape()));
    }
    if (features.size(0) != labels.size(0)) {
      throw new IllegalArgumentException(
          "features has " + features.size(0) + " examples but labels has " + labels.size(0)
              + " (shapes " + Arrays.toString(features.shape()) + " and "
              + Arrays.toString(labels.shape()) + ")");
    }
    this.features = features;
    this.labels = labels;
    this.classes = List.copyOf(classes == null ? List.of() : classes);
  }

  /** Wraps {@code features} and {@code labels} without class names. */
  public TensorDataset(INDArray features, INDArray labels) {
    this(features, labels, List.of());
  }

  @Override
  public long size() {
    return features.size(0);
  }

  @Override
  public INDArray features() {
    return features;
  }

  @Override
  public INDArray labels() {
    return labels;
  }

  @Override
  public List<String> classes() {
    return classes;
  }

  @Override
  public TensorDataset subset(long[] indices) {
    Objects.requireNonNull(indices, "indices");
    long n = size();
    for (long i : indices) {
      if (i < 0 || i >= n) {
        throw new IndexOutOfBoundsException("index " + i + " out of range for a data set of size " + n);
      }
    }
    INDArray idx = Nd4j.createFromArray(indices);
    return new TensorDataset(gather(features, idx), gather(labels, idx), classes);
  }

  @Override
  public TensorDataset shuffle(long seed) {
    return (TensorDataset) Dataset.super.shuffle(seed);
  }

  @Override
  public TensorDataset randomSubset(long n, long seed) {
    return (TensorDataset) Dataset.super.randomSubset(n, seed);
  }

  @Override
  public TensorDataset randomSubsetInOrder(long n, long seed) {
    return (TensorDataset) Dataset.super.randomSubsetInOrder(n, seed);
  }

  @Override
  public TensorDataset take(long n) {
    Check.nonNegative(n, "n");
    long m = Math.min(n, size());
    if (m == size()) {
      return this;
    }
    return new TensorDataset(rows(features, 0, m), rows(labels, 0, m), classes);
  }

  /** Rows {@code [from, to)} of {@code a}, copied so the result does not pin the whole array. */
  static INDArray rows(INDArray a, long from, long to) {
    var ix = new org.nd4j.linalg.indexing.INDArrayIndex[a.rank()];
    ix[0] = NDArrayIndex.interval(from, to);
    for (int d = 1; d < a.rank(); d++) {
      ix[d] = NDArrayIndex.all();
    }
    return a.get(ix).dup('c');
  }

  private static INDArray gather(INDArray a, INDArray idx) {
    if (idx.length() == 0) {
      long[] shape = a.shape().clone();
      shape[0] = 0;
      return Nd4j.create(a.dataType(), shape);
    }
    INDArray out = Nd4j.pullRows(a.reshape(a.size(0), -1), 1, toInts(idx));
    long[] shape = a.shape().clone();
    shape[0] = idx.length();
    return out.reshape('c', shape).castTo(a.dataType());
  }

  private static int[] toInts(INDArray idx) {
    long[] l = idx.toLongVector();
    int[] r = new int[l.length];
    for (int i = 0; i < l.length; i++) {
      r[i] = Math.toIntExact(l[i]);
    }
    return r;
  }

  @Override
  public String toString() {
    return "TensorDataset(size=" + size() + ", features=" + Arrays.toString(features.shape()) + " "
        + features.dataType() + ", labels=" + Arrays.toString(labels.shape()) + " " + labels.dataType()
        + (classes.isEmpty() ? "" : ", classes=" + classes.size()) + ")";
  }

  static boolean isClassLabels(INDArray labels) {
    return labels.rank() == 1 && labels.dataType() == DataType.LONG;
  }
}
