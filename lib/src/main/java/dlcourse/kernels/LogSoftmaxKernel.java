package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Entry;
import java.util.List;
import org.bytedeco.dnnl.dnnl_softmax_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Log-softmax over the rows of a float matrix {@code (N, C)} and its backward pass, on oneDNN's logsoftmax primitive
 * (vectorised exp and log, one pass per row each way). Behind {@code F.crossEntropy} on float logits: the char-GPT's
 * (8192, 87) logits cost 24 ms per step in the double host loops of {@link CrossEntropyKernel} ({@code Math.exp} per
 * element each way, double copies), ~1 ms here. The backward pass {@code gx = gy - exp(logp) sum(gy)} per row is the
 * cross-entropy gradient {@code w (softmax - q)} when {@code gy = -w q} for a target distribution {@code q}.
 * Primitives are built once per (N, C) and cached. Stateless and thread-safe.
 */
public final class LogSoftmaxKernel {
  /** Whether float logits go through oneDNN; {@code -Ddlcourse.kernels.logSoftmax=host} turns it off (A/B). */
  static volatile boolean dnnl = !"host".equals(System.getProperty("dlcourse.kernels.logSoftmax"));

  private LogSoftmaxKernel() {}

  /** Whether {@link #forward} runs on {@code x}: float, rank 2, non-empty, oneDNN loaded. */
  public static boolean supports(INDArray x) {
    return dnnl && x.rank() == 2 && x.length() > 0 && x.length() <= Integer.MAX_VALUE && Prims.useDnnl(x);
  }

  /** The log-softmax of each row of {@code x} (N, C): a new plain array. */
  public static INDArray forward(INDArray x) {
    INDArray xp = Layout.plain(x);
    LogSoftmaxPrims e = entry(x.size(0), x.size(1));
    try {
      INDArray y = Buffers.take(DataType.FLOAT, x.shape());
      Prims.run(e.forward, Prims.args().add(DNNL_ARG_SRC, e.md, xp).add(DNNL_ARG_DST, e.md, y));
      return y;
    } finally {
      Prims.release(e);
    }
  }

  /**
   * The gradient of the input from the output {@code logp} and its gradient {@code gy} (plain float (N, C)):
   * {@code gy - exp(logp) sum(gy)} per row, written into {@code out} (plain (N, C), may be {@code gy}).
   */
  public static void backward(INDArray logp, INDArray gy, INDArray out) {
    LogSoftmaxPrims e = entry(logp.size(0), logp.size(1));
    try {
      Prims.run(e.backward, Prims.args().add(DNNL_ARG_DST, e.md, logp).add(DNNL_ARG_DIFF_DST, e.md, gy)
          .add(DNNL_ARG_DIFF_SRC, e.md, out));
    } finally {
      Prims.release(e);
    }
  }

  private static LogSoftmaxPrims entry(long rows, long cols) {
    return Prims.acquire(List.of("logSoftmax", rows, cols), () -> new LogSoftmaxPrims(rows, cols));
  }

  /** Forward (training) and backward logsoftmax primitives over the rows of a (rows, cols) float matrix. */
  private static final class LogSoftmaxPrims extends Entry {
    final dnnl_memory_desc_t md;
    final dnnl_primitive forward;
    final dnnl_primitive backward;

    LogSoftmaxPrims(long rows, long cols) {
      String what = "logsoftmax (" + rows + ", " + cols + ")";
      md = Dnnl.md(dnnl_ab, rows, cols);
      dnnl_softmax_desc_t f = new dnnl_softmax_desc_t();
      Dnnl.check(dnnl_logsoftmax_forward_desc_init(f, dnnl_forward_training, md, 1), what);
      dnnl_primitive_desc fpd = keep(Prims.pd(f, null, null, what));
      forward = primitive(fpd, "logsoftmax forward");
      dnnl_softmax_desc_t b = new dnnl_softmax_desc_t();
      Dnnl.check(dnnl_logsoftmax_backward_desc_init(b, md, md, 1), what + " gradient");
      backward = primitive(Prims.pd(b, null, fpd, what + " gradient"), "logsoftmax backward");
    }
  }

  /** For tests: the implementations oneDNN picked for the cached logsoftmax primitives. */
  static List<String> implementations() {
    return Prims.implementations().stream().filter(s -> s.startsWith("logsoftmax")).toList();
  }
}
