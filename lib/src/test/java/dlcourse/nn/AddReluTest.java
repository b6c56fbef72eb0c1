package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dlcourse.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@link F#addRelu}'s one-pass loop against the composition {@code x.add(y).relu()} it replaces. */
class AddReluTest {
  private static Tensor param(Random r, long... shape) {
    INDArray a = Nd4j.create(DataType.FLOAT, shape);
    for (long i = 0; i < a.length(); i++) {
      a.putScalar(i, r.nextGaussian());
    }
    return Tensor.of(a).requiresGrad(true);
  }

  /** Output, x's gradient and y's gradient of a weighted sum of {@code relu(x + y)}, fused or composed. */
  private static INDArray[] run(Tensor x, Tensor y, INDArray weights, boolean fused) {
    boolean before = F.fusedAddRelu;
    F.fusedAddRelu = fused;
    try {
      x.zeroGrad();
      y.zeroGrad();
      Tensor out = F.addRelu(x, y);
      out.mul(Tensor.of(weights)).sum().backward();
      return new INDArray[] {out.array().dup(), x.grad().array().dup(), y.grad() == null ? null : y.grad().array().dup()};
    } finally {
      F.fusedAddRelu = before;
    }
  }

  private static void same(long[] xs, long[] ys, long seed) {
    Random r = new Random(seed);
    Tensor x = param(r, xs);
    Tensor y = param(r, ys);
    INDArray w = param(r, xs).array();
    INDArray[] fused = run(x, y, w, true);
    INDArray[] composed = run(x, y, w, false);
    String what = java.util.Arrays.toString(xs) + " + " + java.util.Arrays.toString(ys);
    assertArrayEquals(xs, fused[0].shape(), what);
    assertArrayEquals(ys, fused[2].shape(), what);
    for (int i = 0; i < 3; i++) {
      double diff = fused[i].sub(composed[i]).amaxNumber().doubleValue();
      assertEquals(0, diff, 1e-5, what + ": part " + i + " differs by " + diff);
    }
    // the mask is not trivial: some outputs are clipped, some pass
    double zeros = fused[0].eq(0).castTo(DataType.FLOAT).sumNumber().doubleValue();
    assertEquals(true, zeros > 0 && zeros < fused[0].length(), what + ": " + zeros + " zeros");
  }

  @Test
  void matchesTheCompositionForEachBroadcastPattern() {
    same(new long[] {8, 16, 10}, new long[] {8, 1, 10}, 1); // the additive attention: (B, R, A) + (B, 1, A)
    same(new long[] {3, 5, 7}, new long[] {1, 5, 7}, 2);
    same(new long[] {3, 5, 7}, new long[] {1, 1, 7}, 3);
    same(new long[] {3, 5, 7}, new long[] {3, 5, 7}, 4);
    same(new long[] {2, 3, 4, 5}, new long[] {2, 1, 4, 5}, 5);
    same(new long[] {6, 4}, new long[] {1, 4}, 6);
  }

  @Test
  void fallsBackWhereTheLoopDoesNotApply() {
    Random r = new Random(7);
    same(new long[] {4, 6}, new long[] {4, 1}, 8); // y's last dimension broadcast
    Tensor x = param(r, 4, 6);
    Tensor y = param(r, 6); // lower rank
    INDArray expected = x.array().add(y.array().reshape(1, 6));
    INDArray relu = expected.dup();
    relu.assign(org.nd4j.linalg.ops.transforms.Transforms.relu(expected, true));
    assertEquals(0, F.addRelu(x, y).array().sub(relu).amaxNumber().doubleValue(), 1e-6);
    Tensor noGrad = Tensor.of(Nd4j.ones(DataType.FLOAT, 1, 6));
    Tensor out = F.addRelu(x, noGrad);
    out.sum().backward();
    assertNull(noGrad.grad(), "no gradient for a constant");
  }
}
