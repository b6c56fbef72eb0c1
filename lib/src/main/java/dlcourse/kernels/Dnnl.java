package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The oneDNN C API as this package uses it: one CPU engine, memory descriptors, primitives built once and
 * executed with their arguments bound up front ({@link Call}), and buffers backed by ND4J arrays ({@link Buf}).
 * Shared by the kernels of this package and by {@code dlcourse.compile.CapturedCnnStep}.
 */
public final class Dnnl {
  private static volatile dnnl_engine engine;
  private static Throwable loadFailure;

  private Dnnl() {}

  /**
   * Whether the kernels may call oneDNN: its native library loads here and ND4J keeps arrays in host memory (on
   * ND4J's CUDA backend array buffers live on the GPU, so the kernels use ND4J's own ops instead). The reason when
   * not is in {@link #loadFailure()}.
   */
  public static boolean available() {
    // Asked before every kernel call: once the engine exists, no lock (the lock showed in profiles of small ops).
    return engine != null || load();
  }

  private static synchronized boolean load() {
    if (engine == null && loadFailure == null) {
      if (!Nd4j.getEnvironment().isCPU()) {
        loadFailure = new IllegalStateException("ND4J runs on " + Nd4j.getBackend().getClass().getSimpleName()
            + ", not the CPU: the kernels use ND4J's own ops");
        return false;
      }
      try {
        Loader.load(org.bytedeco.dnnl.global.dnnl.class);
        dnnl_engine e = new dnnl_engine();
        check(dnnl_engine_create(e, dnnl_cpu, 0), "creating the CPU engine");
        engine = e;
      } catch (Throwable t) {
        loadFailure = t;
      }
    }
    return engine != null;
  }

  public static synchronized Throwable loadFailure() {
    return loadFailure;
  }

  public static dnnl_engine engine() {
    if (!available()) {
      throw new IllegalStateException("oneDNN is not available on this platform: " + loadFailure);
    }
    return engine;
  }

  /**
   * Whether oneDNN runs AVX-512 kernels here (its effective ISA, which {@code ONEDNN_MAX_CPU_ISA} may lower below the
   * CPU's): those kernels work on 16-channel blocks, the AVX2 ones on 8.
   */
  public static boolean avx512() {
    engine(); // loads the library
    int isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core
        || (isa & dnnl_cpu_isa_avx512_mic) == dnnl_cpu_isa_avx512_mic;
  }

  public static dnnl_stream newStream() {
    dnnl_stream s = new dnnl_stream();
    check(dnnl_stream_create(s, engine(), dnnl_stream_default_flags), "creating a stream");
    return s;
  }

  public static void check(int status, String what) {
    if (status != dnnl_success) {
      throw new IllegalStateException("oneDNN: " + what + " failed (dnnl_status_t " + status + ")");
    }
  }

  /** A float memory descriptor of {@code dims} in layout {@code tag} ({@code dnnl_nchw}, {@code dnnl_format_tag_any}...). */
  public static dnnl_memory_desc_t md(int tag, long... dims) {
    dnnl_memory_desc_t m = new dnnl_memory_desc_t();
    check(dnnl_memory_desc_init_by_tag(m, dims.length, dims, dnnl_f32, tag), "memory descriptor " + Arrays.toString(
        dims));
    return m;
  }

  /** The region {@code dims} at {@code offsets} of {@code parent}, in the parent's layout. */
  public static dnnl_memory_desc_t region(dnnl_memory_desc_t parent, long[] dims, long[] offsets) {
    dnnl_memory_desc_t m = new dnnl_memory_desc_t();
    check(dnnl_memory_desc_init_submemory(m, parent, dims, offsets),
        "sub-memory " + Arrays.toString(dims) + " at " + Arrays.toString(offsets));
    return m;
  }

  public static boolean same(dnnl_memory_desc_t a, dnnl_memory_desc_t b) {
    return dnnl_memory_desc_equal(a, b) == 1;
  }

