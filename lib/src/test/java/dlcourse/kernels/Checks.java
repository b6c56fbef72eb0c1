package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Helpers of the kernel tests: random arrays, comparisons, central finite differences. */
final class Checks {
  private Checks() {}

  static INDArray random(Random r, long... shape) {
    INDArray a = Nd4j.create(DataType.DOUBLE, shape);
    for (long i = 0; i < a.length(); i++) {
      a.putScalar(i, r.nextDouble() * 2 - 1);
    }
    return a;
  }

  static INDArray f(INDArray a) {
    return a == null ? null : a.castTo(DataType.FLOAT);
  }

  /** {@code actual} equals {@code expected} within {@code tol} times (1 + the largest magnitude of expected). */
  static void close(INDArray expected, INDArray actual, double tol, String what) {
    assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
    double[] e = expected.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double[] a = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double scale = 1;
    for (double v : e) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < e.length; i++) {
      if (!(Math.abs(e[i] - a[i]) <= tol * scale)) {
        throw new AssertionError(what + ": element " + i + " is " + a[i] + ", expected " + e[i] + " (tolerance "
            + tol * scale + ")");
      }
    }
  }

  /**
   * Checks {@code analytic}, the gradient of {@code sum(f(x) * weights)} with respect to {@code x} (a 'c' double
   * array, perturbed in place and restored), against central differences, tolerance 1e-6 relative per element.
   */
  static void finiteDifferences(INDArray x, Function<INDArray, INDArray> f, INDArray weights, INDArray analytic,
      String what) {
    assertTrue(x.dataType() == DataType.DOUBLE && x.ordering() == 'c' && !x.isView(), what);
    assertArrayEquals(x.shape(), analytic.shape(), what + ": gradient shape");
    double eps = 1e-6;
    for (long i = 0; i < x.length(); i++) {
      double v = x.getDouble(i);
      x.putScalar(i, v + eps);
      double plus = f.apply(x).mul(weights).sumNumber().doubleValue();
      x.putScalar(i, v - eps);
      double minus = f.apply(x).mul(weights).sumNumber().doubleValue();
      x.putScalar(i, v);
      double numeric = (plus - minus) / (2 * eps);
      double a = analytic.getDouble(i);
      if (!(Math.abs(a - numeric) <= 1e-6 * (1 + Math.abs(numeric)))) {
        throw new AssertionError(what + ": gradient element " + i + " is " + a + ", finite differences give "
            + numeric);
      }
    }
  }
}
