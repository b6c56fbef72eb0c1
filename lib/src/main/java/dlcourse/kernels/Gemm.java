package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.dnnl_sgemm;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Float matrix products {@code c = op(a) op(b) + beta c} on oneDNN's {@code dnnl_sgemm} (row-major BLAS-style call,
 * JIT AVX2/AVX-512 kernels, no primitive to build), behind {@code F.linear} and {@code Tensor.matmul} on matrices.
 * Against {@code Nd4j.gemm} (which reaches the same kind of kernel through an ND4J custom op) it saves the op's fixed
 * cost, several tens of microseconds per call: most of the time of the LSTM captioner's 113 small GEMMs per step
 * (batch 8, e.g. (8, 612) x (612, 1024)), measured 1.5-4x faster per call there and equal on large shapes.
 *
 * <p>Operands are rank-2 float arrays read in place with their strides: a row-major matrix with a row stride at least
 * its width (a 'c' array or a range of its rows) or a column-major one (a transposed view), which is read as the
 * transpose of a row-major matrix. {@link #supports} says which; the caller uses ND4J for the rest (double).
 * Stateless and thread-safe.
 */
public final class Gemm {
  /** Whether float matrices go through oneDNN; {@code -Ddlcourse.kernels.gemm=host} turns it off for A/B timings. */
  static volatile boolean dnnl = !"host".equals(System.getProperty("dlcourse.kernels.gemm"));

  /** A row of ones for {@link #sumRows}, grown on demand; never written after it is filled. */
  private static volatile INDArray ones = null;

  private Gemm() {}

  /** Whether {@link #gemm} runs on these arrays: each float, rank 2, non-empty and strided as described above. */
  public static boolean supports(INDArray... arrays) {
    if (!dnnl) {
      return false;
    }
    for (INDArray a : arrays) {
      if (a != null && (a.dataType() != DataType.FLOAT || a.rank() != 2 || a.length() == 0 || layout(a) == 0)) {
        return false;
      }
    }
    return Dnnl.available();
  }

  /**
   * {@code op(a) op(b)}, a new (M, N) 'c' array when {@code c} is null, else added into {@code c} as
   * {@code c = op(a) op(b) + beta c} and {@code c} returned ({@code c} must then be a row-major (M, N) matrix).
   *
   * @throws IllegalArgumentException if the shapes do not align or an operand is not supported
   */
  public static INDArray gemm(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, float beta) {
    long m = transA ? a.size(1) : a.size(0);
    long k = transA ? a.size(0) : a.size(1);
    long kb = transB ? b.size(1) : b.size(0);
    long n = transB ? b.size(0) : b.size(1);
    if (k != kb) {
      throw new IllegalArgumentException("gemm: (" + m + ", " + k + ") x (" + kb + ", " + n + ") do not align");
    }
    if (!supports(a, b, c)) {
      throw new IllegalArgumentException("gemm: operands must be float matrices with unit column or row stride");
    }
    INDArray out = c != null ? c : Buffers.take(DataType.FLOAT, m, n);
    if (out.size(0) != m || out.size(1) != n || layout(out) != 'c') {
      throw new IllegalArgumentException("gemm: the result (" + m + ", " + n + ") cannot be written into "
          + java.util.Arrays.toString(out.shape()) + " with strides " + java.util.Arrays.toString(out.stride()));
    }
    // A column-major operand is the transpose of a row-major matrix with the swapped shape.
    boolean ta = transA ^ (layout(a) == 'f');
    boolean tb = transB ^ (layout(b) == 'f');
    try {
      Dnnl.check(dnnl_sgemm((byte) (ta ? 'T' : 'N'), (byte) (tb ? 'T' : 'N'), m, n, k, 1f, pointer(a), ld(a),
          pointer(b), ld(b), c == null ? 0f : beta, pointer(out), ld(out)), "sgemm");
    } finally {
      Reference.reachabilityFence(a);
      Reference.reachabilityFence(b);
      Reference.reachabilityFence(out);
    }
    return out;
  }

  /**
   * A batch of products {@code c[i] = op(a[i]) op(b[i])} for {@code i < batch}, {@code op(a[i])} (M, K) and
   * {@code op(b[i])} (K, N), on plain row-major float arrays holding the matrices one after another (e.g. (batch, M, K)
   * or (batch, K, M) when transposed): one {@code dnnl_sgemm} per entry at pointer offsets, no views built. The result
   * is a new plain (batch, M, N) array. Behind {@code Tensor.matmul}'s one-row batched products (an attention
   * context: M = 1), where oneDNN's GEMV kernels beat a Java dot-product loop.
   *
   * @throws IllegalArgumentException if an operand is not a plain float array of the size these dimensions need
   */
  public static INDArray batched(INDArray a, boolean transA, INDArray b, boolean transB, long batch, long m, long n,
      long k) {
    if (!plainFloat(a, batch * m * k) || !plainFloat(b, batch * k * n)) {
      throw new IllegalArgumentException("batched gemm: expected plain float arrays of " + batch + " x (" + m + ", "
          + k + ") and (" + k + ", " + n + ") matrices");
    }
    INDArray out = Nd4j.createUninitialized(DataType.FLOAT, new long[] {batch, m, n}, 'c');
    FloatPointer pa = pointer(a), pb = pointer(b), pc = pointer(out);
    try {
      for (long i = 0; i < batch; i++) {
        Dnnl.check(dnnl_sgemm((byte) (transA ? 'T' : 'N'), (byte) (transB ? 'T' : 'N'), m, n, k, 1f,
            pa.position(i * m * k), transA ? m : k, pb.position(i * k * n), transB ? k : n, 0f,
            pc.position(i * m * n), n), "sgemm");
      }
    } finally {
      Reference.reachabilityFence(a);
      Reference.reachabilityFence(b);
      Reference.reachabilityFence(out);
    }
    return out;
  }

  private static boolean plainFloat(INDArray a, long length) {
    return a.dataType() == DataType.FLOAT && a.length() == length && Layout.isPlain(a);
  }

  /**
   * Whether {@code a}'s strides are those of a row-major array of its shape (dimensions of size 1 may have any
   * stride). Needed besides {@code ordering() == 'c'}: ND4J reports a permuted array as 'c', not a view, offset 0.
   */
  public static boolean rowMajor(INDArray a) {
    long expected = 1;
    for (int d = a.rank() - 1; d >= 0; d--) {
      if (a.size(d) != 1 && a.stride(d) != expected) {
        return false;
      }
      expected *= a.size(d);
    }
    return true;
  }

  /**
   * {@code x w^T + bias} for float matrices {@code x} (M, K) and {@code w} (N, K) and a float vector {@code bias} (N)
   * or null: a new (M, N) 'c' array (the rows start as the bias, the GEMM adds into them).
   */
  public static INDArray linear(INDArray x, INDArray w, INDArray bias) {
    return linear(x, w, bias, x.size(0), w.size(0));
  }

  /**
   * {@link #linear(INDArray, INDArray, INDArray)} into a new array of {@code outShape} (M x N elements, e.g. the
   * caller's (B, T, N)): the buffer pool keeps arrays by shape, so a result recycled in its caller's shape is found
   * again by the next call.
   */
  public static INDArray linear(INDArray x, INDArray w, INDArray bias, long... outShape) {
    long m = x.size(0);
    int n = Math.toIntExact(w.size(0));
    INDArray y = Buffers.take(DataType.FLOAT, outShape);
    if (y.length() != m * n) {
      throw new IllegalArgumentException("linear: " + java.util.Arrays.toString(outShape) + " cannot hold (" + m
          + ", " + n + ")");
    }
    INDArray y2 = outShape.length == 2 ? y : y.reshape('c', m, n); // the same buffer
    if (bias == null) {
      gemm(x, false, w, true, y2, 0f);
      return y;
    }
    if (bias.length() != n || bias.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException("linear: bias of " + bias.length() + " " + bias.dataType() + " values for "
          + n + " outputs");
    }
    float[] b = Prims.plain(bias).data().asFloat();
    FloatBuffer yb = y.data().asNioFloat();
    for (long r = 0; r < m; r++) {
      yb.put(Math.toIntExact(r * n), b);
    }
    Reference.reachabilityFence(y);
    gemm(x, false, w, true, y2, 1f);
    return y;
  }

  /**
   * The column sums of a float matrix {@code g} (M, N), as a (1, N) GEMM with a row of ones: a new (N) array, or added
   * into {@code into} (N elements, plain 'c') and {@code into} returned.
   */
  public static INDArray sumRows(INDArray g, INDArray into) {
    long m = g.size(0);
    INDArray row = ones(m);
    INDArray out = into != null ? into.reshape('c', 1, g.size(1)) : null;
    INDArray r = gemm(row, false, g, false, out, 1f);
    return into != null ? into : r.reshape('c', new long[] {g.size(1)}); // not reshape(rows, cols)
  }

  /** Whether {@code into} can take {@link #sumRows} of an (M, N) matrix in place: a plain float array of N values. */
  public static boolean accepts(INDArray into, long n) {
    return into != null && into.dataType() == DataType.FLOAT && into.length() == n && Layout.isPlain(into);
  }

  private static INDArray ones(long m) {
    INDArray o = ones;
    if (o == null || o.size(1) < m) {
      synchronized (Gemm.class) {
        o = ones;
        if (o == null || o.size(1) < m) {
          o = Nd4j.ones(DataType.FLOAT, 1, Math.max(m, 1024));
          ones = o;
        }
      }
    }
    return o.size(1) == m ? o : o.get(NDArrayIndex.all(), NDArrayIndex.interval(0, m)); // (1, m) view

  }

  /** 'c' for a row-major matrix (column stride 1), 'f' for a column-major one (row stride 1), 0 otherwise. */
  private static char layout(INDArray a) {
    long rows = a.size(0), cols = a.size(1);
    long s0 = a.stride(0), s1 = a.stride(1);
    if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= cols)) {
      return 'c';
    }
    if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= rows)) {
      return 'f';
    }
    return 0;
  }

  /** The leading dimension of {@code a} as the row-major matrix {@link #layout} reads. */
  private static long ld(INDArray a) {
    if (layout(a) == 'c') {
      return a.size(0) == 1 ? a.size(1) : a.stride(0);
    }
    return a.size(1) == 1 ? a.size(0) : a.stride(1);
  }

  /** The address of {@code a}'s first element: a view's buffer already starts at its offset. */
  private static FloatPointer pointer(INDArray a) {
    return new FloatPointer(a.data().addressPointer());
  }
}
