package dlcourse.compile;

import dlcourse.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.kernels.Dnnl;
import dlcourse.nn.AdaptiveMaxPool2d;
import dlcourse.nn.BatchNorm;
import dlcourse.nn.BatchNorm2d;
import dlcourse.nn.Conv2d;
import dlcourse.nn.Dropout;
import dlcourse.nn.F;
import dlcourse.nn.Flatten;
import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.nn.MaxPool2d;
import dlcourse.nn.Module;
import dlcourse.nn.PaddingMode;
import dlcourse.nn.Parameter;
import dlcourse.nn.ReLU;
import dlcourse.nn.Sequential;
import dlcourse.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The captured oneDNN step against the eager step (whose layers are checked against numerical gradients in double
 * precision and against PyTorch elsewhere): same loss, logits and parameter gradients, for every layer and padding
 * mode it runs, with activations in both of oneDNN's channel blocks (8 for its AVX2 kernels, 16 for AVX-512; on a
 * machine without AVX-512 the 16-channel layout runs on slower kernels, but runs).
 */
class CapturedCnnStepTest {
  /** The padding experiment's feature extractor (uva-dl1-hw2 Q1.1). */
  private static Sequential features(int pad, PaddingMode mode) {
    int[][] layers = {{3, 32, 1}, {32, 32, 2}, {32, 64, 2}, {64, 64, 2}};
    var f = new Sequential();
    for (int[] l : layers) {
      f.add(new Conv2d(l[0], l[1], 3).stride(l[2]).padding(pad).paddingMode(mode).bias(false)).add(new ReLU());
    }
    return f;
  }

  private static Module net1(int pad, PaddingMode mode) {
    return new Sequential(features(pad, mode), new AdaptiveMaxPool2d(1), new Flatten(), new Linear(64, 2));
  }

  /** Both engines' loss, logits and gradients for one step on a fixed random batch, activations in {@code block}s. */
  private static void assertSameStep(Supplier<Module> build, int block, long... xShape) {
    assertSameStep(build, block, new long[0], xShape);
  }

  /** The same, with the rows in {@code ignored} labelled -100 (PyTorch's ignore index). */
  private static void assertSameStep(Supplier<Module> build, int block, long[] ignored, long... xShape) {
    Init.manualSeed(7);
    Module model = build.get();
    INDArray x = Nd4j.rand(DataType.FLOAT, xShape).subi(0.3); // some negative inputs: ReLU and max pool see both signs
    long classes = ((Linear) last(model)).outFeatures();
    INDArray y = Nd4j.createFromArray(new long[(int) xShape[0]]);
    for (int i = 0; i < xShape[0]; i++) {
      y.putScalar(i, (i * 7 + 3) % classes);
    }
    for (long i : ignored) {
      y.putScalar(i, -100);
    }
    CapturedStep.StepResult expected = eagerStep(model, x, y);
    Map<Parameter, INDArray> expectedGrads = new LinkedHashMap<>();
    model.parameters().forEach(p -> expectedGrads.put(p, p.grad().array().dup()));
    model.parameters().forEach(p -> p.zeroGrad());

    CapturedCnnStep net = new CapturedCnnStep(model, x.shape(), true, block);
    CapturedStep.StepResult actual = net.step(x, y);
    assertEquals(expected.loss(), actual.loss(), 1e-5 * Math.max(1, Math.abs(expected.loss())), "loss");
    assertClose(expected.output(), actual.output(), "logits");
    for (var e : expectedGrads.entrySet()) {
      assertNotNull(e.getKey().grad(), "no gradient for " + e.getKey());
      assertClose(e.getValue(), e.getKey().grad().array(), "gradient of " + e.getKey());
    }
    // The same net evaluates (forward only) to the same logits and loss.
    CapturedCnnStep eval = new CapturedCnnStep(model, x.shape(), false, block);
    CapturedStep.StepResult out = eval.run(x, y);
    assertClose(expected.output(), out.output(), "eval logits");
    assertEquals(expected.loss(), out.loss(), 1e-5 * Math.max(1, Math.abs(expected.loss())));
    // A second step after a parameter change sees the new values (parameters are read at every call).
    model.parameters().forEach(p -> p.data().muli(0.5));
    CapturedStep.StepResult again = eagerStep(model, x, y);
    assertEquals(again.loss(), net.step(x, y).loss(), 1e-5 * Math.max(1, Math.abs(again.loss())), "loss after update");
  }

