package dlcourse.nn.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.Flatten;
import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.nn.MaxPool2d;
import dlcourse.nn.Module;
import dlcourse.nn.ReLU;
import dlcourse.nn.Sequential;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LayersTest {
  /** Checks an eager twin against the library module: output, input gradient and parameter gradients. */
  private static void matchesLibrary(Module lib, EagerModule eager, INDArray x) {
    INDArray r = Nd4j.rand(DataType.DOUBLE, lib.forward(x).shape());
    GradCheck.Gradients want = GradCheck.library(lib, x, r);
    Variable xv = Variable.requiringGrad(x);
    Variable y = eager.forward(xv);
    y.backward(r);
    assertTrue(GradCheck.maxAbsDiff(want.output(), y.data()) < 1e-12, "output");
    assertTrue(GradCheck.maxAbsDiff(want.input(), xv.grad()) < 1e-12,
        "input gradient differs by " + GradCheck.maxAbsDiff(want.input(), xv.grad()));
    want.parameters().forEach((k, g) -> assertTrue(GradCheck.maxAbsDiff(g, lib.namedParameters().get(k).grad().array()) < 1e-12,
        k + " gradient"));
  }

  @Test
  void reluMaxPoolFlattenLinearMatchTheLibrary() {
    Init.manualSeed(5);
    INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 3, 6, 4);
    var net = (Sequential) new Sequential(new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(18, 5))
        .to(DataType.DOUBLE);
    matchesLibrary(net, EagerSequential.from(net), x);
  }

  @Test
  void maxPoolWithOverlappingWindowsMatchesTheLibrary() {
    var pool = new MaxPool2d(3).stride(2);
    matchesLibrary(new Sequential(pool), EagerSequential.from(new Sequential(pool)),
        Nd4j.randn(DataType.DOUBLE, 2, 2, 7, 6));
  }

  @Test
  void maxPoolSendsTheGradientToTheFirstMaximumOnly() {
    INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, 1, 2, 2); // a tie: every pixel is the maximum
    Variable xv = Variable.requiringGrad(x);
    new MaxPool2dFunction(2).apply(xv).backward(Nd4j.ones(DataType.DOUBLE, 1, 1, 1, 1));
    assertEquals(1.0, xv.grad().sumNumber().doubleValue(), 0.0);
    assertEquals(1.0, xv.grad().getDouble(0, 0, 0, 0), 0.0);
  }

  @Test
  void crossEntropyMatchesFiniteDifferencesAndTheFormula() {
    INDArray logits = Nd4j.randn(DataType.DOUBLE, 4, 3);
    INDArray y = Nd4j.createFromArray(0L, 2L, 1L, 2L);
    CrossEntropyFunction ce = new CrossEntropyFunction();
    Variable lv = Variable.requiringGrad(logits);
    Variable loss = ce.apply(lv, Variable.of(y));
    double expected = 0;
    for (int i = 0; i < 4; i++) {
      INDArray row = logits.getRow(i);
      expected += Math.log(org.nd4j.linalg.ops.transforms.Transforms.exp(row, true).sumNumber().doubleValue())
          - row.getDouble(y.getLong(i));
    }
    assertEquals(expected / 4, loss.data().getDouble(0), 1e-12);
    loss.backward();
    INDArray num = GradCheck.numerical(a -> ce.apply(Variable.of(a), Variable.of(y)).data().getDouble(0), logits, 1e-6);
    assertTrue(GradCheck.maxAbsDiff(num, lv.grad()) < 1e-8);
  }

  @Test
  void aValueUsedTwiceGetsTheSumOfBothGradients() {
    INDArray w = Nd4j.randn(DataType.DOUBLE, 3, 3);
    Variable x = Variable.requiringGrad(Nd4j.randn(DataType.DOUBLE, 2, 3));
    LinearFunction lin = new LinearFunction();
    Variable h = lin.apply(x, Variable.of(w));
    Variable y = lin.apply(h, Variable.of(w)); // x W^T W^T
    y.backward(Nd4j.ones(DataType.DOUBLE, 2, 3));
    INDArray expected = Nd4j.ones(DataType.DOUBLE, 2, 3).mmul(w).mmul(w);
    assertTrue(GradCheck.maxAbsDiff(expected, x.grad()) < 1e-12);
  }

  @Test
  void backwardOfANonScalarOrAConstantIsRejected() {
    Variable v = Variable.requiringGrad(Nd4j.ones(DataType.DOUBLE, 2));
    var e = assertThrows(IllegalStateException.class, () -> new ReLUFunction().apply(v).backward());
    assertTrue(e.getMessage().contains("needs a scalar, got shape [2]"), e.getMessage());
    var c = assertThrows(IllegalStateException.class, () -> Variable.of(Nd4j.ones(1)).backward());
    assertTrue(c.getMessage().contains("does not depend on anything"), c.getMessage());
  }

  @Test
  void unsupportedLayersAreNamed() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> EagerSequential.from(new Sequential(new ReLU(), new MaxPool2d(2).padding(1))));
    assertTrue(e.getMessage().startsWith("layer 1 (MaxPool2d("), e.getMessage());
  }
}
