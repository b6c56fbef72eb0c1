package dlcourse.kernels;

import static dlcourse.kernels.Checks.close;
import static dlcourse.kernels.Checks.f;
import static dlcourse.kernels.Checks.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LayerNormKernelTest {
  @org.junit.jupiter.api.AfterEach
  void oneDnnAgain() {
    LayerNormKernel.dnnl = true;
  }

  static final double EPS = 1e-5;

  record Case(long[] x, int k) {}

  static final List<Case> CASES = List.of(new Case(new long[] {3, 4}, 1), new Case(new long[] {2, 5, 8}, 1),
      new Case(new long[] {2, 3, 4}, 2), new Case(new long[] {2, 3, 2, 3}, 3), new Case(new long[] {7}, 1),
      new Case(new long[] {4, 2, 64}, 1));

  /** Loops in double over (M, D) rows: y, mean, var, gx, gw, gb (gw, gb as D vectors). */
  static INDArray[] loops(INDArray x, int k, INDArray w, INDArray b, INDArray gy) {
    long[] s = x.shape();
    int d = 1;
    for (int i = s.length - k; i < s.length; i++) {
      d *= (int) s[i];
    }
    int m = (int) (x.length() / d);
    double[] xs = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double[] gys = gy.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double[] ws = w == null ? null : w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double[] bs = b == null ? null : b.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double[] y = new double[xs.length];
    double[] gx = new double[xs.length];
    double[] mean = new double[m];
    double[] var = new double[m];
    double[] gw = new double[d];
    double[] gb = new double[d];
    for (int i = 0; i < m; i++) {
      double sum = 0;
      for (int j = 0; j < d; j++) {
        sum += xs[i * d + j];
      }
      mean[i] = sum / d;
      double sq = 0;
      for (int j = 0; j < d; j++) {
        sq += (xs[i * d + j] - mean[i]) * (xs[i * d + j] - mean[i]);
      }
      var[i] = sq / d;
      double inv = 1 / Math.sqrt(var[i] + EPS);
      double sg = 0;
      double sgx = 0;
      for (int j = 0; j < d; j++) {
        double xhat = (xs[i * d + j] - mean[i]) * inv;
        y[i * d + j] = xhat * (ws == null ? 1 : ws[j]) + (bs == null ? 0 : bs[j]);
        double g = gys[i * d + j] * (ws == null ? 1 : ws[j]);
        sg += g;
        sgx += g * xhat;
        gw[j] += gys[i * d + j] * xhat;
        gb[j] += gys[i * d + j];
      }
      for (int j = 0; j < d; j++) {
        double xhat = (xs[i * d + j] - mean[i]) * inv;
        double g = gys[i * d + j] * (ws == null ? 1 : ws[j]);
        gx[i * d + j] = inv * (g - sg / d - xhat * sgx / d);
      }
    }
    return new INDArray[] {Nd4j.create(y, s, DataType.DOUBLE), Nd4j.createFromArray(mean), Nd4j.createFromArray(var),
      Nd4j.create(gx, s, DataType.DOUBLE), Nd4j.createFromArray(gw), Nd4j.createFromArray(gb)};
  }

  static long[] normalised(Case c) {
    return Arrays.copyOfRange(c.x, c.x.length - c.k, c.x.length);
  }

  @Test
  void matchesLoopsInFloatAndDouble() {
    Random r = new Random(1);
    for (Case c : CASES) {
      long[] ns = normalised(c);
      for (int affine = 0; affine < 4; affine++) {
        String what = Arrays.toString(c.x) + " k " + c.k + " affine " + affine;
        INDArray x = random(r, c.x).muli(3).addi(2);
        INDArray gy = random(r, c.x);
        INDArray w = affine == 1 || affine == 2 ? random(r, ns).addi(1.5) : null;
        INDArray b = affine == 1 || affine == 3 ? random(r, ns) : null;
        INDArray[] ref = loops(x, c.k, w, b, gy);
        for (int mode = 0; mode < 3; mode++) { // double, float on oneDNN, float on ND4J
          boolean flt = mode > 0;
          LayerNormKernel.dnnl = mode != 2;
          double tol = flt ? 2e-5 : 1e-12;
          String w2 = what + (mode == 0 ? " double" : mode == 1 ? " float" : " float host");
          INDArray xi = flt ? f(x) : x;
          INDArray wi = flt ? f(w) : w;
          LayerNormKernel.Stats st = LayerNormKernel.forward(xi, c.k, wi, flt ? f(b) : b, EPS);
          assertEquals(xi.dataType(), st.output().dataType(), w2);
          close(ref[0], st.output(), tol, w2 + " output");
          close(ref[1], st.mean().reshape(ref[1].shape()), tol, w2 + " mean");
          close(ref[2], st.var().reshape(ref[2].shape()), tol, w2 + " var");
          LayerNormKernel.Grads g = LayerNormKernel.backward(flt ? f(gy) : gy, xi, st, c.k, wi, flt ? f(b) : b, EPS);
          close(ref[3], g.x(), tol * 10, w2 + " gx");
          if (w != null) {
            assertArrayEquals(ns, g.weight().shape(), w2);
            close(ref[4].reshape(ns), g.weight(), tol * 10, w2 + " gw");
          } else {
            assertEquals(null, g.weight());
          }
          if (b != null) {
            assertArrayEquals(ns, g.bias().shape(), w2);
            close(ref[5].reshape(ns), g.bias(), tol * 10, w2 + " gb");
          } else {
            assertEquals(null, g.bias());
          }
        }
      }
    }
  }

  @Test
  void backwardMatchesFiniteDifferences() {
    Random r = new Random(3);
    for (Case c : List.of(new Case(new long[] {3, 4}, 1), new Case(new long[] {2, 2, 3}, 2))) {
      String what = Arrays.toString(c.x) + " k " + c.k;
      long[] ns = normalised(c);
      INDArray x = random(r, c.x).muli(2);
      INDArray w = random(r, ns).addi(1.5);
      INDArray b = random(r, ns);
      INDArray weights = random(r, c.x);
      LayerNormKernel.Stats st = LayerNormKernel.forward(x, c.k, w, b, EPS);
      LayerNormKernel.Grads g = LayerNormKernel.backward(weights, x, st, c.k, w, b, EPS);
      Checks.finiteDifferences(x, v -> LayerNormKernel.forward(v, c.k, w, b, EPS).output(), weights, g.x(), what
          + " x");
      Checks.finiteDifferences(w, v -> LayerNormKernel.forward(x, c.k, v, b, EPS).output(), weights, g.weight(),
          what + " weight");
      Checks.finiteDifferences(b, v -> LayerNormKernel.forward(x, c.k, w, v, EPS).output(), weights, g.bias(),
          what + " bias");
    }
  }

  @Test
  void floatRunsOnOneDnnWhereItLoads() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Dnnl.available());
    Random r = new Random(4);
    INDArray x = f(random(r, 8, 16, 32));
    LayerNormKernel.Stats st = LayerNormKernel.forward(x, 1, f(random(r, 32)), f(random(r, 32)), EPS);
    LayerNormKernel.backward(x, x, st, 1, f(random(r, 32)), f(random(r, 32)), EPS);
    List<String> impl = Prims.implementations();
    assertTrue(impl.stream().anyMatch(s -> s.startsWith("layer norm forward")), impl.toString());
    assertTrue(impl.stream().anyMatch(s -> s.startsWith("layer norm backward")), impl.toString());
  }

  @Test
  void badShapes() {
    Random r = new Random(5);
    assertThrows(IllegalArgumentException.class, () -> LayerNormKernel.forward(f(random(r, 2, 3)), 3, null, null, EPS));
    assertThrows(IllegalArgumentException.class, () -> LayerNormKernel.forward(f(random(r, 2, 3)), 1, f(random(r, 4)),
        null, EPS));
  }
}
