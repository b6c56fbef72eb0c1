package dlcourse.nn;

import dlcourse.tensor.Shapes;
import dlcourse.tensor.Tensor;
import dlcourse.util.Check;
import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Choosing the next token from a model's scores when generating text: greedy {@link #argmax}, and sampling with
 * temperature, top-k and nucleus (top-p) filtering as HuggingFace's {@code generate} does it (the warpers
 * {@code TemperatureLogitsWarper}, {@code TopKLogitsWarper}, {@code TopPLogitsWarper}, applied in that order).
 *
 * <p>Every function takes logits (or probabilities) of shape {@code (..., V)} and treats each row over the last
 * dimension on its own; indices come back as int64 of shape {@code (...)} (a scalar for a vector). Filtered
 * logits become -inf, so a softmax gives them probability 0. Random choices draw from the {@link Random} passed
 * in, so a seeded generator repeats the same samples. Nothing here is recorded for autograd.
 *
 * <pre>{@code
 * var rng = new Random(0);
 * Tensor next = Sampling.sample(logits, 0.8, 50, 0.95, rng); // (B) token ids
 * }</pre>
 */
public final class Sampling {
  private Sampling() {}

  /** The index of the largest logit of each row (the first one on ties): greedy decoding. */
  public static Tensor argmax(Tensor logits) {
    double[][] rows = rows(logits);
    long[] out = new long[rows.length];
    for (int r = 0; r < rows.length; r++) {
      int best = 0;
      for (int j = 1; j < rows[r].length; j++) {
        if (rows[r][j] > rows[r][best]) {
          best = j;
        }
      }
      out[r] = best;
    }
    return indices(out, logits);
  }

  /**
   * Keeps the {@code k} largest logits of each row and sets the others to -inf; logits equal to the k-th largest
   * are kept too (HuggingFace's {@code TopKLogitsWarper}: {@code scores < topk(scores, k).values[..., -1]} are
   * removed). A {@code k} of at least V keeps everything.
   *
   * @throws IllegalArgumentException if {@code k < 1}
   */
  public static Tensor topK(Tensor logits, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    double[][] rows = rows(logits);
    for (double[] row : rows) {
      if (k >= row.length) {
        continue;
      }
      double[] sorted = row.clone();
      Arrays.sort(sorted);
      double kth = sorted[row.length - k];
      for (int j = 0; j < row.length; j++) {
        if (row[j] < kth) {
          row[j] = Double.NEGATIVE_INFINITY;
        }
      }
    }
    return logitsLike(rows, logits);
  }

