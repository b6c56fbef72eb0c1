package dlcourse.train.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;

/**
 * Thread CPU time per call of the captioner's float GEMM shapes (batch 8, 22 steps: M = 8 products, their backward
 * and the batched weight gradients) on oneDNN's {@code dnnl_sgemm} and on the OpenBLAS that ND4J bundles
 * ({@code cblas_sgemm} called directly, one thread), alternating the two in blocks on the same arrays (session 13 of
 * bench/library/README.md). Not a test; run after {@code mvn -o -q -pl lib test-compile}:
 *
 * <pre>{@code
 * OMP_NUM_THREADS=1 taskset -c 0 java -cp lib/target/test-classes:lib/target/classes:$(cat lib/target-bench/classpath.txt) \
 *   dlcourse.train.bench.GemmShapes 9 200   # blocks, calls per block
 * }</pre>
 */
public class GemmShapes {
  /** One row-major product {@code C (M, N) = op(A) op(B)} and where the captioner runs it. */
  record Shape(String what, char ta, char tb, int m, int n, int k) {}

  static final List<Shape> SHAPES = List.of(
      new Shape("LSTM input product x W_ih^T", 'N', 'T', 8, 1024, 612),
      new Shape("LSTM recurrent product h W_hh^T", 'N', 'T', 8, 1024, 256),
      new Shape("input product swapped: W_ih x^T", 'N', 'T', 1024, 8, 612),
      new Shape("recurrent product swapped: W_hh h^T", 'N', 'T', 1024, 8, 256),
      new Shape("input product on W_ih^T stored", 'N', 'N', 8, 1024, 612),
      new Shape("input product swapped, x^T stored: W_ih x^T", 'N', 'N', 1024, 8, 612),
      new Shape("recurrent product swapped, h^T stored", 'N', 'N', 1024, 8, 256),
      new Shape("recurrent product on W_hh^T stored", 'N', 'N', 8, 1024, 256),
      new Shape("attention hidden projection", 'N', 'T', 8, 100, 256),
      new Shape("vocabulary layer (once)", 'N', 'T', 176, 190, 256),
      new Shape("region projection (once)", 'N', 'T', 2048, 100, 512),
      new Shape("dx of the input product", 'N', 'N', 8, 612, 1024),
      new Shape("dx of the recurrent product", 'N', 'N', 8, 256, 1024),
      new Shape("dx of the hidden projection", 'N', 'N', 8, 256, 100),
      new Shape("dx of the vocabulary layer", 'N', 'N', 176, 256, 190),
      new Shape("dW_ih batched (176 rows)", 'T', 'N', 1024, 612, 176),
      new Shape("dW_hh batched", 'T', 'N', 1024, 256, 176),
      new Shape("dW vocabulary", 'T', 'N', 190, 256, 176),
      new Shape("dW region projection", 'T', 'N', 100, 512, 2048),
      new Shape("bias sums (ones row)", 'N', 'N', 1, 1024, 176),
      new Shape("context backward, one row (x8)", 'N', 'T', 1, 256, 512),
      new Shape("context backward as GEMV", 'N', 'N', 256, 1, 512));

  public static void main(String[] args) {
    int blocks = Integer.parseInt(args[0]);
    int calls = Integer.parseInt(args[1]);
    Loader.load(openblas.class);
    openblas.blas_set_num_threads(1);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Random r = new Random(1);
    System.out.printf(Locale.ROOT, "%-34s %-3s %5s %5s %5s %10s %10s %8s%n", "shape", "op", "M", "N", "K",
        "dnnl us", "openblas us", "o/d");
    for (Shape s : SHAPES) {
      FloatPointer a = random(r, (long) s.m() * s.k());
      FloatPointer b = random(r, (long) s.k() * s.n());
      FloatPointer c = new FloatPointer((long) s.m() * s.n());
      int lda = s.ta() == 'N' ? s.k() : s.m();
      int ldb = s.tb() == 'N' ? s.n() : s.k();
      List<Double> d = new ArrayList<>(), o = new ArrayList<>();
      for (int blk = 0; blk < blocks + 1; blk++) {
        for (int side = 0; side < 2; side++) {
          boolean dn = (blk + side) % 2 == 0;
          long t0 = mx.getCurrentThreadCpuTime();
          for (int i = 0; i < calls; i++) {
            if (dn) {
              dnnl.dnnl_sgemm((byte) s.ta(), (byte) s.tb(), s.m(), s.n(), s.k(), 1f, a, lda, b, ldb, 0f, c, s.n());
            } else {
              openblas.cblas_sgemm(openblas.CblasRowMajor, s.ta() == 'N' ? openblas.CblasNoTrans : openblas.CblasTrans,
                  s.tb() == 'N' ? openblas.CblasNoTrans : openblas.CblasTrans, s.m(), s.n(), s.k(), 1f, a, lda, b, ldb,
                  0f, c, s.n());
            }
          }
          double us = (mx.getCurrentThreadCpuTime() - t0) / 1e3 / calls;
          if (blk > 0) { // block 0 warms up
            (dn ? d : o).add(us);
          }
        }
      }
      double md = InJvmAB.med(d), mo = InJvmAB.med(o);
      System.out.printf(Locale.ROOT, "%-34s %c%c  %5d %5d %5d %10.1f %10.1f %8.2f%n", s.what(), s.ta(), s.tb(), s.m(),
          s.n(), s.k(), md, mo, mo / md);
    }
  }

  private static FloatPointer random(Random r, long n) {
    FloatPointer p = new FloatPointer(n);
    for (long i = 0; i < n; i++) {
      p.put(i, (float) r.nextGaussian());
    }
    return p;
  }
}
