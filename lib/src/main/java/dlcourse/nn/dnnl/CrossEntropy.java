package dlcourse.nn.dnnl;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mean cross-entropy of logits {@code (N, K)} and class indices {@code (N)} with PyTorch's defaults (targets
 * equal to -100 are ignored), and its gradient {@code (softmax - onehot) / counted}. Computed in double on the
 * host: the logits of a classifier are small.
 */
record CrossEntropy(double loss, INDArray gradient) {
  static final long IGNORE = -100;

  static CrossEntropy of(INDArray logits, INDArray target) {
    if (logits.rank() != 2 || target.length() != logits.size(0)) {
      throw new IllegalArgumentException("cross-entropy needs logits (N, K) and targets (N), got "
          + Arrays.toString(logits.shape()) + " and " + Arrays.toString(target.shape()));
    }
    int n = (int) logits.size(0);
    int k = (int) logits.size(1);
    double[][] z = logits.castTo(DataType.DOUBLE).toDoubleMatrix();
    long[] y = target.castTo(DataType.LONG).reshape(n).toLongVector();
    double[][] g = new double[n][k];
    double sum = 0;
    int counted = 0;
    for (int i = 0; i < n; i++) {
      if (y[i] == IGNORE) {
        continue;
      }
      if (y[i] < 0 || y[i] >= k) {
        throw new IllegalArgumentException("target " + y[i] + " at row " + i + " is not a class index in [0, " + k + ")");
      }
      double max = Double.NEGATIVE_INFINITY;
      for (double v : z[i]) {
        max = Math.max(max, v);
      }
      double norm = 0;
      for (int j = 0; j < k; j++) {
        g[i][j] = Math.exp(z[i][j] - max);
        norm += g[i][j];
      }
      for (int j = 0; j < k; j++) {
        g[i][j] /= norm;
      }
      sum += Math.log(norm) + max - z[i][(int) y[i]];
      g[i][(int) y[i]] -= 1;
      counted++;
    }
    for (double[] row : g) {
      for (int j = 0; j < k; j++) {
        row[j] /= Math.max(counted, 1);
      }
    }
    double loss = counted == 0 ? Double.NaN : sum / counted;
    return new CrossEntropy(loss, Nd4j.createFromArray(g).castTo(DataType.FLOAT));
  }
}
