package dlcourse.kernels;

import static dlcourse.kernels.Checks.close;
import static dlcourse.kernels.Checks.f;
import static dlcourse.kernels.Checks.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class BatchNormKernelTest {
  @org.junit.jupiter.api.AfterEach
  void defaultsAgain() {
    BatchNormKernel.dnnl = true;
    BatchNormKernel.java = true;
  }

  /** Mode 0 double, 1 float on oneDNN, 2 float on ND4J, 3 float on the host loops (the default). */
  static void mode(int mode) {
    BatchNormKernel.dnnl = mode != 2;
    BatchNormKernel.java = mode == 3;
  }

  static String modeName(int mode) {
    return new String[] {" double", " float", " float host", " float loops"}[mode];
  }

  static final double EPS = 1e-5;

  static final List<long[]> SHAPES = List.of(new long[] {5, 3}, new long[] {4, 3, 6}, new long[] {3, 4, 5, 6},
      new long[] {2, 16, 3, 3}, new long[] {1, 2, 1, 3}, new long[] {4, 8, 33, 31});

  /** Loops in double: output, mean, biased var; then gx, gw, gb for {@code gy}. {@code stats} given: inference. */
  static INDArray[] loops(INDArray x, INDArray w, INDArray b, INDArray gy, INDArray[] stats) {
    long[] s = x.shape();
    int n = (int) s[0];
    int c = (int) s[1];
    int sp = (int) (x.length() / n / c);
    double[] xs = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double[] gys = gy.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double[] y = new double[xs.length];
    double[] gx = new double[xs.length];
    double[] mean = new double[c];
    double[] var = new double[c];
    double[] gw = new double[c];
    double[] gb = new double[c];
    int m = n * sp;
    for (int ch = 0; ch < c; ch++) {
      if (stats == null) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < sp; j++) {
            sum += xs[(i * c + ch) * sp + j];
          }
        }
        mean[ch] = sum / m;
        double sq = 0;
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < sp; j++) {
            double d = xs[(i * c + ch) * sp + j] - mean[ch];
            sq += d * d;
          }
        }
        var[ch] = sq / m;
      } else {
        mean[ch] = stats[0].getDouble(ch);
        var[ch] = stats[1].getDouble(ch);
      }
      double inv = 1 / Math.sqrt(var[ch] + EPS);
      double wc = w == null ? 1 : w.getDouble(ch);
      double bc = b == null ? 0 : b.getDouble(ch);
      double sumG = 0;
      double sumGX = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < sp; j++) {
          int k = (i * c + ch) * sp + j;
          double xhat = (xs[k] - mean[ch]) * inv;
          y[k] = xhat * wc + bc;
          sumG += gys[k];
          sumGX += gys[k] * xhat;
        }
      }
      gw[ch] = sumGX;
      gb[ch] = sumG;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < sp; j++) {
          int k = (i * c + ch) * sp + j;
          double xhat = (xs[k] - mean[ch]) * inv;
          gx[k] = stats == null ? wc * inv * (gys[k] - sumG / m - xhat * sumGX / m) : wc * inv * gys[k];
        }
      }
    }
    return new INDArray[] {Nd4j.create(y, s, DataType.DOUBLE), Nd4j.createFromArray(mean), Nd4j.createFromArray(var),
      Nd4j.create(gx, s, DataType.DOUBLE), Nd4j.createFromArray(gw), Nd4j.createFromArray(gb)};
  }

  /** weight and bias present: 0 none, 1 both, 2 weight only, 3 bias only. */
  static INDArray[] params(Random r, long c, int affine) {
    INDArray w = affine == 1 || affine == 2 ? random(r, c).addi(1.5) : null;
    INDArray b = affine == 1 || affine == 3 ? random(r, c) : null;
    return new INDArray[] {w, b};
  }

  @Test
  void trainingMatchesLoopsInFloatAndDouble() {
    Random r = new Random(1);
    for (long[] shape : SHAPES) {
      for (int affine = 0; affine < 4; affine++) {
        String what = java.util.Arrays.toString(shape) + " affine " + affine;
        INDArray x = random(r, shape).muli(3).addi(2);
        INDArray gy = random(r, shape);
        INDArray[] wb = params(r, shape[1], affine);
        INDArray[] ref = loops(x, wb[0], wb[1], gy, null);
        for (int mode = 0; mode < 4; mode++) {
          boolean flt = mode > 0;
          mode(mode);
          double tol = flt ? 2e-5 : 1e-12;
          String w2 = what + modeName(mode);
          INDArray xi = flt ? f(x) : x;
          INDArray wi = flt ? f(wb[0]) : wb[0];
          INDArray bi = flt ? f(wb[1]) : wb[1];
          BatchNormKernel.Stats st = BatchNormKernel.training(xi, wi, bi, EPS);
          assertEquals(xi.dataType(), st.output().dataType(), w2);
          close(ref[0], st.output(), tol, w2 + " output");
          close(ref[1], st.mean(), tol, w2 + " mean");
          close(ref[2], st.var(), tol, w2 + " var");
          BatchNormKernel.Grads g = BatchNormKernel.backward(flt ? f(gy) : gy, xi, st.mean(), st.var(), wi, bi,
              EPS, true);
          close(ref[3], g.x(), tol * 10, w2 + " gx");
          if (wi != null) {
            close(ref[4], g.weight(), tol * 10, w2 + " gw");
          } else {
            assertEquals(null, g.weight());
          }
          if (bi != null) {
            close(ref[5], g.bias(), tol * 10, w2 + " gb");
          } else {
            assertEquals(null, g.bias());
          }
        }
      }
    }
  }

  @Test
  void inferenceMatchesLoopsInFloatAndDouble() {
    Random r = new Random(2);
    for (long[] shape : SHAPES) {
      for (int affine = 0; affine < 4; affine++) {
        String what = java.util.Arrays.toString(shape) + " affine " + affine;
        INDArray x = random(r, shape).muli(3).addi(2);
        INDArray gy = random(r, shape);
        INDArray[] wb = params(r, shape[1], affine);
        INDArray mean = random(r, shape[1]);
        INDArray var = random(r, shape[1]).addi(1.2);
        INDArray[] ref = loops(x, wb[0], wb[1], gy, new INDArray[] {mean, var});
        for (int mode = 0; mode < 4; mode++) {
          boolean flt = mode > 0;
          mode(mode);
          double tol = flt ? 2e-5 : 1e-12;
          String w2 = what + modeName(mode);
          INDArray y = flt ? BatchNormKernel.inference(f(x), f(mean), f(var), f(wb[0]), f(wb[1]), EPS)
              : BatchNormKernel.inference(x, mean, var, wb[0], wb[1], EPS);
          close(ref[0], y, tol, w2 + " output");
          BatchNormKernel.Grads g = flt
              ? BatchNormKernel.backward(f(gy), f(x), f(mean), f(var), f(wb[0]), f(wb[1]), EPS, false)
              : BatchNormKernel.backward(gy, x, mean, var, wb[0], wb[1], EPS, false);
          close(ref[3], g.x(), tol * 10, w2 + " gx");
          if (wb[0] != null) {
            close(ref[4], g.weight(), tol * 10, w2 + " gw");
          }
          if (wb[1] != null) {
            close(ref[5], g.bias(), tol * 10, w2 + " gb");
          }
        }
      }
    }
  }

  @Test
  void backwardMatchesFiniteDifferences() {
    Random r = new Random(3);
    for (long[] shape : List.of(new long[] {4, 3}, new long[] {3, 2, 4}, new long[] {2, 3, 2, 3})) {
      for (boolean training : new boolean[] {true, false}) {
        String what = java.util.Arrays.toString(shape) + (training ? " training" : " inference");
        INDArray x = random(r, shape).muli(2);
        INDArray w = random(r, shape[1]).addi(1.5);
        INDArray b = random(r, shape[1]);
        INDArray rm = random(r, shape[1]);
        INDArray rv = random(r, shape[1]).addi(1.5);
        INDArray weights = random(r, shape);
        java.util.function.Function<INDArray[], INDArray> fwd = a -> training
            ? BatchNormKernel.training(a[0], a[1], a[2], EPS).output()
            : BatchNormKernel.inference(a[0], rm, rv, a[1], a[2], EPS);
        BatchNormKernel.Stats st = BatchNormKernel.training(x, w, b, EPS);
        INDArray mean = training ? st.mean() : rm;
        INDArray var = training ? st.var() : rv;
        BatchNormKernel.Grads g = BatchNormKernel.backward(weights, x, mean, var, w, b, EPS, training);
        Checks.finiteDifferences(x, v -> fwd.apply(new INDArray[] {v, w, b}), weights, g.x(), what + " x");
        Checks.finiteDifferences(w, v -> fwd.apply(new INDArray[] {x, v, b}), weights, g.weight(), what + " weight");
        Checks.finiteDifferences(b, v -> fwd.apply(new INDArray[] {x, w, v}), weights, g.bias(), what + " bias");
      }
    }
  }

  @Test
  void fusedReluMatchesLoopsThenRelu() {
    Random r = new Random(8);
    for (long[] shape : SHAPES) {
      for (int affine = 0; affine < 4; affine += 3) {
        String what = java.util.Arrays.toString(shape) + " affine " + affine;
        INDArray x = random(r, shape).muli(3);
        INDArray gy = random(r, shape);
        INDArray[] wb = params(r, shape[1], affine);
        INDArray mean = random(r, shape[1]);
        INDArray var = random(r, shape[1]).addi(1.2);
        for (boolean training : new boolean[] {true, false}) {
          INDArray[] stats = training ? null : new INDArray[] {mean, var};
          INDArray yRef = loops(x, wb[0], wb[1], gy, stats)[0];
          INDArray relu = org.nd4j.linalg.ops.transforms.Transforms.relu(yRef, true);
          INDArray masked = gy.mul(yRef.gt(0).castTo(DataType.DOUBLE)); // the ReLU's backward pass
          INDArray[] ref = loops(x, wb[0], wb[1], masked, stats);
          for (int mode = 0; mode < 4; mode++) {
            boolean flt = mode > 0;
            mode(mode);
            double tol = flt ? 2e-5 : 1e-12;
            String w2 = what + (training ? " training" : " inference") + modeName(mode);
            INDArray xi = flt ? f(x) : x;
            INDArray wi = flt ? f(wb[0]) : wb[0];
            INDArray bi = flt ? f(wb[1]) : wb[1];
            INDArray y;
            INDArray mu = flt ? f(mean) : mean;
            INDArray va = flt ? f(var) : var;
            if (training) {
              BatchNormKernel.Stats st = BatchNormKernel.training(xi, wi, bi, EPS, true);
              y = st.output();
              mu = st.mean();
              va = st.var();
              close(ref[1], mu, tol, w2 + " mean");
              close(ref[2], va, tol, w2 + " var");
            } else {
              y = BatchNormKernel.inference(xi, mu, va, wi, bi, EPS, true);
            }
            close(relu, y, tol, w2 + " output");
            assertTrue(y.minNumber().doubleValue() >= 0, w2 + " output is non-negative");
            BatchNormKernel.Grads g = BatchNormKernel.backward(flt ? f(gy) : gy, y, xi, mu, va, wi, bi, EPS,
                training);
            close(ref[3], g.x(), tol * 10, w2 + " gx");
            if (wi != null) {
              close(ref[4], g.weight(), tol * 10, w2 + " gw");
              close(ref[5], g.bias(), tol * 10, w2 + " gb");
            }
          }
        }
      }
    }
  }

  @Test
  void hostLoopsGiveTheSameBitsOnSeveralThreads() {
    Random r = new Random(6);
    long[] shape = {8, 12, 16, 16};
    INDArray x = f(random(r, shape));
    INDArray gy = f(random(r, shape));
    INDArray w = f(random(r, 12));
    INDArray b = f(random(r, 12));
    int saved = Parallel.threads;
    INDArray[][] out = new INDArray[2][];
    try {
      for (int t = 0; t < 2; t++) {
        Parallel.threads = t == 0 ? 1 : 3;
        BatchNormKernel.Stats st = BatchNormKernel.training(x, w, b, EPS);
        BatchNormKernel.Grads g = BatchNormKernel.backward(gy, x, st.mean(), st.var(), w, b, EPS, true);
        BatchNormKernel.Grads gi = BatchNormKernel.backward(gy, x, st.mean(), st.var(), w, b, EPS, false);
        out[t] = new INDArray[] {st.output(), st.mean(), st.var(), g.x(), g.weight(), g.bias(),
          BatchNormKernel.inference(x, st.mean(), st.var(), w, b, EPS), gi.x(), gi.weight(), gi.bias()};
      }
    } finally {
      Parallel.threads = saved;
    }
    for (int i = 0; i < out[0].length; i++) {
      assertEquals(out[0][i], out[1][i], "result " + i);
    }
  }

  @Test
  void hostLoopsKeepTheVarianceOfAnOffsetInput() {
    // mean 1000, standard deviation ~0.58: sums of x^2 in float would lose the variance entirely
    Random r = new Random(7);
    INDArray x = random(r, 6, 3, 7, 5).addi(1000);
    INDArray[] ref = loops(x, null, null, x, null);
    BatchNormKernel.Stats st = BatchNormKernel.training(f(x), null, null, EPS);
    close(ref[1], st.mean(), 1e-7, "mean");
    close(ref[2], st.var(), 1e-4, "var");
    close(ref[0], st.output(), 1e-3, "output");
  }

  @Test
  void floatRunsOnOneDnnWhereItLoads() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Dnnl.available());
    mode(1);
    Random r = new Random(4);
    INDArray x = f(random(r, 8, 16, 5, 5));
    BatchNormKernel.Stats st = BatchNormKernel.training(x, f(random(r, 16)), f(random(r, 16)), EPS);
    BatchNormKernel.backward(x, x, st.mean(), st.var(), f(random(r, 16)), f(random(r, 16)), EPS, true);
    List<String> impl = Prims.implementations();
    assertTrue(impl.stream().anyMatch(s -> s.startsWith("batch norm forward")), impl.toString());
    assertTrue(impl.stream().anyMatch(s -> s.startsWith("batch norm backward")), impl.toString());
  }

  @Test
  void viewsAndBadShapes() {
    Random r = new Random(5);
    INDArray big = f(random(r, 6, 3, 4));
    INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 5)); // a view with an offset
    INDArray copy = view.dup('c');
    close(BatchNormKernel.training(copy, null, null, EPS).output(), BatchNormKernel.training(view, null, null, EPS)
        .output(), 0, "view");
    assertThrows(IllegalArgumentException.class, () -> BatchNormKernel.training(f(random(r, 2, 3, 4, 5, 6)), null,
        null, EPS));
    assertThrows(IllegalArgumentException.class, () -> BatchNormKernel.training(f(random(r, 2, 3)), f(random(r, 4)),
        null, EPS));
  }
}
