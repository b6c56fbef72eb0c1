package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Unary;
import java.util.List;
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
    Unary e = entry(x.size(0), x.size(1));
    try {
      INDArray y = Buffers.take(DataType.FLOAT, x.shape());
      e.forward(xp, y);
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
    Unary e = entry(logp.size(0), logp.size(1));
    try {
      e.backward(DNNL_ARG_DST, logp, gy, out);
    } finally {
      Prims.release(e);
    }
  }

  private static Unary entry(long rows, long cols) {
    return Prims.acquire(List.of("logSoftmax", rows, cols), () -> Unary.softmax(rows, cols, true));
  }

  /** For tests: the implementations oneDNN picked for the cached logsoftmax primitives. */
  static List<String> implementations() {
    return Prims.implementations().stream().filter(s -> s.startsWith("logsoftmax")).toList();
  }
}
