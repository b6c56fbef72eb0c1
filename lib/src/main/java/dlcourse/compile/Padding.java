package dlcourse.compile;

import dlcourse.kernels.Dnnl;
import dlcourse.kernels.Dnnl.Buf;
import dlcourse.kernels.Dnnl.Call;
import dlcourse.nn.PaddingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Reflect, replicate and circular padding as region copies between oneDNN buffers of the same layout, and its
 * exact backward pass (ND4J's {@code pad} op gets the mirror modes' gradient wrong).
 *
 * <p>Forward, for an input of {@code (N, C, H, W)} and padding {@code (pH, pW)}: the input goes to the middle
 * of the padded buffer; each border row (middle columns only) is copied from the input row the mode names;
 * then each border column, over the full padded height, is copied from a middle column of the padded buffer,
 * which fills the corners too. Backward runs the adjoint in reverse: border columns are added onto their
 * source columns, border rows onto their source rows, and the middle is the input's gradient.
 */
final class Padding {
  private Padding() {}

  /** The input index a padded position {@code t} (relative to the input, may be negative or >= n) reads. */
  static long source(long t, long n, PaddingMode mode) {
    if (t >= 0 && t < n) {
      return t;
    }
    return switch (mode) {
      case REPLICATE -> t < 0 ? 0 : n - 1;
      case REFLECT -> t < 0 ? -t : 2 * (n - 1) - t;
      case CIRCULAR -> Math.floorMod(t, n);
      default -> throw new IllegalArgumentException("no border copy for padding mode " + mode);
    };
  }

  static List<Call> copyBorders(Buf x, Buf padded, long[] in, long[] pad, PaddingMode mode) {
    check(in, pad, mode);
    List<Call> calls = new ArrayList<>();
    calls.add(Dnnl.reorder(x, middle(padded, in, pad), null, mode + " padding: middle"));
    for (long r : borders(in[2], pad[0])) {
      // border rows read the input itself (middle columns only)
      Buf from = Buf.region(x, new long[] {in[0], in[1], 1, in[3]}, new long[] {0, 0, source(r - pad[0], in[2], mode),
        0});
      calls.add(Dnnl.reorder(from, row(padded, in, pad, r), null, mode + " padding: border rows"));
    }
    for (long col : borders(in[3], pad[1])) {
      Buf from = column(padded, in, pad, pad[1] + source(col - pad[1], in[3], mode));
      calls.add(Dnnl.reorder(from, column(padded, in, pad, col), null, mode + " padding: border columns"));
    }
    return calls;
  }

  /** The adjoint of {@link #copyBorders}: reads (and changes) {@code paddedGrad}, writes {@code grad}. */
  static List<Call> addBordersBack(Buf paddedGrad, Buf grad, long[] in, long[] pad, PaddingMode mode) {
    check(in, pad, mode);
    List<Call> calls = new ArrayList<>();
    for (long col : borders(in[3], pad[1])) {
      Buf to = column(paddedGrad, in, pad, pad[1] + source(col - pad[1], in[3], mode));
      calls.add(Dnnl.reorder(column(paddedGrad, in, pad, col), to, Dnnl.accumulate(),
          mode + " padding gradient: border columns"));
    }
    for (long r : borders(in[2], pad[0])) {
      Buf to = row(paddedGrad, in, pad, pad[0] + source(r - pad[0], in[2], mode));
      calls.add(Dnnl.reorder(row(paddedGrad, in, pad, r), to, Dnnl.accumulate(), mode
          + " padding gradient: border rows"));
    }
    calls.add(Dnnl.reorder(middle(paddedGrad, in, pad), grad, null, mode + " padding gradient: middle"));
    return calls;
  }

  /** The input-sized middle of a padded buffer. */
  private static Buf middle(Buf padded, long[] in, long[] pad) {
    return Buf.region(padded, in, new long[] {0, 0, pad[0], pad[1]});
  }

  /** Padded row {@code r}, middle columns only. */
  private static Buf row(Buf padded, long[] in, long[] pad, long r) {
    return Buf.region(padded, new long[] {in[0], in[1], 1, in[3]}, new long[] {0, 0, r, pad[1]});
  }

  /** Padded column {@code col} over the full padded height. */
  private static Buf column(Buf padded, long[] in, long[] pad, long col) {
    return Buf.region(padded, new long[] {in[0], in[1], in[2] + 2 * pad[0], 1}, new long[] {0, 0, 0, col});
  }

  /** Padded indices outside the middle: {@code 0 .. p-1} and {@code p+n .. 2p+n-1}. */
  private static List<Long> borders(long n, long p) {
    List<Long> out = new ArrayList<>();
    for (long i = 0; i < p; i++) {
      out.add(i);
      out.add(p + n + i);
    }
    return out;
  }

  private static void check(long[] in, long[] pad, PaddingMode mode) {
    for (int d = 0; d < 2; d++) {
      long n = in[2 + d];
      if (mode == PaddingMode.REFLECT ? pad[d] >= n : pad[d] > n) {
        throw new IllegalArgumentException(mode + " padding " + pad[d] + " is too large for size " + n
            + " (PyTorch's rule: reflect needs padding < size, circular and replicate padding <= size)");
      }
    }
  }
}
