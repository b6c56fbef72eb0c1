package dlcourse.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.F;
import dlcourse.nn.Init;
import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import dlcourse.train.Adam;
import dlcourse.train.GradClip;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CaptionerTest {
  @Test
  void courseTemplateHasTheExpectedShapesAndParameterCount() {
    Init.manualSeed(0);
    var model = new Captioner(Captioner.Config.course(190));
    // embedding 19,000 + initH, initC 2 x 131,328 + attention 51,300 + 25,700 + 101 + LSTMCell 890,880 + out 48,830
    assertEquals(1_298_467, model.numParameters());
    Tensor features = Tensor.randn(1, 2, 256, 512);
    Tensor tokens = Tensor.of(Nd4j.createFromArray(new long[][] {{1, 5, 7}, {1, 9, 2}}));
    var out = model.forward(features, tokens);
    assertArrayEquals(new long[] {2, 3, 190}, out.logits().shape());
    assertArrayEquals(new long[] {2, 3, 256}, out.weights().shape());
    var decoded = model.greedy(features, 1, 2);
    assertArrayEquals(new long[] {2, 22}, decoded.tokens().shape());
    assertArrayEquals(new long[] {2, 22, 256}, decoded.weights().shape());
  }

  @Test
  void attentionWeightsSumToOneOverRegions() {
    Init.manualSeed(1);
    var model = new Captioner(new Captioner.Config(6, 4, 5, 3, 11, 4, 0.5));
    Tensor features = Tensor.randn(2, 3, 7, 6);
    Tensor tokens = Tensor.of(Nd4j.createFromArray(new long[][] {{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, {0, 0, 1, 1, 2}}));
    INDArray w = model.forward(features, tokens).weights().array(); // (B, T, R)
    INDArray sums = w.sum(2);
    assertEquals(0, sums.sub(1).amaxNumber().doubleValue(), 1e-6);
    assertTrue(w.minNumber().doubleValue() > 0);
  }

  @Test
  void additiveAttentionGradientsMatchFiniteDifferencesInDouble() {
    Init.manualSeed(2);
    var att = new Captioner.AdditiveAttention(5, 4, 3);
    att.to(DataType.DOUBLE);
    Tensor features = Tensor.of(Nd4j.randn(DataType.DOUBLE, 2, 6, 5)).requiresGrad(true);
    Tensor h = Tensor.of(Nd4j.randn(DataType.DOUBLE, 2, 4)).requiresGrad(true);
    List<Tensor> inputs = new ArrayList<>(List.of(features, h));
    inputs.addAll(att.parameters());
    Tensor[] in = inputs.toArray(new Tensor[0]);
    // The context and the weights both carry gradient: check each.
    double errCtx = GradCheck.check(t -> att.forward(t[0], att.project(t[0]), t[1]).context(), in);
    double errW = GradCheck.check(t -> att.forward(t[0], att.project(t[0]), t[1]).weights(), in);
    assertTrue(errCtx < 1e-6, "context: max error " + errCtx);
    assertTrue(errW < 1e-6, "weights: max error " + errW);
  }

  /**
   * A toy captioning task: each image has 4 regions, one of which is marked by a feature that encodes a class; the
   * caption is "start, class, end". A tiny captioner learns it with teacher forcing within a few dozen steps.
   */
  @Test
  void tinyCaptionerLearnsAToyTask() {
    Init.manualSeed(3);
    int n = 32;
    int r = 4;
    int e = 8;
    var rnd = new java.util.Random(0);
    float[] f = new float[n * r * e];
    long[][] caption = new long[n][3];
    for (int i = 0; i < n; i++) {
      int cls = rnd.nextInt(4);
      int region = rnd.nextInt(r);
      for (int k = 0; k < r * e; k++) {
        f[i * r * e + k] = (float) (0.1 * rnd.nextGaussian());
      }
      f[i * r * e + region * e + cls] += 3;
      caption[i] = new long[] {0, 2 + cls, 1};
    }
    Tensor features = Tensor.of(Nd4j.createFromArray(f).reshape(n, r, e));
    Tensor cap = Tensor.of(Nd4j.createFromArray(caption));
    Tensor in = cap.narrow(1, 0, 2); // (B, 2)
    Tensor target = cap.narrow(1, 1, 2).reshape(n * 2); // (B * 2)
    var model = new Captioner(new Captioner.Config(e, 8, 16, 8, 6, 3, 0.0));
    var opt = new Adam(model.parameters(), 1e-2);
    double first = 0;
    double last = 0;
    for (int step = 0; step < 80; step++) {
      Tensor logits = model.forward(features, in).logits(); // (B, 2, V)
      Tensor loss = F.crossEntropy(logits.reshape(n * 2, 6), target);
      model.zeroGrad();
      loss.backward();
      GradClip.clipGradValue(model.parameters(), 5);
      opt.step();
      if (step == 0) {
        first = loss.item();
      }
      last = loss.item();
    }
    assertTrue(last < 0.2 * first, "loss " + first + " -> " + last);
    long[][] ids = model.greedy(features, 0, 1).tokens().array().toLongMatrix();
    int right = 0;
    for (int i = 0; i < n; i++) {
      right += ids[i][0] == caption[i][1] && ids[i][1] == 1 ? 1 : 0;
    }
    assertTrue(right >= n * 3 / 4, right + " of " + n + " captions right");
  }

  @Test
  void vanillaDecoderHasNoAttentionAndReadsOnlyTheEmbedding() {
    Init.manualSeed(4);
    var cfg = Captioner.Config.course(190).withoutAttention();
    var model = new Captioner(cfg);
    assertNull(model.attention());
    // embedding 19,000 + initH, initC 2 x 131,328 + LSTMCell 4 x 256 x (100 + 256) + 2 x 4 x 256 + out 48,830
    assertEquals(19_000 + 2 * 131_328 + 4 * 256 * 356 + 2 * 1024 + 48_830, model.numParameters());
    Tensor features = Tensor.randn(5, 2, 49, 512);
    Tensor tokens = Tensor.of(Nd4j.createFromArray(new long[][] {{1, 5, 7}, {1, 9, 2}}));
    var out = model.forward(features, tokens);
    assertArrayEquals(new long[] {2, 3, 190}, out.logits().shape());
    assertNull(out.weights());
    var decoded = model.greedy(features, 1, 2);
    assertArrayEquals(new long[] {2, 22}, decoded.tokens().shape());
    assertNull(decoded.weights());
    var e = assertThrows(IllegalArgumentException.class,
        () -> new Captioner(new Captioner.Config(8, 4, 4, -1, 10, 5, 0)));
    assertTrue(e.getMessage().contains("attention may be 0"), e.getMessage());
  }

  /** Without attention the image enters only through h0, c0 = Linear(mean region feature). */
  @Test
  void vanillaDecoderSeesOnlyTheMeanRegionFeatureButAttentionSeesWhere() {
    Init.manualSeed(5);
    Tensor features = Tensor.randn(6, 2, 4, 8);
    INDArray mean = features.array().mean(true, 1).repeat(1, 4); // every region replaced by the mean
    Tensor tokens = Tensor.of(Nd4j.createFromArray(new long[][] {{1, 3, 4}, {1, 5, 6}}));
    var vanilla = new Captioner(new Captioner.Config(8, 4, 6, 0, 10, 5, 0.0));
    INDArray a = vanilla.forward(features, tokens).logits().array();
    INDArray b = vanilla.forward(Tensor.of(mean), tokens).logits().array();
    assertEquals(0, a.sub(b).amaxNumber().doubleValue(), 1e-5);
    var attending = new Captioner(new Captioner.Config(8, 4, 6, 3, 10, 5, 0.0));
    INDArray c = attending.forward(features, tokens).logits().array();
    INDArray d = attending.forward(Tensor.of(mean), tokens).logits().array();
    assertTrue(c.sub(d).amaxNumber().doubleValue() > 1e-3, "attention must see more than the mean");
  }

  @Test
  void lossIsTheMeanCrossEntropyOfTheNextTokenIgnoringPadding() {
    Init.manualSeed(6);
    var model = new Captioner(new Captioner.Config(8, 4, 6, 3, 10, 5, 0.0));
    Tensor features = Tensor.randn(7, 2, 4, 8);
    long[][] caps = {{1, 5, 6, 2, 0}, {1, 7, 2, 0, 0}};
    Tensor captions = Tensor.of(Nd4j.createFromArray(caps));
    double loss = model.loss(features, captions).item();
    INDArray logits = model.forward(features, captions.narrow(1, 0, 4)).logits().array(); // (2, 4, 10)
    double sum = 0;
    int count = 0;
    for (int i = 0; i < 2; i++) {
      for (int t = 0; t < 4; t++) {
        long target = caps[i][t + 1];
        if (target == 0) {
          continue;
        }
        INDArray row = logits.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
            org.nd4j.linalg.indexing.NDArrayIndex.point(t)).castTo(DataType.DOUBLE);
        double lse = Math.log(org.nd4j.linalg.ops.transforms.Transforms.exp(row, true).sumNumber().doubleValue());
        sum += lse - row.getDouble(target);
        count++;
      }
    }
    assertEquals(5, count);
    assertEquals(sum / count, loss, 1e-5);
    // Extra columns of <pad> change nothing.
    long[][] padded = {{1, 5, 6, 2, 0, 0, 0}, {1, 7, 2, 0, 0, 0, 0}};
    assertEquals(loss, model.loss(features, Tensor.of(Nd4j.createFromArray(padded))).item(), 1e-6);
  }

  /** Greedy decoding returns, per token, the attention weights of the step that produced it. */
  @Test
  void greedyWeightsAreThoseOfTeacherForcingOnTheDecodedTokens() {
    Init.manualSeed(7);
    var model = new Captioner(new Captioner.Config(8, 4, 6, 3, 10, 5, 0.5));
    Tensor features = Tensor.randn(8, 3, 4, 8);
    var decoded = model.greedy(features, 1, 2);
    assertTrue(model.training(), "greedy restores training mode");
    long[][] ids = decoded.tokens().array().toLongMatrix();
    long[][] in = new long[3][5];
    for (int i = 0; i < 3; i++) {
      in[i][0] = 1;
      System.arraycopy(ids[i], 0, in[i], 1, 4);
    }
    model.eval();
    INDArray w;
    INDArray logits;
    try (var g = Tensor.noGrad()) {
      var out = model.forward(features, Tensor.of(Nd4j.createFromArray(in)));
      w = out.weights().array();
      logits = out.logits().array();
    }
    for (int i = 0; i < 3; i++) {
      for (int t = 0; t < 5; t++) {
        if (t > 0 && ids[i][t - 1] == 2) {
          break; // after <end> greedy keeps <end>; the steps still run but are not teacher-forced the same way
        }
        assertEquals(ids[i][t], logits.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
            org.nd4j.linalg.indexing.NDArrayIndex.point(t)).argMax().getLong(0), "token " + i + "," + t);
      }
    }
    assertEquals(0, decoded.weights().array().sub(w).amaxNumber().doubleValue(), 1e-6);
  }
  /** The small captioner, region features and padded captions that the path comparisons below train on. */
  private static final Captioner.Config SMALL = new Captioner.Config(12, 6, 8, 5, 17, 6, 0.5);

  private static final long[][] CAPTIONS = {{1, 4, 9, 2, 0}, {1, 3, 3, 16, 2}, {1, 5, 2, 0, 0}};

  /** One loss and the gradient of every parameter of a fresh small model, with the same dropout masks each call. */
  private record LossAndGradients(double loss, List<INDArray> gradients) {}

  private static LossAndGradients lossAndGradients() {
    Init.manualSeed(5);
    var model = new Captioner(SMALL);
    Tensor features = Tensor.randn(6, 3, 9, 12);
    Tensor captions = Tensor.of(Nd4j.createFromArray(CAPTIONS));
    Init.manualSeed(7); // the same dropout masks in every run
    Tensor l = model.loss(features, captions);
    l.backward();
    List<INDArray> grads = new ArrayList<>();
    for (var p : model.parameters()) {
      grads.add(p.grad().array().dup());
    }
    return new LossAndGradients(l.item(), grads);
  }

  /**
   * The fused attention scores ({@code F.additiveAttentionWeights}) and the vocabulary layer applied once after the
   * loop give the loss and gradients of the composed per-step ops (same dropout masks: the same random draws).
   */
  @Test
  void fusedAttentionAndOneOutputLayerEqualTheComposedPerStepOps() {
    boolean fused = Captioner.AdditiveAttention.fused;
    boolean once = Captioner.outputOnce;
    LossAndGradients composed;
    LossAndGradients fast;
    try {
      Captioner.AdditiveAttention.fused = true;
      Captioner.outputOnce = true;
      fast = lossAndGradients();
      Captioner.AdditiveAttention.fused = false;
      Captioner.outputOnce = false;
      composed = lossAndGradients();
    } finally {
      Captioner.AdditiveAttention.fused = fused;
      Captioner.outputOnce = once;
    }
    assertEquals(composed.loss(), fast.loss(), 1e-6);
    for (int i = 0; i < fast.gradients().size(); i++) {
      INDArray expected = composed.gradients().get(i);
      double scale = Math.max(1e-3, expected.amaxNumber().doubleValue());
      assertTrue(GradCheck.maxAbsDiff(fast.gradients().get(i), expected) / scale < 1e-5, "gradient of parameter " + i);
    }
  }

  /**
   * The token columns read once as Java arrays ({@code Captioner.tokenColumns}) give the loss and gradients of the
   * per-step narrow and reshape, bit for bit (the same ids reach the same ops).
   */
  @Test
  void tokenColumnsEqualThePerStepNarrow() {
    boolean columns = Captioner.tokenColumns;
    LossAndGradients narrow;
    LossAndGradients read;
    try {
      Captioner.tokenColumns = true;
      read = lossAndGradients();
      Captioner.tokenColumns = false;
      narrow = lossAndGradients();
    } finally {
      Captioner.tokenColumns = columns;
    }
    assertEquals(narrow.loss(), read.loss());
    for (int i = 0; i < read.gradients().size(); i++) {
      assertEquals(0, GradCheck.maxAbsDiff(read.gradients().get(i), narrow.gradients().get(i)), "gradient of parameter "
          + i);
    }
  }
}
