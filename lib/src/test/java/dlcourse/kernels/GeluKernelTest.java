package dlcourse.kernels;

import static dlcourse.kernels.Checks.close;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GeluKernelTest {
  /** GELU and its derivative in double, element by element: {y, dy/dx}. */
  static double[] gelu(double x, boolean tanh) {
    if (tanh) {
      double c = Math.sqrt(2 / Math.PI);
      double t = Math.tanh(c * (x + 0.044715 * x * x * x));
      return new double[] {0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)};
    }
    double cdf = 0.5 * (1 + erf(x / Math.sqrt(2)));
    double pdf = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    return new double[] {x * cdf, cdf + x * pdf};
  }

  /** erf to 1e-15 by its Taylor series (|x| < 3) or the continued fraction of erfc (larger |x|). */
  static double erf(double x) {
    double a = Math.abs(x);
    double r;
    if (a < 3) {
      double term = a;
      double sum = a;
      for (int n = 1; n < 200; n++) {
        term *= -a * a / n;
        sum += term / (2 * n + 1);
      }
      r = 2 / Math.sqrt(Math.PI) * sum;
    } else {
      double f = 0;
      for (int n = 60; n >= 1; n--) {
        f = n / 2.0 / (a + f);
      }
      r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
    }
    return Math.signum(x) * r;
  }

  @Test
  void forwardAndBackwardMatchTheFormulasInDouble() {
    assertTrue(Dnnl.available(), "oneDNN must load here");
    for (boolean tanh : new boolean[] {true, false}) {
      for (long[] shape : new long[][] {{7}, {3, 5, 11}, {64, 192}}) {
        INDArray xd = Nd4j.linspace(-6, 6, Nd4j.create(shape).length(), DataType.DOUBLE).reshape(shape);
        INDArray gyd = Nd4j.rand(DataType.DOUBLE, shape).subi(0.5);
        INDArray y = Nd4j.create(DataType.DOUBLE, shape);
        INDArray gx = Nd4j.create(DataType.DOUBLE, shape);
        for (long i = 0; i < xd.length(); i++) {
          double[] v = gelu(xd.getDouble(i), tanh);
          y.putScalar(i, v[0]);
          gx.putScalar(i, v[1] * gyd.getDouble(i));
        }
        INDArray x = xd.castTo(DataType.FLOAT);
        String what = (tanh ? "tanh " : "erf ") + java.util.Arrays.toString(shape);
        assertTrue(GeluKernel.supports(x));
        close(y, GeluKernel.forward(x, tanh).castTo(DataType.DOUBLE), 2e-6, what + " forward");
        close(gx, GeluKernel.backward(x, gyd.castTo(DataType.FLOAT), tanh).castTo(DataType.DOUBLE), 2e-6,
            what + " backward");
      }
    }
  }

  @Test
  void viewsAreReadAsTheirValues() {
    INDArray x = Nd4j.linspace(-3, 3, 24, DataType.FLOAT).reshape(4, 6);
    INDArray t = x.transpose(); // a view, 'f' strides
    close(GeluKernel.forward(t.dup('c'), true), GeluKernel.forward(t, true), 0, "transposed input");
    close(GeluKernel.backward(t.dup('c'), t.dup('c'), false), GeluKernel.backward(t, t, false), 0,
        "transposed gradient");
  }

  @Test
  void runsOnJitKernelsAndLeavesDoubleToTheCaller() {
    GeluKernel.forward(Nd4j.rand(DataType.FLOAT, 1000), true);
    GeluKernel.backward(Nd4j.rand(DataType.FLOAT, 1000), Nd4j.rand(DataType.FLOAT, 1000), false);
    List<String> impl = Prims.implementations().stream().filter(s -> s.startsWith("GELU")).toList();
    assertFalse(impl.isEmpty());
    assertTrue(impl.stream().noneMatch(s -> s.contains("ref")), impl.toString());
    assertFalse(GeluKernel.supports(Nd4j.rand(DataType.DOUBLE, 3)));
    assertThrows(IllegalArgumentException.class,
        () -> GeluKernel.backward(Nd4j.rand(DataType.FLOAT, 3), Nd4j.rand(DataType.FLOAT, 4), true));
  }
}
