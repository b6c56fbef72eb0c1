package dlcourse.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/** Random splits of a data set into disjoint parts, like {@code torch.utils.data.random_split}. */
public final class Splits {
  private Splits() {}

  /**
   * Splits {@code dataset} into parts of the given sizes after one random permutation drawn from {@code seed}:
   * the parts are disjoint, together cover every example, and the same seed gives the same parts.
   *
   * <pre>{@code
   * var parts = Splits.randomSplit(train, new long[] {50_000, 10_000}, 42);
   * var fit = parts.get(0);
   * var val = parts.get(1);
   * }</pre>
   *
   * @param sizes the number of examples in each part; they must sum to {@code dataset.size()}
   * @return the parts, in the order of {@code sizes}
   * @throws IllegalArgumentException when a size is negative or the sizes do not sum to the data set size
   */
  public static List<Dataset> randomSplit(Dataset dataset, long[] sizes, long seed) {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(sizes, "sizes");
    long total = 0;
    for (long s : sizes) {
      if (s < 0) {
        throw new IllegalArgumentException("sizes must be non-negative, got " + Arrays.toString(sizes));
      }
      total += s;
    }
    if (total != dataset.size()) {
      throw new IllegalArgumentException(
          "sizes " + Arrays.toString(sizes) + " sum to " + total + ", but the data set has " + dataset.size()
              + " examples");
    }
    long[] perm = permutation(Math.toIntExact(total), seed);
    List<Dataset> parts = new ArrayList<>(sizes.length);
    int from = 0;
    for (long s : sizes) {
      parts.add(dataset.subset(Arrays.copyOfRange(perm, from, from + (int) s)));
      from += (int) s;
    }
    return List.copyOf(parts);
  }

  /**
   * Splits by fractions that sum to 1, rounding like PyTorch: each part gets {@code floor(n * f)} examples and the
   * remainder goes one by one to the parts in order.
   */
  public static List<Dataset> randomSplit(Dataset dataset, double[] fractions, long seed) {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(fractions, "fractions");
    double sum = 0;
    for (double f : fractions) {
      if (!(f >= 0 && f <= 1)) {
        throw new IllegalArgumentException("fractions must be in [0, 1], got " + Arrays.toString(fractions));
      }
      sum += f;
    }
    if (Math.abs(sum - 1) > 1e-9) {
      throw new IllegalArgumentException("fractions must sum to 1, got " + Arrays.toString(fractions) + " = " + sum);
    }
    long n = dataset.size();
    long[] sizes = new long[fractions.length];
    long assigned = 0;
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = (long) Math.floor(n * fractions[i]);
      assigned += sizes[i];
    }
    for (int i = 0; assigned < n; i = (i + 1) % sizes.length) {
      sizes[i]++;
      assigned++;
    }
    return randomSplit(dataset, sizes, seed);
  }

  /** A permutation of {@code 0..n-1} drawn from {@code seed} (Fisher-Yates on {@link java.util.Random}). */
  static long[] permutation(int n, long seed) {
    long[] p = new long[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random rng = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      long t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
