package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ModuleTest {
  @Test
  void parameterPathsFollowTheModuleTree() {
    var net = new Sequential(new Conv2d(1, 4, 3), new ReLU(), new Flatten(), new Linear(4 * 26 * 26, 10));
    assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias"), List.copyOf(net.namedParameters().keySet()));
    assertEquals(4 * 9 + 4 + 4 * 26 * 26 * 10 + 10, net.numParameters());
  }

  @Test
  void linearForwardMatchesMatrixProduct() {
    Init.manualSeed(1);
    var lin = new Linear(3, 2);
    INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
    INDArray expected = x.mmul(lin.weight().data().transpose()).add(lin.bias().data().reshape(1, 2));
    assertTrue(expected.equalsWithEps(lin.forward(x), 1e-5));
  }

  @Test
  void summaryReportsShapesAndCounts() {
    var net = new Sequential(new Conv2d(1, 16, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3).padding(1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(576, 10));
    Summary s = net.summary(1, 1, 28, 28);
    assertEquals(29_066, s.totalParameters());
    assertEquals("(1, 64, 3, 3)", s.outputShapes().get(8));
    assertEquals("(1, 10)", s.outputShapes().get(10));
  }

  @Test
  void convFollowedByReluRunsFusedWithTheSameNumbers() {
    Init.manualSeed(7);
    var net = new Sequential(new Conv2d(3, 5, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(5, 4, 3).padding(1).paddingMode(PaddingMode.REFLECT).bias(false), new ReLU(),
        new Conv2d(4, 4, 3), new Tanh(), new Flatten(), new Linear(4 * 2 * 2, 3));
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8).subi(0.5);
    INDArray[] out = new INDArray[2];
    java.util.List<java.util.List<INDArray>> grads = new java.util.ArrayList<>();
    boolean before = Sequential.fuseConvRelu;
    try {
      for (int fused = 0; fused < 2; fused++) {
        Sequential.fuseConvRelu = fused == 1;
        net.zeroGrad();
        Tensor y = net.call(Tensor.of(x));
        y.mul(y).sum().backward();
        out[fused] = y.array();
        grads.add(net.parameters().stream().map(p -> p.grad().array().dup()).toList());
      }
    } finally {
      Sequential.fuseConvRelu = before;
    }
    assertEquals(out[0], out[1]);
    assertEquals(grads.get(0), grads.get(1));
    // both layers still count as called
    assertEquals(List.of("(2, 5, 8, 8)", "(2, 5, 8, 8)", "(2, 5, 4, 4)", "(2, 4, 4, 4)", "(2, 4, 4, 4)",
        "(2, 4, 2, 2)", "(2, 4, 2, 2)", "(2, 16)", "(2, 3)"), net.summary(2, 3, 8, 8).outputShapes());
    var e = assertThrows(IllegalArgumentException.class, () -> net.call(Tensor.of(Nd4j.rand(DataType.FLOAT, 2, 4, 8,
        8))));
    assertTrue(e.getMessage().startsWith("[0 (Conv2d)]"), e.getMessage());
  }

  @Test
  void batchNormFollowedByReluRunsFusedWithTheSameNumbers() {
    Init.manualSeed(8);
    var net = new Sequential(new Conv2d(3, 5, 3).padding(1), new BatchNorm2d(5), new ReLU(), new MaxPool2d(2),
        new Conv2d(5, 4, 3).padding(1), new BatchNorm2d(4).affine(false), new ReLU(), new Flatten(),
        new Linear(4 * 4 * 4, 6), new BatchNorm1d(6), new ReLU(), new Linear(6, 3));
    INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3, 8, 8).subi(0.5);
    INDArray[] out = new INDArray[2];
    INDArray[] evalOut = new INDArray[2];
    java.util.List<java.util.List<INDArray>> grads = new java.util.ArrayList<>();
    java.util.List<java.util.List<INDArray>> buffers = new java.util.ArrayList<>();
    var start = net.stateDict();
    boolean before = Sequential.fuseBatchNormRelu;
    try {
      for (int fused = 0; fused < 2; fused++) {
        Sequential.fuseBatchNormRelu = fused == 1;
        net.loadStateDict(start);
        net.train();
        for (int step = 0; step < 2; step++) { // two steps: the second starts from updated running statistics
          net.zeroGrad();
          Tensor y = net.call(Tensor.of(x));
          y.mul(y).sum().backward();
          out[fused] = y.array();
        }
        grads.add(net.parameters().stream().map(p -> p.grad().array().dup()).toList());
        buffers.add(net.stateDict().values().stream().map(INDArray::dup).toList());
        net.eval();
        try (var g = Tensor.noGrad()) {
          evalOut[fused] = net.call(Tensor.of(x)).array();
        }
      }
    } finally {
      Sequential.fuseBatchNormRelu = before;
      net.train();
    }
    assertEquals(out[0], out[1]);
    assertEquals(grads.get(0), grads.get(1));
    assertEquals(buffers.get(0), buffers.get(1));
    assertEquals(evalOut[0], evalOut[1]);
    assertTrue(out[0].neq(0).castTo(DataType.INT).sumNumber().intValue() > 0, "the net's output is not all zeros");
    // both layers still count as called
    assertEquals(List.of("(4, 5, 8, 8)", "(4, 5, 8, 8)", "(4, 5, 8, 8)", "(4, 5, 4, 4)", "(4, 4, 4, 4)",
        "(4, 4, 4, 4)", "(4, 4, 4, 4)", "(4, 64)", "(4, 6)", "(4, 6)", "(4, 6)", "(4, 3)"),
        net.summary(4, 3, 8, 8).outputShapes());
    var e = assertThrows(IllegalArgumentException.class, () -> new Sequential(new BatchNorm2d(3), new ReLU()).call(
        Tensor.of(Nd4j.rand(DataType.FLOAT, 2, 4, 8, 8))));
    assertTrue(e.getMessage().startsWith("[0 (BatchNorm2d)]"), e.getMessage());
  }

  @Test
  void shapeErrorsNameTheLayer() {
    var net = new Sequential(new Flatten(), new Linear(400, 10));
    var e = assertThrows(IllegalArgumentException.class, () -> net.summary(64, 320));
    assertTrue(e.getMessage().contains("[1 (Linear)]"), e.getMessage());
    assertTrue(e.getMessage().contains("(64, 320)"), e.getMessage());
  }

  @Test
  void stepSetsGradientsOfLinearRegressionLoss() {
    Init.manualSeed(2);
    var lin = new Linear(3, 1);
    INDArray x = Nd4j.rand(DataType.FLOAT, 5, 3);
    INDArray y = Nd4j.rand(DataType.FLOAT, 5, 1);
    Tensor lossT = F.mseLoss(lin.call(Tensor.of(x)), Tensor.of(y));
    lossT.backward();
    double loss = lossT.item();
    INDArray err = x.mmul(lin.weight().data().transpose()).addi(lin.bias().data().getDouble(0)).subi(y); // (5, 1)
    assertEquals(err.mul(err).meanNumber().doubleValue(), loss, 1e-5);
    INDArray gradW = err.transpose().mmul(x).muli(2.0 / 5); // d mean(e^2) / dW
    assertTrue(gradW.equalsWithEps(lin.weight().grad().array(), 1e-5), lin.weight().grad() + " vs " + gradW);
  }

  @Test
  void lazyLinearTakesItsInputSizeFromTheFirstCall() {
    Init.manualSeed(4);
    var net = new Sequential(new Conv2d(1, 4, 3), new ReLU(), new Flatten(), new LazyLinear(10));
    var lazy = (LazyLinear) net.get(3);
    assertEquals(false, lazy.initialized());
    assertTrue(net.toString().contains("LazyLinear(inFeatures=?, outFeatures=10)"), net.toString());
    assertEquals(List.of("(2, 4, 6, 6)", "(2, 4, 6, 6)", "(2, 144)", "(2, 10)"), net.summary(2, 1, 8, 8)
        .outputShapes());
    assertArrayEquals(new long[] {10, 144}, lazy.weight().shape());
    assertEquals(4 * 9 + 4 + 144 * 10 + 10, net.numParameters());
    assertTrue(net.namedParameters().containsKey("3.weight"), net.namedParameters().keySet().toString());
    // initialised as Linear(144, 10) would be, from the same generator state
    Init.manualSeed(4);
    new Conv2d(1, 4, 3);
    var eager = new Linear(144, 10);
    assertEquals(eager.weight().data(), lazy.weight().data());
    Tensor x = Tensor.of(Nd4j.rand(DataType.FLOAT, 2, 1, 8, 8));
    net.call(x).sum().backward();
    assertArrayEquals(new long[] {10, 144}, lazy.weight().grad().shape());
  }

  @Test
  void loadStateDictIsAllOrNothingAndStrictByDefault() {
    var net = new Sequential(new Linear(3, 2), new Linear(2, 1));
    Map<String, INDArray> state = new java.util.LinkedHashMap<>(net.stateDict());
    state.put("0.weight", Nd4j.ones(DataType.FLOAT, 2, 3));
    state.put("1.weight", Nd4j.ones(DataType.FLOAT, 5)); // wrong shape: nothing may be loaded
    INDArray before = net.namedParameters().get("0.weight").data().dup();
    var e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state));
    assertTrue(e.getMessage().contains("size mismatch for 1.weight") && e.getMessage().contains("nothing was loaded"),
        e.getMessage());
    assertEquals(before, net.namedParameters().get("0.weight").data());

    Map<String, INDArray> partial = new java.util.LinkedHashMap<>();
    partial.put("0.weight", Nd4j.ones(DataType.FLOAT, 2, 3));
    partial.put("head.bias", Nd4j.ones(DataType.FLOAT, 1));
    var strict = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(partial));
    assertTrue(strict.getMessage().contains("missing keys [0.bias, 1.weight, 1.bias]")
        && strict.getMessage().contains("unexpected keys [head.bias]"), strict.getMessage());
    assertEquals(before, net.namedParameters().get("0.weight").data());
    Module.IncompatibleKeys skipped = net.loadStateDict(partial, false);
    assertEquals(List.of("0.bias", "1.weight", "1.bias"), skipped.missing());
    assertEquals(List.of("head.bias"), skipped.unexpected());
    assertEquals(Nd4j.ones(DataType.FLOAT, 2, 3), net.namedParameters().get("0.weight").data());
  }

  @Test
  void shapeErrorsNameTheNestedLayerPathAndBothShapes() {
    var features = new Sequential(new Conv2d(1, 8, 3), new ReLU(), new Conv2d(16, 8, 3)); // 8 channels in, 16 expected
    var net = new Sequential(features, new Flatten(), new LazyLinear(2));
    var e = assertThrows(IllegalArgumentException.class, () -> net.forward(Nd4j.zeros(DataType.FLOAT, 2, 1, 9, 9)));
    assertTrue(e.getMessage().startsWith("[0.2 (Conv2d)]"), e.getMessage());
    assertTrue(e.getMessage().contains("expected input (N, 16, H, W), got (2, 8, 7, 7)"), e.getMessage());
    // the training path names it the same way
    var t = assertThrows(IllegalArgumentException.class,
        () -> net.call(dlcourse.tensor.Tensor.of(Nd4j.zeros(DataType.FLOAT, 2, 1, 9, 9))));
    assertEquals(e.getMessage(), t.getMessage());
  }

  @Test
  void toStringPrintsTheTreeLikePyTorchFoldingRepeatedChildren() {
    var net = new Sequential(new Sequential(new Conv2d(1, 4, 3).padding(1), new ReLU()), new Flatten(), new Linear(4,
        4), new Linear(4, 4), new Linear(4, 4), new Linear(4, 2).bias(false));
    assertEquals("Sequential(\n"
        + "  (0): Sequential(\n"
        + "    (0): Conv2d(1, 4, kernelSize=(3, 3), padding=(1, 1))\n"
        + "    (1): ReLU()\n"
        + "  )\n"
        + "  (1): Flatten()\n"
        + "  (2-4): 3 x Linear(inFeatures=4, outFeatures=4)\n"
        + "  (5): Linear(inFeatures=4, outFeatures=2, bias=false)\n"
        + ")", net.toString());
  }

  @Test
  void stateDictRoundTripGivesTheSameModelIncludingBatchNormStatistics() {
    Init.manualSeed(5);
    var net = new Sequential(new Conv2d(1, 3, 3), new BatchNorm2d(3), new ReLU(), new Flatten(), new LazyLinear(2));
    Tensor x = Tensor.of(Nd4j.rand(DataType.FLOAT, 4, 1, 6, 6));
    net.call(x).sum().backward(); // training mode: updates the running statistics
    Map<String, INDArray> state = net.stateDict();
    Init.manualSeed(6);
    var fresh = new Sequential(new Conv2d(1, 3, 3), new BatchNorm2d(3), new ReLU(), new Flatten(), new Linear(48, 2));
    fresh.loadStateDict(state);
    assertEquals(state.keySet(), fresh.stateDict().keySet());
    net.eval();
    fresh.eval();
    try (var g = Tensor.noGrad()) {
      assertEquals(net.call(x).array(), fresh.call(x).array());
    }
    state.values().forEach(v -> v.assign(0)); // copies: the models keep their values
    assertEquals(net.stateDict(), fresh.stateDict());
  }

  @Test
  void trainEvalReachEveryDescendantAndZeroGradClearsEveryGradient() {
    Init.manualSeed(1);
    var net = new Sequential(new Sequential(new Linear(2, 3), new Dropout(0.5)), new BatchNorm1d(3), new Linear(3, 2));
    assertEquals(List.of("", "0", "0.0", "0.1", "1", "2"), List.copyOf(net.namedModules().keySet()));
    assertTrue(net.namedModules().values().stream().allMatch(Module::training));
    net.eval();
    assertTrue(net.namedModules().values().stream().noneMatch(Module::training));
    net.train();
    assertTrue(net.namedModules().values().stream().allMatch(Module::training));
    // parameters(): the trainable ones; namedParameters() also holds the batch norm's running statistics (buffers)
    assertEquals(List.of("0.0.weight", "0.0.bias", "1.weight", "1.bias", "1.runningMean", "1.runningVar",
        "2.weight", "2.bias"), List.copyOf(net.namedParameters().keySet()));
    assertEquals(6, net.parameters().size());
    net.call(Tensor.of(Nd4j.rand(DataType.FLOAT, 4, 2))).sum().backward();
    assertTrue(net.parameters().stream().allMatch(p -> p.grad() != null));
    net.zeroGrad();
    assertTrue(net.parameters().stream().allMatch(p -> p.grad() == null));
  }
}
