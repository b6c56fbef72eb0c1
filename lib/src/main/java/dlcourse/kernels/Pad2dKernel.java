package dlcourse.kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Padding of the last two dimensions as {@code torch.nn.functional.pad(x, pad, mode)}: input {@code x (N, C, H, W)},
 * {@code pad = {left, right, top, bottom}} (non-negative), output {@code (N, C, top + H + bottom, left + W + right)}.
 * Each mode has its forward pass and its exact adjoint ({@code ...Backward}: the gradient of every copied pixel is
 * added onto its source pixel). Modes: constant (value), reflect (mirror without repeating the edge, padding below
 * the size), replicate (edge repeated, any padding), circular (wrap around, padding at most the size). Any data
 * type; the result has the input's. Stateless and thread-safe.
 *
 * <p>These are memory copies (one per border row and column, plus the middle), planned once in {@link #copies} and
 * {@link #additions}: the input goes to the middle, border rows (middle columns) are copied from the input rows the
 * mode names, then border columns (full height, so corners too) from the padded middle columns. The backward pass
 * runs this in reverse: border columns are added onto their source columns, border rows onto their source rows,
 * and the middle is the input's gradient. The eager operations here run the plan as ND4J assignments on views, for
 * every data type; the captured CNN step ({@code dlcourse.compile.CapturedCnnStep}) runs the same plan as oneDNN
 * region reorders between its blocked buffers.
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

  /** The padding modes that copy the input's own values into the border. */
  public enum Mode {
    REFLECT, REPLICATE, CIRCULAR;

    /** The input index that padded position {@code t} (relative to the input: may be negative or >= n) reads. */
    public long source(long t, long n) {
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

  /**
   * One region copy of the plan, in {@code (N, C, H, W)} coordinates: the {@code size} block at {@code fromOffset}
   * of the input ({@code fromInput}) or of the padded array goes to {@code toOffset} of the padded array (forward:
   * copied; backward: added, both ends in the padded gradient).
   */
  public record Region(boolean fromInput, long[] fromOffset, long[] toOffset, long[] size) {}

  /**
   * The forward copies for an input of shape {@code in}, in order: the middle, the border rows (middle columns) from
   * input rows, then the border columns (full height) from padded middle columns. Checks the padding for the mode.
   */
  public static List<Region> copies(long[] in, int[] pad, Mode mode) {
    outShape(in, pad);
    mode.check(in, pad);
    List<Region> out = new ArrayList<>();
    out.add(new Region(true, new long[4], middleOffset(pad), in.clone()));
    long[] rowSize = {in[0], in[1], 1, in[3]};
    for (long r : borders(pad[2], in[2], pad[3])) {
      out.add(new Region(true, new long[] {0, 0, mode.source(r - pad[2], in[2]), 0}, new long[] {0, 0, r, pad[0]},
          rowSize));
    }
    long[] colSize = {in[0], in[1], in[2] + pad[2] + pad[3], 1};
    for (long c : borders(pad[0], in[3], pad[1])) {
      out.add(new Region(false, new long[] {0, 0, 0, pad[0] + mode.source(c - pad[0], in[3])},
          new long[] {0, 0, 0, c}, colSize));
    }
    return out;
  }

  /**
   * The backward additions, the adjoint of {@link #copies} in reverse order: each border column of the padded
   * gradient added onto its source column, then each border row onto its source row; afterwards the middle
   * ({@link #middleOffset}, the input's size) is the input's gradient. {@code fromOffset} is the border read,
   * {@code toOffset} the source written.
   */
  public static List<Region> additions(long[] in, int[] pad, Mode mode) {
    outShape(in, pad);
    mode.check(in, pad);
    List<Region> out = new ArrayList<>();
    long[] colSize = {in[0], in[1], in[2] + pad[2] + pad[3], 1};
    for (long c : borders(pad[0], in[3], pad[1])) { // border columns only read middle columns
      out.add(new Region(false, new long[] {0, 0, 0, c}, new long[] {0, 0, 0, pad[0] + mode.source(c - pad[0], in[3])},
          colSize));
    }
    long[] rowSize = {in[0], in[1], 1, in[3]};
    for (long r : borders(pad[2], in[2], pad[3])) {
      out.add(new Region(false, new long[] {0, 0, r, pad[0]},
          new long[] {0, 0, pad[2] + mode.source(r - pad[2], in[2]), pad[0]}, rowSize));
    }
    return out;
  }

  /** Where the input sits in the padded array: {@code (0, 0, top, left)}. */
  public static long[] middleOffset(int[] pad) {
    return new long[] {0, 0, pad[2], pad[0]};
  }

  /** The block of {@code a} of {@code size} at {@code offset}, a view. */
  private static INDArray block(INDArray a, long[] offset, long[] size) {
    return a.get(NDArrayIndex.interval(offset[0], offset[0] + size[0]), NDArrayIndex.interval(offset[1], offset[1]
        + size[1]), NDArrayIndex.interval(offset[2], offset[2] + size[2]), NDArrayIndex.interval(offset[3], offset[3]
            + size[3]));
  }

  private static INDArray copy(INDArray x, int[] pad, Mode mode) {
    long[] in = x.shape();
    INDArray out = Nd4j.createUninitialized(x.dataType(), outShape(in, pad), 'c');
    for (Region r : copies(in, pad, mode)) {
      block(out, r.toOffset(), r.size()).assign(block(r.fromInput() ? x : out, r.fromOffset(), r.size()));
    }
    return out;
  }

  private static INDArray addBack(INDArray gy, int[] pad, Mode mode) {
    long[] in = inShape(gy.shape(), pad);
    INDArray g = gy.dup('c');
    for (Region r : additions(in, pad, mode)) {
      block(g, r.toOffset(), r.size()).addi(block(g, r.fromOffset(), r.size()));
    }
    return middle(g, in, pad).dup('c');
  }
}
