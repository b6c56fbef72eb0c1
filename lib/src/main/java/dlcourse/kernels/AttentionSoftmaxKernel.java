package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Unary;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The softmax of attention scores over their last dimension, with an optional causal mask, on oneDNN's softmax
 * primitive (vectorised exp, one pass per row each way): a float array {@code (..., L, S)} is seen as
 * {@code rows x S}, rows running over every matrix. The causal mask writes {@code -inf} right of the diagonal of each
 * {@code (L, S)} matrix (row i sees columns {@code j <= i}) with bulk puts before the softmax, and zeros there after it,
 * so masked weights are exactly 0. The Java loops this replaced (one {@code Math.exp} in double per element) were the
 * char-GPT's largest forward cost: 20 ms per (64, 3, 128, 128) call. Primitives are built once per (rows, S) and
 * cached. Plain 'c' float arrays only ({@link #supports}); the caller keeps its own loops for the rest. Stateless and
 * thread-safe.
 */
public final class AttentionSoftmaxKernel {
  /** Whether float arrays go through oneDNN; {@code -Ddlcourse.kernels.attnSoftmax=host} turns it off (A/B). */
  static volatile boolean dnnl = !"host".equals(System.getProperty("dlcourse.kernels.attnSoftmax"));

  private AttentionSoftmaxKernel() {}

  /** Whether the kernel is switched on (it may still refuse an array: {@link #supports}). */
  public static boolean enabled() {
    return dnnl && Dnnl.available();
  }

  /** Whether {@link #forwardInPlace} runs on {@code scores}: plain float, rank >= 2, non-empty, oneDNN loaded. */
  public static boolean supports(INDArray scores) {
    return dnnl && scores.rank() >= 2 && scores.length() > 0 && scores.length() <= Integer.MAX_VALUE
        && Prims.useDnnl(scores) && Layout.isPlain(scores);
  }

  /**
   * Replaces each row of {@code x} by its softmax, in place; with {@code causal}, row i of each {@code (L, S)} matrix
   * keeps only columns {@code j <= i} (the others become exactly 0). Every causal row sees column 0, so none is empty.
   */
  public static void forwardInPlace(INDArray x, boolean causal) {
    long cols = x.size(-1);
    long rows = x.length() / cols;
    if (causal) {
      fillMasked(x, Float.NEGATIVE_INFINITY);
    }
    Unary e = entry(rows, cols);
    try {
      e.forward(x, x);
    } finally {
      Prims.release(e);
    }
    if (causal) {
      fillMasked(x, 0f); // whatever exp(-inf) gave, a masked weight is 0
    }
  }

  /**
   * The gradient of the softmax's input, {@code y (g - sum(g y))} per row, from its output {@code y} and the output's
   * gradient {@code g} (plain float arrays of one shape), written into {@code out} (plain, may be {@code g}).
   */
  public static void backward(INDArray y, INDArray g, INDArray out) {
    long cols = y.size(-1);
    long rows = y.length() / cols;
    Unary e = entry(rows, cols);
    try {
      e.backward(DNNL_ARG_DST, y, g, out);
    } finally {
      Prims.release(e);
    }
  }

  /**
   * Writes {@code value} right of the diagonal of every {@code (L, S)} matrix of the plain float array {@code x}
   * (row i: columns {@code i + 1 .. S - 1}).
   */
  public static void fillMasked(INDArray x, float value) {
    int cols = Math.toIntExact(x.size(-1));
    int l = Math.toIntExact(x.size(-2));
    int mats = Math.toIntExact(x.length() / ((long) l * cols));
    float[] fill = new float[cols];
    java.util.Arrays.fill(fill, value);
    FloatBuffer b = x.data().asNioFloat();
    for (int m = 0; m < mats; m++) {
      for (int i = 0; i < l; i++) {
        int n = Math.min(i + 1, cols);
        if (n < cols) {
          b.put((m * l + i) * cols + n, fill, 0, cols - n);
        }
      }
    }
    Reference.reachabilityFence(x); // an NIO view does not keep its array's memory alive
  }

  private static Unary entry(long rows, long cols) {
    return Prims.acquire(List.of("attnSoftmax", rows, cols), () -> Unary.softmax(rows, cols, false));
  }

  /** For tests: the implementations oneDNN picked for the cached softmax primitives. */
  static List<String> implementations() {
    return Prims.implementations().stream().filter(s -> s.startsWith("softmax")).toList();
  }
}
