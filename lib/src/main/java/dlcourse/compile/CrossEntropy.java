package dlcourse.compile;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Mean cross-entropy of logits {@code (N, K)} and class indices {@code (N)} with PyTorch's defaults (targets
 * equal to -100 are ignored), and its gradient {@code (softmax - onehot) / counted}. Computed in double on the
 * host over plain Java arrays: the logits of a classifier are small, and ND4J's per-op overhead on a 64 x 10
 * matrix (a dozen ops) cost more than the whole MNIST network's backward pass.
 */
final class CrossEntropy {
  static final long IGNORE = -100;

  private CrossEntropy() {}

  /**
   * The mean loss of {@code logits} (row-major, {@code targets.length} rows of {@code k}); when {@code grad} is
   * not null, writes the gradient of the loss with respect to the logits into it.
   */
  static double loss(float[] logits, long[] targets, int k, float[] grad) {
    int n = targets.length;
    double[] row = new double[k];
    double sum = 0;
    int counted = 0;
    for (int i = 0; i < n; i++) {
      if (targets[i] != IGNORE) {
        counted++;
      }
    }
    for (int i = 0; i < n; i++) {
      long y = targets[i];
      if (y == IGNORE) {
        if (grad != null) {
          Arrays.fill(grad, i * k, (i + 1) * k, 0f);
        }
        continue;
      }
      if (y < 0 || y >= k) {
        throw new IllegalArgumentException("target " + y + " at row " + i + " is not a class index in [0, " + k + ")");
      }
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        max = Math.max(max, logits[i * k + j]);
      }
      double norm = 0;
      for (int j = 0; j < k; j++) {
        row[j] = Math.exp(logits[i * k + j] - max);
        norm += row[j];
      }
      sum += Math.log(norm) + max - logits[i * k + (int) y];
      if (grad != null) {
        for (int j = 0; j < k; j++) {
          grad[i * k + j] = (float) ((row[j] / norm - (j == y ? 1 : 0)) / counted);
        }
      }
    }
    return counted == 0 ? Double.NaN : sum / counted;
  }

  /** The class indices of {@code target} ({@code (N)} or {@code (N, 1)}, any integer or float type) for {@code n} rows. */
  static long[] targets(INDArray target, long n) {
    if (target.length() != n) {
      throw new IllegalArgumentException("cross-entropy needs " + n + " class indices (one per row of logits), got "
          + Arrays.toString(target.shape()));
    }
    INDArray t = target.dataType() == DataType.LONG ? target : target.castTo(DataType.LONG);
    return t.isView() || t.ordering() != 'c' || t.data().length() != n ? t.dup('c').data().asLong() : t.data().asLong();
  }
}
