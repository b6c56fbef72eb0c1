package dlcourse.kernels;

import static dlcourse.kernels.Checks.close;
import static dlcourse.kernels.Checks.f;
import static dlcourse.kernels.Checks.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Conv2dKernelTest {
  /** One convolution setting: x (n, c, h, w), weight (o, c, kh, kw). */
  record Case(int n, int c, int h, int w, int o, int kh, int kw, int[] s, int[] p, int[] d, boolean bias) {
    long[] x() {
      return new long[] {n, c, h, w};
    }

    long[] wt() {
      return new long[] {o, c, kh, kw};
    }
  }

  static final List<Case> CASES = List.of(
      new Case(2, 3, 7, 9, 4, 3, 3, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true),
      new Case(1, 2, 8, 7, 3, 3, 2, new int[] {2, 2}, new int[] {0, 0}, new int[] {1, 1}, false), // last row/col unread
      new Case(2, 3, 9, 10, 2, 3, 3, new int[] {1, 1}, new int[] {2, 2}, new int[] {2, 2}, true), // dilation 2
      new Case(1, 81, 5, 5, 8, 3, 3, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true), // 81 channels
      new Case(2, 16, 6, 7, 81, 3, 3, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, true),
      new Case(2, 1, 10, 10, 16, 3, 3, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true), // grey-scale
      new Case(3, 8, 11, 9, 16, 5, 5, new int[] {2, 3}, new int[] {2, 1}, new int[] {1, 2}, false),
      new Case(2, 32, 7, 7, 64, 3, 3, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true));

  /** The definition, as loops: y[n,o,i,j] = b[o] + sum x[n,c,i*s-p+kh*d, ...] w[o,c,kh,kw]. */
  static INDArray loopForward(INDArray x, INDArray w, INDArray b, Case k) {
    long[] ys = outShape(k);
    INDArray y = Nd4j.zeros(DataType.DOUBLE, ys);
    for (int n = 0; n < ys[0]; n++) {
      for (int o = 0; o < ys[1]; o++) {
        for (int i = 0; i < ys[2]; i++) {
          for (int j = 0; j < ys[3]; j++) {
            double sum = b == null ? 0 : b.getDouble(o);
            for (int c = 0; c < k.c; c++) {
              for (int a = 0; a < k.kh; a++) {
                for (int e = 0; e < k.kw; e++) {
                  int r = i * k.s[0] - k.p[0] + a * k.d[0];
                  int q = j * k.s[1] - k.p[1] + e * k.d[1];
                  if (r >= 0 && r < k.h && q >= 0 && q < k.w) {
                    sum += x.getDouble(n, c, r, q) * w.getDouble(o, c, a, e);
                  }
                }
              }
            }
            y.putScalar(new long[] {n, o, i, j}, sum);
          }
        }
      }
    }
    return y;
  }

  /** The adjoint loops: {gx, gw, gb}. */
  static INDArray[] loopBackward(INDArray x, INDArray w, INDArray gy, Case k) {
    INDArray gx = Nd4j.zeros(DataType.DOUBLE, k.x());
    INDArray gw = Nd4j.zeros(DataType.DOUBLE, k.wt());
    INDArray gb = Nd4j.zeros(DataType.DOUBLE, k.o);
    long[] ys = gy.shape();
    for (int n = 0; n < ys[0]; n++) {
      for (int o = 0; o < ys[1]; o++) {
        for (int i = 0; i < ys[2]; i++) {
          for (int j = 0; j < ys[3]; j++) {
            double g = gy.getDouble(n, o, i, j);
            gb.putScalar(o, gb.getDouble(o) + g);
            for (int c = 0; c < k.c; c++) {
              for (int a = 0; a < k.kh; a++) {
                for (int e = 0; e < k.kw; e++) {
                  int r = i * k.s[0] - k.p[0] + a * k.d[0];
                  int q = j * k.s[1] - k.p[1] + e * k.d[1];
                  if (r >= 0 && r < k.h && q >= 0 && q < k.w) {
                    long[] xi = {n, c, r, q};
                    long[] wi = {o, c, a, e};
                    gx.putScalar(xi, gx.getDouble(xi) + g * w.getDouble(wi));
                    gw.putScalar(wi, gw.getDouble(wi) + g * x.getDouble(xi));
                  }
                }
              }
            }
          }
        }
      }
    }
    return new INDArray[] {gx, gw, gb};
  }

  static long[] outShape(Case k) {
    return new long[] {k.n, k.o, (k.h + 2L * k.p[0] - k.d[0] * (k.kh - 1) - 1) / k.s[0] + 1,
      (k.w + 2L * k.p[1] - k.d[1] * (k.kw - 1) - 1) / k.s[1] + 1};
  }

  @Test
  void oneDnnLoads() {
    assertTrue(Dnnl.available(), "oneDNN must load on this machine: " + Dnnl.loadFailure());
  }

  @Test
  void floatAndDoubleAgreeWithTheLoops() {
    Random r = new Random(1);
    for (boolean blocked : new boolean[] {false, true}) {
      boolean before = Conv2dKernel.blocked;
      Conv2dKernel.blocked = blocked;
      try {
        for (Case k : CASES) {
          String what = k + (blocked ? " blocked" : " plain");
          INDArray x = random(r, k.x());
          INDArray w = random(r, k.wt());
          INDArray b = k.bias ? random(r, k.o) : null;
          INDArray y = loopForward(x, w, b, k);
          INDArray gy = random(r, y.shape());
          INDArray[] grads = loopBackward(x, w, gy, k);
          for (boolean single : new boolean[] {true, false}) {
            INDArray xx = single ? f(x) : x;
            INDArray ww = single ? f(w) : w;
            INDArray bb = single ? f(b) : b;
            INDArray gyy = single ? f(gy) : gy;
            double tol = single ? 2e-5 : 1e-12;
            String w2 = what + (single ? " float" : " double");
            INDArray out = Conv2dKernel.forward(xx, ww, bb, k.s, k.p, k.d, false);
            assertEquals(single ? DataType.FLOAT : DataType.DOUBLE, out.dataType());
            close(y, out, tol, w2 + " forward");
            close(Nd4jRelu(y), Conv2dKernel.forward(xx, ww, bb, k.s, k.p, k.d, true), tol, w2 + " forward+relu");
            close(grads[0], Conv2dKernel.backwardInput(gyy, ww, k.x(), k.s, k.p, k.d), tol, w2 + " input gradient");
            INDArray[] gwb = Conv2dKernel.backwardWeights(gyy, xx, k.wt(), k.bias, k.s, k.p, k.d);
            close(grads[1], gwb[0], tol, w2 + " weight gradient");
            if (k.bias) {
              close(grads[2], gwb[1], tol, w2 + " bias gradient");
            } else {
              assertNull(gwb[1]);
            }
          }
        }
      } finally {
        Conv2dKernel.blocked = before;
      }
    }
    List<String> slow = Prims.implementations().stream().filter(s -> s.contains("ref")).toList();
    assertTrue(slow.isEmpty(), "reference kernels: " + slow + " of " + Prims.implementations());
  }

  private static INDArray Nd4jRelu(INDArray y) {
    return org.nd4j.linalg.ops.transforms.Transforms.relu(y, true);
  }

  @Test
  void scratchReuseAndTheCombinedBackwardGiveTheSameNumbers() {
    Random r = new Random(5);
    boolean before = Prims.reuseScratch;
    try {
      for (Case k : CASES) {
        for (int call = 0; call < 3; call++) { // new data each call: scratch arrays hold the previous call's
          INDArray x = f(random(r, k.x()));
          INDArray w = f(random(r, k.wt()));
          INDArray b = k.bias ? f(random(r, k.o)) : null;
          INDArray gy = f(random(r, outShape(k)));
          INDArray[][] out = new INDArray[2][];
          for (int reuse = 0; reuse < 2; reuse++) {
            Prims.reuseScratch = reuse == 1;
            INDArray[] gwb = Conv2dKernel.backwardWeights(gy, x, k.wt(), k.bias, k.s, k.p, k.d);
            out[reuse] = new INDArray[] {Conv2dKernel.forward(x, w, b, k.s, k.p, k.d, true),
              Conv2dKernel.backwardInput(gy, w, k.x(), k.s, k.p, k.d), gwb[0], gwb[1]};
            INDArray[] all = Conv2dKernel.backward(gy, x, w, k.bias, true, true, k.s, k.p, k.d);
            assertEquals(out[reuse][1], all[0], k + " combined input gradient");
            assertEquals(out[reuse][2], all[1], k + " combined weight gradient");
            assertEquals(out[reuse][3], all[2], k + " combined bias gradient");
            INDArray y = out[reuse][0];
            INDArray[] masked = Conv2dKernel.backward(org.nd4j.linalg.ops.transforms.Transforms.step(y, true).muli(gy),
                x, w, k.bias, true, true, k.s, k.p, k.d);
            INDArray[] viaRelu = Conv2dKernel.backwardRelu(gy, y, x, w, k.bias, true, true, k.s, k.p, k.d);
            for (int i = 0; i < 3; i++) {
              assertEquals(masked[i], viaRelu[i], k + " gradient " + i + " through the fused ReLU");
            }
            INDArray[] onlyW = Conv2dKernel.backward(gy, x, w, k.bias, false, true, k.s, k.p, k.d);
            assertNull(onlyW[0]);
            assertEquals(out[reuse][2], onlyW[1], k + " weight gradient alone");
          }
          for (int i = 0; i < 4; i++) {
            assertEquals(out[0][i], out[1][i], k + " call " + call + " result " + i + " with scratch arrays");
          }
        }
      }
    } finally {
      Prims.reuseScratch = before;
    }
  }

  @Test
  void viewsAndFortranOrderAreCopied() {
    Random r = new Random(2);
    Case k = CASES.get(0);
    INDArray big = random(r, k.n, k.c + 2, k.h, k.w);
    INDArray x = big.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 1 + k.c));
    INDArray w = random(r, k.wt());
    INDArray b = random(r, k.o);
    INDArray expected = loopForward(x.dup(), w, b, k);
    close(expected, Conv2dKernel.forward(f(x).dup('f'), f(w).dup('f'), f(b), k.s, k.p, k.d, false), 2e-5, "f order");
    INDArray fb = f(big);
    INDArray view = fb.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 1 + k.c));
    close(expected, Conv2dKernel.forward(view, f(w), f(b), k.s, k.p, k.d, false), 2e-5, "view");
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Random r = new Random(3);
    List<Case> tiny = List.of(
        new Case(1, 2, 5, 6, 3, 3, 2, new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 2}, true),
        new Case(2, 1, 6, 5, 2, 3, 3, new int[] {2, 2}, new int[] {0, 0}, new int[] {1, 1}, true), // row 5 unread
        new Case(1, 3, 4, 4, 2, 2, 2, new int[] {1, 1}, new int[] {1, 1}, new int[] {2, 1}, false));
    for (Case k : tiny) {
      INDArray x = random(r, k.x());
      INDArray w = random(r, k.wt());
      INDArray b = k.bias ? random(r, k.o) : null;
      INDArray gy = random(r, outShape(k));
      INDArray gx = Conv2dKernel.backwardInput(gy, w, k.x(), k.s, k.p, k.d);
      INDArray[] gwb = Conv2dKernel.backwardWeights(gy, x, k.wt(), k.bias, k.s, k.p, k.d);
      Checks.finiteDifferences(x, v -> Conv2dKernel.forward(v, w, b, k.s, k.p, k.d, false), gy, gx, k + " input");
      Checks.finiteDifferences(w, v -> Conv2dKernel.forward(x, v, b, k.s, k.p, k.d, false), gy, gwb[0], k + " weight");
      if (k.bias) {
        Checks.finiteDifferences(b, v -> Conv2dKernel.forward(x, w, v, k.s, k.p, k.d, false), gy, gwb[1], k + " bias");
      }
    }
  }

  @Test
  void threadsShareTheCachedPrimitives() throws Exception {
    Random r = new Random(4);
    Case k = CASES.get(7);
    INDArray x = f(random(r, k.x()));
    INDArray w = f(random(r, k.wt()));
    INDArray b = f(random(r, k.o));
    INDArray expected = Conv2dKernel.forward(x, w, b, k.s, k.p, k.d, true);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<INDArray>> results = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        results.add(pool.submit(() -> Conv2dKernel.forward(x, w, b, k.s, k.p, k.d, true)));
      }
      for (Future<INDArray> f : results) {
        assertEquals(expected, f.get());
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void theCacheStaysBoundedWhenShapesVary() {
    INDArray w = Nd4j.ones(DataType.FLOAT, 2, 1, 3, 3);
    for (int h = 3; h < 3 + Prims.CAPACITY + 20; h++) {
      INDArray y = Conv2dKernel.forward(Nd4j.ones(DataType.FLOAT, 1, 1, h, 3), w, null, new int[] {1, 1},
          new int[] {0, 0}, new int[] {1, 1}, false);
      assertEquals(9.0, y.getDouble(0), 1e-6);
      assertTrue(Prims.size() <= Prims.CAPACITY, "cache size " + Prims.size());
    }
  }

  /**
   * A ViT's patch embedding of the whole image (kernel = stride = 28) gets oneDNN's GEMM convolution for its weight
   * gradient, whose im2col needs a scratchpad.
   * In oneDNN's default library-managed mode that scratchpad belongs to the thread that created the primitive, and
   * another thread running the cached primitive crashed the JVM (SIGSEGV in im2col: two ViTs trained in parallel by
   * Experiments). The kernels hand oneDNN a scratchpad of the running thread instead.
   */
  @Test
  void aPrimitiveCreatedOnOneThreadRunsOnOthers() throws Exception {
    Random r = new Random(5);
    INDArray x = f(random(r, 16, 1, 28, 28));
    INDArray w = f(random(r, 32, 1, 28, 28));
    INDArray gy = f(random(r, 16, 32, 1, 1));
    int[] s = {28, 28};
    int[] p = {0, 0};
    int[] d = {1, 1};
    INDArray y = Conv2dKernel.forward(x, w, null, s, p, d, false);
    INDArray[] g = Conv2dKernel.backward(gy, x, w, true, true, true, s, p, d);
    assertTrue(Prims.implementations().stream().anyMatch(i -> i.contains("gemm")), Prims.implementations().toString());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<INDArray[]>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> {
          INDArray[] gi = Conv2dKernel.backward(gy, x, w, true, true, true, s, p, d);
          return new INDArray[] {Conv2dKernel.forward(x, w, null, s, p, d, false), gi[0], gi[1], gi[2]};
        }));
      }
      for (Future<INDArray[]> f : results) {
        INDArray[] o = f.get();
        assertEquals(y, o[0]);
        assertEquals(g[0], o[1]);
        assertEquals(g[1], o[2]);
        assertEquals(g[2], o[3]);
      }
    } finally {
      pool.shutdown();
    }
  }
}
