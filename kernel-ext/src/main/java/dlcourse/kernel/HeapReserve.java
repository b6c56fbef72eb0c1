package dlcourse.kernel;

import java.util.Locale;

/**
 * Heap kept back for the kernel itself, so that a cell which fills the heap fails alone.
 *
 * <p>Cells run in the kernel's JVM, beside JShell's compiler and the Jupyter protocol threads. A cell that filled the
 * heap while a variable still held the memory left nothing for them: the next cell showed a javac internal error and
 * a false "cannot find symbol", then the protocol threads died. The kernel now holds a block of heap
 * ({@link #SIZE}) while cells run; the cell thread drops it the moment it catches an {@link OutOfMemoryError}, so the
 * compiler can still compile the user's {@code big = null;}, and the block is taken again before the first cell
 * that finds enough free heap.
 *
 * <p>A cell cannot catch running out of heap and go on: its catch blocks that could catch an {@link
 * OutOfMemoryError} are rewritten ({@link CellExitGuard#rewrite}) to call {@link #caughtInCell} first, which drops
 * the reserve and throws the error on, so the cell ends at its first one. A cell that caught it and kept allocating
 * smaller blocks held the heap full for seconds, while the kernel still held the reserve: the Jupyter protocol's
 * ZeroMQ I/O thread, which allocates for every message it receives (a heartbeat every second), met the full heap,
 * died of an {@code OutOfMemoryError} ({@code zmq.poll.Poller} survives only runtime exceptions), and the kernel
 * stopped answering.
 *
 * <p>Public because the rewritten cell classes, in JShell's class loader, call {@link #caughtInCell}.
 */
public final class HeapReserve {

  /** A sixteenth of the heap, between 24 and 48 MiB: javac compiles a cell in a few MB. */
  static final int SIZE = (int) Math.min(48L << 20, Math.max(24L << 20, Runtime.getRuntime().maxMemory() / 16));

  private static volatile byte[] reserve;

  private HeapReserve() {}

  /** Takes the reserve if it is not held and the heap has room for it (twice its size free after a collection). */
  static synchronized boolean acquire() {
    if (reserve != null) {
      return true;
    }
    Runtime rt = Runtime.getRuntime();
    if (rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()) < 2L * SIZE) {
      System.gc();
      if (rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()) < 2L * SIZE) {
        return false;
      }
    }
    try {
      reserve = new byte[SIZE];
      return true;
    } catch (OutOfMemoryError e) {
      return false;
    }
  }

  /**
   * Called first in each rewritten catch block of a cell with what it caught: an {@link OutOfMemoryError} for a full
   * heap drops the reserve and is thrown on (no allocation); anything else returns, and the catch block runs.
   */
  public static void caughtInCell(Throwable caught) {
    if (caught instanceof OutOfMemoryError && heapFull((OutOfMemoryError) caught)) {
      release();
      throw (OutOfMemoryError) caught;
    }
  }

  /**
   * True for the JVM's own heap exhaustion ({@code Java heap space}, {@code GC overhead limit exceeded}); false for
   * ND4J's off-heap cap, direct buffers, metaspace or an array larger than the JVM allows, which leave the heap free.
   */
  static boolean heapFull(OutOfMemoryError e) {
    String m = e.getMessage();
    return m != null && (m.startsWith("Java heap space") || m.startsWith("GC overhead limit exceeded"));
  }

  /** Drops the reserve (no allocation: safe to call while the heap is full). */
  static void release() {
    reserve = null;
  }

  /** Returns true while the reserve is held. */
  static boolean held() {
    return reserve != null;
  }

  /** The message for a cell that ran out of heap: what happened, what is still in use, how to go on. */
  static String explain(OutOfMemoryError e) {
    release();
    System.gc();
    Runtime rt = Runtime.getRuntime();
    long used = rt.totalMemory() - rt.freeMemory();
    return String.format(Locale.ROOT,
        "%s: the cell filled the JVM heap (-Xmx %d MiB; %d MiB still in use after the cell). The kernel keeps"
            + " its state, and what your variables still refer to stays in memory: set the large ones to"
            + " null (for example big = null;) and go on, or give the JVM a larger heap: reinstall the"
            + " kernel with DLCOURSE_KERNEL_HEAP=2g ./dlcourse install-kernel, or set -Xmx in"
            + " DLCOURSE_JAVA_OPTS for ./dlcourse run and jshell.",
        e.getMessage() == null ? "out of memory" : e.getMessage(), rt.maxMemory() >> 20, used >> 20);
  }
}
