package dlcourse.kernels;

import static dlcourse.kernels.Checks.close;
import static dlcourse.kernels.Checks.f;
import static dlcourse.kernels.Checks.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Pool2dKernelTest {
  record Case(int n, int c, int h, int w, int[] k, int[] s, int[] p, boolean ceil) {
    long[] x() {
      return new long[] {n, c, h, w};
    }

    /** PyTorch's pooling_output_shape. */
    long out(int d) {
      long in = d == 0 ? h : w;
      long num = in + 2L * p[d] - k[d] + (ceil ? s[d] - 1 : 0);
      long o = Math.floorDiv(num, s[d]) + 1;
      if (ceil && (o - 1) * s[d] >= in + p[d]) {
        o--;
      }
      return o;
    }

    long[] y() {
      return new long[] {n, c, out(0), out(1)};
    }
  }

  static final List<Case> CASES = List.of(
      new Case(2, 3, 8, 8, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, false),
      new Case(1, 81, 7, 9, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, false),
      new Case(2, 4, 7, 9, new int[] {3, 2}, new int[] {2, 2}, new int[] {1, 0}, true), // ceil adds a window
      new Case(1, 2, 6, 6, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, true), // ceil window in padding: dropped
      new Case(3, 16, 5, 5, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, true),
      new Case(2, 8, 9, 7, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, false),
      new Case(64, 16, 28, 28, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, false));

  /** Windows as PyTorch defines them; {@code mode} 0 max, 1 avg including padding, 2 avg excluding it. */
  static INDArray[] loops(INDArray x, INDArray gy, Case k, int mode) {
    long[] ys = k.y();
    INDArray y = Nd4j.zeros(DataType.DOUBLE, ys);
    INDArray gx = Nd4j.zeros(DataType.DOUBLE, k.x());
    for (int n = 0; n < ys[0]; n++) {
      for (int c = 0; c < ys[1]; c++) {
        for (int i = 0; i < ys[2]; i++) {
          for (int j = 0; j < ys[3]; j++) {
            int h0 = i * k.s[0] - k.p[0];
            int w0 = j * k.s[1] - k.p[1];
            // the window clipped to the padded input (PyTorch's pool_size), then to the input
            int h1 = Math.min(h0 + k.k[0], k.h + k.p[0]);
            int w1 = Math.min(w0 + k.k[1], k.w + k.p[1]);
            int padded = (h1 - h0) * (w1 - w0);
            double best = Double.NEGATIVE_INFINITY;
            long[] arg = null;
            double sum = 0;
            int count = 0;
            for (int r = Math.max(h0, 0); r < Math.min(h1, k.h); r++) {
              for (int q = Math.max(w0, 0); q < Math.min(w1, k.w); q++) {
                double v = x.getDouble(n, c, r, q);
                if (v > best) {
                  best = v;
                  arg = new long[] {n, c, r, q};
                }
                sum += v;
                count++;
              }
            }
            double g = gy.getDouble(n, c, i, j);
            long[] yi = {n, c, i, j};
            if (mode == 0) {
              y.putScalar(yi, best);
              gx.putScalar(arg, gx.getDouble(arg) + g);
            } else {
              double div = mode == 1 ? padded : count;
              y.putScalar(yi, sum / div);
              for (int r = Math.max(h0, 0); r < Math.min(h1, k.h); r++) {
                for (int q = Math.max(w0, 0); q < Math.min(w1, k.w); q++) {
                  long[] xi = {n, c, r, q};
                  gx.putScalar(xi, gx.getDouble(xi) + g / div);
                }
              }
            }
          }
        }
      }
    }
    return new INDArray[] {y, gx};
  }

  static INDArray[] kernel(INDArray x, INDArray gy, Case k, int mode) {
    if (mode == 0) {
      Pool2dKernel.MaxPool m = Pool2dKernel.maxForward(x, k.k, k.s, k.p, k.ceil);
      return new INDArray[] {m.output(), Pool2dKernel.maxBackward(gy, m, k.x(), k.k, k.s, k.p, k.ceil)};
    }
    return new INDArray[] {Pool2dKernel.avgForward(x, k.k, k.s, k.p, k.ceil, mode == 1),
      Pool2dKernel.avgBackward(gy, k.x(), k.k, k.s, k.p, k.ceil, mode == 1)};
  }

  @Test
  void floatAndDoubleAgreeWithTheLoops() {
    assertTrue(Dnnl.available(), "oneDNN must load on this machine: " + Dnnl.loadFailure());
    Random r = new Random(5);
    for (Case k : CASES) {
      INDArray x = random(r, k.x());
      INDArray gy = random(r, k.y());
      for (int mode = 0; mode < 3; mode++) {
        String what = k + " mode " + mode;
        INDArray[] expected = loops(x, gy, k, mode);
        INDArray[] single = kernel(f(x), f(gy), k, mode);
        INDArray[] dbl = kernel(x, gy, k, mode);
        assertEquals(DataType.FLOAT, single[0].dataType());
        assertEquals(DataType.DOUBLE, dbl[0].dataType());
        close(expected[0], single[0], 1e-6, what + " float forward");
        close(expected[1], single[1], 1e-6, what + " float backward");
        close(expected[0], dbl[0], 1e-14, what + " double forward");
        close(expected[1], dbl[1], 1e-14, what + " double backward");
      }
    }
    INDArray view = f(random(r, 2, 6, 8, 8)).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 4));
    Case k = CASES.get(0);
    close(loops(view.castTo(DataType.DOUBLE), Nd4j.zeros(DataType.DOUBLE, k.y()), k, 0)[0],
        Pool2dKernel.maxForward(view, k.k, k.s, k.p, k.ceil).output(), 1e-6, "view");
    List<String> slow = Prims.implementations().stream().filter(s -> s.contains("ref")).toList();
    assertTrue(slow.isEmpty(), "reference kernels: " + slow + " of " + Prims.implementations());
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Random r = new Random(6);
    List<Case> tiny = List.of(
        new Case(1, 2, 5, 6, new int[] {3, 2}, new int[] {2, 2}, new int[] {1, 1}, true),
        new Case(2, 1, 4, 5, new int[] {2, 3}, new int[] {1, 2}, new int[] {0, 1}, false));
    for (Case k : tiny) {
      for (int mode = 0; mode < 3; mode++) {
        int m = mode;
        INDArray x = random(r, k.x());
        INDArray gy = random(r, k.y());
        INDArray gx = kernel(x, gy, k, m)[1];
        Checks.finiteDifferences(x, v -> kernel(v, gy, k, m)[0], gy, gx, k + " mode " + m);
      }
    }
  }
  /**
   * Cached primitives run on whichever thread calls them: with oneDNN's library-managed scratchpad a max pooling
   * created on one thread and run on others gave wrong outputs and gradients (a few calls in a thousand on 3-4
   * threads, wrong by up to the whole value); with the user-managed scratchpad of {@link Prims#pd} every thread gets
   * the same bits.
   */
  @Test
  void everyThreadGetsTheSameResultsFromSharedPrimitives() throws Exception {
    Random r = new Random(7);
    Case k = new Case(8, 16, 14, 14, new int[] {2, 2}, new int[] {2, 2}, new int[] {0, 0}, false);
    INDArray x = f(random(r, k.x()));
    INDArray gy = f(random(r, k.y()));
    INDArray[] expected = kernel(x, gy, k, 0); // creates the cached primitives on this thread
    java.util.concurrent.atomic.AtomicInteger wrong = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    List<Thread> threads = new java.util.ArrayList<>();
    for (int t = 0; t < 4; t++) {
      threads.add(new Thread(() -> {
        for (int i = 0; i < 500; i++) {
          INDArray[] got = kernel(x, gy, k, 0);
          calls.incrementAndGet();
          if (!got[0].equals(expected[0]) || !got[1].equals(expected[1])) {
            wrong.incrementAndGet();
          }
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(2000, calls.get(), "every call finished");
    assertEquals(0, wrong.get(), "calls on other threads that differ from the creating thread's result");
  }
}
