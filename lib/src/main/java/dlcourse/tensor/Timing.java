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
