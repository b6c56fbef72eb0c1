package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ManualMlpTest {
  private static INDArray randn(long... shape) {
    return Init.normal(Nd4j.create(DataType.DOUBLE, shape), 0, 1);
  }

  private static INDArray labels(long... values) {
    return Nd4j.createFromArray(values);
  }

  /** The hand-written gradients against central differences of the loss, one parameter at a time. */
  @Test
  void gradientsMatchCentralDifferences() {
    Init.manualSeed(3);
    var mlp = new ManualMlp(5, 7, 3, 0.3);
    INDArray x = randn(6, 5);
    INDArray y = labels(0, 2, 1, 1, 0, 2);
    ManualMlp.Gradients g = mlp.backward(mlp.forward(x), y);
    Map<String, INDArray[]> pairs = Map.of("wh", new INDArray[] {mlp.wh(), g.wh()}, "bh",
        new INDArray[] {mlp.bh(), g.bh()}, "wy", new INDArray[] {mlp.wy(), g.wy()}, "by",
        new INDArray[] {mlp.by(), g.by()});
    for (var e : pairs.entrySet()) {
      INDArray p = e.getValue()[0];
      INDArray numeric =
          GradCheck.numerical(a -> ManualMlp.loss(mlp.forward(x).yHat(), y), p, 1e-6); // perturbs p in place
      double rel = GradCheck.maxAbsDiff(numeric, e.getValue()[1]) / numeric.amaxNumber().doubleValue();
      assertTrue(rel < 1e-7, e.getKey() + ": relative error " + rel);
      assertArrayEquals(p.shape(), e.getValue()[1].shape(), e.getKey());
    }
  }

  /** The same network through the library's layers and autograd: same loss, same gradients, same step. */
  @Test
  void agreesWithLibraryLayersAndAutograd() {
    Init.manualSeed(5);
    var net = (Sequential) new Sequential(new Linear(3, 4), new Tanh(), new Linear(4, 2)).to(DataType.DOUBLE);
    Linear l1 = (Linear) net.layers().get(0);
    Linear l2 = (Linear) net.layers().get(2);
    var mlp = ManualMlp.of(l1.weight().data(), l1.bias().data(), l2.weight().data(), l2.bias().data());
    INDArray x = randn(8, 3);
    INDArray y = labels(0, 1, 1, 0, 1, 0, 0, 1);
    ManualMlp.Forward f = mlp.forward(x);
    Tensor loss = F.crossEntropy(net.forward(Tensor.of(x)), Tensor.of(y));
    loss.backward();
    assertEquals(loss.item(), ManualMlp.loss(f.yHat(), y), 1e-14);
    ManualMlp.Gradients g = mlp.backward(f, y);
    assertTrue(GradCheck.maxAbsDiff(g.wh(), l1.weight().grad().array()) < 1e-14);
    assertTrue(GradCheck.maxAbsDiff(g.bh(), l1.bias().grad().array()) < 1e-14);
    assertTrue(GradCheck.maxAbsDiff(g.wy(), l2.weight().grad().array()) < 1e-14);
    assertTrue(GradCheck.maxAbsDiff(g.by(), l2.bias().grad().array()) < 1e-14);
    INDArray before = mlp.wy().dup();
    mlp.step(g, 0.5);
    assertTrue(GradCheck.maxAbsDiff(mlp.wy(), before.sub(g.wy().mul(0.5))) == 0);
    // of() copies: the layer's weight is untouched by the step
    assertTrue(GradCheck.maxAbsDiff(l2.weight().data(), before) == 0);
  }

  @Test
  void oneHotAndIndexTargetsGiveTheSameLossAndGradients() {
    Init.manualSeed(1);
    var mlp = new ManualMlp(2, 4, 3, 0.3);
    INDArray x = randn(3, 2);
    INDArray idx = labels(2, 0, 1);
    INDArray oneHot = Nd4j.createFromArray(new double[][] {{0, 0, 1}, {1, 0, 0}, {0, 1, 0}});
    ManualMlp.Forward f = mlp.forward(x);
    assertEquals(ManualMlp.loss(f.yHat(), idx), ManualMlp.loss(f.yHat(), oneHot), 0);
    assertEquals(0, GradCheck.maxAbsDiff(mlp.backward(f, idx).wh(), mlp.backward(f, oneHot).wh()));
    // softmax rows sum to one; accuracy counts arg-max matches
    assertTrue(GradCheck.maxAbsDiff(f.yHat().sum(1), Nd4j.ones(DataType.DOUBLE, 3)) < 1e-15);
    INDArray scores = Nd4j.createFromArray(new double[][] {{0, 0, 5}, {0, 5, 0}, {0, 5, 0}});
    assertEquals(2 / 3.0, ManualMlp.accuracy(scores, idx), 1e-15);
  }

  @Test
  void softmaxIsStableForLargeScores() {
    INDArray p = ManualMlp.softmax(Nd4j.createFromArray(new double[][] {{1000, 999, -1000}}));
    assertEquals(1 / (1 + Math.exp(-1)), p.getDouble(0, 0), 1e-15);
    assertTrue(Double.isFinite(p.sumNumber().doubleValue()));
  }

  @Test
  void initDrawsFromTheSeededGeneratorInOrder() {
    Init.manualSeed(7);
    var a = new ManualMlp(2, 10, 2, 0.3);
    Init.manualSeed(7);
    INDArray wh = Init.normal(Nd4j.create(DataType.DOUBLE, 10, 2), 0, 0.3);
    INDArray bh = Init.normal(Nd4j.create(DataType.DOUBLE, 10), 0, 0.3);
    assertEquals(0, GradCheck.maxAbsDiff(a.wh(), wh));
    assertEquals(0, GradCheck.maxAbsDiff(a.bh(), bh));
    assertEquals(52, a.numParameters());
    double std = Math.sqrt(a.wh().mul(a.wh()).meanNumber().doubleValue());
    assertTrue(std > 0.15 && std < 0.45, "std " + std);
    assertEquals("ManualMlp(2 -> tanh(10) -> softmax(2), DOUBLE)", a.toString());
  }

  @Test
  void badShapesAndTargetsFailWithTheShapes() {
    Init.manualSeed(0);
    var mlp = new ManualMlp(2, 4, 2, 0.3);
    var e = assertThrows(IllegalArgumentException.class, () -> mlp.forward(randn(3, 5)));
    assertEquals("expected input (B, 2), got [3, 5]", e.getMessage());
    ManualMlp.Forward f = mlp.forward(randn(3, 2));
    e = assertThrows(IllegalArgumentException.class, () -> mlp.backward(f, labels(0, 2, 1)));
    assertEquals("class 2 at row 1 is outside [0, 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ManualMlp.loss(f.yHat(), randn(3)));
    assertTrue(e.getMessage().startsWith("expected targets as one-hot (3, 2) or class indices (3) int64"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ManualMlp.of(randn(4, 2), randn(3), randn(2, 4), randn(2)));
    assertEquals("expected W_h (nh, nx), b_h (nh), W_y (ny, nh), b_y (ny), got [4, 2], [3], [2, 4], [2]",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new ManualMlp(2, 0, 2, 0.3));
    assertTrue(e.getMessage().contains("nh"), e.getMessage());
  }

  /** The PyTorch fixtures of the same network (float64): loss and parameter gradients. */
  @ParameterizedTest
  @ValueSource(strings = {"tanh_mlp_cross_entropy_2_4_2", "tanh_mlp_cross_entropy_5_7_3"})
  void matchesPyTorch(String name) {
    JsonObject fx = TorchFixturesTest.load(name);
    Map<String, INDArray> in = new HashMap<>();
    for (JsonElement e : fx.getAsJsonArray("inputs")) {
      JsonObject o = e.getAsJsonObject();
      String n = o.get("name").getAsString();
      in.put(n, o.get("dtype").getAsString().equals("int64") ? TorchFixturesTest.longs(o) : TorchFixturesTest.doubles(
          o));
    }
    var mlp = ManualMlp.of(in.get("wh"), in.get("bh"), in.get("wy"), in.get("by"));
    ManualMlp.Forward f = mlp.forward(in.get("x"));
    INDArray loss = Nd4j.scalar(ManualMlp.loss(f.yHat(), in.get("target")));
    TorchFixturesTest.compare(name + " loss", fx.getAsJsonObject("output"), loss);
    double upstream = TorchFixturesTest.doubles(fx.getAsJsonObject("upstream")).getDouble(0);
    ManualMlp.Gradients g = mlp.backward(f, in.get("target"));
    JsonObject grads = fx.getAsJsonObject("grads");
    Function<INDArray, INDArray> scaled = a -> a.mul(upstream);
    TorchFixturesTest.compare(name + " d/dwh", grads.getAsJsonObject("wh"), scaled.apply(g.wh()));
    TorchFixturesTest.compare(name + " d/dbh", grads.getAsJsonObject("bh"), scaled.apply(g.bh()));
    TorchFixturesTest.compare(name + " d/dwy", grads.getAsJsonObject("wy"), scaled.apply(g.wy()));
    TorchFixturesTest.compare(name + " d/dby", grads.getAsJsonObject("by"), scaled.apply(g.by()));
  }
}
