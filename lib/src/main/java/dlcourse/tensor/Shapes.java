package dlcourse.tensor;

import java.util.Arrays;

/** Static shape arithmetic shared by tensor ops: broadcasting, reshape with -1, reductions. */
public final class Shapes {
  private Shapes() {}

  public static String str(long[] shape) {
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      b.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return b.append(shape.length == 1 ? ",)" : ")").toString();
  }

  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** numpy broadcasting of two shapes, or an error naming both. */
  public static long[] broadcast(long[] a, long[] b, String op) {
    int rank = Math.max(a.length, b.length);
    long[] out = new long[rank];
    for (int i = 0; i < rank; i++) {
      long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
      long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(
            op + ": shapes " + str(a) + " and " + str(b) + " cannot be broadcast together");
      }
      out[i] = Math.max(da, db);
    }
    return out;
  }

  /** Resolves one -1 in a reshape target, checking the element count. */
  public static long[] reshape(long[] from, long[] to) {
    long[] out = to.clone();
    int unknown = -1;
    long known = 1;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == -1) {
        if (unknown >= 0) {
          throw new IllegalArgumentException("reshape: only one dimension can be -1, got " + Arrays.toString(to));
        }
        unknown = i;
      } else {
        known *= out[i];
      }
    }
    long n = numel(from);
    if (unknown >= 0) {
      if (known == 0 || n % known != 0) {
        throw new IllegalArgumentException("reshape: cannot reshape " + str(from) + " to " + Arrays.toString(to));
      }
      out[unknown] = n / known;
    }
    if (numel(out) != n) {
      throw new IllegalArgumentException(
          "reshape: cannot reshape " + str(from) + " (" + n + " elements) to " + str(out));
    }
    return out;
  }

  public static int axis(int dim, int rank) {
    int d = dim < 0 ? dim + rank : dim;
    if (d < 0 || d >= rank) {
      throw new IllegalArgumentException("dimension " + dim + " out of range for a tensor of rank " + rank);
    }
    return d;
  }

  public static long[] reduce(long[] shape, int[] dims, boolean keepDims) {
    boolean[] reduced = new boolean[shape.length];
    for (int d : dims) {
      reduced[axis(d, shape.length)] = true;
    }
    return java.util.stream.IntStream.range(0, shape.length)
        .filter(i -> keepDims || !reduced[i])
        .mapToLong(i -> reduced[i] ? 1 : shape[i])
        .toArray();
  }
}
