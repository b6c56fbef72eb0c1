package dlcourse.nn;

import dlcourse.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LossTest {
  private static final INDArray TARGET = Nd4j.createFromArray(2L, 0L, -100L, 1L);

  private static INDArray eval(BiFunction<Tensor, Tensor, Tensor> loss, INDArray input, INDArray target) {
    try (var g = Tensor.noGrad()) {
      return loss.apply(Tensor.of(input), Tensor.of(target)).array();
    }
  }

  /** Per-sample -log softmax(x)[t], smoothed, by plain loops; NaN for ignored samples. */
  private static double[] reference(INDArray logits, long[] target, double smoothing) {
    int n = (int) logits.size(0);
    int c = (int) logits.size(1);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        max = Math.max(max, logits.getDouble(i, j));
      }
      double z = 0;
      for (int j = 0; j < c; j++) {
        z += Math.exp(logits.getDouble(i, j) - max);
      }
      double lse = max + Math.log(z);
      double uniform = 0;
      for (int j = 0; j < c; j++) {
        uniform += (lse - logits.getDouble(i, j)) / c;
      }
      out[i] = target[i] < 0 ? Double.NaN : (1 - smoothing) * (lse - logits.getDouble(i, (int) target[i])) + smoothing
          * uniform;
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Reduction.class)
  void crossEntropyMatchesLoopsWithIgnoreIndexAndSmoothing(Reduction reduction) {
    INDArray logits = Nd4j.randn(DataType.DOUBLE, 4, 3).muli(2);
    for (double s : new double[] {0, 0.1}) {
      double[] ref = reference(logits, TARGET.toLongVector(), s);
      INDArray got = eval((x, t) -> new CrossEntropyLoss().reduction(reduction).labelSmoothing(s).apply(x, t), logits,
          TARGET);
      double sum = 0;
      for (int i = 0; i < 4; i++) {
        if (i != 2) {
          sum += ref[i];
          if (reduction == Reduction.NONE) {
            assertEquals(ref[i], got.getDouble(i), 1e-10);
          }
        }
      }
      if (reduction == Reduction.NONE) {
        assertEquals(0.0, got.getDouble(2), 0, "ignored sample");
      } else {
        assertEquals(reduction == Reduction.SUM ? sum : sum / 3, got.getDouble(0), 1e-10);
      }
    }
  }

  @Test
  void nllOfLogSoftmaxEqualsCrossEntropy() {
    INDArray logits = Nd4j.randn(DataType.DOUBLE, 4, 3);
    INDArray t = Nd4j.createFromArray(0L, 1L, 2L, 1L);
    double ce = eval(F::crossEntropy, logits, t).getDouble(0);
    double nll = eval((x, y) -> new NLLLoss().apply(F.logSoftmax(x, 1), y), logits, t).getDouble(0);
    assertEquals(ce, nll, 1e-12);
    assertEquals(reference(logits, t.toLongVector(), 0)[3], eval((x, y) -> new NLLLoss().reduction("none")
        .apply(F.logSoftmax(x, 1), y), logits, t).getDouble(3), 1e-10);
  }

  @Test
  void mseReductions() {
    INDArray a = Nd4j.createFromArray(1.0, 2.0, 3.0).reshape(1, 3);
    INDArray b = Nd4j.createFromArray(1.0, 0.0, 0.0).reshape(1, 3);
    assertEquals(13.0 / 3, eval(F::mseLoss, a, b).getDouble(0), 1e-12);
    assertEquals(13.0, eval((x, y) -> new MSELoss().reduction("sum").apply(x, y), a, b).getDouble(0), 1e-12);
    assertEquals(9.0, eval((x, y) -> F.mseLoss(x, y, Reduction.NONE), a, b).getDouble(0, 2), 1e-12);
  }

  @Test
  void lossGradientsMatchFiniteDifferences() {
    INDArray logits = Nd4j.randn(DataType.DOUBLE, 4, 3);
    GradCheck.check(null, true, List.of(logits), List.of(TARGET),
        in -> F.crossEntropy(in.get(0), in.get(1), Reduction.MEAN, -100, 0.2));
    GradCheck.check(null, true, List.of(logits), List.of(TARGET),
        in -> F.nllLoss(F.logSoftmax(in.get(0), 1), in.get(1), Reduction.NONE, -100));
    GradCheck.check(null, true, List.of(logits, Nd4j.randn(DataType.DOUBLE, 4, 3)), List.of(),
        in -> F.mseLoss(in.get(0), in.get(1), Reduction.SUM));
  }

  @Test
  void badArgumentsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> Reduction.of("avg"));
    assertEquals("reduction must be \"mean\", \"sum\" or \"none\", got \"avg\"", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> eval(F::crossEntropy, Nd4j.rand(DataType.DOUBLE, 4, 3), Nd4j.rand(DataType.DOUBLE, 4)));
    assertTrue(e.getMessage().contains("class indices (int64)"), e.getMessage());
  }

  @Test
  void logSoftmaxStaysFiniteWhenAProbabilityUnderflows() {
    INDArray logits = Nd4j.createFromArray(new float[][] {{0f, 200f}, {50f, -60f}});
    Map<String, INDArray> out = Map.of("out", F.logSoftmax(Tensor.of(logits), 1).array(),
        "ce", F.crossEntropy(Tensor.of(logits), Tensor.of(Nd4j.createFromArray(0L, 1L)), Reduction.NONE).array());
    assertTrue(Nd4j.createFromArray(new float[][] {{-200f, 0f}, {0f, -110f}}).equalsWithEps(out.get("out"), 1e-4),
        out.get("out").toString());
    assertTrue(Nd4j.createFromArray(200f, 110f).equalsWithEps(out.get("ce"), 1e-4), out.get("ce").toString());
  }

  @Test
  void scaledCrossEntropyScalesItsGradient() {
    // The cross-entropy is one operation with its own backward pass: it must use the gradient flowing into it, so
    // ce * 2 has to give twice the gradient of ce.
    INDArray x = Nd4j.createFromArray(new float[][] {{0.3f, -0.2f, 1.1f}, {0.5f, 0.1f, -0.4f}});
    INDArray t = Nd4j.createFromArray(2L, 0L);
    INDArray[] grads = new INDArray[2];
    for (int k = 0; k < 2; k++) {
      double scale = k + 1;
      var lin = new Linear(3, 3);
      lin.weight().data().assign(Nd4j.eye(3));
      lin.bias().data().assign(0);
      F.crossEntropy(lin.call(Tensor.of(x)), Tensor.of(t)).mul(scale).backward();
      grads[k] = lin.weight().grad().array().dup();
    }
    assertTrue(grads[0].mul(2).equalsWithEps(grads[1], 1e-6), grads[0] + " vs " + grads[1]);
  }
}
