package dlcourse.tensor;

import dlcourse.util.Check;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.LongSupplier;

/**
 * Times a computation, like a minimal {@code torch.utils.benchmark.Timer} or Python's {@code timeit}: a warm-up run
 * (class loading, the JIT compiler), then several runs, of which the fastest is kept. As {@code timeit}'s
 * documentation argues, the other runs are slower because something else disturbed them (other processes, the
 * garbage collector), not because the computation varies, so the minimum is the best estimate of its cost.
 *
 * <p>Two clocks. Wall-clock time is what a user waits. CPU time of the calling thread counts only the time the thread
 * computed, not the time it waited for a core, so on a shared or busy machine it still follows the work: use it to
 * compare how costs grow. Tensor operations run on the calling thread when ND4J has one OpenMP thread
 * ({@code OMP_NUM_THREADS=1}, the default of {@code ./dlcourse} and the kernel); with more, the work of the other
 * threads is not counted.
 *
 * <pre>{@code
 * double ms = Timing.bestCpuMillis(() -> F.scaledDotProductAttention(q, k, v, null, false, 0, false), 5);
 * }</pre>
 */
public final class Timing {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private Timing() {}

  /** The shortest wall-clock time of {@code runs} runs of {@code task}, in milliseconds, after one warm-up run. */
  public static double bestMillis(Runnable task, int runs) {
    return best(task, runs, System::nanoTime);
  }

  /**
   * The shortest CPU time of the calling thread over {@code runs} runs of {@code task}, in milliseconds, after one
   * warm-up run.
   *
   * @throws UnsupportedOperationException if this JVM cannot measure thread CPU time
   */
  public static double bestCpuMillis(Runnable task, int runs) {
    if (!THREADS.isCurrentThreadCpuTimeSupported()) {
      throw new UnsupportedOperationException("this JVM does not measure thread CPU time; use bestMillis");
    }
    return best(task, runs, THREADS::getCurrentThreadCpuTime);
  }

  /**
   * The median wall-clock time of {@code runs} runs of {@code task}, in milliseconds, after one warm-up run: a typical
   * run where the fastest would flatter a computation whose cost varies from run to run.
   */
  public static double medianMillis(Runnable task, int runs) {
    Check.positive(runs, "runs");
    task.run();
    double[] t = new double[runs];
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      task.run();
      t[r] = (System.nanoTime() - t0) / 1e6;
    }
    java.util.Arrays.sort(t);
    return runs % 2 == 1 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
  }

  /**
   * The least-squares slope of {@code log y} against {@code log x}: the exponent {@code k} of a cost that grows like
   * {@code x^k} (2 for a cost quadratic in the size). Take a range of the points with {@code Arrays.copyOfRange} to
   * fit only the large sizes, where fixed costs matter least.
   *
   * @throws IllegalArgumentException if the arrays differ in length, hold fewer than two points, a value that is not
   *         positive, or only one distinct {@code x}
   */
  public static double logLogSlope(double[] x, double[] y) {
    if (x.length != y.length || x.length < 2) {
      throw new IllegalArgumentException(
          "logLogSlope: needs two arrays of the same length >= 2, got " + x.length + " x and " + y.length + " y");
    }
    double mx = 0;
    double my = 0;
    for (int i = 0; i < x.length; i++) {
      if (!(x[i] > 0) || !(y[i] > 0)) {
        throw new IllegalArgumentException(
            "logLogSlope: every value must be positive, got x = " + x[i] + ", y = " + y[i] + " at index " + i);
      }
      mx += Math.log(x[i]) / x.length;
      my += Math.log(y[i]) / x.length;
    }
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < x.length; i++) {
      double dx = Math.log(x[i]) - mx;
      sxy += dx * (Math.log(y[i]) - my);
      sxx += dx * dx;
    }
    if (sxx == 0) {
      throw new IllegalArgumentException("logLogSlope: every x is the same (" + x[0] + "): no slope");
    }
    return sxy / sxx;
  }

  /**
   * {@link #logLogSlope(double[], double[])} over the points with {@code x >= minX} only: the large sizes, where
   * fixed per-call costs hide the growth least.
   */
  public static double logLogSlope(double[] x, double[] y, double minX) {
    if (x.length != y.length) {
      throw new IllegalArgumentException("logLogSlope: " + x.length + " x but " + y.length + " y");
    }
    int[] keep = java.util.stream.IntStream.range(0, x.length).filter(i -> x[i] >= minX).toArray();
    return logLogSlope(
        java.util.Arrays.stream(keep).mapToDouble(i -> x[i]).toArray(),
        java.util.Arrays.stream(keep).mapToDouble(i -> y[i]).toArray());
  }

  private static double best(Runnable task, int runs, LongSupplier clock) {
    Check.positive(runs, "runs");
    task.run();
    long fastest = Long.MAX_VALUE;
    for (int r = 0; r < runs; r++) {
      long t0 = clock.getAsLong();
      task.run();
      fastest = Math.min(fastest, clock.getAsLong() - t0);
    }
    return fastest / 1e6;
  }
}
