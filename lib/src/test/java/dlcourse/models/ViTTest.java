package dlcourse.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.F;
import dlcourse.nn.Init;
import dlcourse.tensor.Tensor;
import dlcourse.train.Adam;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class ViTTest {
  static Stream<Arguments> courseTable() {
    ViT.Config b = ViT.Config.base();
    return Stream.of(
        Arguments.of(b, 27_434),
        // The embedding sweep keeps the MLP ratio 4 (hidden = 4 x embed), as the base configuration has it.
        Arguments.of(b.withEmbed(16).withMlpHidden(64), 7_578),
        Arguments.of(b.withEmbed(64).withMlpHidden(256), 104_010),
        Arguments.of(b.withEmbed(128).withMlpHidden(512), 404_618),
        Arguments.of(b.withPatch(2), 25_994), Arguments.of(b.withPatch(4), 26_378),
        Arguments.of(b.withPatch(14), 32_138), Arguments.of(b.withPatch(28), 50_954),
        Arguments.of(b.withBlocks(1), 14_730), Arguments.of(b.withBlocks(4), 52_842),
        Arguments.of(b.withBlocks(8), 103_658),
        Arguments.of(b.withMlpHidden(32), 14_954), Arguments.of(b.withMlpHidden(64), 19_114),
        Arguments.of(b.withMlpHidden(256), 44_074), Arguments.of(b.withMlpHidden(512), 77_354),
        Arguments.of(b.withHeads(1), 27_434), Arguments.of(b.withHeads(8), 27_434));
  }

  @ParameterizedTest
  @MethodSource("courseTable")
  void parameterCountsMatchTheCourseTable(ViT.Config cfg, long expected) {
    Init.manualSeed(0);
    assertEquals(expected, new ViT(cfg).numParameters(), cfg.toString());
  }

  @Test
  void logitsHaveOneRowPerImageAndTheClassTokenStartsAtZero() {
    Init.manualSeed(0);
    var model = new ViT(ViT.Config.base().withPatch(4));
    assertEquals(50, model.config().tokens());
    Tensor y = model.call(Tensor.randn(1, 3, 1, 28, 28));
    assertArrayEquals(new long[] {3, 10}, y.shape());
    assertEquals(0, model.namedParameters().get("clsToken").array().amaxNumber().doubleValue());
    assertTrue(model.namedParameters().containsKey("posEmbed"));
  }

  /** Class = which quadrant holds a bright square: a tiny ViT learns it within a few dozen Adam steps. */
  @Test
  void tinyVitLearnsWhereTheBrightSquareIs() {
    Init.manualSeed(3);
    var model = new ViT(new ViT.Config(16, 4, 1, 2, 32, 1, 8, 4));
    var rnd = new java.util.Random(0);
    int n = 64;
    float[] x = new float[n * 64];
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextInt(4);
      int r0 = (int) (y[i] / 2) * 4;
      int c0 = (int) (y[i] % 2) * 4;
      for (int p = 0; p < 64; p++) {
        x[i * 64 + p] = (float) (0.3 * rnd.nextGaussian());
      }
      for (int r = 1; r < 3; r++) {
        for (int c = 1; c < 3; c++) {
          x[i * 64 + (r0 + r) * 8 + c0 + c] += 2;
        }
      }
    }
    Tensor xs = Tensor.of(Nd4j.createFromArray(x).reshape(n, 1, 8, 8));
    Tensor ys = Tensor.of(Nd4j.createFromArray(y));
    var opt = new Adam(model.parameters(), 1e-2);
    double first = 0;
    double last = 0;
    for (int step = 0; step < 60; step++) {
      Tensor loss = F.crossEntropy(model.call(xs), ys);
      model.zeroGrad();
      loss.backward();
      opt.step();
      if (step == 0) {
        first = loss.item();
      }
      last = loss.item();
    }
    assertTrue(last < 0.3 * first, "loss " + first + " -> " + last);
  }

  @Test
  void gradientsMatchFiniteDifferencesInDouble() {
    Init.manualSeed(4);
    var model = new ViT(new ViT.Config(8, 2, 1, 2, 16, 1, 4, 3));
    model.to(DataType.DOUBLE);
    Tensor x = Tensor.of(Nd4j.randn(DataType.DOUBLE, 2, 1, 4, 4)).requiresGrad(true);
    var inputs = new java.util.ArrayList<Tensor>(model.parameters());
    inputs.add(0, x);
    double err = dlcourse.tensor.GradCheck.check(in -> model.call(in[0]), inputs.toArray(new Tensor[0]));
    assertTrue(err < 1e-6, "max error " + err);
  }

  @Test
  void multiplyAddsOfTheBaseConfigurationAndOneMoreBlock() {
    // base: C 32, patch 7 -> 16 patches, 17 tokens, MLP 128, 2 blocks, 1 channel, 10 classes.
    // patch embedding 16 * 32 * 49 = 25,088; per block 17*32*96 + 2*17*17*32 + 17*32*32 + 2*17*32*128
    // = 52,224 + 18,496 + 17,408 + 139,264 = 227,392; head 32 * 10 = 320.
    ViT.Config base = ViT.Config.base();
    assertEquals(25_088 + 2 * 227_392 + 320, base.macs());
    assertEquals(227_392, base.withBlocks(3).macs() - base.macs());
    // MLP 128 -> 256: each of the 2 blocks gains 2 * 17 * 32 * 128 multiply-adds
    assertEquals(2 * 2 * 17 * 32 * 128, base.withMlpHidden(256).macs() - base.macs());
  }

  /**
   * Losses and parameters after {@code steps} steps of Adam (or SGD) of the base model on one batch of 64 (sizes the
   * buffer pool takes).
   */
  private static java.util.List<org.nd4j.linalg.api.ndarray.INDArray> train(int steps, boolean adam) {
    Init.manualSeed(11);
    ViT model = new ViT(ViT.Config.base());
    dlcourse.train.Optimizer<?> opt = adam ? new Adam(model.parameters(), 1e-2)
        : new dlcourse.train.SGD(model.parameters(), 0.1);
    Tensor x = Tensor.randn(12, 64, 1, 28, 28);
    long[] labels = new long[64];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (i * 7) % 10;
    }
    Tensor y = Tensor.of(Nd4j.createFromArray(labels));
    java.util.List<org.nd4j.linalg.api.ndarray.INDArray> out = new java.util.ArrayList<>();
    for (int s = 0; s < steps; s++) {
      model.zeroGrad();
      Tensor loss = F.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      out.add(loss.array().dup());
    }
    model.parameters().forEach(p -> out.add(p.data().dup()));
    return out;
  }

  /** Reads, or sets when {@code on} is not null, the switch of {@code kernels.HeadsAttentionKernel} (as InJvmAB). */
  private static boolean headsKernel(Boolean on) {
    try {
      var f = Class.forName("dlcourse.kernels.HeadsAttentionKernel").getDeclaredField("enabled");
      f.setAccessible(true);
      if (on != null) {
        f.setBoolean(null, on);
      }
      return f.getBoolean(null);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void recycledActivationsAndFusedAttentionTrainAsTheGeneralPath() {
    boolean[] old = {ViT.recycleActivations, headsKernel(null)};
    try {
      var fast = train(4, true);
      ViT.recycleActivations = false;
      var unrecycled = train(4, true);
      for (int i = 0; i < fast.size(); i++) { // the same ops in the same order: equal
        assertEquals(unrecycled.get(i), fast.get(i), "recycling changed item " + i);
      }
      // Adam turns rounding noise in gradients that are 0 in exact arithmetic (the key bias's) into steps of lr: SGD
      fast = train(4, false);
      headsKernel(false);
      var general = train(4, false);
      for (int i = 0; i < fast.size(); i++) { // other summation orders: equal up to float rounding
        double scale = general.get(i).amaxNumber().doubleValue() + 1e-3;
        double err = fast.get(i).sub(general.get(i)).amaxNumber().doubleValue();
        assertTrue(err <= 1e-4 * scale, "item " + i + ": max error " + err + " of " + scale);
      }
    } finally {
      ViT.recycleActivations = old[0];
      headsKernel(old[1]);
    }
  }

  /** The model's output and every parameter's gradient for sum(logits * r), the fused tokens on or off. */
  private static java.util.List<org.nd4j.linalg.api.ndarray.INDArray> tokenGradients(boolean fused, boolean learned) {
    boolean old = ViT.fusedTokens;
    ViT.fusedTokens = fused;
    try {
      Init.manualSeed(21);
      ViT model = new ViT(ViT.Config.base().withLearnedPositions(learned));
      Init.normal(model.clsToken().data(), 0, 1); // a non-zero class token
      Tensor x = Tensor.randn(22, 5, 1, 28, 28);
      Tensor out = model.forward(x);
      out.mul(Tensor.randn(23, 5, 10)).sum().backward();
      java.util.List<org.nd4j.linalg.api.ndarray.INDArray> res = new java.util.ArrayList<>();
      res.add(out.array().dup());
      model.parameters().forEach(p -> res.add(p.grad().array().dup()));
      return res;
    } finally {
      ViT.fusedTokens = old;
    }
  }

  @Test
  void fusedTokensEqualCatExpandAndAdd() {
    for (boolean learned : new boolean[] {false, true}) {
      var fused = tokenGradients(true, learned);
      var general = tokenGradients(false, learned);
      assertEquals(general.size(), fused.size());
      for (int i = 0; i < fused.size(); i++) {
        double scale = general.get(i).amaxNumber().doubleValue() + 1e-6;
        double err = fused.get(i).sub(general.get(i)).amaxNumber().doubleValue();
        assertTrue(err <= 1e-5 * scale, "learned " + learned + " item " + i + ": max error " + err + " of " + scale);
      }
    }
  }
}
