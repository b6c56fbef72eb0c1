package dlcourse.train;

import static dlcourse.train.TestParams.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dlcourse.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class GradClipTest {
  private static List<Parameter> params() {
    Parameter a = param("a", Nd4j.zeros(2));
    a.grad(dlcourse.tensor.Tensor.of(Nd4j.createFromArray(3.0, 0.0)));
    Parameter b = param("b", Nd4j.zeros(1));
    b.grad(dlcourse.tensor.Tensor.of(Nd4j.createFromArray(-4.0)));
    Parameter none = param("c", Nd4j.zeros(1));
    return List.of(a, b, none);
  }

  @Test
  void clipsToMaxNormAndReturnsTotalNorm() {
    var ps = params();
    double total = GradClip.clipGradNorm(ps, 1.0);
    assertEquals(5.0, total, 1e-12);
    double coef = 1.0 / (5.0 + 1e-6);
    assertArrayEquals(new double[] {3 * coef, 0}, ps.get(0).grad().array().toDoubleVector(), 1e-12);
    assertArrayEquals(new double[] {-4 * coef}, ps.get(1).grad().array().toDoubleVector(), 1e-12);
  }

  @Test
  void leavesSmallGradientsAlone() {
    var ps = params();
    assertEquals(5.0, GradClip.clipGradNorm(ps, 10.0), 1e-12);
    assertArrayEquals(new double[] {3, 0}, ps.get(0).grad().array().toDoubleVector(), 0.0);
  }

  @Test
  void infinityNormIsLargestAbsoluteValue() {
    var ps = params();
    assertEquals(4.0, GradClip.clipGradNorm(ps, 2.0, Double.POSITIVE_INFINITY), 0.0);
    assertArrayEquals(new double[] {-4 * 2.0 / (4 + 1e-6)}, ps.get(1).grad().array().toDoubleVector(), 1e-12);
  }

  @Test
  void oneNormSumsAbsoluteValues() {
    assertEquals(7.0, GradClip.clipGradNorm(params(), 100.0, 1.0), 1e-12);
  }

  @Test
  void clipsElementwiseByValue() {
    var ps = params();
    GradClip.clipGradValue(ps, 3.5);
    assertArrayEquals(new double[] {3, 0}, ps.get(0).grad().array().toDoubleVector(), 0.0);
    assertArrayEquals(new double[] {-3.5}, ps.get(1).grad().array().toDoubleVector(), 0.0);
  }

  @Test
  void rejectsNegativeMaxNorm() {
    var e = assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(params(), -1));
    assertEquals("maxNorm must be non-negative, got -1.0", e.getMessage());
  }
}