  /** The eager training step: the reference the captured oneDNN step must reproduce. */
  private static CapturedStep.StepResult eagerStep(Module model, INDArray x, INDArray y) {
    model.zeroGrad();
    Tensor out = model.call(Tensor.of(x));
    Tensor loss = F.crossEntropy(out, Tensor.of(y));
    loss.backward();
    return new CapturedStep.StepResult(loss.item(), out.array());
  }

  private static Module last(Module m) {
    while (m instanceof Sequential s) {
      m = s.get(s.size() - 1);
    }
    return m;
  }

  private static void assertClose(INDArray expected, INDArray actual, String what) {
    assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what
        + " shape");
    double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-6);
    double err = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    assertTrue(err <= 2e-4 * scale, what + ": max error " + err + " against max " + scale);
  }

  /** Padding mode, padding, channel block. */
  @ParameterizedTest
  @CsvSource({"ZEROS, 0, 8", "ZEROS, 1, 8", "ZEROS, 2, 8", "REFLECT, 2, 8", "REPLICATE, 2, 8", "CIRCULAR, 2, 8",
    "REFLECT, 1, 8", "ZEROS, 0, 16", "ZEROS, 1, 16", "ZEROS, 2, 16", "REFLECT, 2, 16", "REPLICATE, 2, 16",
    "CIRCULAR, 2, 16", "REFLECT, 1, 16"})
  void paddingNet1MatchesTheEagerStep(PaddingMode mode, int pad, int block) {
    assertSameStep(() -> net1(pad, mode), block, 4, 3, 32, 32);
  }

  @ParameterizedTest
  @ValueSource(ints = {8, 16})
  void paddingNet2MatchesTheEagerStep(int block) {
    // conv1 34x34, conv2 18, conv3 10, conv4 6: Linear(64*6*6, 64) without activation, then Linear(64, 2)
    assertSameStep(() -> new Sequential(features(2, PaddingMode.REPLICATE), new Flatten(), new Linear(64 * 36, 64),
        new Linear(64, 2)), block, 3, 3, 32, 32);
  }

  @ParameterizedTest
  @ValueSource(ints = {8, 16})
  void mnistCnnWithBiasAndMaxPoolMatchesTheEagerStep(int block) {
    assertSameStep(() -> new Sequential(
        new Conv2d(1, 16, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(576, 10)), block, 5, 1, 28, 28);
  }

  @ParameterizedTest
  @ValueSource(ints = {8, 16})
  void channelCountsOutsideTheBlocksMatchTheEagerStep(int block) {
    // the variable-resolution net of vu-dl-a3 with N = 81 channels
    assertSameStep(() -> new Sequential(
        new Conv2d(1, 16, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 81, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new AdaptiveMaxPool2d(1), new Flatten(), new Linear(81, 10)), block, 3, 1, 20, 20);
  }

  @ParameterizedTest
  @ValueSource(ints = {8, 16})
  void cifarCnnWithHiddenReluLayerMatchesTheEagerStep(int block) {
    assertSameStep(() -> new Sequential(
        new Conv2d(3, 32, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Conv2d(64, 64, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(64 * 16, 100), new ReLU(), new Linear(100, 10)), block, 3, 3, 32, 32);
  }

  @ParameterizedTest
  @ValueSource(ints = {8, 16})
  void standaloneReluCeilModePoolingAndOddSizesMatchTheEagerStep(int block) {
    assertSameStep(() -> new Sequential(
        new ReLU(), new Conv2d(3, 8, 3).stride(2).padding(1).paddingMode(PaddingMode.CIRCULAR),
        new MaxPool2d(2).ceilMode(true), new ReLU(), new Conv2d(8, 5, 2), new Flatten(), new Linear(5 * 3 * 3, 3)),
        block, 2, 3, 15, 13);
  }

  @Test
  void ignoredTargetsAreLeftOutOfTheMeanLikeTheEagerStep() {
    assertSameStep(() -> net1(1, PaddingMode.ZEROS), CapturedCnnStep.channelBlock(net1(1, PaddingMode.ZEROS)),
        new long[] {0, 3, 4}, 6, 3, 12, 12);
  }

  /** The two layouts against each other (each is checked against the eager step above), zero padding 2 included. */
  @ParameterizedTest
  @ValueSource(strings = {"mnist", "net1-zeros"})
  void sixteenChannelBlocksGiveTheStepOfEightChannelBlocks(String name) {
    Init.manualSeed(13);
    Module model = name.equals("mnist") ? new Sequential(
        new Conv2d(1, 16, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(32 * 7 * 7, 10)) : net1(2, PaddingMode.ZEROS);
    INDArray x = Nd4j.rand(DataType.FLOAT, name.equals("mnist") ? new long[] {4, 1, 28, 28} : new long[] {4, 3, 32,
      32}).subi(0.3);
    INDArray y = Nd4j.createFromArray(1L, 0L, 1L, 1L);
    Map<Integer, CapturedStep.StepResult> results = new LinkedHashMap<>();
    Map<Integer, List<INDArray>> grads = new LinkedHashMap<>();
    for (int block : new int[] {8, 16}) {
      model.zeroGrad();
      results.put(block, new CapturedCnnStep(model, x.shape(), true, block).step(x, y));
      grads.put(block, model.parameters().stream().map(p -> p.grad().array().dup()).toList());
    }
    assertEquals(results.get(8).loss(), results.get(16).loss(), 1e-5 * Math.max(1, Math.abs(results.get(8).loss())),
        "loss");
    assertClose(results.get(8).output(), results.get(16).output(), "logits");
    for (int i = 0; i < grads.get(8).size(); i++) {
      assertClose(grads.get(8).get(i), grads.get(16).get(i), "gradient of " + model.parameters().get(i));
    }
  }

  /**
   * The ReLU gradient taken on the pooled values, before the max-pooling gradient, against taken after it on the
   * convolution's output: bit for bit the same parameter gradients (overlapping, padded and ceil-mode windows, global
   * pooling), and the switch changes what runs.
   */
  @ParameterizedTest
  @ValueSource(ints = {8, 16})
  void reluGradientOnThePooledValuesIsExact(int block) {
    Supplier<Module> build = () -> new Sequential(
        new Conv2d(3, 16, 3).padding(1), new ReLU(), new MaxPool2d(3).stride(2).padding(1),
        new Conv2d(16, 16, 3).padding(1), new ReLU(), new MaxPool2d(2).ceilMode(true),
        new Conv2d(16, 32, 3), new ReLU(), new AdaptiveMaxPool2d(1), new Flatten(), new Linear(32, 4));
    INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3, 17, 17).subi(0.5); // many windows with only negative values
    INDArray y = Nd4j.createFromArray(0L, 1L, 2L, 3L, 1L);
    Map<Boolean, List<INDArray>> grads = new LinkedHashMap<>();
    Map<Boolean, List<String>> calls = new LinkedHashMap<>();
    boolean original = CapturedCnnStep.reluGradientOnPooled;
    try {
      for (boolean onPooled : new boolean[] {true, false}) {
        CapturedCnnStep.reluGradientOnPooled = onPooled;
        Init.manualSeed(17);
        Module model = build.get();
        CapturedCnnStep net = new CapturedCnnStep(model, x.shape(), true, block);
        net.step(x, y);
        grads.put(onPooled, model.parameters().stream().map(p -> p.grad().array().dup()).toList());
        calls.put(onPooled, List.copyOf(net.timings().keySet()));
      }
    } finally {
      CapturedCnnStep.reluGradientOnPooled = original;
    }
    assertTrue(calls.get(true).contains("ReLU gradient on the pooled values"), calls.get(true).toString());
    assertTrue(!calls.get(false).contains("ReLU gradient on the pooled values"), calls.get(false).toString());
    for (int i = 0; i < grads.get(true).size(); i++) {
      assertTrue(java.util.Arrays.equals(grads.get(false).get(i).data().asFloat(), grads.get(true).get(i).data()
          .asFloat()), "gradient " + i + " differs");
    }
  }

  @Test
  void theChannelBlockFollowsTheCpuUnlessForced() {
    Module whole = net1(2, PaddingMode.ZEROS); // convolutions read 32 and 64 channels
    Module half = cifarBnDropout(); // the second convolution reads 8 channels: a half 16-channel block
    assertEquals(Dnnl.avx512() ? 16 : 8, CapturedCnnStep.channelBlockFor("auto", whole));
    assertEquals(8, CapturedCnnStep.channelBlockFor("auto", half));
    assertEquals(8, CapturedCnnStep.channelBlockFor("8", whole));
    assertEquals(16, CapturedCnnStep.channelBlockFor("16", half));
    assertThrows(IllegalArgumentException.class, () -> CapturedCnnStep.channelBlockFor("32", whole));
    assertThrows(IllegalArgumentException.class, () -> new CapturedCnnStep(net1(0, PaddingMode.ZEROS), new long[] {2,
      3, 32, 32}, true, 4));
  }

  @Test
  void targetsMayBeIntegerViewsOfALargerArray() {
    Init.manualSeed(3);
    Module model = net1(1, PaddingMode.ZEROS);
    INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 12, 12);
    INDArray table = Nd4j.createFromArray(new int[][] {{9, 1}, {9, 0}, {9, 1}, {9, 1}}); // labels in column 1
    INDArray view = table.getColumn(1);
    CapturedCnnStep net = new CapturedCnnStep(model, x.shape(), true);
    double fromView = net.step(x, view).loss();
    double fromCopy = net.step(x, Nd4j.createFromArray(1L, 0L, 1L, 1L)).loss();
    assertEquals(fromCopy, fromView, 1e-7);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> net.step(x, Nd4j.createFromArray(1L, 0L, 2L, 1L)));
    assertTrue(e.getMessage().contains("target 2 at row 2"), e.getMessage());
  }

  @Test
  void unsupportedModelsSayWhy() {
    assertNull(CapturedCnnStep.unsupported(net1(2, PaddingMode.ZEROS), new long[] {2, 3, 32, 32}, DataType.FLOAT));
    String dropout = CapturedCnnStep.unsupported(new Sequential(new Conv2d(3, 4, 3), new Dropout(0.5), new Flatten(),
        new Linear(4, 2)), new long[] {2, 3, 3, 3}, DataType.FLOAT);
    assertTrue(dropout.contains("Dropout"), dropout);
    String dtype = CapturedCnnStep.unsupported(net1(2, PaddingMode.ZEROS), new long[] {2, 3, 32, 32}, DataType.DOUBLE);
    assertTrue(dtype.contains("DOUBLE"), dtype);
    String noFlatten = CapturedCnnStep.unsupported(new Sequential(new Conv2d(3, 4, 3)), new long[] {2, 3, 5, 5},
        DataType.FLOAT);
    assertTrue(noFlatten.contains("Flatten"), noFlatten);
    var e = assertThrows(IllegalArgumentException.class, () -> new CapturedCnnStep(new Sequential(new Conv2d(3, 4, 3),
        new AdaptiveMaxPool2d(2), new Flatten(), new Linear(16, 2)), new long[] {2, 3, 7, 7}, true));
    assertTrue(e.getMessage().contains("divides"), e.getMessage());
    var wrongShape = new CapturedCnnStep(net1(0, PaddingMode.ZEROS), new long[] {2, 3, 32, 32}, false);
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> wrongShape.run(Nd4j.zeros(DataType.FLOAT, 3, 3, 32, 32), Nd4j.zeros(DataType.LONG, 3)));
    assertTrue(e2.getMessage().contains("[2, 3, 32, 32]"), e2.getMessage());
  }

  @Test
  void convolutionsRunOnJitKernelsNotTheReferenceCode() {
    // with the block this CPU gets (nothing forced): 16 channels with AVX-512, else 8
    var padding = new CapturedCnnStep(net1(2, PaddingMode.REFLECT), new long[] {8, 3, 32, 32}, true);
    // implicit zero padding of 2 around a 3x3 kernel: AVX-512's weight-gradient kernel rejects it
    var widePadding = new CapturedCnnStep(net1(2, PaddingMode.ZEROS), new long[] {8, 3, 32, 32}, true);
    var greyScale = new CapturedCnnStep(new Sequential(new Conv2d(1, 16, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(16 * 14 * 14, 10)), new long[] {8, 1, 28, 28}, true);
    var valid = new CapturedCnnStep(net1(0, PaddingMode.ZEROS), new long[] {8, 3, 32, 32}, true); // stride leaves rows unread
    var oddChannels = new CapturedCnnStep(new Sequential(new Conv2d(1, 16, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 81, 3).padding(1), new ReLU(), new AdaptiveMaxPool2d(1), new Flatten(), new Linear(81, 10)),
        new long[] {8, 1, 28, 28}, true);
    var batchNorm = new CapturedCnnStep(cifarBnDropout(), new long[] {8, 3, 8, 8}, true);
    assertTrue(batchNorm.implementations().stream().anyMatch(s -> s.startsWith("batch norm gradient")), batchNorm
        .implementations().toString());
    for (CapturedCnnStep net : List.of(padding, widePadding, greyScale, valid, oddChannels, batchNorm)) {
      List<String> slow = new ArrayList<>(net.implementations().stream().filter(s -> s.contains("ref")).toList());
      assertTrue(slow.isEmpty(), "reference kernels: " + slow + " of " + net.implementations());
    }
  }

  /**
   * RDFIA's CIFAR net with batch norm and dropout (small): conv -> BatchNorm2d -> ReLU (fused) -> pool; conv ->
   * BatchNorm2d without affine parameters, momentum 0.3 -> pool -> ReLU (not fused); fc -> ReLU -> Dropout(0.5) -> fc.
   */
  private static Module cifarBnDropout() {
    return new Sequential(
        new Conv2d(3, 8, 5).padding(2), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
        new Conv2d(8, 16, 3).padding(1).bias(false), new BatchNorm2d(16).affine(false).momentum(0.3),
        new MaxPool2d(2), new ReLU(),
        new Flatten(), new Linear(16 * 2 * 2, 32), new ReLU(), new Dropout(0.5), new Linear(32, 5));
  }

  @ParameterizedTest
  @ValueSource(ints = {8, 16})
  void batchNormAndDropoutMatchTheEagerStepOverSeveralStepsAndInEvaluation(int block) {
    long[] xShape = {6, 3, 8, 8}; // 96 values per channel in the second batch norm: unbiased != biased
    Init.manualSeed(11);
    Module eager = cifarBnDropout();
    Init.manualSeed(11);
    Module captured = cifarBnDropout();
    assertNull(CapturedCnnStep.unsupported(captured, xShape, DataType.FLOAT));
    CapturedCnnStep net = new CapturedCnnStep(captured, xShape, true, block);
    List<Parameter> ep = eager.parameters();
    List<Parameter> cp = captured.parameters();
    assertEquals(ep.size(), cp.size());
    double lr = 0.1;
    for (int step = 0; step < 4; step++) {
      INDArray x = Nd4j.rand(DataType.FLOAT, xShape).subi(0.3).muli(1 + step); // statistics that move
      INDArray y = Nd4j.createFromArray(new long[] {0, 1, 2, 3, 4, (step + 2) % 5});
      Init.manualSeed(100 + step); // the same generator state: the same dropout masks
      CapturedStep.StepResult expected = eagerStep(eager, x, y);
      Init.manualSeed(100 + step);
      CapturedStep.StepResult actual = net.step(x, y);
      String at = " at step " + step;
      assertEquals(expected.loss(), actual.loss(), 1e-5 * Math.max(1, Math.abs(expected.loss())), "loss" + at);
      assertClose(expected.output(), actual.output(), "logits" + at);
      double largest = 0;
      for (Parameter p : ep) {
        largest = Math.max(largest, p.grad().array().amaxNumber().doubleValue());
      }
      for (int i = 0; i < ep.size(); i++) {
        assertNotNull(cp.get(i).grad(), "no gradient for " + cp.get(i) + at);
        // the bias of a convolution before a batch norm has a zero gradient up to rounding: compared against the
        // model's gradients' scale
        assertClose(ep.get(i).grad().array(), cp.get(i).grad().array(), 1e-2 * largest, "gradient of " + ep.get(i)
            .name() + at);
        ep.get(i).data().subi(ep.get(i).grad().array().mul(lr));
        cp.get(i).data().subi(cp.get(i).grad().array().mul(lr));
      }
      for (int i = 0; i < ep.size(); i++) {
        assertClose(ep.get(i).data(), cp.get(i).data(), "parameter " + ep.get(i).name() + at);
      }
      assertSameRunningStatistics(eager, captured, at);
    }
    // Evaluation: the running statistics, no dropout; the eager model in eval mode against the captured evaluation.
    INDArray x = Nd4j.rand(DataType.FLOAT, xShape).subi(0.3);
    INDArray y = Nd4j.createFromArray(new long[] {4, 3, 2, 1, 0, 0});
    eager.eval();
    CapturedStep.StepResult expected;
    try (var g = Tensor.noGrad()) {
      Tensor out = eager.call(Tensor.of(x));
      expected = new CapturedStep.StepResult(F.crossEntropy(out, Tensor.of(y)).item(), out.array());
    }
    CapturedStep.StepResult actual = new CapturedCnnStep(captured, xShape, false, block).run(x, y);
    assertClose(expected.output(), actual.output(), "eval logits");
    assertEquals(expected.loss(), actual.loss(), 1e-5 * Math.max(1, Math.abs(expected.loss())), "eval loss");
    assertSameRunningStatistics(eager, captured, " after evaluation (unchanged)");
  }

  @Test
  void dropoutMasksComeFromTheGeneratorLikeTheEagerStep() {
    // Different seeds give different masks (so the test above can fail on a mask drawn elsewhere or in another order).
    long[] xShape = {4, 3, 8, 8};
    Init.manualSeed(5);
    Module model = cifarBnDropout();
    CapturedCnnStep net = new CapturedCnnStep(model, xShape, true);
    INDArray x = Nd4j.rand(DataType.FLOAT, xShape);
    INDArray y = Nd4j.createFromArray(0L, 1L, 2L, 3L);
    Init.manualSeed(1);
    double a = net.step(x, y).loss();
    Init.manualSeed(1);
    double b = net.step(x, y).loss();
    Init.manualSeed(2);
    double c = net.step(x, y).loss();
    // running statistics moved between the calls, but the batch's own statistics normalise: a equals b
    assertEquals(a, b, 1e-6, "same seed, same mask");
    assertTrue(Math.abs(a - c) > 1e-6, "another seed, another mask: " + a + " " + c);
  }

  private static void assertSameRunningStatistics(Module eager, Module captured, String at) {
    List<BatchNorm> e = batchNorms(eager);
    List<BatchNorm> c = batchNorms(captured);
    assertEquals(2, e.size());
    for (int i = 0; i < e.size(); i++) {
      assertClose(e.get(i).runningMean().data(), c.get(i).runningMean().data(), "running mean " + i + at);
      assertClose(e.get(i).runningVar().data(), c.get(i).runningVar().data(), "running var " + i + at);
    }
    assertTrue(e.get(0).runningMean().data().amaxNumber().doubleValue() > 0, "the running mean moved");
  }

  private static List<BatchNorm> batchNorms(Module m) {
    List<BatchNorm> out = new ArrayList<>();
    for (Module l : ((Sequential) m).layers()) {
      if (l instanceof BatchNorm b) {
        out.add(b);
      }
    }
    return out;
  }

  private static void assertClose(INDArray expected, INDArray actual, double floor, String what) {
    assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what
        + " shape");
    double scale = Math.max(expected.amaxNumber().doubleValue(), floor);
    double err = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    assertTrue(err <= 2e-4 * scale, what + ": max error " + err + " against max " + scale);
  }
}
