package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** FlashAttention (tiled, online softmax) and sliding-window attention against masked full attention. */
class TiledAttentionTest {

  private static Tensor randn(long seed, DataType type, long... shape) {
    return Tensor.of(Tensor.randn(seed, shape).array().castTo(type));
  }

  private static double maxDiff(Tensor a, Tensor b) {
    return GradCheck.maxAbsDiff(a.array(), b.array());
  }

  private static Tensor sdpa(Tensor q, Tensor k, Tensor v, boolean causal) {
    return F.scaledDotProductAttention(q, k, v, null, causal, 0, false);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void flashEqualsMaskedAttentionInFloatAndDouble(boolean causal) {
    for (int tile : new int[] {7, 64, 500}) { // 200 is no multiple of 7 or 64; 500 is one tile
      Tensor q = randn(1, DataType.FLOAT, 2, 2, 200, 16);
      Tensor k = randn(2, DataType.FLOAT, 2, 2, 200, 16);
      Tensor v = randn(3, DataType.FLOAT, 2, 2, 200, 8);
      double f = maxDiff(F.flashAttention(q, k, v, causal, tile), sdpa(q, k, v, causal));
      assertTrue(f < 2e-6, "float, tile " + tile + ": " + f);
      Tensor qd = q.to(DataType.DOUBLE);
      Tensor kd = k.to(DataType.DOUBLE);
      Tensor vd = v.to(DataType.DOUBLE);
      Tensor out = F.flashAttention(qd, kd, vd, causal, tile);
      assertEquals(DataType.DOUBLE, out.dtype());
      assertArrayEquals(new long[] {2, 2, 200, 8}, out.shape());
      double d = maxDiff(out, sdpa(qd, kd, vd, causal));
      assertTrue(d < 1e-13, "double, tile " + tile + ": " + d);
    }
  }

  /**
   * Scores that grow along the keys, so every key tile raises each row's running maximum: the output is right only if
   * the sums and outputs gathered under the old maximum are rescaled by exp(m - m'). Large logits (scores up to ~100)
   * also overflow exp without the subtraction.
   */
  @Test
  void onlineSoftmaxRescalesWhenALaterTileRaisesTheMaximum() {
    int n = 96;
    double[][] kv = new double[n][4];
    for (int j = 0; j < n; j++) {
      for (int c = 0; c < 4; c++) {
        kv[j][c] = 0.05 * j + 0.3 * Math.sin(7 * j + c); // grows with j, with jitter
      }
    }
    Tensor k = Tensor.of(Nd4j.createFromArray(kv).reshape(1, n, 4));
    Tensor q = Tensor.of(Nd4j.ones(DataType.DOUBLE, 1, n, 4).mul(10)); // scores up to 10 * 4 * 4.75 / 2 = 95
    Tensor v = randn(5, DataType.DOUBLE, 1, n, 3);
    for (boolean causal : new boolean[] {false, true}) {
      Tensor ref = sdpa(q, k, v, causal);
      double d = maxDiff(F.flashAttention(q, k, v, causal, 8), ref);
      assertTrue(d < 1e-12, "causal " + causal + ": " + d);
      assertFalse(ref.array().isNaN().any());
    }
    // Random inputs with large logits (standard deviation ~30) in float, many tiles.
    Tensor q2 = randn(6, DataType.FLOAT, 4, 300, 32).mul(6);
    Tensor k2 = randn(7, DataType.FLOAT, 4, 300, 32);
    Tensor v2 = randn(8, DataType.FLOAT, 4, 300, 32);
    for (boolean causal : new boolean[] {false, true}) {
      double d = maxDiff(F.flashAttention(q2, k2, v2, causal, 16), sdpa(q2, k2, v2, causal));
      assertTrue(d < 1e-5, "large logits, causal " + causal + ": " + d);
    }
  }

  @Test
  void queriesAndKeysOfDifferentLengths() {
    for (long[] ls : new long[][] {{7, 50}, {50, 7}, {1, 1}, {13, 13}}) {
      Tensor q = randn(10, DataType.DOUBLE, 2, ls[0], 6);
      Tensor k = randn(11, DataType.DOUBLE, 2, ls[1], 6);
      Tensor v = randn(12, DataType.DOUBLE, 2, ls[1], 5);
      for (boolean causal : new boolean[] {false, true}) {
        double d = maxDiff(F.flashAttention(q, k, v, causal, ls[0] == 13 ? 1 : 4), sdpa(q, k, v, causal));
        assertTrue(d < 1e-13, ls[0] + "x" + ls[1] + " causal " + causal + ": " + d);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void flashGradientsMatchFiniteDifferencesAndFullAttention(boolean causal) {
    Tensor q = randn(20, DataType.DOUBLE, 1, 9, 4).requiresGrad(true);
    Tensor k = randn(21, DataType.DOUBLE, 1, 9, 4).requiresGrad(true);
    Tensor v = randn(22, DataType.DOUBLE, 1, 9, 3).requiresGrad(true);
    double err = GradCheck.check(t -> F.flashAttention(t[0], t[1], t[2], causal, 4), q, k, v);
    assertTrue(err < 1e-7, "gradient error " + err);
    // Larger, against the gradients of full attention (recomputed P, FlashAttention-2's backward).
    Tensor[] a = {randn(23, DataType.DOUBLE, 3, 70, 8), randn(24, DataType.DOUBLE, 3, 70, 8),
      randn(25, DataType.DOUBLE, 3, 70, 5)};
    Tensor w = randn(26, DataType.DOUBLE, 3, 70, 5);
    Tensor[][] grads = new Tensor[2][];
    for (int impl = 0; impl < 2; impl++) {
      Tensor[] in = {a[0].detach().requiresGrad(true), a[1].detach().requiresGrad(true),
        a[2].detach().requiresGrad(true)};
      Tensor out = impl == 0 ? F.flashAttention(in[0], in[1], in[2], causal, 16) : sdpa(in[0], in[1], in[2], causal);
      out.mul(w).sum().backward();
      grads[impl] = new Tensor[] {in[0].grad(), in[1].grad(), in[2].grad()};
    }
    for (int i = 0; i < 3; i++) {
      double d = maxDiff(grads[0][i], grads[1][i]);
      assertTrue(d < 1e-12, "gradient " + "qkv".charAt(i) + ": " + d);
    }
  }

  @Test
  void flashRejectsBadShapesAndTiles() {
    Tensor q = randn(1, DataType.FLOAT, 2, 5, 4);
    var e = assertThrows(IllegalArgumentException.class,
        () -> F.flashAttention(q, randn(2, DataType.FLOAT, 2, 5, 3), q, false, 4));
    assertTrue(e.getMessage().contains("(2, 5, 3)"), e.getMessage());
    var t = assertThrows(IllegalArgumentException.class, () -> F.flashAttention(q, q, q, false, 0));
    assertTrue(t.getMessage().contains("tileSize"), t.getMessage());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void slidingWindowEqualsBandMaskedAttention(boolean causal) {
    int n = 75;
    for (int w : new int[] {0, 3, 20, 100}) {
      Tensor q = randn(30, DataType.DOUBLE, 2, n, 8);
      Tensor k = randn(31, DataType.DOUBLE, 2, n, 8);
      Tensor v = randn(32, DataType.DOUBLE, 2, n, 6);
      boolean[] keep = new boolean[n * n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          keep[i * n + j] = causal ? j <= i && i - j <= w : Math.abs(i - j) <= w;
        }
      }
      Tensor band = Tensor.of(Nd4j.createFromArray(keep).reshape(n, n));
      Tensor ref = F.scaledDotProductAttention(q, k, v, band, false, 0, false);
      double d = maxDiff(F.slidingWindowAttention(q, k, v, w, causal), ref);
      assertTrue(d < 1e-13, "window " + w + ": " + d);
    }
    // The window changes the result: it is not full attention in disguise.
    Tensor q = randn(33, DataType.DOUBLE, 1, 40, 4);
    assertTrue(maxDiff(F.slidingWindowAttention(q, q, q, 3, causal), sdpa(q, q, q, causal)) > 1e-3);
  }

  @Test
  void slidingWindowGradientsMatchFiniteDifferences() {
    for (boolean causal : new boolean[] {false, true}) {
      Tensor q = randn(40, DataType.DOUBLE, 1, 40, 3).requiresGrad(true); // two blocks of 32 and 8 queries
      Tensor k = randn(41, DataType.DOUBLE, 1, 40, 3).requiresGrad(true);
      Tensor v = randn(42, DataType.DOUBLE, 1, 40, 2).requiresGrad(true);
      double err = GradCheck.check(t -> F.slidingWindowAttention(t[0], t[1], t[2], 2, causal), q, k, v);
      assertTrue(err < 1e-7, "gradient error " + err);
    }
  }
}
