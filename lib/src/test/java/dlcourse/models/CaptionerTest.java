package dlcourse.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
    assertArrayEquals(new long[] {2, 22}, model.greedy(features, 1, 2).shape());
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
    long[][] ids = model.greedy(features, 0, 1).array().toLongMatrix();
    int right = 0;
    for (int i = 0; i < n; i++) {
      right += ids[i][0] == caption[i][1] && ids[i][1] == 1 ? 1 : 0;
    }
    assertTrue(right >= n * 3 / 4, right + " of " + n + " captions right");
  }
}
