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
    var mini = new GPT(GPT.Config.mini(87, 128)).parameterCounts();
    assertEquals(new GPT.ParameterCounts(10_725_120, 10_675_968, 33_408, 1_773_696), mini);
  }

  @Test
  void summaryOfTokenIdsListsEveryLayerCalled() {
    Init.manualSeed(0);
    var model = new GPT(GPT.Config.nano(87, 128));
    var summary = model.summary(Tensor.of(Nd4j.zeros(DataType.INT64, 1, 128)));
    assertEquals(94_896 + 4_176, summary.totalParameters());
    var table = summary.table();
    // the position table is not called with RoPE: its 128 x 48 are in the "(own)" row, so the column adds up
    assertEquals(94_896 + 4_176, (long) table.longColumn("parameters").sum());
    var own = table.where(table.stringColumn("layer").isEqualTo("(own)"));
    assertEquals(128 * 48, own.longColumn("parameters").getLong(0), table.print());
    assertEquals("(1, 128, 87)", summary.outputShapes().get(summary.outputShapes().size() - 1));
    assertTrue(table.stringColumn("layer").asList().contains("h.2.attn.cAttn"), table.print());
  }

  @Test
  void configSurvivesAJsonRoundTrip() {
    var cfg = GPT.Config.micro(87, 128).withAbsEmb(true).withDropout(0.2);
    var json = new com.google.gson.Gson().toJson(cfg.toMap());
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> back = new com.google.gson.Gson().fromJson(json, java.util.Map.class);
    assertEquals(cfg, GPT.Config.fromMap(back));
    back.remove("nHead");
    var e = assertThrows(IllegalArgumentException.class, () -> GPT.Config.fromMap(back));
    assertTrue(e.getMessage().contains("nHead"), e.getMessage());
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
    // the rest: 8 x (2 norms + 4 biases) + lnF + wte + wpe, each parameter in exactly one group
    assertEquals(8 * 6 + 3, model.noDecayParameters().size());
    assertEquals(model.parameters().size(), model.decayedParameters().size() + model.noDecayParameters().size());
    assertEquals(GPT.Config.micro(87, 128), GPT.Config.of("gpt-micro", 87, 128));
    var e = assertThrows(IllegalArgumentException.class, () -> GPT.Config.of("gpt-huge", 87, 128));
    assertTrue(e.getMessage().contains("gpt-huge") && e.getMessage().contains("gpt-mini"), e.getMessage());
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
  void theLeakCheckCatchesAGptWithoutTheCausalMask() {
    Init.manualSeed(2);
    var model = new GPT(new GPT.Config(2, 2, 16, 11, 16, 0.0, false));
    model.eval();
    long[][] x = {{1, 2, 3, 4, 5, 6, 7, 8}};
    long[][] y = {{1, 2, 3, 4, 9, 9, 9, 9}};
    assertFalse(leaks(model::forward, ids(x), ids(y), 3));
    int switched = 0;
    for (var m : model.namedModules().values()) {
      if (m instanceof GPT.CausalSelfAttention a) {
        a.causal = false; // the bug: attention over every position, later ones included
        switched++;
      }
    }
    assertEquals(2, switched);
    for (int t = 0; t < 4; t++) {
      assertTrue(leaks(model::forward, ids(x), ids(y), t), "the unmasked GPT must be caught at t=" + t);
    }
  }

  @Test
  void ropeScoresOfTheModelsOwnQueriesAndKeysDependOnlyOnDistance() {
    Init.manualSeed(6);
    var cfg = new GPT.Config(1, 2, 16, 11, 32, 0.0, false);
    var model = new GPT(cfg);
    var cAttn = (Linear) model.blocks().get(0).namedModules().get("attn.cAttn");
    try (var g = Tensor.noGrad()) {
      Tensor x = Tensor.randn(6, 8, 16).to(DataType.DOUBLE); // seed 6: (T, C)
      Tensor w = Tensor.of(cAttn.weight().data().castTo(DataType.DOUBLE)); // (3C, C)
      Tensor[] qkv = F.linear(x, w, null).chunk(3, 1); // 3 x (T, C)
      Tensor q = qkv[0].reshape(1, 8, 2, 8).transpose(1, 2); // (1, nh, T, hs)
      Tensor k = qkv[1].reshape(1, 8, 2, 8).transpose(1, 2); // (1, nh, T, hs)
      INDArray s0 = F.rope(q, 0).matmul(F.rope(k, 0).transpose(2, 3)).array(); // (1, nh, T, T)
      double scale = s0.amaxNumber().doubleValue();
      for (long shift : new long[] {1, 17, 500}) {
        INDArray s = F.rope(q, shift).matmul(F.rope(k, shift).transpose(2, 3)).array();
        assertEquals(0, s.sub(s0).amaxNumber().doubleValue(), 1e-6 * scale, "shift " + shift);
      }
      // moving only the keys by 3 positions changes the scores
      INDArray moved = F.rope(q, 0).matmul(F.rope(k, 3).transpose(2, 3)).array();
      assertTrue(moved.sub(s0).amaxNumber().doubleValue() > 0.05 * scale);
    }
  }

  @Test
  void untrainedLossOnGrimmsTalesIsLnOfTheVocabulary() {
    var registry = new dlcourse.data.DataRegistry().download(false);
    if (registry.dataRoot() == null) { // unset: the mirror beside the checkout, as MirrorTest finds it
      registry.dataRoot(java.nio.file.Path.of("../../shared/data").toAbsolutePath().normalize());
    }
    var text = dlcourse.data.TextCorpus.read(registry.file("grimms_fairy_tales", "grimms_fairy_tales.txt"), true);
    assertEquals(87, text.vocabSize(), "the course template keeps the BOM: 87 characters");
    assertEquals(540_241, text.length());
    assertEquals(540_113, text.numBlocks(128));
    Init.manualSeed(7);
    var model = new GPT(GPT.Config.nano(87, 128));
    model.eval();
    java.util.Random rng = new java.util.Random(0);
    long[] offsets = rng.longs(16, 0, text.numBlocks(128)).toArray();
    var batch = text.blocks(offsets, 128);
    try (var g = Tensor.noGrad()) {
      double loss = F.crossEntropy(model.forward(batch.x()).reshape(16 * 128, 87), batch.y().reshape(16 * 128)).item();
      assertEquals(Math.log(87), loss, 0.05, "N(0, 0.02) weights give near-uniform logits");
    }
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
    // top-p draws are seeded too, top-k and top-p together are refused as in the template
    assertEquals(model.generate(prompt, 6, 0.8, 0, 0.9, 7).array(), model.generate(prompt, 6, 0.8, 0, 0.9, 7).array());
    var e = assertThrows(IllegalArgumentException.class, () -> model.generate(prompt, 6, 1.0, 3, 0.9, 7));
    assertTrue(e.getMessage().contains("exclusive"), e.getMessage());
    // greedy decoding is the argmax chain: with top-p 1e-9 only the best token survives, whatever the seed
    assertEquals(model.generate(prompt, 6, 0, 0, 1.0, 1).array(), model.generate(prompt, 6, 1.0, 0, 1e-9, 2).array());
    assertTrue(model.blocks().get(0).namedModules().values().stream().anyMatch(m -> m instanceof Linear));
  }
}