  /** A primitive descriptor for an operation descriptor (a {@code dnnl_*_desc_t}), optional attributes and hint. */
  public static dnnl_primitive_desc pd(Pointer opDesc, dnnl_primitive_attr attr, dnnl_primitive_desc hint,
      String what) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(opDesc), attr, engine(), hint), what);
    return pd;
  }

  public static dnnl_memory_desc_t query(dnnl_primitive_desc pd, int what) {
    return dnnl_primitive_desc_query_md(pd, what, 0);
  }

  /** The implementation oneDNN chose, e.g. {@code jit:avx2}; {@code ref} means its slow reference code. */
  public static String implementation(dnnl_primitive_desc pd) {
    PointerPointer<BytePointer> name = new PointerPointer<>(1L);
    check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, name), "querying the implementation");
    BytePointer s = name.get(BytePointer.class, 0);
    return s == null || s.isNull() ? "?" : s.getString();
  }

  public static dnnl_primitive primitive(dnnl_primitive_desc pd, String what) {
    dnnl_primitive p = new dnnl_primitive();
    check(dnnl_primitive_create(p, pd), what);
    return p;
  }

  /** Attributes with an element-wise ReLU after the primitive's own result. */
  public static dnnl_primitive_attr reluPostOp() {
    dnnl_post_ops ops = new dnnl_post_ops();
    check(dnnl_post_ops_create(ops), "post-ops");
    check(dnnl_post_ops_append_eltwise(ops, 1f, dnnl_eltwise_relu, 0f, 0f), "ReLU post-op");
    return attr(ops);
  }

  /** Attributes that make a reorder add into its destination instead of overwriting it. */
  public static dnnl_primitive_attr accumulate() {
    dnnl_post_ops ops = new dnnl_post_ops();
    check(dnnl_post_ops_create(ops), "post-ops");
    check(dnnl_post_ops_append_sum(ops, 1f), "sum post-op");
    return attr(ops);
  }

  private static dnnl_primitive_attr attr(dnnl_post_ops ops) {
    dnnl_primitive_attr a = new dnnl_primitive_attr();
    check(dnnl_primitive_attr_create(a), "primitive attributes");
    check(dnnl_primitive_attr_set_post_ops(a, ops), "setting post-ops");
    return a;
  }

  /** A copy from {@code from} to {@code to} (layout change, region copy, or with {@link #accumulate()} an add). */
  public static Call reorder(Buf from, Buf to, dnnl_primitive_attr attr, String name) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_reorder_primitive_desc_create(pd, from.md, engine(), to.md, engine(), attr), "reorder");
    return new Call(primitive(pd, name), name).arg(DNNL_ARG_FROM, from).arg(DNNL_ARG_TO, to);
  }

  /**
   * A buffer: a memory descriptor and a memory object over float storage. Storage is an ND4J array owned by the
   * buffer, or (for {@link #view}) whatever array {@link #bind} points it at before each use.
   */
  public static final class Buf {
    public final dnnl_memory_desc_t md;
    public final dnnl_memory mem;
    public INDArray array;

    private Buf(dnnl_memory_desc_t md, INDArray array) {
      this.md = md;
      this.mem = new dnnl_memory();
      this.array = array;
      check(dnnl_memory_create(mem, md, engine(), array == null ? null : array.data().addressPointer()),
          "memory object");
    }

    /** A zeroed buffer of the descriptor's size. */
    public static Buf allocate(dnnl_memory_desc_t md) {
      long floats = dnnl_memory_desc_get_size(md) / Float.BYTES;
      INDArray storage = Nd4j.create(DataType.FLOAT, Math.max(floats, 1));
      NativeMemory.allocated(storage);
      return new Buf(md, storage);
    }

    /** A region of {@code parent}, sharing its storage. */
    public static Buf region(Buf parent, long[] dims, long[] offsets) {
      Buf b = new Buf(Dnnl.region(parent.md, dims, offsets), null);
      b.array = parent.array;
      check(dnnl_memory_set_data_handle(b.mem, parent.array.data().addressPointer()), "binding a region");
      return b;
    }

    /** {@code parent}'s storage seen through another descriptor of the same size (a reshape). */
    public static Buf alias(Buf parent, dnnl_memory_desc_t md) {
      if (dnnl_memory_desc_get_size(md) != dnnl_memory_desc_get_size(parent.md)) {
        throw new IllegalArgumentException("an alias must have the size of its parent");
      }
      Buf b = new Buf(md, null);
      b.array = parent.array;
      check(dnnl_memory_set_data_handle(b.mem, parent.array.data().addressPointer()), "binding an alias");
      return b;
    }

    /** A descriptor without storage yet; {@link #bind} gives it some. */
    public static Buf view(dnnl_memory_desc_t md) {
      return new Buf(md, null);
    }

    /** Points this buffer at {@code a}, which must be a float array in the descriptor's plain layout. */
    public void bind(INDArray a) {
      if (a != array) {
        if (a.dataType() != DataType.FLOAT || !Layout.isPlain(a)
            || a.length() * Float.BYTES != dnnl_memory_desc_get_size(md)) {
          throw new IllegalArgumentException("oneDNN buffer needs a contiguous float array of "
              + dnnl_memory_desc_get_size(md) / Float.BYTES + " elements, got " + a.dataType() + " "
              + Arrays.toString(a.shape()) + (a.isView() ? " (a view)" : ""));
        }
        check(dnnl_memory_set_data_handle(mem, a.data().addressPointer()), "binding a buffer");
        array = a;
      }
    }
  }

  /**
   * A primitive with its arguments bound once, or a host step between primitives (Java code on the buffers, e.g. a
   * dropout mask); {@link #run} executes it.
   */
  public static final class Call {
    private final dnnl_primitive primitive;
    private final Runnable host;
    private final String name;
    private final List<int[]> kinds = new ArrayList<>();
    private final List<Buf> bufs = new ArrayList<>();
    private dnnl_exec_arg_t args;

    public Call(dnnl_primitive primitive, String name) {
      this.primitive = primitive;
      this.host = null;
      this.name = name;
    }

    /** A host step: {@code host} runs in order with the primitives (this package's streams execute synchronously). */
    public Call(String name, Runnable host) {
      this.primitive = null;
      this.host = java.util.Objects.requireNonNull(host, "host");
      this.name = name;
    }

    public Call arg(int kind, Buf buf) {
      kinds.add(new int[] {kind});
      bufs.add(buf);
      args = null;
      return this;
    }

    private long nanos;
    private long runs;

    public String name() {
      return name;
    }

    /** Total time spent in {@link #run} so far, in nanoseconds, and how many runs. */
    public long nanos() {
      return nanos;
    }

    public long runs() {
      return runs;
    }

    public void resetTiming() {
      nanos = 0;
      runs = 0;
    }

    public void run(dnnl_stream stream) {
      long t0 = System.nanoTime();
      if (host != null) {
        host.run();
      } else {
        execute(stream);
      }
      nanos += System.nanoTime() - t0;
      runs++;
    }

    private void execute(dnnl_stream stream) {
      if (args == null) {
        args = new dnnl_exec_arg_t(bufs.size());
        for (int i = 0; i < bufs.size(); i++) {
          args.position(i).arg(kinds.get(i)[0]).memory(bufs.get(i).mem);
        }
        args.position(0);
      }
      check(dnnl_primitive_execute(primitive, stream, bufs.size(), args), name);
    }
  }
}
