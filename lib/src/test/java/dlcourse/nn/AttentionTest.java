package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Scaled dot-product attention, MultiheadAttention, RoPE and the sinusoidal position table. */
class AttentionTest {
  private static long seed = 500;

  private static Tensor leaf(long... shape) {
    return Tensor.of(Tensor.randn(seed++, shape).array().castTo(DataType.DOUBLE)).requiresGrad(true);
  }

  private static void assertGrad(Function<Tensor[], Tensor> f, Tensor... in) {
    double err = GradCheck.check(f, in);
    assertTrue(err < 1e-6, "gradient error " + err);
  }

  private static Tensor bools(long[] shape, boolean... v) {
    return Tensor.of(Nd4j.createFromArray(v).reshape(shape));
  }

  @Test
  void attentionGradientsMatchFiniteDifferences() {
    assertGrad(t -> F.scaledDotProductAttention(t[0], t[1], t[2], null, false, 0, false),
        leaf(2, 2, 3, 4), leaf(2, 2, 5, 4), leaf(2, 2, 5, 3));
    assertGrad(t -> F.scaledDotProductAttention(t[0], t[1], t[2], null, true, 0, false),
        leaf(2, 4, 3), leaf(2, 4, 3), leaf(2, 4, 2));
    Tensor keep = bools(new long[] {3, 3}, true, false, true, true, true, false, false, true, true);
    assertGrad(t -> F.scaledDotProductAttention(t[0], t[1], t[2], keep, true, 0, false),
        leaf(1, 2, 3, 2), leaf(1, 2, 3, 2), leaf(1, 2, 3, 2));
    Tensor additive = Tensor.of(Tensor.randn(9, 3, 4).array().castTo(DataType.DOUBLE));
    assertGrad(t -> F.scaledDotProductAttentionWithWeights(t[0], t[1], t[2], additive, false, 0, false).weights(),
        leaf(2, 3, 2), leaf(2, 4, 2), leaf(2, 4, 2));
  }

  @Test
  void multiheadAttentionGradientsMatchFiniteDifferences() {
    Tensor pad = bools(new long[] {2, 3}, false, false, true, false, true, false);
    Tensor causal = Tensor.ones(3, 3).triu(1).to(DataType.DOUBLE).mul(-1e4); // additive, large negative
    assertGrad(t -> F.multiheadAttention(t[0], t[1], t[1], 2, t[2], t[3], t[4], t[5], pad, true, causal, false, 0,
        false).output(), leaf(2, 3, 4), leaf(2, 3, 4), leaf(12, 4), leaf(12), leaf(4, 4), leaf(4));
    assertGrad(t -> F.multiheadAttention(t[0], t[0], t[0], 2, t[1], t[2], t[3], t[4], null, true, null, true, 0,
        false).weights(), leaf(2, 3, 4), leaf(12, 4), leaf(12), leaf(4, 4), leaf(4));
  }

  @Test
  void fullyMaskedRowGivesZeroOutputAndGradientNotNaN() {
    Tensor q = leaf(1, 2, 3);
    Tensor k = leaf(1, 4, 3);
    Tensor v = leaf(1, 4, 2);
    Tensor keep = bools(new long[] {2, 4}, false, false, false, false, true, false, true, false); // row 0: none
    F.Attention a = F.scaledDotProductAttentionWithWeights(q, k, v, keep, false, 0, false);
    double[][] w = a.weights().reshape(2, 4).array().toDoubleMatrix();
    assertArrayEquals(new double[] {0, 0, 0, 0}, w[0]);
    assertEquals(1.0, w[1][0] + w[1][2], 1e-12);
    double[][] out = a.output().reshape(2, 2).array().toDoubleMatrix();
    assertArrayEquals(new double[] {0, 0}, out[0]);
    a.output().sum().backward();
    assertFalse(q.grad().array().isNaN().any() || k.grad().array().isNaN().any() || v.grad().array().isNaN().any());
    assertEquals(0, q.grad().array().reshape(2, 3).getRow(0).amaxNumber().doubleValue()); // masked query: no gradient
  }

  @Test
  void largeScoresDoNotOverflow() {
    Tensor q = Tensor.of(Nd4j.createFromArray(new double[][] {{100, 0}}).reshape(1, 1, 2));
    Tensor k = Tensor.of(Nd4j.createFromArray(new double[][] {{100, 0}, {-100, 0}}).reshape(1, 2, 2));
    Tensor w = F.scaledDotProductAttentionWithWeights(q, k, k, null, false, 0, false).weights();
    assertArrayEquals(new double[] {1, 0}, w.array().reshape(2).toDoubleVector(), 1e-12);
  }

