package dlcourse.kernels;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Padding of the last two dimensions as {@code torch.nn.functional.pad(x, pad, mode)}: input {@code x (N, C, H, W)},
 * {@code pad = {left, right, top, bottom}} (non-negative), output {@code (N, C, top + H + bottom, left + W + right)}.
 * Each mode has its forward pass and its exact adjoint ({@code ...Backward}: the gradient of every copied pixel is
 * added onto its source pixel). Modes: constant (value), reflect (mirror without repeating the edge, padding below
 * the size), replicate (edge repeated, any padding), circular (wrap around, padding at most the size). Any data
 * type; the result has the input's. Stateless and thread-safe.
 *
 * <p>These are memory copies, run as ND4J assignments on views (one per border row and column, plus the middle) for
 * every data type: the input goes to the middle, border rows (middle columns) are copied from the input rows the
 * mode names, then border columns (full height, so corners too) from the padded middle columns. The backward pass
 * runs this in reverse: border columns are added onto their source columns, border rows onto their source rows,
 * and the middle is the input's gradient.
 */
public final class Pad2dKernel {
  private Pad2dKernel() {}

  public static INDArray constant(INDArray x, int[] pad, double value) {
    long[] s = outShape(x.shape(), pad);
    INDArray out = Nd4j.valueArrayOf(s, value, x.dataType());
    middle(out, x.shape(), pad).assign(x);
    return out;
  }

  public static INDArray constantBackward(INDArray gy, int[] pad) {
    return middle(gy, inShape(gy.shape(), pad), pad).dup('c');
  }

  public static INDArray reflect(INDArray x, int[] pad) {
    return copy(x, pad, Mode.REFLECT);
  }

  public static INDArray reflectBackward(INDArray gy, int[] pad) {
    return addBack(gy, pad, Mode.REFLECT);
  }

  public static INDArray replicate(INDArray x, int[] pad) {
    return copy(x, pad, Mode.REPLICATE);
  }

  public static INDArray replicateBackward(INDArray gy, int[] pad) {
    return addBack(gy, pad, Mode.REPLICATE);
  }

  public static INDArray circular(INDArray x, int[] pad) {
    return copy(x, pad, Mode.CIRCULAR);
  }

  public static INDArray circularBackward(INDArray gy, int[] pad) {
    return addBack(gy, pad, Mode.CIRCULAR);
  }

  private enum Mode {
    REFLECT, REPLICATE, CIRCULAR;

    /** The input index that padded position {@code t} (relative to the input: may be negative or >= n) reads. */
    long source(long t, long n) {
      if (t >= 0 && t < n) {
        return t;
      }
      return switch (this) {
        case REPLICATE -> t < 0 ? 0 : n - 1;
        case REFLECT -> t < 0 ? -t : 2 * (n - 1) - t;
        case CIRCULAR -> Math.floorMod(t, n);
      };
    }

    void check(long[] in, int[] pad) {
      for (int i = 0; i < 4; i++) {
        long n = in[i < 2 ? 3 : 2];
        if (this == REFLECT ? pad[i] >= n : this == CIRCULAR && pad[i] > n) {
          throw new IllegalArgumentException(this + " padding " + Arrays.toString(pad) + " too large for input "
              + Arrays.toString(in) + " (PyTorch's rule: reflect needs padding < size, circular padding <= size)");
        }
      }
    }
  }

  private static long[] outShape(long[] in, int[] pad) {
    if (in.length != 4 || pad.length != 4 || Arrays.stream(pad).anyMatch(p -> p < 0)) {
      throw new IllegalArgumentException("pad2d needs (N, C, H, W) and pad {left, right, top, bottom} >= 0, got "
          + Arrays.toString(in) + " and " + Arrays.toString(pad));
    }
    return new long[] {in[0], in[1], in[2] + pad[2] + pad[3], in[3] + pad[0] + pad[1]};
  }

  private static long[] inShape(long[] out, int[] pad) {
    long[] in = {out[0], out[1], out[2] - pad[2] - pad[3], out[3] - pad[0] - pad[1]};
    if (in[2] < 1 || in[3] < 1) {
      throw new IllegalArgumentException("gradient " + Arrays.toString(out) + " smaller than the padding "
          + Arrays.toString(pad));
    }
    outShape(in, pad);
    return in;
  }

  private static INDArray middle(INDArray padded, long[] in, int[] pad) {
    return padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(pad[2], pad[2] + in[2]),
        NDArrayIndex.interval(pad[0], pad[0] + in[3]));
  }

  /** Padded row {@code r}, middle columns. */
  private static INDArray row(INDArray padded, long[] in, int[] pad, long r) {
    return padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(r),
        NDArrayIndex.interval(pad[0], pad[0] + in[3]));
  }

  /** Padded column {@code c}, full height. */
  private static INDArray column(INDArray padded, long c) {
    return padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(c));
  }

  /** Padded indices outside the middle along one dimension: before, then after. */
  private static long[] borders(long before, long n, long after) {
    long[] out = new long[(int) (before + after)];
    for (int i = 0; i < before; i++) {
      out[i] = i;
    }
    for (int i = 0; i < after; i++) {
      out[(int) before + i] = before + n + i;
    }
    return out;
  }

  private static INDArray copy(INDArray x, int[] pad, Mode mode) {
    long[] in = x.shape();
    long[] s = outShape(in, pad);
    mode.check(in, pad);
    INDArray out = Nd4j.createUninitialized(x.dataType(), s, 'c');
    middle(out, in, pad).assign(x);
    INDArrayIndex all = NDArrayIndex.all();
    for (long r : borders(pad[2], in[2], pad[3])) {
      row(out, in, pad, r).assign(x.get(all, all, NDArrayIndex.point(mode.source(r - pad[2], in[2])), all));
    }
    for (long c : borders(pad[0], in[3], pad[1])) {
      column(out, c).assign(column(out, pad[0] + mode.source(c - pad[0], in[3])));
    }
    return out;
  }

  private static INDArray addBack(INDArray gy, int[] pad, Mode mode) {
    long[] in = inShape(gy.shape(), pad);
    mode.check(in, pad);
    INDArray g = gy.dup('c');
    for (long c : borders(pad[0], in[3], pad[1])) { // border columns only read middle columns
      column(g, pad[0] + mode.source(c - pad[0], in[3])).addi(column(g, c));
    }
    for (long r : borders(pad[2], in[2], pad[3])) {
      row(g, in, pad, pad[2] + mode.source(r - pad[2], in[2])).addi(row(g, in, pad, r));
    }
    return middle(g, in, pad).dup('c');
  }
}
