package dlcourse.kernels;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A free list of native arrays per type and shape, so that a training step, which allocates the same shapes every
 * time, gets the arrays of the gradients the previous backward pass consumed instead of fresh memory from ND4J.
 *
 * <p>Why: ND4J frees an array's buffer only when the garbage collector collects it ({@link NativeMemory}: every
 * {@link NativeMemory#budget()} bytes), so between two collections every array is memory the process just got from
 * the kernel, and a fresh page costs its fault and zeroing: {@code Nd4j.createUninitialized} took ~0.5 ns per byte,
 * ~20% of gpt-nano's step CPU time (session 10 of {@code bench/library/README.md}).
 *
 * <p>How it stays correct: arrays come back only from the autograd engine, and only arrays that a backward pass took
 * here during that same pass ({@link #beginPass()}; an op's backward pass returns them as gradients and keeps no
 * reference) once the engine has consumed them and holds no other array sharing their memory ({@link #overlaps}): a
 * gradient its node has used, or one added into a running sum. Arrays taken outside a backward pass (forward outputs,
 * which a user may keep) are never given back: the collector frees them as before. An array handed out is never in
 * the pool. Pooled bytes are capped (least recently used shapes dropped first); inside an ND4J workspace (e.g.
 * {@code MemoryMeter}) nothing is pooled. {@code -Ddlcourse.bufferPool=0} turns pooling off; another value is the cap
 * in bytes (default a quarter of {@link NativeMemory#budget()}).
 */
public final class Buffers {
  /** Arrays below this size are not pooled (ND4J's allocator is cheap for them). */
  static final long MIN_BYTES = 64 << 10;

  private static final long CAP = capFromSettings();
  /** Switch for A/B timings (InJvmAB); off, {@link #take} allocates and {@link #give} refuses. */
  static volatile boolean enabled = CAP > 0;

  /** Whether pooling is on (the engine records and gives back gradients only then). */
  public static boolean enabled() {
    return enabled;
  }

  private static final LinkedHashMap<Key, ArrayDeque<INDArray>> FREE = new LinkedHashMap<>(16, 0.75f, true);
  private static long pooledBytes;
  private static long hits;
  private static long misses;
  private static long missedBytes;

  /** Arrays taken on this thread during the backward pass in progress, by their buffer (null outside one). */
  private static final ThreadLocal<Map<DataBuffer, INDArray>> PASS = new ThreadLocal<>();

  private Buffers() {}

  private record Key(DataType type, long[] shape) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.type == type && Arrays.equals(k.shape, shape);
    }

    @Override
    public int hashCode() {
      return 31 * type.hashCode() + Arrays.hashCode(shape);
    }
  }

  /**
   * A 'c'-ordered array of {@code type} and {@code shape} with undefined contents, like
   * {@code Nd4j.createUninitialized}: from the free list when one of that shape is there.
   */
  public static INDArray take(DataType type, long... shape) {
    long bytes = bytes(type, shape);
    if (!enabled || bytes < MIN_BYTES || Nd4j.getMemoryManager().getCurrentWorkspace() != null) {
      return Nd4j.createUninitialized(type, shape, 'c');
    }
    INDArray a = null;
    synchronized (Buffers.class) {
      ArrayDeque<INDArray> q = FREE.get(new Key(type, shape));
      if (q != null && !q.isEmpty()) {
        a = q.pop();
        pooledBytes -= bytes;
        hits++;
        NativeMemory.reused(bytes); // the op that made it reports it as new; it is not
      } else {
        misses++;
        missedBytes += bytes;
      }
    }
    if (a == null) {
      a = Nd4j.createUninitialized(type, shape, 'c');
    }
    Map<DataBuffer, INDArray> pass = PASS.get();
    if (pass != null) {
      pass.put(a.data(), a);
    }
    return a;
  }

  /** Starts recording the arrays this thread takes, for the engine's backward pass; see {@link #give}. */
  public static void beginPass() {
    PASS.set(new IdentityHashMap<>());
  }

  /** Ends the backward pass of this thread: arrays taken during it can no longer be given back. */
  public static void endPass() {
    PASS.remove();
  }

  /**
   * The array taken by this thread during its backward pass in progress (and not given back) whose memory {@code a}
   * is, or is a view of; null if there is none.
   */
  public static INDArray takenThisPass(INDArray a) {
    Map<DataBuffer, INDArray> pass = PASS.get();
    return pass == null || pass.isEmpty() ? null : pass.get(root(a.data()));
  }

  /**
   * Puts an array taken during this thread's backward pass back on the free list; the caller guarantees that nothing
   * references it or its memory any more. Returns false (and does nothing) for any other array.
   */
  public static boolean give(INDArray a) {
    Map<DataBuffer, INDArray> pass = PASS.get();
    if (pass == null || pass.get(a.data()) != a) {
      return false;
    }
    pass.remove(a.data());
    return recycle(a);
  }

  /**
   * Puts an array whose memory nobody will read or write again on the free list: for an operation's own temporaries
   * (the attention scores once the softmax has read them) and, through the engine, for the arrays of
   * {@code Tensor.recycleAfterBackward}. Returns false (and does nothing) for a view, an array that does not own its
   * whole 'c'-ordered buffer, one in a workspace, or when pooling is off. The array object itself may stay referenced
   * (a tensor on the tape keeps its shape) as long as its values are never read again.
   */
  public static boolean recycle(INDArray a) {
    if (!enabled || a.isAttached() || !Layout.isPlain(a)) {
      return false;
    }
    long bytes = bytes(a.dataType(), a.shape());
    if (bytes > CAP || bytes < MIN_BYTES) {
      return false;
    }
    synchronized (Buffers.class) {
      // Least recently used shapes first: their arrays are dropped (the collector frees them).
      for (Iterator<Map.Entry<Key, ArrayDeque<INDArray>>> it = FREE.entrySet().iterator(); pooledBytes + bytes > CAP
          && it.hasNext();) {
        Map.Entry<Key, ArrayDeque<INDArray>> e = it.next();
        long each = bytes(e.getKey().type(), e.getKey().shape());
        pooledBytes -= each * e.getValue().size();
        it.remove();
      }
      FREE.computeIfAbsent(new Key(a.dataType(), a.shape().clone()), k -> new ArrayDeque<>()).push(a);
      pooledBytes += bytes;
    }
    return true;
  }

  /** Whether the memory of {@code a} and {@code b} may overlap (their whole underlying buffers are compared). */
  public static boolean overlaps(INDArray a, INDArray b) {
    if (a == b) {
      return true;
    }
    DataBuffer x = root(a.data());
    DataBuffer y = root(b.data());
    if (x == y) {
      return true;
    }
    long xa = x.address();
    long ya = y.address();
    return xa < ya + y.length() * y.getElementSize() && ya < xa + x.length() * x.getElementSize();
  }

  private static DataBuffer root(DataBuffer d) {
    for (DataBuffer o = d.originalDataBuffer(); o != null && o != d; o = d.originalDataBuffer()) {
      d = o;
    }
    return d;
  }

  /** Bytes held in the free lists now. */
  public static synchronized long pooledBytes() {
    return pooledBytes;
  }

  /** Takes served from the free lists so far. */
  public static synchronized long hits() {
    return hits;
  }

  /** Takes that allocated (pool empty for that shape) so far; arrays below the pooling size are not counted. */
  public static synchronized long misses() {
    return misses;
  }

  /** Bytes of the takes that allocated so far. */
  public static synchronized long missedBytes() {
    return missedBytes;
  }

  /** Drops every pooled array (the collector frees them). */
  public static synchronized void clear() {
    FREE.clear();
    pooledBytes = 0;
  }

  private static long bytes(DataType type, long[] shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    return n * type.width();
  }

  private static long capFromSettings() {
    return NativeMemory.bytesProperty("dlcourse.bufferPool", NativeMemory.budget() / 4);
  }
}
