package dlcourse.nn;

import dlcourse.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class LayersTest {
  static Stream<Arguments> layers() {
    return Stream.of(
        Arguments.of("Linear", (Supplier<Module>) () -> new Linear(4, 3), new long[] {2, 4}),
        Arguments.of("Tanh", (Supplier<Module>) Tanh::new, new long[] {2, 5}),
        Arguments.of("Sigmoid", (Supplier<Module>) Sigmoid::new, new long[] {2, 5}),
        Arguments.of("GELU", (Supplier<Module>) GELU::new, new long[] {2, 5}),
        Arguments.of("GELU tanh", (Supplier<Module>) () -> new GELU("tanh"), new long[] {2, 5}),
        Arguments.of("Softmax", (Supplier<Module>) () -> new Softmax(1), new long[] {2, 5}),
        Arguments.of("LogSoftmax", (Supplier<Module>) () -> new LogSoftmax(-1), new long[] {2, 5}),
        Arguments.of("MaxPool2d ceil", (Supplier<Module>) () -> new MaxPool2d(2).ceilMode(true), new long[] {1, 2, 5,
          3}),
        Arguments.of("AvgPool2d pad ceil", (Supplier<Module>) () -> new AvgPool2d(3).stride(2).padding(1).ceilMode(
            true),
            new long[] {1, 2, 6, 5}),
        Arguments.of("AdaptiveAvgPool2d", (Supplier<Module>) () -> new AdaptiveAvgPool2d(2, 3), new long[] {1, 2, 5,
          4}),
        Arguments.of("AdaptiveMaxPool2d 1", (Supplier<Module>) () -> new AdaptiveMaxPool2d(1), new long[] {2, 2, 3, 4}),
        Arguments.of("BatchNorm2d train", (Supplier<Module>) () -> new BatchNorm2d(2), new long[] {3, 2, 2, 2}),
        Arguments.of("BatchNorm2d eval", (Supplier<Module>) () -> new BatchNorm2d(2).eval(), new long[] {3, 2, 2, 2}),
        Arguments.of("BatchNorm1d train", (Supplier<Module>) () -> new BatchNorm1d(3), new long[] {4, 3}),
        Arguments.of("LayerNorm", (Supplier<Module>) () -> new LayerNorm(4), new long[] {3, 4}),
        Arguments.of("RMSNorm", (Supplier<Module>) () -> new RMSNorm(2, 3).eps(1e-6), new long[] {2, 2, 3}),
        Arguments.of("Dropout eval", (Supplier<Module>) () -> new Dropout(0.5).eval(), new long[] {2, 5}),
        Arguments.of("Dropout p=0", (Supplier<Module>) () -> new Dropout(0), new long[] {2, 5}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void gradientsMatchFiniteDifferences(String name, Supplier<Module> make, long[] shape) {
    Init.manualSeed(11);
    Module m = make.get();
    for (Parameter p : m.parameters()) {
      Init.uniform(p.data(), 0.5, 1.5); // move affine weights away from 1 and 0
    }
    GradCheck.module(m, Nd4j.randn(DataType.DOUBLE, shape));
  }

  @Test
  void embeddingGradientMatchesFiniteDifferences() {
    Init.manualSeed(12);
    INDArray idx = Nd4j.createFromArray(new long[][] {{1, 3, 1}, {0, 4, 2}});
    GradCheck.module(new Embedding(5, 3), idx);
  }

  @Test
  void activationsMatchTheirFormulas() {
    INDArray x = Nd4j.linspace(-4, 4, 9, DataType.DOUBLE).reshape(1, 9);
    double[] in = x.toDoubleVector();
    double[] exact = new GELU().forward(x).toDoubleVector();
    double[] approx = new GELU("tanh").forward(x).toDoubleVector();
    for (int i = 0; i < in.length; i++) {
      double v = in[i];
      assertEquals(v * 0.5 * (1 + erf(v / Math.sqrt(2))), exact[i], 1e-7);
      assertEquals(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), approx[i], 1e-12);
    }
    assertTrue(Transforms.sigmoid(x).equalsWithEps(new Sigmoid().forward(x), 1e-12));
    INDArray sm = new Softmax(1).forward(x);
    assertEquals(1.0, sm.sumNumber().doubleValue(), 1e-12);
    assertTrue(Transforms.log(sm).equalsWithEps(new LogSoftmax(1).forward(x), 1e-12));
  }

  /** Abramowitz-Stegun 7.1.26 is only 1e-7 accurate; a series is exact enough for |x| <= 3. */
  private static double erf(double x) {
    double sum = 0;
    double term = x;
    for (int n = 0; n < 80; n++) {
      sum += term / (2 * n + 1);
      term *= -x * x / (n + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  static Stream<Arguments> pools() {
    // kernel, stride, padding, ceil, countIncludePad, H, W
    return Stream.of(
        Arguments.of(2, 2, 0, false, true, 7, 6),
        Arguments.of(2, 2, 0, true, true, 7, 5),
        Arguments.of(3, 2, 1, true, true, 6, 7),
        Arguments.of(3, 2, 1, true, false, 6, 7),
        Arguments.of(3, 3, 1, false, false, 8, 5),
        Arguments.of(3, 2, 0, true, true, 6, 6));
  }

  @ParameterizedTest
  @MethodSource("pools")
  void poolingMatchesPytorchRules(int k, int s, int p, boolean ceil, boolean includePad, int h, int w) {
    INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 3, h, w);
    var max = new MaxPool2d(k).stride(s).padding(p).ceilMode(ceil);
    var avg = new AvgPool2d(k).stride(s).padding(p).ceilMode(ceil).countIncludePad(includePad);
    INDArray expectedMax = Ref.pool(x, true, new int[] {k, k}, new int[] {s, s}, new int[] {p, p}, ceil, includePad);
    INDArray expectedAvg = Ref.pool(x, false, new int[] {k, k}, new int[] {s, s}, new int[] {p, p}, ceil, includePad);
    INDArray gotMax = max.forward(x);
    assertArrayEquals(expectedMax.shape(), gotMax.shape());
    assertTrue(expectedMax.equalsWithEps(gotMax, 1e-12), "max pooling differs");
    assertTrue(expectedAvg.equalsWithEps(avg.forward(x), 1e-12), "average pooling differs");
    assertEquals(expectedMax.size(2), max.outputSize(h, w)[0]);
  }

  @Test
  void ceilModeRoundsUpAndDropsWindowsStartingInThePadding() {
    assertEquals(4, F.poolOutputSize(7, 2, 2, 0, true));
    assertEquals(3, F.poolOutputSize(7, 2, 2, 0, false));
    assertEquals(3, F.poolOutputSize(4, 2, 2, 1, true)); // a 4th window would start in the right padding
    assertEquals("MaxPool2d(kernelSize=2, ceilMode=true)", new MaxPool2d(2).ceilMode(true).toString());
  }

  @Test
  void adaptivePoolingMatchesPytorchWindowsAndGlobalPooling() {
    INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 3, 7, 5);
    assertTrue(Ref.adaptivePool(x, false, 3, 2).equalsWithEps(new AdaptiveAvgPool2d(3, 2).forward(x), 1e-12));
    assertTrue(Ref.adaptivePool(x, true, 3, 2).equalsWithEps(new AdaptiveMaxPool2d(3, 2).forward(x), 1e-12));
    INDArray gmax = GradCheck.eval(F::globalMaxPool, x);
    INDArray gavg = GradCheck.eval(F::globalAvgPool, x);
    assertArrayEquals(new long[] {2, 3}, gmax.shape());
    assertTrue(x.max(2, 3).equalsWithEps(gmax, 1e-12));
    assertTrue(x.mean(2, 3).equalsWithEps(gavg, 1e-12));
  }

  @Test
  void dropoutZeroesAboutPAndScalesTheRest() {
    var d = new Dropout(0.3);
    INDArray x = Nd4j.ones(DataType.FLOAT, 100, 100);
    Init.manualSeed(5);
    INDArray y = d.forward(x);
    double zeros = y.eq(0).castTo(DataType.FLOAT).sumNumber().doubleValue() / x.length();
    assertEquals(0.3, zeros, 0.02, "fraction zeroed");
    assertEquals(1 / 0.7, y.maxNumber().doubleValue(), 1e-5);
    Init.manualSeed(5);
    assertEquals(y, d.forward(x), "same seed, same mask");
    assertTrue(!y.equals(d.forward(x)), "a new mask per run");
    d.eval();
    assertEquals(x, d.forward(x));
  }

  @Test
  void dropoutGradientUsesTheSameMaskAsTheForwardPass() {
    var d = new Dropout(0.4);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 6).addi(1);
    INDArray r = Nd4j.rand(DataType.DOUBLE, 4, 6);
    // y = x * mask / 0.6, so dL/dx = r * mask / 0.6; the step returns y as "out".
    var holder = new Module() {
      final Parameter in = addParameter("x", x);

      @Override
      public Tensor forward(Tensor t) {
        return t;
      }
    };
    Tensor y = F.dropout(holder.in, 0.4, true);
    y.mul(Tensor.of(r)).sum().backward();
    INDArray mask = y.array().neq(0).castTo(DataType.DOUBLE);
    assertTrue(mask.sumNumber().doubleValue() > 0 && mask.sumNumber().doubleValue() < 24);
    assertTrue(r.mul(mask).divi(0.6).equalsWithEps(holder.in.grad().array(), 1e-12));
  }

  @Test
  void batchNormUpdatesRunningStatisticsAndUsesThemInEval() {
    var bn = new BatchNorm2d(2);
    bn.to(DataType.DOUBLE);
    INDArray x = Nd4j.randn(DataType.DOUBLE, 4, 2, 3, 3).muli(2).addi(5);
    bn.eval();
    INDArray before = bn.forward(x); // running stats 0 / 1: (x - 0) / sqrt(1 + eps)
    assertTrue(x.div(Math.sqrt(1 + 1e-5)).equalsWithEps(before, 1e-10));
    bn.train();
    Tensor loss = bn.call(Tensor.of(x)).sum(); // one training forward: one update of the running statistics
    loss.backward();
    INDArray y = loss.array();
    INDArray mean = x.mean(0, 2, 3);
    INDArray unbiased = x.var(true, 0, 2, 3);
    assertTrue(mean.mul(0.1).equalsWithEps(bn.runningMean().data(), 1e-10), bn.runningMean().data().toString());
    assertTrue(unbiased.mul(0.1).addi(0.9).equalsWithEps(bn.runningVar().data(), 1e-10));
    bn.eval();
    INDArray expected = x.sub(bn.runningMean().data().reshape(1, 2, 1, 1))
        .divi(Transforms.sqrt(bn.runningVar().data().add(1e-5)).reshape(1, 2, 1, 1));
    assertTrue(expected.equalsWithEps(bn.forward(x), 1e-10), "eval must see the updated running statistics");
    assertEquals(0.0, y.getDouble(0), 1e-9); // normalised batch sums to zero per channel
  }

  @Test
  void normalisationLayersCheckTheirInput() {
    var e = assertThrows(IllegalArgumentException.class, () -> new Sequential(new BatchNorm2d(3)).summary(2, 4, 5, 5));
    assertTrue(e.getMessage().contains("with C = 3, got (2, 4, 5, 5)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Sequential(new LayerNorm(8)).summary(2, 7));
    assertTrue(e.getMessage().contains("expected input ending in (8,)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5));
    assertEquals("p must be in [0, 1], got 1.5", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new GELU("fast"));
    assertTrue(e.getMessage().contains("\"fast\""));
  }

  @Test
  void normalisationMatchesItsFormula() {
    INDArray x = Nd4j.randn(DataType.DOUBLE, 3, 4).muli(3).addi(1);
    INDArray ln = new LayerNorm(4).to(DataType.DOUBLE).forward(x);
    INDArray c = x.sub(x.mean(1).reshape(3, 1));
    INDArray std = Transforms.sqrt(x.var(false, 1).addi(1e-5)).reshape(3, 1);
    assertTrue(c.div(std).equalsWithEps(ln, 1e-10));
    INDArray rms = new RMSNorm(4).eps(1e-6).to(DataType.DOUBLE).forward(x);
    INDArray r = Transforms.sqrt(x.mul(x).mean(1).addi(1e-6)).reshape(3, 1);
    assertTrue(x.div(r).equalsWithEps(rms, 1e-10));
    assertEquals(Math.ulp(1.0f), new RMSNorm(4).eps(DataType.FLOAT), 0);
  }

  @Test
  void embeddingLooksUpRowsAndInitialisesFromStandardNormal() {
    Init.manualSeed(3);
    var emb = new Embedding(1000, 50);
    assertEquals(0, emb.weight().data().meanNumber().doubleValue(), 0.02);
    assertEquals(1, emb.weight().data().stdNumber().doubleValue(), 0.02);
    INDArray idx = Nd4j.createFromArray(new long[][] {{7, 2}});
    INDArray y = emb.forward(idx);
    assertArrayEquals(new long[] {1, 2, 50}, y.shape());
    assertEquals(emb.weight().data().getRow(2), y.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
        org.nd4j.linalg.indexing.NDArrayIndex.point(1)));
  }

  @Test
  void toDoubleConvertsEveryParameterAndBuffer() {
    var net = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new Flatten(), new Linear(8, 2));
    net.to(DataType.DOUBLE);
    net.namedParameters().forEach((k, p) -> assertEquals(DataType.DOUBLE, p.data().dataType(), k));
    assertArrayEquals(new long[] {1, 2}, net.forward(Nd4j.rand(DataType.DOUBLE, 1, 1, 4, 4)).shape());
  }

  @Test
  void dropoutMasksHaveRateP_independentNeighboursAndTheSameDrawsInFloatAndDouble() {
    for (double p : new double[] {0.05, 0.1, 0.5, 0.9}) {
      Init.manualSeed(11);
      INDArray y = F.dropout(Tensor.of(Nd4j.ones(DataType.FLOAT, 200, 500)), p, true).array();
      float[] v = y.data().asFloat();
      int zeros = 0;
      int pairs = 0;
      for (int i = 0; i < v.length; i++) {
        zeros += v[i] == 0 ? 1 : 0;
        pairs += i % 2 == 0 && v[i] == 0 && v[i + 1] == 0 ? 1 : 0;
      }
      // 100,000 draws: the standard error of the rate is below 0.0016
      assertEquals(p, zeros / (double) v.length, 0.008, "rate, p = " + p);
      assertEquals(p * p, pairs / (v.length / 2.0), 0.012, "both of a pair (one 64-bit word), p = " + p);
      Init.manualSeed(11);
      INDArray yd = F.dropout(Tensor.of(Nd4j.ones(DataType.DOUBLE, 200, 500)), p, true).array();
      assertEquals(y.eq(0), yd.eq(0), "same seed: the same mask in float and double");
    }
  }
}
