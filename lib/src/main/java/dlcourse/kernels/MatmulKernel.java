package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Entry;
import java.util.Arrays;
import org.bytedeco.dnnl.dnnl_matmul_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batched matrix product over the last two dimensions, {@code op(a) op(b)} with {@code op} an optional transpose, as
 * one oneDNN {@code matmul} primitive: {@code a (..., M, K)}, {@code b (..., K, N)} (before {@code op}) with equal
 * leading dimensions, result {@code (..., M, N)}. The operands are read in place with their own strides (a permuted
 * or narrowed view, e.g. attention heads cut from a fused qkv projection, or a transpose, needs no copy), and the
 * result is a new 'c' array or, with {@code into}, added into that array (sum post-op), as the weight gradient of a
 * reused operand is accumulated ({@code dlcourse.tensor.Tensor.AccumulatingBackward}). Primitives are built once per
 * (shapes, strides, accumulate) and cached. Float only ({@link #supports}); the caller computes other types itself.
 * Stateless and thread-safe.
 *
 * <p>Replaces {@code Nd4j.matmul} on rank >= 3 operands, whose batched path copies permuted views and runs at a
 * fraction of the BLAS's speed on the attention products of the char-GPT and the ViT.
 */
public final class MatmulKernel {
  /** Whether float arrays go through oneDNN; {@code -Ddlcourse.kernels.matmul=host} turns it off for A/B timings. */
  static volatile boolean dnnl = !"host".equals(System.getProperty("dlcourse.kernels.matmul"));

  private MatmulKernel() {}

  /** Whether {@link #matmul} runs {@code a} and {@code b} (float, rank 3 to 12, oneDNN loaded). */
  public static boolean supports(INDArray a, INDArray b) {
    return dnnl && a.rank() >= 3 && a.rank() <= 12 && a.rank() == b.rank() && a.length() > 0 && b.length() > 0
        && Prims.useDnnl(a, b);
  }

  /**
   * {@code op(a) op(b)}, a new 'c' array, or added into {@code into} and {@code into} returned where it is a plain
   * 'c' float array of the result's shape (else, or when null, a new array).
   *
   * @throws IllegalArgumentException if the shapes do not align or the leading dimensions differ
   */
  public static INDArray matmul(INDArray a, boolean transA, INDArray b, boolean transB, INDArray into) {
    long[] ad = dims(a, transA);
    long[] bd = dims(b, transB);
    int r = ad.length;
    if (bd.length != r || ad[r - 1] != bd[r - 2]
        || !Arrays.equals(Arrays.copyOf(ad, r - 2), Arrays.copyOf(bd, r - 2))) {
      throw new IllegalArgumentException("matmul: " + Arrays.toString(ad) + " x " + Arrays.toString(bd)
          + " do not align (op applied)");
    }
    long[] cd = ad.clone();
    cd[r - 1] = bd[r - 1];
    boolean acc = into != null && Arrays.equals(into.shape(), cd) && into.dataType() == DataType.FLOAT
        && Layout.isPlain(into); // else declined: a new array
    long[] as = strides(a, transA);
    long[] bs = strides(b, transB);
    String key = "matmul " + Arrays.toString(ad) + Arrays.toString(as) + Arrays.toString(bd) + Arrays.toString(bs)
        + acc;
    MatmulPrims e = Prims.acquire(key,
        () -> new MatmulPrims(ad, as, bd, bs, cd, acc));
    try {
      INDArray c = acc ? into : Buffers.take(DataType.FLOAT, cd);
      Prims.run(e.matmul, Prims.args().addView(DNNL_ARG_SRC, e.a, a).addView(DNNL_ARG_WEIGHTS, e.b, b)
          .add(DNNL_ARG_DST, e.c, c));
      return c;
    } finally {
      Prims.release(e);
    }
  }

  /** The shape of {@code op(x)}. */
  private static long[] dims(INDArray x, boolean trans) {
    long[] d = x.shape().clone(); // ND4J hands out its own arrays
    if (trans) {
      swapLast(d);
    }
    return d;
  }

  /** The strides (in elements) of {@code op(x)}: a transpose swaps the last two. */
  private static long[] strides(INDArray x, boolean trans) {
    long[] s = x.stride().clone(); // ND4J hands out its own arrays
    long[] d = x.shape();
    for (int i = 0; i < s.length; i++) {
      if (d[i] == 1) {
        s[i] = 1; // any stride is valid for a unit dimension; ND4J's may be 0 or reflect another layout
      }
    }
    if (trans) {
      swapLast(s);
    }
    return s;
  }

  private static void swapLast(long[] v) {
    long t = v[v.length - 1];
    v[v.length - 1] = v[v.length - 2];
    v[v.length - 2] = t;
  }

  private static long[] plainStrides(long[] dims) {
    long[] s = new long[dims.length];
    long n = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = n;
      n *= dims[i];
    }
    return s;
  }

  private static dnnl_memory_desc_t md(long[] dims, long[] strides) {
    dnnl_memory_desc_t m = new dnnl_memory_desc_t();
    Dnnl.check(dnnl_memory_desc_init_by_strides(m, dims.length, dims, dnnl_f32, strides),
        "memory descriptor " + Arrays.toString(dims) + " strides " + Arrays.toString(strides));
    return m;
  }

  /** One matmul primitive for fixed shapes and strides, plain or adding into its destination. */
  private static final class MatmulPrims extends Entry {
    final dnnl_memory_desc_t a;
    final dnnl_memory_desc_t b;
    final dnnl_memory_desc_t c;
    final dnnl_primitive matmul;

    MatmulPrims(long[] ad, long[] as, long[] bd, long[] bs, long[] cd, boolean accumulate) {
      String what = "matmul " + Arrays.toString(ad) + " x " + Arrays.toString(bd) + (accumulate ? " (+=)" : "");
      a = md(ad, as);
      b = md(bd, bs);
      c = md(cd, plainStrides(cd));
      dnnl_matmul_desc_t d = new dnnl_matmul_desc_t();
      Dnnl.check(dnnl_matmul_desc_init(d, a, b, null, c), what);
      dnnl_primitive_attr attr = accumulate ? Dnnl.accumulate() : null;
      try {
        matmul = primitive(Prims.pd(d, attr, null, what), "matmul");
      } finally {
        if (attr != null) {
          dnnl_primitive_attr_destroy(attr);
        }
      }
    }
  }
}
