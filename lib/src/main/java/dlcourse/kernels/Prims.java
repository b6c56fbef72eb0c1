package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_softmax_desc_t;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The oneDNN plumbing of the kernels: a bounded, thread-safe LRU cache of primitives per (shape, settings), one
 * stream per thread, and execution on ND4J arrays (memory objects are created around each call, so one cached
 * primitive serves any number of threads at once).
 *
 * <p>Every primitive is created with a user-managed scratchpad ({@link #pd}) and each execution passes this thread's
 * scratchpad array: oneDNN's library-managed scratchpad (this build's default) is shared per thread and only safe when
 * a primitive runs on the thread that created it, which a shared cache cannot promise (measured: max-pooling gradients
 * of parallel experiment runs came out wrong by up to 100% of their size).
 */
final class Prims {
  /** Entries kept; the least recently used one is destroyed beyond this (variable image sizes stay bounded). */
  static final int CAPACITY = Integer.getInteger("dlcourse.kernels.cacheSize", 256);

  private static final LinkedHashMap<Object, Entry> CACHE = new LinkedHashMap<>(64, 0.75f, true);
  private static final ThreadLocal<dnnl_stream> STREAM = ThreadLocal.withInitial(Dnnl::newStream);
  /** The scratchpad descriptor of every cached primitive that needs one, by the primitive's native address. */
  private static final Map<Long, dnnl_memory_desc_t> SCRATCHPAD = new ConcurrentHashMap<>();
  /** This thread's scratchpad, grown to the largest a primitive asked for (a thread's executions never overlap). */
  private static final ThreadLocal<INDArray> SCRATCHPAD_ARRAY = new ThreadLocal<>();
  /**
   * Whether kernels reuse per-thread scratch arrays (reorder destinations, blocked results before their reorder to
   * plain) instead of allocating them each call; {@code -Ddlcourse.kernels.reuseScratch=false} turns it off.
   */
  static volatile boolean reuseScratch = !"false".equals(System.getProperty("dlcourse.kernels.reuseScratch"));

  private Prims() {}

  /**
   * Native objects built for one key. Destroyed once evicted and no thread uses it any more (the users count is
   * guarded by the cache's lock).
   */
  static class Entry {
    private final List<dnnl_primitive> primitives = new ArrayList<>();
    private final List<dnnl_primitive_desc> descs = new ArrayList<>();
    private final List<String> implementations = new ArrayList<>();
    /** Per-thread scratch arrays by slot: see {@link Prims#scratch}. Freed with the entry once it is unreachable. */
    private final ThreadLocal<INDArray[]> scratch = new ThreadLocal<>();
    int users;
    boolean evicted;
    boolean destroyed;

    /** Keeps {@code pd} alive as long as this entry (memory descriptors queried from it point into it). */
    dnnl_primitive_desc keep(dnnl_primitive_desc pd) {
      if (!descs.contains(pd)) { // Pointer.equals: the same native address
        descs.add(pd);
      }
      return pd;
    }

    /** The primitive of {@code pd} (made by {@link Prims#pd}), whose implementation name is recorded. */
    dnnl_primitive primitive(dnnl_primitive_desc pd, String what) {
      keep(pd);
      implementations.add(what + " " + Dnnl.implementation(pd));
      dnnl_primitive p = Dnnl.primitive(pd, what);
      primitives.add(p);
      dnnl_memory_desc_t scratchpad = Dnnl.query(pd, dnnl_query_scratchpad_md);
      if (scratchpad != null && !scratchpad.isNull() && dnnl_memory_desc_get_size(scratchpad) > 0) {
        SCRATCHPAD.put(p.address(), scratchpad);
      }
      return p;
    }

    /** A reorder from {@code from} to {@code to}, or null when they are the same layout. */
    dnnl_primitive reorder(dnnl_memory_desc_t from, dnnl_memory_desc_t to, String what) {
      if (Dnnl.same(from, to)) {
        return null;
      }
      dnnl_primitive_desc pd = new dnnl_primitive_desc();
      dnnl_primitive_attr attr = userScratchpad(null);
      try {
        Dnnl.check(dnnl_reorder_primitive_desc_create(pd, from, Dnnl.engine(), to, Dnnl.engine(), attr),
            "reorder " + what);
      } finally {
        dnnl_primitive_attr_destroy(attr);
      }
      return primitive(pd, "reorder " + what);
    }

    List<String> implementations() {
      return implementations;
    }

    void destroy() {
      if (!destroyed) {
        destroyed = true;
        primitives.forEach(p -> SCRATCHPAD.remove(p.address()));
        primitives.forEach(p -> dnnl_primitive_destroy(p));
        descs.forEach(d -> dnnl_primitive_desc_destroy(d));
      }
    }
  }

  /**
   * Forward (training) and backward primitives of an operation whose source, destination and their gradients are all
   * described by one memory descriptor {@code md} (softmax, log-softmax, GELU): the backward primitive descriptor takes
   * the forward one as its hint, as oneDNN requires. The implementations are recorded as {@code name + " forward"} and
   * {@code name + " backward"}; a failure names {@code what} (or {@code what + " gradient"}).
   */
  static final class Unary extends Entry {
    final dnnl_memory_desc_t md;
    final dnnl_primitive forward;
    final dnnl_primitive backward;

    /** From the initialised forward and backward operation descriptors (e.g. {@code dnnl_softmax_desc_t}). */
    Unary(dnnl_memory_desc_t md, Pointer forwardDesc, Pointer backwardDesc, String what, String name) {
      this.md = md;
      dnnl_primitive_desc fpd = keep(pd(forwardDesc, null, null, what));
      forward = primitive(fpd, name + " forward");
      backward = primitive(pd(backwardDesc, null, fpd, what + " gradient"), name + " backward");
    }

    /**
     * Softmax ({@code log} false, recorded as "softmax") or log-softmax ({@code log} true, "logsoftmax") over the rows
     * of a plain (rows, cols) float matrix.
     */
    static Unary softmax(long rows, long cols, boolean log) {
      String name = log ? "logsoftmax" : "softmax";
      String what = name + " (" + rows + ", " + cols + ")";
      dnnl_memory_desc_t md = Dnnl.md(dnnl_ab, rows, cols);
      dnnl_softmax_desc_t f = new dnnl_softmax_desc_t();
      Dnnl.check(log ? dnnl_logsoftmax_forward_desc_init(f, dnnl_forward_training, md, 1)
          : dnnl_softmax_forward_desc_init(f, dnnl_forward_training, md, 1), what);
      dnnl_softmax_desc_t b = new dnnl_softmax_desc_t();
      Dnnl.check(log ? dnnl_logsoftmax_backward_desc_init(b, md, md, 1) : dnnl_softmax_backward_desc_init(b, md, md, 1),
          what + " gradient");
      return new Unary(md, f, b, what, name);
    }

    /** Runs the forward primitive from {@code src} into {@code dst} (plain float arrays of {@code md}). */
    void forward(INDArray src, INDArray dst) {
      run(forward, args().add(DNNL_ARG_SRC, md, src).add(DNNL_ARG_DST, md, dst));
    }

    /**
     * Runs the backward primitive: the input's gradient into {@code gx} from the output's gradient {@code gy} and
     * {@code saved}, the forward's source or destination as {@code savedArg} says ({@code DNNL_ARG_SRC} /
     * {@code DNNL_ARG_DST}).
     */
    void backward(int savedArg, INDArray saved, INDArray gy, INDArray gx) {
      run(backward, args().add(savedArg, md, saved).add(DNNL_ARG_DIFF_DST, md, gy).add(DNNL_ARG_DIFF_SRC, md, gx));
    }
  }

  /**
   * {@link Dnnl#pd} with a user-managed scratchpad (set on {@code attr}, or on new attributes when it is null), as
   * every primitive of the kernels must be created: {@link #run} then passes the scratchpad.
   */
  static dnnl_primitive_desc pd(Pointer opDesc, dnnl_primitive_attr attr, dnnl_primitive_desc hint, String what) {
    dnnl_primitive_attr a = userScratchpad(attr);
    try {
      return Dnnl.pd(opDesc, a, hint, what);
    } finally {
      if (attr == null) {
        dnnl_primitive_attr_destroy(a);
      }
    }
  }

  /** {@code attr}, or new attributes when null, set to the user-managed scratchpad. */
  private static dnnl_primitive_attr userScratchpad(dnnl_primitive_attr attr) {
    dnnl_primitive_attr a = attr;
    if (a == null) {
      a = new dnnl_primitive_attr();
      Dnnl.check(dnnl_primitive_attr_create(a), "primitive attributes");
    }
    Dnnl.check(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "user-managed scratchpad");
    return a;
  }

  /** This thread's scratchpad array, at least as large as {@code md}. */
  private static INDArray scratchpad(dnnl_memory_desc_t md) {
    INDArray s = SCRATCHPAD_ARRAY.get();
    if (s == null || s.length() * Float.BYTES < dnnl_memory_desc_get_size(md)) {
      s = allocate(md);
      SCRATCHPAD_ARRAY.set(s);
    }
    return s;
  }

  /** The entry for {@code key}, built by {@code build} when missing; {@link #release} it after use. */
  @SuppressWarnings("unchecked")
  static <E extends Entry> E acquire(Object key, Supplier<E> build) {
    synchronized (CACHE) {
      Entry e = CACHE.get(key);
      if (e != null) {
        e.users++;
        return (E) e;
      }
    }
    E built = build.get(); // outside the lock: creating primitives takes milliseconds
    synchronized (CACHE) {
      Entry old = CACHE.get(key);
      if (old != null) { // another thread built it meanwhile
        built.destroy();
        old.users++;
        return (E) old;
      }
      CACHE.put(key, built);
      built.users++;
      Iterator<Map.Entry<Object, Entry>> it = CACHE.entrySet().iterator();
      while (CACHE.size() > CAPACITY && it.hasNext()) {
        Entry eldest = it.next().getValue();
        it.remove();
        eldest.evicted = true;
        if (eldest.users == 0) {
          eldest.destroy();
        }
      }
      return built;
    }
  }

  static void release(Entry e) {
    synchronized (CACHE) {
      e.users--;
      if (e.evicted && e.users == 0) {
        e.destroy();
      }
    }
  }

  /** How many entries are cached (for tests). */
  static int size() {
    synchronized (CACHE) {
      return CACHE.size();
    }
  }

  /** The implementations oneDNN chose for the cached primitives, e.g. {@code conv forward jit:avx2}. */
  static List<String> implementations() {
    synchronized (CACHE) {
      List<String> out = new ArrayList<>();
      CACHE.values().forEach(e -> out.addAll(e.implementations));
      return out;
    }
  }

  /** Whether float arrays go through oneDNN: it loads here. */
  static boolean useDnnl(INDArray... arrays) {
    for (INDArray a : arrays) {
      if (a != null && a.dataType() != DataType.FLOAT) {
        return false;
      }
    }
    return Dnnl.available();
  }

  /** {@code a} itself when oneDNN can read its storage as a plain 'c' array, else a 'c' copy. */
  static INDArray plain(INDArray a) {
    return Layout.plain(a);
  }

  /** A float array large enough for {@code md}; zeroed (blocked layouts may carry padded channels). */
  static INDArray allocate(dnnl_memory_desc_t md) {
    long floats = (dnnl_memory_desc_get_size(md) + Float.BYTES - 1) / Float.BYTES;
    INDArray a = Nd4j.create(DataType.FLOAT, Math.max(floats, 1));
    NativeMemory.allocated(a);
    return a;
  }

  /**
   * A zeroed array for {@code md} that this thread reuses for slot {@code slot} of entry {@code e} on every call:
   * only for arrays that never leave the kernel call (reorder destinations, blocked results reordered into a fresh
   * plain array). oneDNN keeps the padded channels of blocked layouts zero, so the array need not be cleared again.
   * A fresh array when {@link #reuseScratch} is off.
   */
  static INDArray scratch(Entry e, int slot, dnnl_memory_desc_t md) {
    if (!reuseScratch) {
      return allocate(md);
    }
    INDArray[] s = e.scratch.get();
    if (s == null) {
      s = new INDArray[8];
      e.scratch.set(s);
    }
    if (s[slot] == null) {
      s[slot] = allocate(md);
    }
    return s[slot];
  }

  /** Like {@link #scratch}, a plain 'c' float array of {@code shape} (not necessarily zeroed). */
  static INDArray scratch(Entry e, int slot, long[] shape) {
    if (!reuseScratch) {
      INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
      NativeMemory.allocated(a);
      return a;
    }
    INDArray[] s = e.scratch.get();
    if (s == null) {
      s = new INDArray[8];
      e.scratch.set(s);
    }
    if (s[slot] == null) {
      s[slot] = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
      NativeMemory.allocated(s[slot]);
    }
    return s[slot];
  }

  /** {@link #to} into this thread's scratch slot {@code slot} of {@code e}: the result must not leave the call. */
  static INDArray toScratch(Entry e, int slot, dnnl_primitive reorder, INDArray a, dnnl_memory_desc_t plainMd,
      dnnl_memory_desc_t md) {
    if (reorder == null) {
      return a;
    }
    INDArray out = scratch(e, slot, md);
    run(reorder, args().add(DNNL_ARG_FROM, plainMd, a).add(DNNL_ARG_TO, md, out));
    return out;
  }

  static dnnl_memory_desc_t md(int tag, long... dims) {
    return Dnnl.md(tag, dims);
  }

  /** Arguments of one execution: (kind, descriptor, array) triples. */
  static final class Args {
    private final int[] kinds = new int[12];
    private final dnnl_memory_desc_t[] mds = new dnnl_memory_desc_t[12];
    private final INDArray[] arrays = new INDArray[12];
    private int n;

    Args add(int kind, dnnl_memory_desc_t md, INDArray a) {
      if (a.dataType() != DataType.FLOAT || a.length() * Float.BYTES < dnnl_memory_desc_get_size(md)) {
        throw new IllegalArgumentException("oneDNN argument needs " + dnnl_memory_desc_get_size(md) / Float.BYTES
            + " floats, got " + a.dataType() + " of " + a.length());
      }
      kinds[n] = kind;
      mds[n] = md;
      arrays[n] = a;
      n++;
      return this;
    }

    /**
     * Like {@link #add}, for a float array read with its own strides ({@code md} made from the view's shape and
     * strides): its storage starts at the view's first element and may be longer than its element count.
     */
    Args addView(int kind, dnnl_memory_desc_t md, INDArray a) {
      if (a.dataType() != DataType.FLOAT) {
        throw new IllegalArgumentException("oneDNN argument needs float, got " + a.dataType());
      }
      kinds[n] = kind;
      mds[n] = md;
      arrays[n] = a;
      n++;
      return this;
    }
  }

  static Args args() {
    return new Args();
  }

  /** Runs {@code p} on this thread's stream, with this thread's scratchpad, and waits for it. */
  static void run(dnnl_primitive p, Args a) {
    dnnl_memory_desc_t scratchpadMd = SCRATCHPAD.get(p.address());
    if (scratchpadMd != null) {
      a.add(DNNL_ARG_SCRATCHPAD, scratchpadMd, scratchpad(scratchpadMd));
    }
    dnnl_memory[] mems = new dnnl_memory[a.n];
    dnnl_exec_arg_t exec = new dnnl_exec_arg_t(a.n);
    try {
      for (int i = 0; i < a.n; i++) {
        mems[i] = new dnnl_memory();
        Dnnl.check(dnnl_memory_create(mems[i], a.mds[i], Dnnl.engine(), a.arrays[i].data().addressPointer()),
            "memory object");
        exec.position(i).arg(a.kinds[i]).memory(mems[i]);
      }
      exec.position(0);
      dnnl_stream s = STREAM.get();
      Dnnl.check(dnnl_primitive_execute(p, s, a.n, exec), "executing a primitive");
      Dnnl.check(dnnl_stream_wait(s), "waiting for a stream");
    } finally {
      for (dnnl_memory m : mems) {
        if (m != null && !m.isNull()) {
          dnnl_memory_destroy(m);
        }
      }
      exec.close();
      Reference.reachabilityFence(a.arrays);
    }
  }

  /** {@code a} (plain, in {@code plainMd}) converted to {@code md} by {@code reorder}; {@code a} itself when null. */
  static INDArray to(dnnl_primitive reorder, INDArray a, dnnl_memory_desc_t plainMd, dnnl_memory_desc_t md) {
    if (reorder == null) {
      return a;
    }
    INDArray out = allocate(md);
    run(reorder, args().add(DNNL_ARG_FROM, plainMd, a).add(DNNL_ARG_TO, md, out));
    return out;
  }

  /** {@code a} (in {@code md}) converted into a new plain array of {@code shape}; a reshape of {@code a} when null. */
  static INDArray from(dnnl_primitive reorder, INDArray a, dnnl_memory_desc_t md, dnnl_memory_desc_t plainMd,
      long[] shape) {
    if (reorder == null) {
      return a.length() == Shape.lengthOf(shape) ? a.reshape('c', shape) : a;
    }
    INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
    run(reorder, args().add(DNNL_ARG_FROM, md, a).add(DNNL_ARG_TO, plainMd, out));
    return out;
  }
}