  /**
   * Nucleus filtering: keeps the most probable logits of each row whose probabilities (softmax) first add up to
   * at least {@code p}, and sets the others to -inf (HuggingFace's {@code TopPLogitsWarper}: sorted ascending, a
   * logit is removed when the cumulative probability up to and including it is {@code <= 1 - p}; the most probable
   * one always stays).
   *
   * @param p in (0, 1]; 1 keeps everything
   * @throws IllegalArgumentException if {@code p} is not in (0, 1]
   */
  public static Tensor topP(Tensor logits, double p) {
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("p must be in (0, 1], got " + p);
    }
    double[][] rows = rows(logits);
    for (double[] row : rows) {
      double[] prob = softmax(row);
      Integer[] order = new Integer[row.length];
      for (int j = 0; j < order.length; j++) {
        order[j] = j;
      }
      Arrays.sort(order, (a, b) -> Double.compare(row[a], row[b])); // ascending, stable
      double cum = 0;
      for (int j = 0; j < order.length - 1; j++) {
        cum += prob[order[j]];
        if (cum <= 1 - p) {
          row[order[j]] = Double.NEGATIVE_INFINITY;
        }
      }
    }
    return logitsLike(rows, logits);
  }

  /**
   * One index per row drawn with probability proportional to {@code probs} (non-negative, not necessarily
   * normalised), like {@code torch.multinomial(probs, 1)}, from {@code rng}.
   *
   * @throws IllegalArgumentException if a row has a negative or non-finite entry or sums to 0
   */
  public static Tensor multinomial(Tensor probs, Random rng) {
    double[][] rows = rows(probs);
    long[] out = new long[rows.length];
    for (int r = 0; r < rows.length; r++) {
      out[r] = draw(rows[r], rng);
    }
    return indices(out, probs);
  }

  /**
   * Samples one token per row: logits divided by {@code temperature}, then {@link #topK} (when {@code topK > 0}),
   * then {@link #topP} (when {@code topP < 1}), then a draw from the softmax.
   *
   * @param temperature above 0 (below 1 sharpens, above 1 flattens); 0 means greedy, {@link #argmax}
   * @param topK keep the k best logits; 0 turns it off
   * @param topP nucleus mass in (0, 1]; 1 turns it off
   * @param rng the random source, seeded for reproducible samples
   */
  public static Tensor sample(Tensor logits, double temperature, int topK, double topP, Random rng) {
    Check.nonNegative(Check.finite(temperature, "temperature"), "temperature");
    Check.nonNegative(topK, "topK");
    if (temperature == 0) {
      return argmax(logits);
    }
    Tensor t = logitsLike(scaled(rows(logits), 1 / temperature), logits);
    if (topK > 0) {
      t = topK(t, topK);
    }
    if (topP < 1) {
      t = topP(t, topP);
    }
    double[][] rows = rows(t);
    long[] out = new long[rows.length];
    for (int r = 0; r < rows.length; r++) {
      out[r] = draw(softmax(rows[r]), rng);
    }
    return indices(out, logits);
  }

  // ---------------------------------------------------------------- helpers

  private static int draw(double[] w, Random rng) {
    double total = 0;
    int last = -1;
    for (int j = 0; j < w.length; j++) {
      if (!(w[j] >= 0) || Double.isInfinite(w[j])) {
        throw new IllegalArgumentException("probabilities must be finite and non-negative, got " + w[j]);
      }
      total += w[j];
      if (w[j] > 0) {
        last = j;
      }
    }
    if (!(total > 0)) {
      throw new IllegalArgumentException("probabilities of a row sum to " + total + ", need a positive sum");
    }
    double u = rng.nextDouble() * total;
    double cum = 0;
    for (int j = 0; j < w.length; j++) {
      cum += w[j];
      if (cum > u) {
        return j;
      }
    }
    return last; // rounding left u just above the sum
  }

  private static double[] softmax(double[] row) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : row) {
      max = Math.max(max, v);
    }
    double[] p = new double[row.length];
    double sum = 0;
    for (int j = 0; j < row.length; j++) {
      p[j] = Math.exp(row[j] - max);
      sum += p[j];
    }
    for (int j = 0; j < row.length; j++) {
      p[j] /= sum;
    }
    return p;
  }

  private static double[][] scaled(double[][] rows, double c) {
    for (double[] row : rows) {
      for (int j = 0; j < row.length; j++) {
        row[j] *= c;
      }
    }
    return rows;
  }

  /** The rows over the last dimension, as fresh double arrays. */
  private static double[][] rows(Tensor t) {
    if (t.dim() < 1 || t.size(-1) == 0) {
      throw new IllegalArgumentException("expected scores (..., V) with V > 0, got " + Shapes.str(t.shape()));
    }
    int v = (int) t.size(-1);
    double[] all = t.array().dup('c').castTo(DataType.DOUBLE).data().asDouble();
    double[][] rows = new double[all.length / v][];
    for (int r = 0; r < rows.length; r++) {
      rows[r] = Arrays.copyOfRange(all, r * v, (r + 1) * v);
    }
    return rows;
  }

  private static Tensor logitsLike(double[][] rows, Tensor like) {
    double[] all = new double[rows.length * (rows.length == 0 ? 0 : rows[0].length)];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, all, r * rows[r].length, rows[r].length);
    }
    INDArray a = Nd4j.createFromArray(all).reshape('c', like.shape());
    return Tensor.of(like.dtype() == DataType.DOUBLE ? a : a.castTo(like.dtype()));
  }

  private static Tensor indices(long[] idx, Tensor like) {
    long[] shape = Arrays.copyOf(like.shape(), like.dim() - 1);
    return Tensor.of(shape.length == 0 ? Nd4j.scalar(idx[0]) : Nd4j.createFromArray(idx).reshape('c', shape));
  }
}
