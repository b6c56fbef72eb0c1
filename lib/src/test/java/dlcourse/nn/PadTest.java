package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PadTest {
  static Stream<Arguments> cases() {
    return Stream.of(PaddingMode.values()).flatMap(m -> Stream.of(
        Arguments.of(m, new int[] {1, 1, 1, 1}),
        Arguments.of(m, new int[] {2, 2, 2, 2}),
        Arguments.of(m, new int[] {2, 1, 0, 2})));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void outputAndGradientMatchLoops(PaddingMode mode, int[] pad) {
    Nd4j.getRandom().setSeed(3);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 5, 7); // non-square
    INDArray y = GradCheck.eval(t -> F.pad(t, pad, mode), x);
    INDArray expected = Ref.pad(x, pad, mode);
    assertArrayEquals(expected.shape(), y.shape());
    assertTrue(expected.equalsWithEps(y, 1e-12), mode + " output differs");
    INDArray r = Nd4j.rand(DataType.DOUBLE, y.shape());
    INDArray g = GradCheck.inputGradient(t -> F.pad(t, pad, mode), x.dup(), r);
    assertTrue(Ref.padGrad(x.shape(), r, pad, mode).equalsWithEps(g, 1e-12), mode + " gradient differs: " + g);
  }

  @ParameterizedTest
  @EnumSource(PaddingMode.class)
  void gradientMatchesFiniteDifferences(PaddingMode mode) {
    Nd4j.getRandom().setSeed(4);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 1, 2, 3, 4);
    GradCheck.check(null, true, List.of(x), List.of(), in -> F.pad(in.get(0), new int[] {2, 1, 2, 2}, mode));
  }

  @Test
  void paddingOnA32By32MapKeepsTheCornerValues() {
    INDArray x = Nd4j.arange(32 * 32).castTo(DataType.FLOAT).reshape(1, 1, 32, 32);
    INDArray y = GradCheck.eval(t -> F.pad(t, new int[] {2, 2, 2, 2}, PaddingMode.REFLECT), x);
    assertArrayEquals(new long[] {1, 1, 36, 36}, y.shape());
    assertTrue(Ref.pad(x.castTo(DataType.DOUBLE), new int[] {2, 2, 2, 2}, PaddingMode.REFLECT)
        .equalsWithEps(y.castTo(DataType.DOUBLE), 0));
  }

  @Test
  void reflectPaddingMustBeSmallerThanTheInput() {
    INDArray x = Nd4j.rand(DataType.FLOAT, 1, 1, 2, 2);
    var e = assertThrows(IllegalArgumentException.class,
        () -> GradCheck.eval(t -> F.pad(t, new int[] {2, 2, 2, 2}, PaddingMode.REFLECT), x));
    assertTrue(e.getMessage().contains("reflect padding 2 must be smaller than the input size 2"), e.getMessage());
  }
}