  @Test
  void attentionDropoutZeroesWeightsOnlyInTraining() {
    Init.manualSeed(3);
    Tensor q = Tensor.randn(1, 1, 8, 4);
    Tensor eval = F.scaledDotProductAttentionWithWeights(q, q, q, null, true, 0.5, false).weights();
    Tensor train = F.scaledDotProductAttentionWithWeights(q, q, q, null, true, 0.5, true).weights();
    assertEquals(8.0, eval.sum().item(), 1e-5);
    long zeros = 0;
    for (double x : train.array().reshape(64).toDoubleVector()) {
      zeros += x == 0 ? 1 : 0;
    }
    assertTrue(zeros > 28 + 5, "dropout should zero some of the 36 causal weights, zeros " + zeros);
  }

  @Test
  void shapeErrorsNameTheShapes() {
    var e = assertThrows(IllegalArgumentException.class, () -> F.scaledDotProductAttention(Tensor.zeros(2, 3, 4), Tensor
        .zeros(2, 5, 3), Tensor.zeros(2, 5, 3), null, false,
        0, false));
    assertTrue(e.getMessage().contains("(2, 3, 4)") || e.getMessage().contains("[2, 3, 4]"), e.getMessage());
    var mha = new MultiheadAttention(8, 2);
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> mha.forward(Tensor.zeros(2, 3, 8), Tensor.zeros(2, 4, 8), Tensor.zeros(2, 4, 8),
            Tensor.of(Nd4j.zeros(DataType.BOOL, 2, 3)), true, null, false));
    assertTrue(e2.getMessage().contains("keyPaddingMask"), e2.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(10, 3));
  }

  @Test
  void multiheadAttentionLayerHasTorchParametersAndInit() {
    var m = new MultiheadAttention(12, 3).dropout(0.1);
    assertEquals(java.util.List.of("inProjWeight", "inProjBias", "outProj.weight", "outProj.bias"),
        java.util.List.copyOf(m.namedParameters().keySet()));
    assertEquals(4 * 12 * 12 + 4 * 12, m.numParameters());
    assertEquals(0, m.inProjBias().array().amaxNumber().doubleValue());
    assertEquals(0, m.outProj().bias().array().amaxNumber().doubleValue());
    double bound = Math.sqrt(6.0 / (12 + 36));
    assertTrue(m.inProjWeight().array().amaxNumber().doubleValue() <= bound);
    assertEquals("MultiheadAttention(embedDim=12, numHeads=3, dropout=0.1\n"
        + "  (outProj): Linear(inFeatures=12, outFeatures=12)\n)", m.toString());
    Tensor x = Tensor.randn(1, 2, 5, 12);
    assertArrayEquals(new long[] {2, 5, 12}, m.eval().forward(x).shape());
    assertNull(m.forward(x, x, x, null, false, null, false).weights());
  }

  /** The MultiheadAttention fixtures again, through the layer with the fixture's tensors copied into it. */
  @ParameterizedTest
  @ValueSource(strings = {"mha_self_2heads", "mha_cross_kpm", "mha_self_bool_attn_mask_causal",
    "mha_cross_float_attn_mask_3d_kpm", "mha_cross_kpm_weights"})
  void multiheadAttentionLayerMatchesPyTorch(String name) {
    JsonObject fx = TorchFixturesTest.load(name);
    Map<String, JsonObject> in = new LinkedHashMap<>();
    for (JsonElement e : fx.getAsJsonArray("inputs")) {
      in.put(e.getAsJsonObject().get("name").getAsString(), e.getAsJsonObject());
    }
    JsonObject s = fx.getAsJsonObject("settings");
    long e = TorchFixturesTest.doubles(in.get("out_proj_weight")).size(0);
    var m = new MultiheadAttention(e, s.get("num_heads").getAsInt());
    m.to(DataType.DOUBLE);
    Map<String, Tensor> params = Map.of("in_proj_weight", m.inProjWeight(), "in_proj_bias", m.inProjBias(),
        "out_proj_weight", m.outProj().weight(), "out_proj_bias", m.outProj().bias());
    try (var g = Tensor.noGrad()) {
      params.forEach((k, p) -> p.assign(Tensor.of(TorchFixturesTest.doubles(in.get(k)))));
    }
    boolean self = s.get("self_attention").getAsBoolean();
    Tensor q = Tensor.of(TorchFixturesTest.doubles(in.get(self ? "x" : "query"))).requiresGrad(true);
    Tensor k = self ? q : Tensor.of(TorchFixturesTest.doubles(in.get("key"))).requiresGrad(true);
    Tensor v = self ? q : Tensor.of(TorchFixturesTest.doubles(in.get("value"))).requiresGrad(true);
    Tensor kpm = in.containsKey("key_padding_mask") ? Tensor.of(TorchFixturesTest.bools(in.get("key_padding_mask")))
        : null;
    Tensor mask = null;
    if (in.containsKey("attn_mask")) {
      JsonObject mj = in.get("attn_mask");
      mask = Tensor.of(mj.get("dtype").getAsString().equals("bool") ? TorchFixturesTest.bools(mj)
          : TorchFixturesTest.doubles(mj));
    }
    MultiheadAttention.Output out = m.forward(q, k, v, kpm, true, mask, false);
    boolean weights = fx.get("op").getAsString().endsWith("_weights");
    Tensor y = weights ? out.weights() : out.output();
    TorchFixturesTest.compare(name + " layer", fx.getAsJsonObject("output"), y.array());
    y.backward(Tensor.of(TorchFixturesTest.doubles(fx.getAsJsonObject("upstream"))));
    JsonObject grads = fx.getAsJsonObject("grads");
    TorchFixturesTest.compare(name + " layer d/dquery", grads.getAsJsonObject(self ? "x" : "query"), q.grad().array());
    for (var p : params.entrySet()) {
      if (grads.has(p.getKey())) {
        assertNotNull(p.getValue().grad(), p.getKey());
        TorchFixturesTest.compare(name + " layer d/d" + p.getKey(), grads.getAsJsonObject(p.getKey()),
            p.getValue().grad().array());
      }
    }
  }

  @Test
  void ropeGradientMatchesFiniteDifferencesAndPreservesNorms() {
    assertGrad(t -> F.rope(t[0], 3), leaf(2, 2, 5, 6));
    assertGrad(t -> F.rope(t[0], new long[] {7, 0, 2}), leaf(3, 4));
    Tensor x = leaf(1, 1, 6, 8);
    double before = x.mul(x).sum().item();
    assertEquals(before, F.rope(x, 11).pow(2).sum().item(), 1e-10);
    assertThrows(IllegalArgumentException.class, () -> F.rope(Tensor.zeros(1, 4, 5), 0));
  }

  @Test
  void ropeScoresDependOnlyOnRelativePosition() {
    Tensor q = Tensor.randn(1, 1, 16).to(DataType.DOUBLE); // one query vector at a time: (T = 1, d = 16)
    Tensor k = Tensor.randn(2, 1, 16).to(DataType.DOUBLE);
    for (long m : new long[] {0, 3, 40}) {
      for (long n : new long[] {0, 5, 77}) {
        double ref = F.rope(q, m).mul(F.rope(k, n)).sum().item();
        for (long shift : new long[] {1, 13, 1000}) {
          double shifted = F.rope(q, m + shift).mul(F.rope(k, n + shift)).sum().item();
          assertEquals(ref, shifted, 1e-6, "m=" + m + " n=" + n + " shift=" + shift);
        }
      }
    }
    // and the score does change with the distance
    double d0 = F.rope(q, 0).mul(F.rope(k, 0)).sum().item();
    double d1 = F.rope(q, 0).mul(F.rope(k, 1)).sum().item();
    assertTrue(Math.abs(d0 - d1) > 1e-3);
  }

  @Test
  void ropeRotatesAdjacentPairs() {
    // d = 2: one pair, theta_0 = 1, so position p rotates (x0, x1) by p radians.
    Tensor x = Tensor.of(Nd4j.createFromArray(new double[][] {{1, 0}, {1, 0}}));
    double[][] y = F.rope(x, 0).array().toDoubleMatrix();
    assertArrayEquals(new double[] {1, 0}, y[0], 1e-15);
    assertArrayEquals(new double[] {Math.cos(1), Math.sin(1)}, y[1], 1e-15);
    // d = 4: channels 0,1 rotate at theta_0 = 1, channels 2,3 at theta_1 = 1/100
    Tensor z = Tensor.of(Nd4j.createFromArray(new double[] {0, 1, 0, 1}).reshape(1, 4));
    double[] r = F.rope(z, 2).array().reshape(4).toDoubleVector();
    assertArrayEquals(new double[] {-Math.sin(2), Math.cos(2), -Math.sin(0.02), Math.cos(0.02)}, r, 1e-15);
  }

  @Test
  void sinusoidalTableFollowsTheFormula() {
    var pe = new SinusoidalPositionalEmbedding(6);
    Tensor y = pe.forward(Tensor.of(Nd4j.createFromArray(new long[][] {{0, 3}, {7, 1}})));
    assertArrayEquals(new long[] {2, 2, 6}, y.shape());
    assertEquals(0, pe.numParameters());
    double[] p7 = y.array().get(org.nd4j.linalg.indexing.NDArrayIndex.point(1),
        org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.all()).toDoubleVector();
    for (int i = 0; i < 3; i++) {
      double angle = 7 / Math.pow(10000, 2.0 * i / 6);
      assertEquals(Math.sin(angle), p7[2 * i], 1e-6);
      assertEquals(Math.cos(angle), p7[2 * i + 1], 1e-6);
    }
    INDArray table = F.sinusoidalPositionalEncoding(4, 6).array();
    assertArrayEquals(new double[] {0, 1, 0, 1, 0, 1}, table.getRow(0).toDoubleVector(), 0);
    assertThrows(IllegalArgumentException.class, () -> new SinusoidalPositionalEmbedding(5));
  }
}
