package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class UnfoldTest {
  /** input (B, C, H, W), kernel, stride, padding. */
  static Stream<Arguments> configs() {
    return Stream.of(
        Arguments.of(new long[] {2, 3, 7, 6}, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0}),
        Arguments.of(new long[] {1, 2, 8, 5}, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}),
        Arguments.of(new long[] {2, 1, 6, 9}, new int[] {2, 3}, new int[] {1, 2}, new int[] {2, 1}),
        Arguments.of(new long[] {1, 4, 5, 5}, new int[] {5, 5}, new int[] {2, 2}, new int[] {1, 1}),
        Arguments.of(new long[] {2, 2, 2, 3}, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}));
  }

  @ParameterizedTest
  @MethodSource("configs")
  void vectorisedUnfoldEqualsNaiveUnfold(long[] shape, int[] k, int[] s, int[] p) {
    Nd4j.getRandom().setSeed(1);
    INDArray x = Nd4j.rand(DataType.DOUBLE, shape);
    INDArray naive = Unfold.unfoldNaive(x, k, s, p);
    INDArray fast = Unfold.unfold(x, k, s, p);
    long oh = F.convOutputSize(shape[2], k[0], s[0], p[0], 1);
    long ow = F.convOutputSize(shape[3], k[1], s[1], p[1], 1);
    assertArrayEquals(new long[] {shape[0], shape[1] * k[0] * k[1], oh * ow}, fast.shape());
    assertEquals(0.0, naive.sub(fast).amaxNumber().doubleValue(), 0.0);
  }

  @ParameterizedTest
  @MethodSource("configs")
  void unfoldTimesWeightEqualsLoopConvolutionAndLibraryConv(long[] shape, int[] k, int[] s, int[] p) {
    Init.manualSeed(3);
    Conv2d conv = (Conv2d) new Conv2d(shape[1], 4, k).stride(s).padding(p).to(DataType.DOUBLE);
    INDArray x = Nd4j.rand(DataType.DOUBLE, shape);
    INDArray w = conv.weight().data();
    INDArray loops = Unfold.conv2dLoops(x, w, conv.bias().data(), s, p);
    INDArray cols = Unfold.unfold(x, k, s, p); // (B, CK, L)
    INDArray y = Nd4j.create(DataType.DOUBLE, shape[0], 4, cols.size(2));
    for (int b = 0; b < shape[0]; b++) {
      y.slice(b).assign(w.reshape(4, -1).mmul(cols.slice(b)).addi(conv.bias().data().reshape(4, 1)));
    }
    INDArray lib = conv.forward(x);
    assertTrue(loops.equalsWithEps(y.reshape(lib.shape()), 1e-12), "unfold+matmul differs from loops");
    assertTrue(lib.equalsWithEps(loops, 1e-10), "library conv differs from loops");
  }

  @ParameterizedTest
  @MethodSource("configs")
  void foldIsTheAdjointOfUnfold(long[] shape, int[] k, int[] s, int[] p) {
    // <unfold(x), c> == <x, fold(c)> for every x and c: fold is the transpose of the linear map unfold.
    INDArray x = Nd4j.rand(DataType.DOUBLE, shape);
    INDArray cols = Unfold.unfold(x, k, s, p);
    INDArray c = Nd4j.rand(DataType.DOUBLE, cols.shape());
    double lhs = cols.mul(c).sumNumber().doubleValue();
    double rhs = x.mul(Unfold.fold(c, new long[] {shape[2], shape[3]}, k, s, p)).sumNumber().doubleValue();
    assertEquals(lhs, rhs, 1e-9 * Math.abs(lhs));
  }

  @Test
  void foldOfUnfoldOfOnesCountsTheWindowsCoveringEachPixel() {
    INDArray ones = Nd4j.ones(DataType.FLOAT, 1, 1, 3, 3);
    INDArray counts = Unfold.fold(Unfold.unfold(ones, new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}),
        new long[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0});
    assertArrayEquals(new float[] {1, 2, 1, 2, 4, 2, 1, 2, 1}, counts.reshape(9).toFloatVector());
  }

  @Test
  void badShapesAreRejectedWithTheSizes() {
    INDArray x = Nd4j.rand(DataType.FLOAT, 1, 1, 2, 2);
    var e = assertThrows(IllegalArgumentException.class,
        () -> Unfold.unfold(x, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0}));
    assertTrue(e.getMessage().contains("smaller than the kernel 3x3"), e.getMessage());
    var f = assertThrows(IllegalArgumentException.class, () -> Unfold.fold(Nd4j.rand(DataType.FLOAT, 1, 9, 5),
        new long[] {4, 4}, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0}));
    assertTrue(f.getMessage().contains("L = 5 windows"), f.getMessage());
    var g = assertThrows(IllegalArgumentException.class,
        () -> Unfold.unfold(Nd4j.rand(DataType.FLOAT, 2, 2), new int[] {1, 1}, new int[] {1, 1}, new int[] {0, 0}));
    assertTrue(g.getMessage().contains("expected input (B, C, H, W)"), g.getMessage());
  }
}
