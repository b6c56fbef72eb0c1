package dlcourse.kernels;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gives the native memory of dead tensors back without {@code System.gc()} in user code.
 *
 * <p>ND4J frees an array's native buffer only when the garbage collector collects the array object, and a training
 * step allocates far more native memory (activations, gradients: megabytes) than Java heap (small objects), so the
 * collector may not run for hundreds of steps while the resident set grows by gigabytes (measured: 60 small
 * trainings in a JVM with the kernel's settings reached 3.3 GB, 0.65-0.97 GB with a collection after each). The cap
 * ({@link OffHeapLimit}) refuses an array only when the live ones fill it; it does not keep garbage from piling up
 * below it. So every operation reports the bytes it allocates here, and after {@link #budget()} bytes a collection
 * runs, which frees the buffers of every tensor no longer referenced.
 */
public final class NativeMemory {
  static {
    // The library's own entry to ND4J: the off-heap cap binds ND4J's arrays also outside the kernel and the runner.
    try {
      OffHeapLimit.install();
    } catch (RuntimeException | LinkageError e) {
      System.err.println("dlcourse: warning: the off-heap cap could not be applied to ND4J: " + e);
    }
  }

  private static final long BUDGET = budgetFromSettings();
  private static long sinceCollection;
  private static long collections;

  private NativeMemory() {}

  /**
   * Bytes allocated between two collections: the system property {@code dlcourse.gcBudget} (bytes), else a quarter
   * of JavaCPP's off-heap cap ({@code org.bytedeco.javacpp.maxbytes}, default the heap size), at least 64 MB.
   */
  public static long budget() {
    return BUDGET;
  }

  /** Collections this class has asked for so far. */
  public static synchronized long collections() {
    return collections;
  }

  /** Counts the native bytes of a newly made array; may run a collection. */
  public static void allocated(INDArray a) {
    if (a == null || a.isView()) {
      return;
    }
    long bytes = a.length() * a.dataType().width();
    boolean collect;
    synchronized (NativeMemory.class) {
      sinceCollection += bytes;
      collect = sinceCollection > BUDGET;
      if (collect) {
        sinceCollection = 0;
        collections++;
      }
    }
    if (collect) {
      System.gc();
    }
  }

  /** Takes back {@code bytes} counted by {@link #allocated} for an array that reused pooled memory ({@link Buffers}). */
  static synchronized void reused(long bytes) {
    sinceCollection -= bytes;
  }

  private static long budgetFromSettings() {
    return bytesProperty("dlcourse.gcBudget", Math.max(64L << 20, Pointer.maxBytes() / 4));
  }

  /**
   * A size in bytes from the system property {@code name} (a whole number), or {@code fallback} when it is not set;
   * the one parser of this package's byte-size settings ({@code dlcourse.gcBudget}, {@code dlcourse.bufferPool}).
   *
   * @throws IllegalArgumentException naming the property when its value is not a number
   */
  static long bytesProperty(String name, long fallback) {
    String v = System.getProperty(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("system property " + name + " must be a number of bytes, got '" + v + "'");
    }
  }
}
