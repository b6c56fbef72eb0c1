package dlcourse.train;

import dlcourse.util.Check;
import java.util.Arrays;
import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Classification metrics on ND4J arrays.
 *
 * <p>Every method takes either logits (or probabilities) of shape {@code (N, C)} (or {@code (N, T, C)} with labels
 * {@code (N, T)}), whose argmax over the last axis is the prediction, or predicted class indices with the same
 * shape as the labels. Labels are class indices (int64 by convention; any integer or float type is accepted).
 */
public final class Metrics {
  private Metrics() {}

  /**
   * The predicted classes: argmax over the last axis of {@code logits}, as int64.
   *
   * @param logits shape {@code (..., C)}
   * @return shape {@code (...)}
   */
  public static INDArray predictions(INDArray logits) {
    if (logits.rank() < 2) {
      throw new IllegalArgumentException(
          "logits must have a class axis, shape (N, C), got " + Arrays.toString(logits.shape()));
    }
    return Nd4j.argMax(logits, logits.rank() - 1).castTo(DataType.LONG);
  }

  /** How many predictions equal their labels. */
  public static long correct(INDArray logitsOrPredictions, INDArray labels) {
    INDArray pred = toPredictions(logitsOrPredictions, labels);
    return pred.eq(labels.castTo(DataType.LONG)).castTo(DataType.INT).sumNumber().longValue();
  }

  /**
   * The indices of the samples whose prediction differs from their label, in order: for example
   * {@code Plot.imageGrid(images.get(NDArrayIndex.indices(wrong)), ...)} shows them.
   *
   * @param logitsOrPredictions logits {@code (N, C)} or predicted classes {@code (N)}
   * @param labels class indices {@code (N)}
   */
  public static long[] misclassified(INDArray logitsOrPredictions, INDArray labels) {
    long[] pred = toPredictions(logitsOrPredictions, labels).toLongVector();
    long[] truth = labels.castTo(DataType.LONG).toLongVector();
    return java.util.stream.IntStream.range(0, truth.length).filter(i -> pred[i] != truth[i])
        .mapToLong(i -> i).toArray();
  }

  /** {@link #misclassified(INDArray, INDArray)} for tensors. */
  public static long[] misclassified(Tensor logitsOrPredictions, Tensor labels) {
    return misclassified(logitsOrPredictions.array(), labels.array());
  }

  /** How many predictions equal their labels, for tensors (a model's output and a batch's {@code y()}). */
  public static long correct(Tensor logitsOrPredictions, Tensor labels) {
    return correct(logitsOrPredictions.array(), labels.array());
  }

  /** The fraction of predictions equal to their labels, for tensors; see {@link #accuracy(INDArray, INDArray)}. */
  public static double accuracy(Tensor logitsOrPredictions, Tensor labels) {
    return accuracy(logitsOrPredictions.array(), labels.array());
  }

  /**
   * The fraction of predictions equal to their labels, in [0, 1].
   *
   * @param logitsOrPredictions logits {@code (N, C)} or predicted classes {@code (N)}
   * @param labels class indices {@code (N)}
   */
  public static double accuracy(INDArray logitsOrPredictions, INDArray labels) {
    long n = labels.length();
    if (n == 0) {
      throw new IllegalArgumentException("labels must not be empty");
    }
    return (double) correct(logitsOrPredictions, labels) / n;
  }

  /**
   * The fraction of rows whose label is among the {@code k} highest logits. A label counts when fewer than
   * {@code k} classes score strictly higher than it, so ties count in its favour.
   *
   * @param logits shape {@code (N, C)}
   * @param labels class indices, shape {@code (N)}
   * @param k number of top classes, {@code 1 <= k <= C}
   */
  public static double topK(INDArray logits, INDArray labels, int k) {
    if (logits.rank() != 2 || labels.rank() != 1 || logits.size(0) != labels.size(0)) {
      throw new IllegalArgumentException("topK needs logits (N, C) and labels (N), got "
          + Arrays.toString(logits.shape()) + " and " + Arrays.toString(labels.shape()));
    }
    int n = (int) logits.size(0);
    int c = (int) logits.size(1);
    Check.inRange(k, 1, c, "k");
    double[] v = logits.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    long[] y = labels.castTo(DataType.LONG).dup('c').data().asLong();
    long hits = 0;
    for (int i = 0; i < n; i++) {
      checkLabel(y[i], c);
      double target = v[i * c + (int) y[i]];
      int higher = 0;
      for (int j = 0; j < c && higher < k; j++) {
        if (v[i * c + j] > target) {
          higher++;
        }
      }
      if (higher < k) {
        hits++;
      }
    }
    return (double) hits / n;
  }

  static void checkLabel(long y, int numClasses) {
    if (y < 0 || y >= numClasses) {
      throw new IllegalArgumentException("label " + y + " is outside [0, " + numClasses + ")");
    }
  }

  static INDArray toPredictions(INDArray logitsOrPredictions, INDArray labels) {
    long[] ls = labels.shape();
    long[] ps = logitsOrPredictions.shape();
    if (ps.length == ls.length + 1 && Arrays.equals(Arrays.copyOf(ps, ls.length), ls)) {
      return predictions(logitsOrPredictions);
    }
    if (Arrays.equals(ps, ls)) {
      return logitsOrPredictions.castTo(DataType.LONG);
    }
    throw new IllegalArgumentException("expected logits of shape " + Arrays.toString(ls)
        + " + (C) or predictions of shape " + Arrays.toString(ls) + ", got " + Arrays.toString(ps));
  }
}
