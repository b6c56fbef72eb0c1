package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Entry;
import java.util.List;
import org.bytedeco.dnnl.dnnl_matmul_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The core of multi-head self-attention without masks or dropout, from the fused projection {@code qkv (B, T, 3E)}
 * (q, k, v side by side, each {@code numHeads} heads of {@code d = E / numHeads} channels) to the heads side by side
 * {@code (B, T, E)}: {@code softmax(q k^T / sqrt(d)) v} per head, optionally causal. What {@code F.multiheadAttention}
 * computes with narrow, reshape, transpose, a scale, two batched products, the softmax and the merge of the heads, as
 * one operation on plain arrays: one oneDNN reorder splits qkv into plain {@code (3, B, h, T, d)} heads, the scale sits
 * in the scores' matmul (output scale), the softmax is {@link AttentionSoftmaxKernel}'s, and one reorder merges the
 * heads. Backward: one reorder splits the output's gradient into heads, four matmuls and the softmax's backward pass,
 * and one reorder merges dq, dk, dv into the gradient of qkv.
 *
 * <p>Why: oneDNN's matmul on the permuted head views picks its per-matrix {@code gemm:jit} (4x slower than on plain
 * heads at the ViT's (128, 4, 17, 8): 630 against 149 us), and the split and merge of heads were ND4J copies of
 * strided views with one recorded op each. Plain float arrays only ({@link #supports}). Stateless and thread-safe.
 */
public final class HeadsAttentionKernel {
  /** Whether the fused path is used; {@code -Ddlcourse.kernels.headsAttention=false} turns it off (A/B timings). */
  static volatile boolean enabled = !"false".equals(System.getProperty("dlcourse.kernels.headsAttention"));

  private HeadsAttentionKernel() {}

  /** Whether {@link #forward} runs on {@code qkv}: a plain float {@code (B, T, 3E)} with E divisible by the heads. */
  public static boolean supports(INDArray qkv, int heads) {
    return enabled && AttentionSoftmaxKernel.enabled() && qkv.rank() == 3 && qkv.dataType() == DataType.FLOAT
        && heads > 0 && qkv.size(2) % (3L * heads) == 0 && qkv.length() > 0 && Layout.isPlain(qkv)
        && (long) qkv.size(0) * heads * qkv.size(1) * qkv.size(1) <= Integer.MAX_VALUE;
  }

  /** What the backward pass reads: the heads {@code (3, B, h, T, d)} and the attention weights {@code (B, h, T, T)}. */
  public static final class Saved {
    final INDArray heads;
    final INDArray probs;
    final int numHeads;
    final boolean causal;

    Saved(INDArray heads, INDArray probs, int numHeads, boolean causal) {
      this.heads = heads;
      this.probs = probs;
      this.numHeads = numHeads;
      this.causal = causal;
    }

    /** The saved arrays (for {@code Tensor.recycleAfterBackward}). */
    public INDArray[] arrays() {
      return new INDArray[] {heads, probs};
    }

    /** Gives the saved arrays back to the buffer pool: nothing may call {@link #backward} with this afterwards. */
    public void recycle() {
      Buffers.recycle(heads);
      Buffers.recycle(probs);
    }
  }

  /**
   * The attention of {@code qkv (B, T, 3E)}: a new plain {@code (B, T, E)} array; {@code saved[0]} receives what
   * {@link #backward} needs.
   */
  public static INDArray forward(INDArray qkv, int numHeads, boolean causal, Saved[] saved) {
    long b = qkv.size(0);
    long t = qkv.size(1);
    long e = qkv.size(2) / 3;
    Prim p = entry(b, t, e, numHeads);
    try {
      INDArray heads = Buffers.take(DataType.FLOAT, 3, b, numHeads, t, e / numHeads);
      copy(p.split, p.qkvView, qkv, p.heads, heads);
      INDArray probs = Buffers.take(DataType.FLOAT, b, numHeads, t, t);
      Prims.run(p.scores, Prims.args().add(DNNL_ARG_SRC, p.head, slot(heads, 0)).add(DNNL_ARG_WEIGHTS, p.headT,
          slot(heads, 1)).add(DNNL_ARG_DST, p.square, probs));
      AttentionSoftmaxKernel.forwardInPlace(probs, causal);
      INDArray o = Buffers.take(DataType.FLOAT, b, numHeads, t, e / numHeads);
      Prims.run(p.weighted, Prims.args().add(DNNL_ARG_SRC, p.square, probs).add(DNNL_ARG_WEIGHTS, p.head,
          slot(heads, 2)).add(DNNL_ARG_DST, p.head, o));
      INDArray out = Buffers.take(DataType.FLOAT, b, t, e);
      copy(p.merge, p.head, o, p.outView, out);
      Buffers.recycle(o);
      saved[0] = new Saved(heads, probs, numHeads, causal);
      return out;
    } finally {
      Prims.release(p);
    }
  }

  /** The gradient of qkv, a new plain {@code (B, T, 3E)} array, from the output's gradient {@code g (B, T, E)}. */
  public static INDArray backward(Saved s, INDArray g) {
    long b = s.probs.size(0);
    long t = s.probs.size(2);
    int h = s.numHeads;
    long d = s.heads.size(4);
    long e = h * d;
    Prim p = entry(b, t, e, h);
    try {
      INDArray gp = Layout.plain(g);
      INDArray go = Buffers.take(DataType.FLOAT, b, h, t, d);
      copy(p.split1, p.outView, gp, p.head, go);
      java.lang.ref.Reference.reachabilityFence(gp);
      INDArray gw = Buffers.take(DataType.FLOAT, b, h, t, t); // d weights, then d scores in place
      Prims.run(p.gradWeights, Prims.args().add(DNNL_ARG_SRC, p.head, go).add(DNNL_ARG_WEIGHTS, p.headT,
          slot(s.heads, 2)).add(DNNL_ARG_DST, p.square, gw));
      INDArray gh = Buffers.take(DataType.FLOAT, 3, b, h, t, d);
      Prims.run(p.gradV, Prims.args().add(DNNL_ARG_SRC, p.squareT, s.probs).add(DNNL_ARG_WEIGHTS, p.head, go)
          .add(DNNL_ARG_DST, p.head, slot(gh, 2)));
      Buffers.recycle(go);
      AttentionSoftmaxKernel.backward(s.probs, gw, gw);
      Prims.run(p.gradQ, Prims.args().add(DNNL_ARG_SRC, p.square, gw).add(DNNL_ARG_WEIGHTS, p.head,
          slot(s.heads, 1)).add(DNNL_ARG_DST, p.head, slot(gh, 0)));
      Prims.run(p.gradK, Prims.args().add(DNNL_ARG_SRC, p.squareT, gw).add(DNNL_ARG_WEIGHTS, p.head,
          slot(s.heads, 0)).add(DNNL_ARG_DST, p.head, slot(gh, 1)));
      Buffers.recycle(gw);
      INDArray gqkv = Buffers.take(DataType.FLOAT, b, t, 3 * e);
      copy(p.merge3, p.heads, gh, p.qkvView, gqkv);
      Buffers.recycle(gh);
      return gqkv;
    } finally {
      Prims.release(p);
    }
  }

  /** {@code from} into {@code to} by {@code reorder}; null means one layout (a single head): a plain copy. */
  private static void copy(dnnl_primitive reorder, dnnl_memory_desc_t fromMd, INDArray from, dnnl_memory_desc_t toMd,
      INDArray to) {
    if (reorder == null) {
      to.reshape(to.length()).assign(from.reshape(from.length()));
    } else {
      Prims.run(reorder, Prims.args().add(DNNL_ARG_FROM, fromMd, from).add(DNNL_ARG_TO, toMd, to));
    }
  }

  /** Piece {@code i} (q, k or v) of a plain {@code (3, B, h, T, d)} array: a view starting at its first element. */
  private static INDArray slot(INDArray heads, int i) {
    long n = heads.length() / 3;
    return Nd4j.create(heads.data(), new long[] {n}, new long[] {1}, i * n, 'c');
  }

  private static Prim entry(long b, long t, long e, int h) {
    return Prims.acquire(List.of("headsAttention", b, t, e, h), () -> new Prim(b, t, e, h));
  }

  private static dnnl_memory_desc_t md(long[] dims, long[] strides) {
    dnnl_memory_desc_t m = new dnnl_memory_desc_t();
    Dnnl.check(dnnl_memory_desc_init_by_strides(m, dims.length, dims, dnnl_f32, strides),
        "memory descriptor " + java.util.Arrays.toString(dims));
    return m;
  }

  /** The reorders and matmuls for one (B, T, E, h). */
  private static final class Prim extends Entry {
    /** qkv (B, T, 3E) seen as (3, B, h, T, d); the output (B, T, E) seen as (B, h, T, d). */
    final dnnl_memory_desc_t qkvView;
    final dnnl_memory_desc_t outView;
    /** Plain (3, B, h, T, d), (B, h, T, d), its transpose (B, h, d, T), (B, h, T, T) and its transpose. */
    final dnnl_memory_desc_t heads;
    final dnnl_memory_desc_t head;
    final dnnl_memory_desc_t headT;
    final dnnl_memory_desc_t square;
    final dnnl_memory_desc_t squareT;
    final dnnl_primitive split;
    final dnnl_primitive merge;
    final dnnl_primitive split1;
    final dnnl_primitive merge3;
    final dnnl_primitive scores;
    final dnnl_primitive weighted;
    final dnnl_primitive gradWeights;
    final dnnl_primitive gradV;
    final dnnl_primitive gradQ;
    final dnnl_primitive gradK;

    Prim(long b, long t, long e, int h) {
      long d = e / h;
      float scale = (float) (1 / Math.sqrt(d));
      qkvView = md(new long[] {3, b, h, t, d}, new long[] {e, t * 3 * e, d, 3 * e, 1});
      outView = md(new long[] {b, h, t, d}, new long[] {t * e, d, e, 1});
      heads = md(new long[] {3, b, h, t, d}, new long[] {b * h * t * d, h * t * d, t * d, d, 1});
      head = md(new long[] {b, h, t, d}, new long[] {h * t * d, t * d, d, 1});
      headT = md(new long[] {b, h, d, t}, new long[] {h * t * d, t * d, 1, d});
      square = md(new long[] {b, h, t, t}, new long[] {h * t * t, t * t, t, 1});
      squareT = md(new long[] {b, h, t, t}, new long[] {h * t * t, t * t, 1, t});
      split = reorder(qkvView, heads, "split heads"); // Entry.reorder: null for one layout (one head)
      merge = reorder(head, outView, "merge heads");
      split1 = reorder(outView, head, "split heads (gradient)");
      merge3 = reorder(heads, qkvView, "merge heads (gradient)");
      scores = matmul(head, headT, square, scale, "scores");
      weighted = matmul(square, head, head, 1, "weighted values");
      gradWeights = matmul(head, headT, square, 1, "weights gradient");
      gradV = matmul(squareT, head, head, 1, "values gradient");
      gradQ = matmul(square, head, head, scale, "queries gradient");
      gradK = matmul(squareT, head, head, scale, "keys gradient");
    }

    private dnnl_primitive matmul(dnnl_memory_desc_t a, dnnl_memory_desc_t w, dnnl_memory_desc_t c, float scale,
        String what) {
      dnnl_matmul_desc_t desc = new dnnl_matmul_desc_t();
      Dnnl.check(dnnl_matmul_desc_init(desc, a, w, null, c), "matmul " + what);
      dnnl_primitive_attr attr = null;
      if (scale != 1) {
        attr = new dnnl_primitive_attr();
        Dnnl.check(dnnl_primitive_attr_create(attr), "primitive attributes");
        Dnnl.check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, new float[] {scale}), "output scale");
      }
      try {
        return primitive(Prims.pd(desc, attr, null, "matmul " + what), "matmul " + what);
      } finally {
        if (attr != null) {
          dnnl_primitive_attr_destroy(attr);
        }
      }
    }
  }

  /** For tests: the implementations oneDNN picked for the cached primitives of this kernel. */
  static List<String> implementations() {
    return Prims.implementations().stream()
        .filter(s -> s.contains("heads") || s.contains("scores") || s.contains("gradient") || s.contains("weighted"))
        .toList();
  }
}
