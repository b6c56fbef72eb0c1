package dlcourse.kernels;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Concatenation of small float arrays along one dimension, and its inverse split, as block copies in Java, behind
 * {@code Tensor.cat} (and so {@code Tensor.stack}): ND4J's concat op and its per-part views cost tens of microseconds
 * per call on the arrays of a decoder step (the captioner's word embedding and attention context, (8, 100) and
 * (8, 512), and the stack of its 22 steps' attention weights). Stateless.
 */
public final class ConcatKernel {
  /** Arrays up to this many elements in all go through Java; larger ones are left to ND4J. */
  static final long MAX_ELEMENTS = 1 << 20;

  private ConcatKernel() {}

  /**
   * Whether {@link #cat} and {@link #split} take these arrays: float, at most {@link #MAX_ELEMENTS} elements in all,
   * each laid out row-major from the start of its buffer (a reshaped view of a whole array is fine).
   */
  public static boolean supports(INDArray... arrays) {
    long total = 0;
    for (INDArray a : arrays) {
      if (a.dataType() != DataType.FLOAT || a.isEmpty() || a.offset() != 0 || a.data().length() != a.length() || !Gemm
          .rowMajor(a)) {
        return false;
      }
      total += a.length();
    }
    return total <= MAX_ELEMENTS;
  }

  /** The arrays (equal shapes but along {@code dim}) concatenated along {@code dim}: a new 'c' array. */
  public static INDArray cat(int dim, INDArray... arrays) {
    long[] shape = arrays[0].shape().clone();
    shape[dim] = 0;
    for (INDArray a : arrays) {
      shape[dim] += a.size(dim);
    }
    int inner = inner(shape, dim);
    int outer = (int) (length(shape) / Math.max(1, (long) shape[dim] * inner));
    int row = (int) (shape[dim] * inner);
    float[] out = new float[(int) length(shape)];
    int at = 0;
    for (INDArray a : arrays) {
      int chunk = (int) (a.size(dim) * inner);
      float[] src = new float[(int) a.length()];
      a.data().asNioFloat().get(0, src);
      Reference.reachabilityFence(a);
      for (int o = 0; o < outer; o++) {
        System.arraycopy(src, o * chunk, out, o * row + at, chunk);
      }
      at += chunk;
    }
    return Layout.plainFloats(out, shape);
  }

  /** The inverse of {@link #cat}: {@code g} cut along {@code dim} into parts of {@code sizes}, each a new 'c' array. */
  public static INDArray[] split(INDArray g, int dim, long[] sizes) {
    long[] shape = g.shape();
    int inner = inner(shape, dim);
    int row = (int) (shape[dim] * inner);
    int outer = row == 0 ? 0 : (int) (g.length() / row);
    FloatBuffer gb = g.data().asNioFloat();
    INDArray[] out = new INDArray[sizes.length];
    int at = 0;
    for (int i = 0; i < sizes.length; i++) {
      int chunk = (int) (sizes[i] * inner);
      float[] part = new float[outer * chunk];
      for (int o = 0; o < outer; o++) {
        gb.get(o * row + at, part, o * chunk, chunk);
      }
      long[] s = shape.clone();
      s[dim] = sizes[i];
      out[i] = Layout.plainFloats(part, s);
      at += chunk;
    }
    Reference.reachabilityFence(g);
    return out;
  }

  /**
   * Adds {@code g} into the slice {@code [start, start + g.size(dim))} along {@code dim} of {@code full}, in place, as
   * Java block loops (the backward pass of a narrow whose input already has a gradient: ND4J's add on such a strided
   * view took ~10x as long as a copy). Returns false, doing nothing, unless both are float and {@code full} is plain
   * ({@link Layout#isPlain}); {@code g} may have any layout.
   */
  public static boolean addIntoSlice(INDArray full, int dim, long start, INDArray g) {
    if (full.dataType() != DataType.FLOAT || g.dataType() != DataType.FLOAT || !Layout.isPlain(full)) {
      return false;
    }
    INDArray gp = Layout.plain(g);
    long[] shape = full.shape();
    long inner = inner(shape, dim);
    long row = shape[dim] * inner;
    long chunk = g.size(dim) * inner;
    long outer = row == 0 ? 0 : full.length() / row;
    FloatBuffer fb = full.data().asNioFloat();
    FloatBuffer gb = gp.data().asNioFloat();
    int block = (int) Math.min(chunk, 4096);
    float[] a = new float[block];
    float[] b = new float[block];
    for (long o = 0; o < outer; o++) {
      for (long at = 0; at < chunk; at += block) {
        int n = (int) Math.min(block, chunk - at);
        int to = Math.toIntExact(o * row + start * inner + at);
        fb.get(to, a, 0, n);
        gb.get(Math.toIntExact(o * chunk + at), b, 0, n);
        for (int i = 0; i < n; i++) {
          a[i] += b[i];
        }
        fb.put(to, a, 0, n);
      }
    }
    Reference.reachabilityFence(full);
    Reference.reachabilityFence(gp);
    return true;
  }

  private static int inner(long[] shape, int dim) {
    long n = 1;
    for (int k = dim + 1; k < shape.length; k++) {
      n *= shape[k];
    }
    return (int) n;
  }

  private static long length(long[] shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    return n;
  }
}
