package dlcourse.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.F;
import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.tensor.Tensor;
import dlcourse.train.AdamW;
import dlcourse.train.GradClip;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class GPTTest {
  @Test
  void parameterCountsMatchTheCourseTable() {
    Init.manualSeed(0);
    var nano = new GPT(GPT.Config.nano(87, 128)).parameterCounts();
    assertEquals(new GPT.ParameterCounts(94_896, 88_752, 4_176, 28_176), nano);
    var micro = new GPT(GPT.Config.micro(87, 128)).parameterCounts();
    assertEquals(new GPT.ParameterCounts(819_712, 803_328, 11_136, 198_016), micro);
  }

  @Test
  void initFollowsNanoGpt() {
    Init.manualSeed(1);
    var model = new GPT(GPT.Config.micro(87, 128).withNLayer(8));
    var p = model.namedParameters();
    assertEquals(0.02, std(p.get("wte.weight").array()), 0.002);
    assertEquals(0.02, std(p.get("h.0.attn.cAttn.weight").array()), 0.001);
    assertEquals(0.02 / Math.sqrt(16), std(p.get("h.3.mlp.cProj.weight").array()), 0.0005);
    assertEquals(0.02 / Math.sqrt(16), std(p.get("h.7.attn.cProj.weight").array()), 0.0005);
    assertEquals(0, p.get("h.0.mlp.cFc.bias").array().amaxNumber().doubleValue());
    assertEquals(1, p.get("lnF.weight").array().minNumber().doubleValue());
    assertFalse(p.containsKey("lmHead.bias"));
    assertEquals(8 * 4 + 1, model.decayedParameters().size());
  }

  private static double std(INDArray a) {
    return a.castTo(DataType.DOUBLE).stdNumber().doubleValue();
  }

  private static Tensor ids(long[][] v) {
    return Tensor.of(Nd4j.createFromArray(v));
  }

  /**
   * Whether the outputs at positions {@code <= t} change when the tokens (or inputs) after t change: the
   * causality check, with a detector that must itself see a leak where there is one.
   */
  private static boolean leaks(Function<Tensor, Tensor> model, Tensor a, Tensor b, int t) {
    try (var g = Tensor.noGrad()) {
      INDArray ya = model.apply(a).array();
      INDArray yb = model.apply(b).array();
      INDArray pa = ya.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t + 1), NDArrayIndex.all());
      INDArray pb = yb.get(NDArrayIndex.all(), NDArrayIndex.interval(0, t + 1), NDArrayIndex.all());
      return pa.sub(pb).amaxNumber().doubleValue() > 1e-6;
    }
  }

  @Test
  void logitsAtTDoNotDependOnLaterTokens() {
    for (boolean abs : new boolean[] {false, true}) {
      Init.manualSeed(2);
      var model = new GPT(new GPT.Config(2, 2, 16, 11, 16, 0.1, abs));
      model.eval();
      long[][] x = {{1, 2, 3, 4, 5, 6, 7, 8}, {8, 7, 6, 5, 4, 3, 2, 1}};
      for (int t = 0; t < 7; t++) {
        long[][] y = {x[0].clone(), x[1].clone()};
        for (int j = t + 1; j < 8; j++) {
          y[0][j] = (y[0][j] + 3) % 11;
          y[1][j] = (y[1][j] + 5) % 11;
        }
        assertFalse(leaks(model::forward, ids(x), ids(y), t), "absEmb=" + abs + ", t=" + t);
        // changing a token at or before t does change the logits at t (the check is not vacuous)
        long[][] z = {x[0].clone(), x[1].clone()};
        z[0][t] = (z[0][t] + 1) % 11;
        assertTrue(leaks(model::forward, ids(x), ids(z), t));
      }
    }
  }

  @Test
  void theLeakCheckCatchesAttentionWithoutTheMask() {
    Init.manualSeed(3);
    Tensor a = Tensor.randn(4, 2, 6, 8);
    Tensor b = Tensor.of(a.array().dup());
    b.array().get(NDArrayIndex.all(), NDArrayIndex.interval(4, 6), NDArrayIndex.all()).addi(1.0);
    Function<Tensor, Tensor> masked = x -> F.scaledDotProductAttention(x, x, x, null, true, 0, false);
    Function<Tensor, Tensor> unmasked = x -> F.scaledDotProductAttention(x, x, x, null, false, 0, false);
    assertFalse(leaks(masked, a, b, 3));
    assertTrue(leaks(unmasked, a, b, 3), "attention without the causal mask must be caught leaking");
  }

  @Test
  void absoluteEmbeddingRefusesSequencesPastBlockSizeAndRopeDoesNot() {
    Init.manualSeed(4);
    long[][] longSeq = new long[1][20];
    var abs = new GPT(new GPT.Config(1, 2, 8, 5, 16, 0, true));
    var e = assertThrows(IllegalArgumentException.class, () -> abs.forward(ids(longSeq)));
    assertTrue(e.getMessage().contains("length 20") && e.getMessage().contains("16"), e.getMessage());
    var rope = new GPT(new GPT.Config(1, 2, 8, 5, 16, 0, false));
    assertArrayEquals(new long[] {1, 20, 5}, rope.forward(ids(longSeq)).shape());
    assertThrows(IllegalArgumentException.class, () -> new GPT(new GPT.Config(1, 3, 8, 5, 16, 0, false)));
  }

  @Test
  void tinyGptOverfitsAShortText() {
    String text = "Once upon a time there lived a king who had three daughters. The";
    assertEquals(64, text.length());
    String vocab = text.chars().distinct().sorted()
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    long[][] x = new long[1][63];
    long[] y = new long[63];
    for (int i = 0; i < 63; i++) {
      x[0][i] = vocab.indexOf(text.charAt(i));
      y[i] = vocab.indexOf(text.charAt(i + 1));
    }
    Init.manualSeed(0);
    var model = new GPT(new GPT.Config(2, 2, 32, vocab.length(), 64, 0.0, false));
    var opt = new AdamW(model.parameters(), 3e-3).betas(0.9, 0.95);
    Tensor idx = ids(x);
    Tensor target = Tensor.of(Nd4j.createFromArray(y));
    double loss = Double.NaN;
    long start = System.nanoTime();
    for (int step = 0; step < 200; step++) {
      Tensor l = F.crossEntropy(model.forward(idx).reshape(63, vocab.length()), target);
      opt.zeroGrad();
      l.backward();
      GradClip.clipGradNorm(model.parameters(), 1.0);
      opt.step();
      loss = l.item();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(loss < 0.1, "loss after 200 steps " + loss);
    assertTrue(seconds < 30, "200 steps took " + seconds + " s");
    // greedy generation from the first character now reproduces the text
    Tensor out = model.generate(ids(new long[][] {{x[0][0]}}), 20, 0, 0, 0);
    StringBuilder s = new StringBuilder();
    for (long id : out.array().reshape(21).toLongVector()) {
      s.append(vocab.charAt((int) id));
    }
    assertEquals(text.substring(0, 21), s.toString());
  }

  @Test
  void generateIsSeededAndCropsToBlockSize() {
    Init.manualSeed(5);
    var model = new GPT(new GPT.Config(1, 2, 8, 7, 4, 0.1, true)); // absEmb: a context over 4 would throw
    model.train();
    Tensor prompt = ids(new long[][] {{1, 2, 3}, {4, 5, 6}});
    Tensor a = model.generate(prompt, 6, 1.0, 3, 42);
    Tensor b = model.generate(prompt, 6, 1.0, 3, 42);
    assertArrayEquals(new long[] {2, 9}, a.shape());
    assertEquals(DataType.INT64, a.dtype());
    assertEquals(a.array(), b.array());
    assertArrayEquals(new long[] {1, 2, 3}, a.array().getRow(0).get(NDArrayIndex.interval(0, 3)).toLongVector());
    assertTrue(model.training(), "generate restores training mode");
    assertTrue(model.blocks().get(0).namedModules().values().stream().anyMatch(m -> m instanceof Linear));
  }
}
