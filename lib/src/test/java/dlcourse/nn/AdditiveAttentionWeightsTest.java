package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;

/** {@link F#additiveAttentionWeights}: finite differences, and equality with the composed ops it replaces. */
class AdditiveAttentionWeightsTest {
  private static Tensor rand(long seed, DataType type, double scale, long... shape) {
    return Tensor.of(Tensor.randn(seed, shape).array().castTo(type).muli(scale)).requiresGrad(true);
  }

  /** The same weights from the composed ops (broadcast add, ReLU, Linear(A, 1), reshape, softmax). */
  private static Tensor composed(Tensor keys, Tensor query, Tensor weight, Tensor bias) {
    Tensor a = keys.add(query.unsqueeze(1)).relu(); // (B, R, A)
    return F.linear(a, weight.reshape(1, -1), bias).reshape(keys.size(0), keys.size(1)).softmax(1); // (B, R)
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void gradientsMatchFiniteDifferences(boolean bias) {
    Tensor keys = rand(1, DataType.DOUBLE, 1, 2, 5, 4);
    Tensor query = rand(2, DataType.DOUBLE, 1, 2, 4);
    Tensor weight = rand(3, DataType.DOUBLE, 1, 1, 4);
    Tensor b = bias ? rand(4, DataType.DOUBLE, 1, 1) : null;
    double err = GradCheck.check(in -> F.additiveAttentionWeights(in[0], in[1], in[2], bias ? in[3] : null),
        bias ? new Tensor[] {keys, query, weight, b} : new Tensor[] {keys, query, weight});
    assertTrue(err < 1e-7, "max gradient error " + err);
  }

  /**
   * Keys used at several steps (a decoder's projected regions) and weights used again: the later steps add into the
   * gradients the engine already holds. The float loops against the composed ops in double.
   */
  @ParameterizedTest
  @ValueSource(strings = {"FLOAT", "DOUBLE"})
  void equalsTheComposedOpsOverSeveralSteps(String typeName) {
    DataType type = DataType.valueOf(typeName);
    Tensor[] fused = {rand(1, type, 1, 3, 7, 5), rand(2, type, 1, 3, 5), rand(3, type, 1, 1, 5),
      rand(4, type, 1, 1)};
    Tensor[] ref = new Tensor[4];
    for (int i = 0; i < 4; i++) {
      ref[i] = Tensor.of(fused[i].array().castTo(DataType.DOUBLE)).requiresGrad(true);
    }
    Tensor out = run(fused, F::additiveAttentionWeights);
    Tensor expected = run(ref, AdditiveAttentionWeightsTest::composed);
    double tol = type == DataType.FLOAT ? 2e-6 : 1e-13;
    assertTrue(GradCheck.maxAbsDiff(out.array(), expected.array().castTo(type)) < tol, "outputs");
    for (int i = 0; i < 4; i++) {
      double d = GradCheck.maxAbsDiff(fused[i].grad().array(), ref[i].grad().array().castTo(type));
      assertTrue(d < 10 * tol, "gradient " + i + " differs by " + d);
    }
  }

  private interface Weights {
    Tensor apply(Tensor keys, Tensor query, Tensor weight, Tensor bias);
  }

  /** Three decoder-like steps on the same keys and scorer, each with its own query; backward of a weighted sum. */
  private static Tensor run(Tensor[] in, Weights f) {
    Tensor[] steps = new Tensor[3];
    for (int t = 0; t < 3; t++) {
      Tensor q = in[1].mul(1.0 + 0.5 * t).sub(0.3 * t); // (B, A), a different query per step
      steps[t] = f.apply(in[0], q, in[2], in[3]);
    }
    Tensor all = Tensor.stack(1, steps); // (B, 3, R)
    Tensor w = Tensor.randn(9, all.shape()).to(all.dtype());
    all.mul(w).sum().backward();
    return all;
  }

  @Test
  void rowsSumToOneAndOnlyInputsThatNeedItGetAGradient() {
    Tensor keys = rand(1, DataType.FLOAT, 1, 2, 6, 3);
    Tensor query = Tensor.of(Tensor.randn(2, 2, 3).array()); // no gradient
    Tensor weight = rand(3, DataType.FLOAT, 1, 1, 3);
    Tensor y = F.additiveAttentionWeights(keys, query, weight, null);
    assertArrayEquals(new long[] {2, 6}, y.shape());
    assertTrue(GradCheck.maxAbsDiff(y.array().sum(1), org.nd4j.linalg.factory.Nd4j.ones(DataType.FLOAT, 2)) < 1e-6);
    y.mul(Tensor.randn(5, 2, 6)).sum().backward();
    assertNull(query.grad());
    assertArrayEquals(new long[] {2, 6, 3}, keys.grad().shape());
    assertArrayEquals(new long[] {1, 3}, weight.grad().shape());
  }

  @Test
  void rejectsMismatchedShapes() {
    Tensor keys = rand(1, DataType.FLOAT, 1, 2, 6, 3);
    assertThrows(IllegalArgumentException.class,
        () -> F.additiveAttentionWeights(keys, rand(2, DataType.FLOAT, 1, 2, 4), rand(3, DataType.FLOAT, 1, 1, 3),
            null));
    assertThrows(IllegalArgumentException.class,
        () -> F.additiveAttentionWeights(keys, rand(2, DataType.FLOAT, 1, 2, 3), rand(3, DataType.FLOAT, 1, 1, 4),
            null));
  }
}
