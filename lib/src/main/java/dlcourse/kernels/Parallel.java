package dlcourse.kernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A parallel loop over independent items (the channels of a batch norm) for the host loops of the kernels: the calling
 * thread and up to {@link #threads}{@code - 1} pool threads take the next item from a shared counter until none is
 * left, and the caller then waits only for the items already taken. No barrier between threads: on a machine where
 * another process holds a core, a thread that is not running delays the loop by at most the item it holds, whereas
 * oneDNN's OpenMP kernels spin in barriers of all their threads (measured in {@link BatchNormKernel}).
 */
final class Parallel {
  /**
   * Threads per loop: {@code -Ddlcourse.kernels.threads}, else {@code OMP_NUM_THREADS} (what ND4J and oneDNN use),
   * else the CPUs this process may run on. Settable for tests.
   */
  static volatile int threads = threads();

  /** Below this many elements of work a loop runs on the calling thread alone. */
  static final long MIN_PARALLEL = 1 << 15;

  /** Daemon helper threads, created on demand and ended after a minute idle. */
  private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "dlcourse-kernels");
    t.setDaemon(true);
    return t;
  });

  private Parallel() {}

  private static int threads() {
    Integer p = Integer.getInteger("dlcourse.kernels.threads");
    if (p != null && p > 0) {
      return p;
    }
    try {
      String omp = System.getenv("OMP_NUM_THREADS");
      if (omp != null && Integer.parseInt(omp.trim()) > 0) {
        return Integer.parseInt(omp.trim());
      }
    } catch (NumberFormatException e) {
      // fall through to the CPU count
    }
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /**
   * Runs {@code body} for each item {@code 0 <= i < n}, in parallel when {@code work} (elements touched in all) is
   * at least {@link #MIN_PARALLEL}; items must write disjoint memory. An exception of any item is rethrown here.
   */
  static void forEach(int n, long work, IntConsumer body) {
    int helpers = Math.min(threads - 1, n - 1);
    if (helpers < 1 || work < MIN_PARALLEL) {
      for (int i = 0; i < n; i++) {
        body.accept(i);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicReference<Throwable> error = new AtomicReference<>();
    Thread caller = Thread.currentThread();
    Runnable loop = () -> {
      for (int i; (i = next.getAndIncrement()) < n;) {
        try {
          body.accept(i);
        } catch (Throwable t) {
          error.compareAndSet(null, t);
        }
        if (done.incrementAndGet() == n) {
          LockSupport.unpark(caller);
        }
      }
    };
    for (int k = helpers; k > 0; k--) {
      POOL.execute(loop);
    }
    loop.run();
    while (done.get() < n) {
      LockSupport.park(Parallel.class);
    }
    Throwable t = error.get();
    if (t instanceof RuntimeException e) {
      throw e;
    }
    if (t instanceof Error e) {
      throw e;
    }
  }
}
