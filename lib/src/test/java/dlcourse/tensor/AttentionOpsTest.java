package dlcourse.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The tensor operations added for attention: maskedFill, tril/triu, expand, split/chunk. */
class AttentionOpsTest {
  private static long seed = 100;

  static Tensor leaf(long... shape) {
    return Tensor.of(Tensor.randn(seed++, shape).array().castTo(DataType.DOUBLE)).requiresGrad(true);
  }

  private static void assertGrad(Function<Tensor[], Tensor> f, Tensor... in) {
    double err = GradCheck.check(f, in);
    assertTrue(err < 1e-6, "gradient error " + err + " of " + f.apply(in).gradFnName());
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Tensor boolMask = Tensor.of(Nd4j.createFromArray(new boolean[] {true, false, false, true}).reshape(4, 1));
    Tensor intMask = Tensor.of(Nd4j.createFromArray(0L, 1L, 1L));
    assertGrad(t -> t[0].maskedFill(boolMask, -3), leaf(2, 4, 3));
    assertGrad(t -> t[0].maskedFill(intMask, 7), leaf(2, 3));
    assertGrad(t -> t[0].tril(0).add(t[0].triu(2)), leaf(2, 3, 4));
    assertGrad(t -> t[0].tril(-1), leaf(4, 3));
    assertGrad(t -> t[0].expand(2, 3, -1), leaf(3, 1));
    assertGrad(t -> t[0].expand(4, 2), leaf(2));
    assertGrad(t -> {
      Tensor[] p = t[0].split(2, 1);
      return p[0].mul(p[1]).sum(false, 1).add(p[2].sum(false, 1)); // sizes 2, 2, 1
    }, leaf(3, 5));
    assertGrad(t -> {
      Tensor[] qkv = t[0].chunk(3, -1);
      return qkv[0].mul(qkv[1]).sub(qkv[2]);
    }, leaf(2, 6));
  }

  @Test
  void maskedFillWritesInfinityWithoutNaN() {
    Tensor x = Tensor.of(Nd4j.createFromArray(1.0, Double.POSITIVE_INFINITY, 3.0));
    Tensor mask = Tensor.of(Nd4j.createFromArray(new boolean[] {false, true, true}));
    double[] y = x.maskedFill(mask, Double.NEGATIVE_INFINITY).array().toDoubleVector();
    assertArrayEquals(new double[] {1, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}, y);
    var e = assertThrows(IllegalArgumentException.class, () -> x.maskedFill(Tensor.ones(2, 3), 0));
    assertTrue(e.getMessage().contains("maskedFill"), e.getMessage());
  }

  @Test
  void triangleHelpersFollowTorch() {
    double[][] tril = Tensor.ones(3, 4).tril(0).array().toDoubleMatrix();
    assertArrayEquals(new double[] {1, 0, 0, 0}, tril[0]);
    assertArrayEquals(new double[] {1, 1, 1, 0}, tril[2]);
    double[][] triu = Tensor.ones(3, 4).triu(1).array().toDoubleMatrix();
    assertArrayEquals(new double[] {0, 1, 1, 1}, triu[0]);
    assertArrayEquals(new double[] {0, 0, 0, 1}, triu[2]);
  }

  @Test
  void chunkAndSplitFollowTorchSizes() {
    Tensor x = Tensor.zeros(2, 7);
    assertEquals(3, x.chunk(3, 1).length);
    assertArrayEquals(new long[] {2, 1}, x.chunk(3, 1)[2].shape()); // 3, 3, 1
    assertEquals(4, x.split(2, 1).length);
    assertArrayEquals(new long[] {2, 1}, x.split(2, 1)[3].shape());
    assertEquals(3, Tensor.zeros(2, 6).chunk(4, 1).length, "torch.chunk(6, 4) gives 3 pieces of 2");
    assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).expand(4, 3, 2));
  }
}
