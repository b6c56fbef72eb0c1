package dlcourse.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Cross-entropy of logits {@code (N, C)} against class indices {@code (N)} as {@code torch.nn.functional.cross_entropy}
 * (ignore index, label smoothing), forward and backward, computed in double on the host over plain Java arrays: the
 * logits of a classifier are small, and ND4J's per-op overhead on a 64 x 10 matrix (a dozen ops) cost more than the
 * whole MNIST network's backward pass. Used by {@code F.crossEntropy} (eager) and by the captured CNN step
 * ({@code dlcourse.compile.CapturedCnnStep}), so both give the same numbers.
 *
 * <p>Arrays are row-major, {@code n} rows of {@code c}. Forward: {@code logp = x - max - log(sum(exp(x - max)))} per
 * row ({@link #logSoftmax}), then per kept row {@code loss_i = -(1 - s) logp[t_i] - s / C sum_k logp[k]}
 * ({@link #perSample}). Backward ({@link #gradient}): {@code w_i (exp(logp) - s / C)} minus {@code w_i (1 - s)} at the
 * target, zero for ignored rows, with {@code w_i} the upstream gradient of row i (times {@code 1 / kept} for the
 * mean).
 */
public final class CrossEntropyKernel {
  private CrossEntropyKernel() {}

  /**
   * The values of {@code a} in row-major order as doubles (a fresh array: the host loops may overwrite it).
   */
  public static double[] doubles(INDArray a) {
    return Layout.plain(a).data().asDouble();
  }

  /** The class indices of {@code target} (any shape with {@code n} elements, any integer or float type). */
  public static long[] classIndices(INDArray target, long n) {
    if (target.length() != n) {
      throw new IllegalArgumentException("cross-entropy needs " + n + " class indices (one per row of logits), got "
          + java.util.Arrays.toString(target.shape()));
    }
    INDArray t = target.dataType() == DataType.LONG ? target : target.castTo(DataType.LONG);
    return Layout.plain(t).data().asLong();
  }

  /** Checks that each target is a class index in {@code [0, c)} or {@code ignoreIndex}. */
  public static void checkTargets(long[] t, long c, long ignoreIndex) {
    for (int i = 0; i < t.length; i++) {
      if (t[i] != ignoreIndex && (t[i] < 0 || t[i] >= c)) {
        throw new IllegalArgumentException("target " + t[i] + " at row " + i + " is outside [0, " + c + ")");
      }
    }
  }

  /** Replaces each row of {@code x} (rows of {@code c}) by its log-softmax; returns {@code x}. */
  public static double[] logSoftmax(double[] x, int c) {
    for (int row = 0; row < x.length; row += c) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = row; j < row + c; j++) {
        max = Math.max(max, x[j]);
      }
      double norm = 0;
      for (int j = row; j < row + c; j++) {
        norm += Math.exp(x[j] - max);
      }
      double shift = max + Math.log(norm);
      for (int j = row; j < row + c; j++) {
        x[j] -= shift;
      }
    }
    return x;
  }

  /**
   * Writes each row's loss into {@code out} (0 for an ignored row) and returns the number of rows kept.
   *
   * @param logp log-probabilities from {@link #logSoftmax}
   * @param smoothing label smoothing in [0, 1]
   */
  public static int perSample(double[] logp, long[] t, int c, long ignoreIndex, double smoothing, double[] out) {
    int kept = 0;
    for (int i = 0; i < t.length; i++) {
      if (t[i] == ignoreIndex) {
        out[i] = 0;
        continue;
      }
      kept++;
      double picked = -logp[i * c + (int) t[i]];
      if (smoothing > 0) {
        double mean = 0;
        for (int k = 0; k < c; k++) {
          mean -= logp[i * c + k];
        }
        picked = (1 - smoothing) * picked + smoothing * mean / c;
      }
      out[i] = picked;
    }
    return kept;
  }

  /**
   * Writes d loss / d logits into {@code grad} ({@code n * c}).
   *
   * @param rowWeights the upstream gradient of each row's loss, or null for {@code scale} on every row
   * @param scale the weight of every row when {@code rowWeights} is null (e.g. {@code 1 / kept} for the mean)
   */
  public static void gradient(double[] logp, long[] t, int c, long ignoreIndex, double smoothing, double[] rowWeights,
      double scale, double[] grad) {
    for (int i = 0; i < t.length; i++) {
      int row = i * c;
      if (t[i] == ignoreIndex) {
        java.util.Arrays.fill(grad, row, row + c, 0);
        continue;
      }
      double w = rowWeights == null ? scale : rowWeights[i];
      for (int k = 0; k < c; k++) {
        grad[row + k] = w * (Math.exp(logp[row + k]) - smoothing / c);
      }
      grad[row + (int) t[i]] -= w * (1 - smoothing);
    }
  }
}
