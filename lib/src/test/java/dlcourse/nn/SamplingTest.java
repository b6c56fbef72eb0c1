package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class SamplingTest {
  private static final double NEG = Double.NEGATIVE_INFINITY;

  private static Tensor logits(double[][] rows) {
    return Tensor.of(Nd4j.createFromArray(rows));
  }

  private static double[] row(Tensor t, int r) {
    return t.array().getRow(r).toDoubleVector();
  }

  /** {@code n} copies of a vector (or of the single row of a matrix) as the rows of a matrix. */
  private static Tensor rows(Tensor t, int n) {
    return Tensor.of(t.array().reshape(1, -1).repeat(0, n));
  }

  @Test
  void argmaxTakesTheFirstLargestOfEachRow() {
    Tensor t = logits(new double[][] {{0.1, 2, 2, -1}, {5, 1, 0, 4}});
    assertArrayEquals(new long[] {1, 0}, Sampling.argmax(t).array().toLongVector());
    assertEquals(3, Sampling.argmax(Tensor.of(1, 2, 3, 4)).item());
  }

  @Test
  void topKKeepsTheKLargestAndTiesWithTheKth() {
    Tensor t = logits(new double[][] {{1, 4, 3, 2, 0}, {1, 3, 3, 3, 0}});
    Tensor k2 = Sampling.topK(t, 2);
    assertArrayEquals(new double[] {NEG, 4, 3, NEG, NEG}, row(k2, 0));
    // HuggingFace keeps every logit equal to the k-th largest
    assertArrayEquals(new double[] {NEG, 3, 3, 3, NEG}, row(k2, 1));
    assertArrayEquals(row(t, 0), row(Sampling.topK(t, 9), 0));
    assertEquals(DataType.DOUBLE, k2.dtype());
    assertThrows(IllegalArgumentException.class, () -> Sampling.topK(t, 0));
  }

  @Test
  void topPKeepsTheSmallestSetWhoseMassReachesP() {
    // probabilities 0.5, 0.3, 0.15, 0.05 (logits are their logs)
    double[] p = {0.05, 0.5, 0.15, 0.3};
    double[] l = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      l[i] = Math.log(p[i]);
    }
    Tensor t = logits(new double[][] {l});
    assertArrayEquals(new double[] {NEG, l[1], NEG, NEG}, row(Sampling.topP(t, 0.4), 0));
    assertArrayEquals(new double[] {NEG, l[1], NEG, l[3]}, row(Sampling.topP(t, 0.7), 0));
    assertArrayEquals(new double[] {NEG, l[1], l[2], l[3]}, row(Sampling.topP(t, 0.9), 0));
    assertArrayEquals(l, row(Sampling.topP(t, 1.0), 0));
    // the most probable token stays even for a tiny p
    assertArrayEquals(new double[] {NEG, l[1], NEG, NEG}, row(Sampling.topP(t, 1e-9), 0));
    assertThrows(IllegalArgumentException.class, () -> Sampling.topP(t, 0));
  }

  @Test
  void seededSamplingRepeats() {
    Tensor t = Tensor.randn(3, 4, 50);
    long[] a = Sampling.sample(t, 0.9, 10, 0.9, new Random(7)).array().toLongVector();
    long[] b = Sampling.sample(t, 0.9, 10, 0.9, new Random(7)).array().toLongVector();
    assertArrayEquals(a, b);
    assertEquals(4, a.length);
  }

  @Test
  void multinomialFrequenciesMatchTheProbabilities() {
    double[] p = {0.1, 0.0, 0.2, 0.3, 0.4};
    Tensor probs = Tensor.of(p);
    int n = 50_000;
    int[] count = new int[p.length];
    long[] draws = Sampling.multinomial(rows(probs, n), new Random(1)).array().toLongVector(); // one per row
    for (long d : draws) {
      count[(int) d]++;
    }
    assertEquals(n, draws.length);
    for (int j = 0; j < p.length; j++) {
      // 4 standard deviations of a binomial proportion at n = 50,000 is at most 0.009
      assertEquals(p[j], count[j] / (double) n, 0.009, "token " + j);
    }
    assertEquals(0, count[1]);
  }

  @Test
  void sampleFrequenciesFollowTheTemperatureSoftmaxWithinTheFilters() {
    double[] l = {2.0, 1.0, 0.5, -1.0, -3.0};
    Tensor t = logits(new double[][] {l});
    double temperature = 0.7;
    // top-k 3 leaves tokens 0..2; their softmax at temperature 0.7
    double[] q = new double[3];
    double sum = 0;
    for (int j = 0; j < 3; j++) {
      q[j] = Math.exp(l[j] / temperature);
      sum += q[j];
    }
    Random rng = new Random(2);
    int n = 40_000;
    int[] count = new int[l.length];
    for (long d : Sampling.sample(rows(t, n), temperature, 3, 1.0, rng).array().toLongVector()) {
      count[(int) d]++;
    }
    for (int j = 0; j < 3; j++) {
      assertEquals(q[j] / sum, count[j] / (double) n, 0.01, "token " + j);
    }
    assertEquals(0, count[3] + count[4]);
    // temperature 0 and top-k 1 are greedy
    assertEquals(0, Sampling.sample(t, 0, 0, 1.0, rng).array().getLong(0));
    for (int i = 0; i < 20; i++) {
      assertEquals(0, Sampling.sample(t, 5.0, 1, 1.0, rng).array().getLong(0));
    }
  }

  @Test
  void badProbabilitiesAreRejected() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Sampling.multinomial(Tensor.of(0.5, -0.1), new Random(0)));
    assertTrue(e.getMessage().contains("non-negative"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Sampling.multinomial(Tensor.of(0, 0), new Random(0)));
    assertThrows(IllegalArgumentException.class, () -> Sampling.sample(Tensor.of(1, 2), -1, 0, 1, new Random(0)));
  }
}
