package dlcourse.tensor;

import dlcourse.kernels.Buffers;
import dlcourse.kernels.ConcatKernel;
import dlcourse.kernels.Gemm;
import dlcourse.kernels.Layout;
import dlcourse.kernels.MatmulKernel;
import dlcourse.kernels.NativeMemory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * An n-dimensional array with reverse-mode automatic differentiation, like {@code torch.Tensor}: the value is an
 * ND4J {@link INDArray} ({@link #array()}), and every operation on tensors that {@link #requiresGrad()} records
 * itself on a tape so that {@link #backward()} can compute the gradients of the leaves ({@link #grad()}).
 *
 * <pre>{@code
 * Tensor w = Tensor.of(Nd4j.rand(3, 2)).requiresGrad(true);
 * Tensor loss = x.matmul(w).tanh().pow(2).mean();
 * loss.backward();            // w.grad() now holds d loss / d w
 * }</pre>
 *
 * <p>Operations run eagerly, so a model's {@code forward} is ordinary Java: loops, branches, shapes that change
 * from call to call. Arithmetic broadcasts like numpy. Gradients of leaves accumulate over backward passes until
 * {@link #zeroGrad()} (an optimizer's {@code zeroGrad()}), as in PyTorch; the tape of a pass is freed by its
 * {@code backward()}. Under {@link #noGrad()} nothing is recorded.
 */
public class Tensor {
  private INDArray data;
  private boolean requiresGrad;
  final Node gradFn;
  private Tensor grad;
  /** Whether {@link #grad}'s array was allocated by {@link #accumulate} and is referenced by nothing else. */
  private boolean gradOwned;
  /** Shared by a tensor and the views made from it, bumped by every in-place change. */
  private final int[] version;

  /** A leaf holding {@code data} (not copied); subclasses such as parameters start here. */
  protected Tensor(INDArray data, boolean requiresGrad) {
    this(data, null, new int[1]);
    if (requiresGrad) {
      requiresGrad(true);
    }
  }

  private Tensor(INDArray data, Node gradFn, int[] version) {
    if (data == null) {
      throw new IllegalArgumentException("a tensor needs an array, got null");
    }
    this.data = data;
    this.gradFn = gradFn;
    this.requiresGrad = gradFn != null;
    this.version = version;
  }

  // ---------------------------------------------------------------- creation

  /** A tensor over {@code array} (not copied) that does not require a gradient; see {@link #requiresGrad(boolean)}. */
  public static Tensor of(INDArray array) {
    return new Tensor(array, false);
  }

  /** A float vector of the given values, like {@code torch.tensor([...])}. */
  public static Tensor of(double... values) {
    return of(Nd4j.createFromArray(values).castTo(DataType.FLOAT));
  }

  /** A float scalar (shape {@code ()}). */
  public static Tensor scalar(double value) {
    return of(Nd4j.scalar(DataType.FLOAT, value));
  }

  public static Tensor zeros(long... shape) {
    return of(Nd4j.zeros(DataType.FLOAT, shape));
  }

  public static Tensor ones(long... shape) {
    return of(Nd4j.ones(DataType.FLOAT, shape));
  }

  /** Standard normal float values from a seeded generator, like {@code torch.randn(shape, generator=g)}. */
  public static Tensor randn(long seed, long... shape) {
    java.util.Random rng = new java.util.Random(seed);
    float[] v = new float[Math.toIntExact(Shapes.numel(shape))];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return of(Nd4j.createFromArray(v).reshape(shape));
  }

  /**
   * Turns recording off on this thread until the returned object is closed, like {@code torch.no_grad()}:
   * {@code try (var g = Tensor.noGrad()) { ... }}.
   */
  public static GradMode noGrad() {
    return new GradMode(false);
  }

  /** Turns recording back on inside a {@link #noGrad()} block, like {@code torch.enable_grad()}. */
  public static GradMode enableGrad() {
    return new GradMode(true);
  }

  // ---------------------------------------------------------------- properties

  /** The value. Changing it in place bypasses the in-place checks: prefer the tensor's own in-place methods. */
  public INDArray array() {
    return data;
  }

  /** The shape, a copy (ND4J's own {@code shape()} returns its internal array, which must never be changed). */
  public long[] shape() {
    return data.shape().clone();
  }

  /** Size along {@code dim}; negative counts from the end. */
  public long size(int dim) {
    return data.size(Shapes.axis(dim, data.rank()));
  }

  public int dim() {
    return data.rank();
  }

  public long numel() {
    return data.length();
  }

  public DataType dtype() {
    return data.dataType();
  }

  /** Whether gradients flow to or through this tensor. */
  public boolean requiresGrad() {
    return requiresGrad;
  }

  /**
   * Asks for (or stops asking for) this leaf's gradient, like {@code requires_grad_()}; returns this tensor.
   *
   * @throws IllegalStateException on a tensor computed by recorded operations (use {@link #detach()} first)
   */
  public Tensor requiresGrad(boolean requiresGrad) {
    if (gradFn != null) {
      throw new IllegalStateException("requiresGrad can only be changed on a leaf tensor; this one was computed by '"
          + gradFn.name + "' (call detach() first)");
    }
    if (requiresGrad && !data.dataType().isFPType()) {
      throw new IllegalArgumentException("only floating-point tensors can require gradients, got " + data.dataType());
    }
    this.requiresGrad = requiresGrad;
    return this;
  }

  /** Whether this tensor was made by the user rather than computed by a recorded operation. */
  public boolean isLeaf() {
    return gradFn == null;
  }

  /** The name of the operation that computed this tensor ({@code "matmul"}), or null for a leaf. */
  public String gradFnName() {
    return gradFn == null ? null : gradFn.name;
  }

  /** The accumulated gradient of a leaf after {@link #backward()}, or null before the first (or after a reset). */
  public Tensor grad() {
    return grad;
  }

  /** Replaces the gradient (null clears it); for optimizers and gradient clipping. */
  public void grad(Tensor grad) {
    if (grad != null && !Arrays.equals(grad.shape(), shape())) {
      throw new IllegalArgumentException("gradient of shape " + Shapes.str(grad.shape()) + " for a tensor of shape "
          + Shapes.str(shape()));
    }
    this.grad = grad;
    gradOwned = false;
  }

  /** Clears the gradient, like {@code x.grad = None}. */
  public void zeroGrad() {
    grad = null;
    gradOwned = false;
  }

  /** Replaces the value by another array (a dtype conversion of a parameter); only for leaves. */
  protected void replaceArray(INDArray array) {
    if (gradFn != null || array == null) {
      throw new IllegalStateException("only a leaf's array can be replaced, with a non-null array");
    }
    data = array;
    version[0]++;
  }

  /** The number of in-place changes made to this tensor's storage so far (shared with its views). */
  public int version() {
    return version[0];
  }

  /** The value of a one-element tensor. */
  public double item() {
    if (data.length() != 1) {
      throw new IllegalStateException("item() needs a tensor with one element, got shape " + Shapes.str(shape()));
    }
    return data.getDouble(0);
  }

  /** The same values, cut from the tape: no gradient flows through the result (shares storage). */
  public Tensor detach() {
    return new Tensor(data, null, version);
  }

  /** A copy with its own storage; gradients flow through it. */
  public Tensor clone() {
    return record("clone", data.dup(), new Tensor[] {this}, g -> new INDArray[] {g});
  }

  // ---------------------------------------------------------------- backward

  /**
   * Computes the gradient of this scalar with respect to every leaf it depends on and adds it to their
   * {@link #grad()}. The tape is freed afterwards.
   *
   * @throws IllegalStateException if this tensor is not a scalar or does not depend on anything requiring a gradient
   */
  public void backward() {
    if (data.length() != 1) {
      throw new IllegalStateException("backward() needs a scalar, got shape " + Shapes.str(shape())
          + "; call backward(gradient) with the gradient of the loss with respect to this tensor");
    }
    backward(Tensor.of(filledLike(data, 1)), false);
  }

  /** Backward pass with {@code gradient} as d loss / d this (shaped like this tensor); the tape is freed. */
  public void backward(Tensor gradient) {
    backward(gradient, false);
  }

  /**
   * Backward pass with {@code gradient} as d loss / d this; with {@code retainGraph} the tape is kept for another
   * backward pass, as {@code backward(retain_graph=True)}.
   */
  public void backward(Tensor gradient, boolean retainGraph) {
    if (!requiresGrad) {
      throw new IllegalStateException("backward(): this tensor does not require a gradient and was not computed from"
          + " one that does (set requiresGrad(true) on the leaves, outside noGrad())");
    }
    if (!Arrays.equals(gradient.shape(), shape())) {
      throw new IllegalArgumentException("backward(gradient): gradient shape " + Shapes.str(gradient.shape())
          + " does not match the tensor's shape " + Shapes.str(shape()));
    }
    Set<INDArray> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
    handedOut.add(gradient.data); // the caller's array must not become a leaf's gradient
    if (gradFn == null) {
      accumulate(gradient.data, handedOut);
      return;
    }
    List<Node> tape = tape(gradFn);
    Map<Node, INDArray> pending = new IdentityHashMap<>(tape.size());
    // Sums this pass made of several gradients of one non-leaf, each held by that one pending entry only: they may
    // be added to in place (an entry taken by its node leaves the set, as the node may pass it on to several inputs).
    Set<INDArray> ownedSums = Collections.newSetFromMap(new IdentityHashMap<>());
    pending.put(gradFn, gradient.data);
    // Gradients this pass took from the buffer pool go back to it once consumed (see releaseConsumed).
    boolean recycle = Buffers.enabled() && !retainGraph;
    List<INDArray> consumed = recycle ? new ArrayList<>() : null;
    if (recycle) {
      Buffers.beginPass();
    }
    Map<Object, Deferred> deferredBefore = DEFERRED.get();
    Map<Object, Deferred> deferred = new java.util.LinkedHashMap<>();
    DEFERRED.set(deferred);
    try (var g = noGrad()) {
      for (Node node : tape) {
        INDArray gy = pending.remove(node);
        if (gy == null) {
          continue;
        }
        ownedSums.remove(gy);
        INDArray[] into = node.accumulates && accumulateInPlace ? accumulators(node, pending, ownedSums) : null;
        long started = Profiler.backwardStart();
        INDArray[] grads = into == null ? node.run(gy) : node.run(gy, into);
        Profiler.backward(node.name, started);
        for (int i = 0; i < grads.length; i++) {
          if (grads[i] != null && grads[i] != gy && (into == null || grads[i] != into[i])) {
            NativeMemory.allocated(grads[i]);
          }
        }
        for (int i = 0; i < grads.length; i++) {
          Tensor in = node.inputs[i];
          if (grads[i] == null || !in.requiresGrad) {
            continue;
          }
          if (into != null && into[i] != null && grads[i] == into[i]) {
            continue; // the backward pass added this gradient into the array the engine offered
          }
          if (!Arrays.equals(grads[i].shape(), in.shape())) {
            throw new IllegalStateException(node.name + ": the gradient of input " + i + " has shape "
                + Shapes.str(grads[i].shape()) + ", the input " + Shapes.str(in.shape()));
          }
          if (in.gradFn == null) {
            in.accumulate(grads[i], handedOut);
          } else {
            INDArray before = pending.get(in.gradFn);
            if (before == null) {
              pending.put(in.gradFn, grads[i]);
              if (node.freshGradients && grads[i] != gy && (into == null || grads[i] != into[i])) {
                ownedSums.add(grads[i]); // a new array nothing else references: later gradients may add into it
              }
            } else if (ownedSums.contains(before) && before.dataType() == grads[i].dataType()) {
              before.addi(grads[i]);
              if (recycle) {
                consumed.add(grads[i]);
              }
            } else {
              INDArray sum = arithPool && before.dataType() == grads[i].dataType()
                  ? before.add(grads[i], Buffers.take(before.dataType(), before.shape())) // back to the pool once used
                  : before.add(grads[i]);
              ownedSums.add(sum);
              pending.put(in.gradFn, sum);
              if (recycle) {
                consumed.add(before);
                consumed.add(grads[i]);
              }
            }
          }
        }
        if (recycle && node.releasesGradient) {
          consumed.add(gy);
        }
        if (recycle && node.recycleAfterRun != null) {
          for (INDArray a : node.recycleAfterRun) {
            Buffers.recycle(a);
          }
          node.recycleAfterRun = null;
        }
        if (recycle && !consumed.isEmpty()) {
          releaseConsumed(consumed, pending, handedOut);
        }
        if (!retainGraph) {
          node.free();
        }
      }
      for (Deferred work : deferred.values()) { // after every node: each leaf has its other gradients by now
        long started = Profiler.backwardStart();
        Tensor[] leaves = work.leaves();
        INDArray[] into = new INDArray[leaves.length];
        for (int i = 0; i < leaves.length; i++) {
          Tensor leaf = leaves[i];
          into[i] = leaf != null && leaf.grad != null && leaf.gradOwned && accumulateInPlace ? leaf.grad.data : null;
        }
        INDArray[] grads = work.gradients(into);
        Profiler.backward(work.name(), started);
        for (int i = 0; i < leaves.length; i++) {
          if (leaves[i] != null && grads[i] != null && grads[i] != into[i]) {
            NativeMemory.allocated(grads[i]);
            leaves[i].accumulate(grads[i], handedOut);
          }
        }
      }
    } finally {
      DEFERRED.set(deferredBefore);
      if (recycle) {
        Buffers.endPass();
      }
    }
  }

  /**
   * Gradient work an operation's backward pass leaves to the end of the pass: gradients of leaves that are cheaper
   * computed once from everything the pass collected, such as a recurrent weight's gradient as one GEMM over all time
   * steps ({@code F.batchWeightGradients}) instead of one per step. Registered with {@link #deferred}.
   */
  public interface Deferred {
    /** The operation's name in the profiler. */
    String name();

    /** The leaves whose gradients {@link #gradients} returns, in order (null entries are skipped). */
    Tensor[] leaves();

    /**
     * Each leaf's gradient: added into {@code into[i]} when that is not null (an array shaped like the leaf that only
     * the engine references, its gradient so far) and that array returned, or a new array the engine adds.
     */
    INDArray[] gradients(INDArray[] into);
  }

  private static final ThreadLocal<Map<Object, Deferred>> DEFERRED = new ThreadLocal<>();

  /**
   * The work registered under {@code key} in the backward pass running on this thread, made by {@code create} the
   * first time; the engine runs each once that pass has run every recorded operation, in the order of registration.
   * Null outside a backward pass (the caller then computes its gradients at once).
   */
  public static <T extends Deferred> T deferred(Object key, java.util.function.Supplier<T> create) {
    Map<Object, Deferred> pass = DEFERRED.get();
    if (pass == null) {
      return null;
    }
    @SuppressWarnings("unchecked")
    T work = (T) pass.computeIfAbsent(key, k -> create.get());
    return work;
  }

  /**
   * Gives the consumed gradients that this pass took from the buffer pool back to it, unless the engine still holds
   * an array sharing their memory: a pending gradient, or one a leaf adopted (or the caller's seed, in
   * {@code handedOut}). A node's backward pass may return its incoming gradient or a view of it as an input's
   * gradient, which lands in one of those and so keeps it out of the pool.
   */
  private static void releaseConsumed(List<INDArray> consumed, Map<Node, INDArray> pending, Set<INDArray> handedOut) {
    for (INDArray c : consumed) {
      INDArray x = Buffers.takenThisPass(c); // c itself, or the array c is a view of (a reshaped gradient)
      if (x == null || aliased(x, pending.values()) || aliased(x, handedOut)) {
        continue;
      }
      Buffers.give(x);
    }
    consumed.clear();
  }

  private static boolean aliased(INDArray x, java.util.Collection<INDArray> held) {
    for (INDArray h : held) {
      if (Buffers.overlaps(x, h)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether backward passes may add into the engine's accumulators ({@link AccumulatingBackward}); off, each gradient
   * is a new array the engine adds ({@code -Ddlcourse.tensor.accumulate=false}, for A/B timings).
   */
  static volatile boolean accumulateInPlace = !"false".equals(System.getProperty("dlcourse.tensor.accumulate"));

  /**
   * For a node whose backward pass can accumulate ({@link AccumulatingBackward}): per input, the array its gradient
   * may be added into in place, where the engine holds one that nothing else references: a leaf's gradient that an
   * earlier accumulation allocated, or a sum of gradients of a non-leaf made in this pass; null elsewhere.
   */
  private static INDArray[] accumulators(Node node, Map<Node, INDArray> pending, Set<INDArray> ownedSums) {
    INDArray[] into = new INDArray[node.inputs.length];
    for (int i = 0; i < into.length; i++) {
      Tensor in = node.inputs[i];
      if (!in.requiresGrad) {
        continue;
      }
      INDArray acc;
      if (in.gradFn == null) {
        acc = in.grad != null && in.gradOwned ? in.grad.data : null;
      } else {
        acc = pending.get(in.gradFn);
        acc = acc != null && ownedSums.contains(acc) ? acc : null;
      }
      if (acc != null && acc.dataType() == in.data.dataType() && Arrays.equals(acc.shape(), in.shape())) {
        into[i] = acc;
      }
    }
    return into;
  }

  private void accumulate(INDArray g, Set<INDArray> handedOut) {
    if (grad == null) {
      // One array may reach several leaves (x + y sends the same gradient to both): give each its own copy so that
      // changing one gradient in place (clipping) cannot change another.
      INDArray own = handedOut.add(g) ? g : g.dup();
      grad = new Tensor(own.dataType() == data.dataType() ? own : own.castTo(data.dataType()), false);
      gradOwned = false;
    } else if (gradOwned && g.dataType() == grad.data.dataType()) {
      grad.data.addi(g); // in place, as PyTorch accumulates: the array is ours alone (the sum of an earlier add)
    } else {
      grad = new Tensor(grad.data.add(g), false);
      gradOwned = true;
    }
  }

  /** Numbers the orderings of the tape, so that a node's {@link Node#visited} mark needs no per-pass set. */
  private static final java.util.concurrent.atomic.AtomicInteger PASSES =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * The nodes reachable from {@code root}, each before the nodes of its inputs (reverse topological order). A node
   * reached in this ordering is marked with its number instead of being put in an identity set (a tape of 100 tiny
   * ops spent a fifth of its backward time hashing); passes on other threads through the same nodes are not
   * supported anyway (the first frees the tape).
   */
  private static List<Node> tape(Node root) {
    int pass = PASSES.incrementAndGet();
    if (pass == 0) {
      pass = PASSES.incrementAndGet(); // 0 is the mark of a node never reached
    }
    List<Node> order = new ArrayList<>();
    // Iterative depth-first search: a long chain (an RNN over many steps) would overflow a recursive one.
    List<Node> stack = new ArrayList<>();
    int[] next = new int[16];
    stack.add(root);
    root.visited = pass;
    while (!stack.isEmpty()) {
      int top = stack.size() - 1;
      Node n = stack.get(top);
      int i = next[top];
      if (i < n.inputs.length) {
        next[top] = i + 1;
        Node in = n.inputs[i].gradFn;
        if (in != null && n.inputs[i].requiresGrad && in.visited != pass) {
          in.visited = pass;
          stack.add(in);
          if (stack.size() > next.length) {
            next = Arrays.copyOf(next, 2 * next.length);
          }
          next[stack.size() - 1] = 0;
        }
      } else {
        order.add(n);
        stack.remove(top);
      }
    }
    Collections.reverse(order);
    return order;
  }

  // ---------------------------------------------------------------- recording

  /**
   * The result of an operation: recorded with its backward pass when grad mode is on and an input requires a
   * gradient, else a plain tensor. For operations written outside this class ({@code dlcourse.nn.F}); custom
   * operations with a hand-written backward pass extend {@link AutogradFunction}.
   *
   * @param name the operation's name in error messages
   * @param value the output value
   * @param inputs the tensors the output depends on
   * @param backward gradient of the output to one gradient per input (null for inputs without one)
   * @param saved the inputs whose values the backward pass reads (in-place changes to them are then an error)
   */
  public static Tensor record(String name, INDArray value, Tensor[] inputs, Backward backward, Tensor... saved) {
    return record(name, value, inputs, saved, () -> new Node(name, inputs, backward::apply));
  }

  private static Tensor record(String name, INDArray value, Tensor[] inputs, Tensor[] saved,
      java.util.function.Supplier<Node> node) {
    NativeMemory.allocated(value);
    Profiler.forward(name);
    boolean any = false;
    for (Tensor t : inputs) {
      any |= t.requiresGrad;
    }
    if (!any || !GradMode.isEnabled()) {
      return new Tensor(value, false);
    }
    Node n = node.get();
    n.save(saved);
    return new Tensor(value, n, new int[1]);
  }

  /**
   * Lets the engine give {@code t}'s memory back to the buffer pool ({@code kernels.Buffers}) once the backward pass
   * has run the operation that computed {@code t} (and so every operation that used {@code t} on that tape). For an
   * operation's own intermediate results that its caller never sees, such as the attention weights inside
   * {@code F.scaledDotProductAttention}: nothing may read {@code t} after that backward pass. A leaf, a tensor not
   * recorded, or a view is left alone; without a backward pass (or with {@code retainGraph}) the collector frees it as
   * usual.
   */
  public static void recycleAfterBackward(Tensor t) {
    if (t.gradFn == null || t.data.isView()) {
      return;
    }
    INDArray[] r = t.gradFn.recycleAfterRun;
    t.gradFn.recycleAfterRun = r == null ? new INDArray[] {t.data} : append(r, t.data);
  }

  /**
   * Like {@link #recycleAfterBackward(Tensor)} for arrays that only the backward pass of the operation that computed
   * {@code t} reads (what that operation saved for it, e.g. {@code F}'s fused attention heads and weights); they go
   * back to the buffer pool once that backward pass has run. Nothing else may hold them.
   */
  public static void recycleAfterBackward(Tensor t, INDArray... arrays) {
    if (t.gradFn == null) {
      return;
    }
    for (INDArray a : arrays) {
      t.gradFn.recycleAfterRun = t.gradFn.recycleAfterRun == null ? new INDArray[] {a}
          : append(t.gradFn.recycleAfterRun, a);
    }
  }

  private static INDArray[] append(INDArray[] a, INDArray x) {
    INDArray[] b = Arrays.copyOf(a, a.length + 1);
    b[a.length] = x;
    return b;
  }

  /**
   * The backward pass of a recorded operation: gradient of the output in, one gradient per input out. It must not keep
   * a reference to {@code gradOutput} after it returns (returning it, or a view of it, is fine): the engine may reuse
   * that array's memory for later gradients ({@code kernels.Buffers}). Code that keeps it extends
   * {@link AutogradFunction}.
   */
  @FunctionalInterface
  public interface Backward {
    INDArray[] apply(INDArray gradOutput);
  }

  /**
   * A backward pass that can add an input's gradient straight into the array it accumulates in (a GEMM with
   * beta = 1 instead of a temporary and an add). {@code into[i]}, where not null, is an array shaped and typed like
   * input {@code i} that the engine would add this input's gradient to (a parameter's {@code .grad} from an
   * earlier use of it in the same or an earlier pass, or the running sum of a tensor used several times); nothing
   * else references it. To use it, add the gradient into {@code into[i]} in place and return that same array for
   * input {@code i}; to decline, return a new array as a plain {@link Backward} would (the engine adds it).
   */
  @FunctionalInterface
  public interface AccumulatingBackward {
    INDArray[] apply(INDArray gradOutput, INDArray[] into);

    /**
     * The matrix product {@code op(a) op(b)} ({@code op} transposes where asked) as a new array when {@code into} is
     * null, else added into {@code into} (any shape with as many elements, seen as the product's matrix) by one
     * GEMM with beta = 1, and {@code into} returned. An {@code into} that is a view, not 'c' ordered or of another
     * type is declined (a new array).
     */
    static INDArray gemm(INDArray a, INDArray b, boolean transA, boolean transB, INDArray into) {
      long rows = transA ? a.size(1) : a.size(0);
      long cols = transB ? b.size(0) : b.size(1);
      if (into != null && into.dataType() == a.dataType() && into.dataType() == b.dataType()
          && Layout.isPlain(into) && into.length() == rows * cols) {
        INDArray c = into.rank() == 2 && into.size(0) == rows ? into : into.reshape('c', rows, cols);
        if (Gemm.supports(a, b, c)) {
          Gemm.gemm(a, transA, b, transB, c, 1f);
        } else {
          Nd4j.gemm(a, b, c, transA, transB, 1.0, 1.0);
        }
        return into;
      }
      return Gemm.supports(a, b) ? Gemm.gemm(a, transA, b, transB, null, 0f) : Nd4j.gemm(a, b, transA, transB);
    }
  }

  /**
   * {@link #record(String, INDArray, Tensor[], Backward, Tensor...)} with a backward pass that may accumulate its
   * input gradients in place ({@link AccumulatingBackward}).
   */
  public static Tensor record(String name, INDArray value, Tensor[] inputs, AccumulatingBackward backward,
      Tensor... saved) {
    return record(name, value, inputs, saved, () -> new Node(name, inputs, backward::apply));
  }

  /**
   * {@link #record(String, INDArray, Tensor[], AccumulatingBackward, Tensor...)} for a backward pass whose returned
   * gradients (other than an {@code into} array) are new arrays that nothing else references, each for one input:
   * the engine may then add later gradients of that input into them in place.
   */
  public static Tensor recordFresh(String name, INDArray value, Tensor[] inputs, AccumulatingBackward backward,
      Tensor... saved) {
    Tensor t = record(name, value, inputs, backward, saved);
    if (t.gradFn != null) {
      t.gradFn.freshGradients = true;
    }
    return t;
  }

  private Tensor unary(String name, INDArray value, Backward backward, Tensor... saved) {
    return record(name, value, new Tensor[] {this}, backward, saved);
  }

  /** A view of this tensor's storage (reshape, permute): shares the version counter so in-place checks see it. */
  private Tensor view(String name, INDArray value, Backward backward) {
    Tensor t = record(name, value, new Tensor[] {this}, backward);
    return t.gradFn == null ? new Tensor(value, null, version) : new Tensor(value, t.gradFn, version);
  }

  // ---------------------------------------------------------------- arithmetic (numpy broadcasting)

  public Tensor add(Tensor o) {
    long[] a = shape(), b = o.shape();
    INDArray y = arith(o, Arith.ADD);
    return record("add", y, new Tensor[] {this, o}, g -> new INDArray[] {sumTo(g, a), sumTo(g, b)});
  }

  public Tensor sub(Tensor o) {
    long[] a = shape(), b = o.shape();
    INDArray y = arith(o, Arith.SUB);
    return record("sub", y, new Tensor[] {this, o}, g -> new INDArray[] {sumTo(g, a), sumTo(g.neg(), b)});
  }

  public Tensor mul(Tensor o) {
    INDArray x = data, z = o.data;
    INDArray y = arith(o, Arith.MUL);
    return record("mul", y, new Tensor[] {this, o},
        g -> new INDArray[] {sumTo(g.mul(z), x.shape()), sumTo(g.mul(x), z.shape())}, this, o);
  }

  public Tensor div(Tensor o) {
    INDArray x = data, z = o.data;
    INDArray y = arith(o, Arith.DIV);
    return record("div", y, new Tensor[] {this, o}, g -> new INDArray[] {
      sumTo(g.div(z), x.shape()), sumTo(g.mul(x).div(z.mul(z)).negi(), z.shape())}, this, o);
  }

  public Tensor add(double c) {
    return unary("add", data.add(c), g -> new INDArray[] {g});
  }

  public Tensor sub(double c) {
    return unary("sub", data.sub(c), g -> new INDArray[] {g});
  }

  public Tensor mul(double c) {
    return unary("mul", data.mul(c), g -> new INDArray[] {g.mul(c)});
  }

  public Tensor div(double c) {
    return unary("div", data.div(c), g -> new INDArray[] {g.div(c)});
  }

  /** {@code c - this}. */
  public Tensor rsub(double c) {
    return unary("rsub", data.rsub(c), g -> new INDArray[] {g.neg()});
  }

  public Tensor neg() {
    return unary("neg", data.neg(), g -> new INDArray[] {g.neg()});
  }

  public Tensor pow(double p) {
    INDArray x = data;
    return unary("pow", Transforms.pow(x, p, true),
        g -> new INDArray[] {g.mul(Transforms.pow(x, p - 1, true)).muli(p)}, this);
  }

  public Tensor exp() {
    INDArray y = Transforms.exp(data, true);
    return unary("exp", y, g -> new INDArray[] {g.mul(y)});
  }

  public Tensor log() {
    INDArray x = data;
    return unary("log", Transforms.log(x, true), g -> new INDArray[] {g.div(x)}, this);
  }

  public Tensor sqrt() {
    INDArray y = Transforms.sqrt(data, true);
    return unary("sqrt", y, g -> new INDArray[] {g.div(y).muli(0.5)});
  }

  public Tensor abs() {
    INDArray x = data;
    return unary("abs", Transforms.abs(x, true), g -> new INDArray[] {g.mul(Transforms.sign(x, true))}, this);
  }

  public Tensor tanh() {
    INDArray y = Transforms.tanh(data, true);
    return unary("tanh", y, g -> new INDArray[] {g.mul(y.mul(y).rsubi(1))});
  }

  public Tensor sigmoid() {
    INDArray y = Transforms.sigmoid(data, true);
    return unary("sigmoid", y, g -> new INDArray[] {g.mul(y).muli(y.rsub(1))});
  }

  public Tensor relu() {
    INDArray y = Transforms.relu(data, true);
    // step(y) is the mask y > 0 as 1 or 0 in y's type, a fresh array that g is multiplied into: one op and one
    // array fewer than a boolean mask cast to the type (3x faster on a conv activation of 64x16x28x28).
    return unary("relu", y, g -> new INDArray[] {Transforms.step(y, true).muli(g)});
  }

  /** Values clamped to [min, max]; the gradient is zero where a bound applies. */
  public Tensor clamp(double min, double max) {
    INDArray x = data;
    INDArray y = Transforms.min(Transforms.max(x, min, true), max, false);
    return unary("clamp", y, g -> new INDArray[] {
      g.mul(x.gte(min).castTo(g.dataType())).muli(x.lte(max).castTo(g.dataType()))}, this);
  }

  // ---------------------------------------------------------------- matrix product

  /**
   * Matrix product over the last two dimensions: (n, k) x (k, m) -> (n, m); (B..., n, k) x (B..., k, m) ->
   * (B..., n, m) with equal batch dimensions; (B..., n, k) x (k, m) -> (B..., n, m) with a shared right matrix.
   */
  public Tensor matmul(Tensor o) {
    sameType(o, "matmul");
    long[] a = shape(), b = o.shape();
    if (a.length < 2 || b.length < 2 || a[a.length - 1] != b[b.length - 2]) {
      throw new IllegalArgumentException("matmul: shapes " + Shapes.str(a) + " and " + Shapes.str(b) + " do not align");
    }
    INDArray x = data, w = o.data;
    if (b.length == 2 && a.length > 2) {
      // (..., n, k) x (k, m): fold the leading dimensions into rows so one GEMM does it.
      long rows = x.length() / a[a.length - 1];
      INDArray x2 = x.reshape(rows, a[a.length - 1]);
      long[] out = a.clone();
      out[out.length - 1] = b[1];
      INDArray y = AccumulatingBackward.gemm(x2, w, false, false, null).reshape(out);
      return record("matmul", y, new Tensor[] {this, o}, (g, into) -> {
        INDArray g2 = g.reshape(rows, b[1]);
        // A right side used again already has its .grad: its GEMM adds into it (beta 1)
        INDArray gw = AccumulatingBackward.gemm(x2, g2, true, false, into[1]);
        return new INDArray[] {AccumulatingBackward.gemm(g2, w, false, true, null).reshape(a), gw};
      }, this, o);
    }
    if (a.length != b.length || !Arrays.equals(Arrays.copyOf(a, a.length - 2), Arrays.copyOf(b, b.length - 2))) {
      throw new IllegalArgumentException("matmul: batch dimensions of " + Shapes.str(a) + " and " + Shapes.str(b)
          + " differ");
    }
    if (a.length == 2) {
      INDArray y = AccumulatingBackward.gemm(x, w, false, false, null);
      return record("matmul", y, new Tensor[] {this, o}, (g, into) -> {
        INDArray gx = requiresGrad() ? AccumulatingBackward.gemm(g, w, false, true, into[0]) : null;
        INDArray gw = o.requiresGrad() ? AccumulatingBackward.gemm(x, g, true, false, into[1]) : null;
        return new INDArray[] {gx, gw};
      }, this, o);
    }
    if (a.length == 3 && a[1] == 1 && x.dataType() == DataType.FLOAT) {
      return rowBatchMatmul(o);
    }
    if (MatmulKernel.supports(x, w)) {
      // oneDNN reads the views (heads, transposes) in place; a reused operand's gradient is added into its sum
      INDArray y = MatmulKernel.matmul(x, false, w, false, null);
      return record("matmul", y, new Tensor[] {this, o}, (g, into) -> new INDArray[] {
        requiresGrad() ? MatmulKernel.matmul(g, false, w, true, into[0]) : null,
        o.requiresGrad() ? MatmulKernel.matmul(x, true, g, false, into[1]) : null}, this, o);
    }
    INDArray y = Nd4j.matmul(x, w);
    return record("matmul", y, new Tensor[] {this, o}, g -> new INDArray[] {
      requiresGrad() ? Nd4j.matmul(g, w, false, true, false) : null,
      o.requiresGrad() ? Nd4j.matmul(x, g, true, false, false) : null}, this, o);
  }

  /**
   * Whether {@link #rowBatchMatmul}'s backward pass runs on {@code Gemm.batched} (oneDNN) instead of its Java loops
   * ({@code -Ddlcourse.tensor.rowBatchSgemm=false}, for A/B timings). Its forward pass stays a Java loop: oneDNN's
   * one-row products measured no faster there (1.05 against 0.92 ms for (8, 1, 256) x (8, 256, 512), load 16).
   */
  static volatile boolean rowBatchSgemm = !"false".equals(System.getProperty("dlcourse.tensor.rowBatchSgemm"));

  /**
   * Whether {@link #rowBatchMatmul}'s forward pass runs on {@code Gemm.batched} (oneDNN) instead of its Java loop
   * ({@code -Ddlcourse.tensor.rowBatchForwardSgemm=false}, for A/B timings).
   */
  static volatile boolean rowBatchForwardSgemm =
      !"false".equals(System.getProperty("dlcourse.tensor.rowBatchForwardSgemm"));

  private static boolean plainFloat(INDArray a) {
    return a.dataType() == DataType.FLOAT && Layout.isPlain(a);
  }

  /**
   * (B, 1, R) x (B, R, E) -> (B, 1, E), one row per batch (an attention context), as a loop over the native
   * buffers: {@code Nd4j.matmul} on such shapes costs several times more. Backward: {@code gx[b] = w[b] g[b]}
   * (row dot products) and, only where the right side needs it, the outer products {@code gw[b] = x[b]^T g[b]}.
   */
  private Tensor rowBatchMatmul(Tensor o) {
    INDArray x = plainFloat(data) ? data : data.dup('c');
    INDArray w = plainFloat(o.data) ? o.data : o.data.dup('c');
    int nb = Math.toIntExact(x.size(0)), r = Math.toIntExact(x.size(2)), e = Math.toIntExact(w.size(2));
    INDArray y;
    if (rowBatchForwardSgemm && Gemm.supports()) { // one sgemm (a GEMV) per batch row
      y = Gemm.batched(x, false, w, false, nb, 1, e, r);
    } else {
      y = Nd4j.createUninitialized(DataType.FLOAT, nb, 1, e);
      java.nio.FloatBuffer xb = x.data().asNioFloat(), wb = w.data().asNioFloat(), yb = y.data().asNioFloat();
      float[] acc = new float[e];
      float[] row = new float[e];
      for (int b = 0; b < nb; b++) {
        Arrays.fill(acc, 0f);
        for (int i = 0; i < r; i++) {
          float xv = xb.get(b * r + i);
          wb.get((b * r + i) * e, row);
          for (int j = 0; j < e; j++) {
            acc[j] += xv * row[j];
          }
        }
        yb.put(b * e, acc);
      }
    }
    return record("matmul", y, new Tensor[] {this, o}, g -> {
      INDArray gc = plainFloat(g) ? g : g.castTo(DataType.FLOAT).dup('c');
      if (rowBatchSgemm && Gemm.supports()) { // one sgemm (a GEMV) per batch row: 2x faster than the loop below
        return new INDArray[] {requiresGrad() ? Gemm.batched(gc, false, w, true, nb, 1, r, e) : null, // (B, 1, R)
          o.requiresGrad() ? Gemm.batched(x, true, gc, false, nb, r, e, 1) : null}; // (B, R, E)
      }
      java.nio.FloatBuffer gb = gc.data().asNioFloat();
      java.nio.FloatBuffer xv = x.data().asNioFloat(), wv = w.data().asNioFloat();
      INDArray gx = requiresGrad() ? Nd4j.createUninitialized(DataType.FLOAT, nb, 1, r) : null;
      INDArray gw = o.requiresGrad() ? Nd4j.createUninitialized(DataType.FLOAT, nb, r, e) : null;
      java.nio.FloatBuffer gxb = gx == null ? null : gx.data().asNioFloat();
      java.nio.FloatBuffer gwb = gw == null ? null : gw.data().asNioFloat();
      float[] grow = new float[e];
      float[] wrow = new float[e];
      for (int b = 0; b < nb; b++) {
        gb.get(b * e, grow);
        for (int i = 0; i < r; i++) {
          int off = (b * r + i) * e;
          if (gxb != null) {
            wv.get(off, wrow);
            float d0 = 0f, d1 = 0f, d2 = 0f, d3 = 0f; // four sums: a serial float sum does not vectorize
            int j = 0;
            for (; j + 3 < e; j += 4) {
              d0 += grow[j] * wrow[j];
              d1 += grow[j + 1] * wrow[j + 1];
              d2 += grow[j + 2] * wrow[j + 2];
              d3 += grow[j + 3] * wrow[j + 3];
            }
            for (; j < e; j++) {
              d0 += grow[j] * wrow[j];
            }
            gxb.put(b * r + i, (d0 + d1) + (d2 + d3));
          }
          if (gwb != null) {
            float xi = xv.get(b * r + i);
            for (int j = 0; j < e; j++) {
              wrow[j] = xi * grow[j];
            }
            gwb.put(off, wrow);
          }
        }
      }
      java.lang.ref.Reference.reachabilityFence(gc); // an NIO view does not keep its array's memory alive
      return new INDArray[] {gx, gw};
    }, this, o);
  }

  // ---------------------------------------------------------------- shape

  /** Same data, new shape (one dimension may be -1); a view when the storage allows it. */
  public Tensor reshape(long... newShape) {
    long[] from = shape();
    long[] to = Shapes.reshape(from, newShape);
    INDArray src = data.ordering() == 'c' ? data : data.dup('c');
    return view("reshape", src.reshape('c', to), g -> new INDArray[] {g.reshape('c', from)});
  }

  /** Alias of {@link #reshape}, as in PyTorch. */
  public Tensor view(long... newShape) {
    return reshape(newShape);
  }

  /** Reorders dimensions: output dimension i is input dimension {@code dims[i]}. */
  public Tensor permute(int... dims) {
    if (dims.length != dim()) {
      throw new IllegalArgumentException("permute: expected " + dim() + " dimensions, got " + Arrays.toString(dims));
    }
    int[] perm = new int[dims.length];
    int[] inverse = new int[dims.length];
    boolean[] used = new boolean[dims.length];
    for (int i = 0; i < dims.length; i++) {
      perm[i] = Shapes.axis(dims[i], dims.length);
      if (used[perm[i]]) {
        throw new IllegalArgumentException("permute: dimension " + dims[i] + " repeated in " + Arrays.toString(dims));
      }
      used[perm[i]] = true;
      inverse[perm[i]] = i;
    }
    return view("permute", data.permute(perm), g -> new INDArray[] {g.permute(inverse)});
  }

  /** Swaps two dimensions. */
  public Tensor transpose(int dim0, int dim1) {
    int[] perm = java.util.stream.IntStream.range(0, dim()).toArray();
    int a = Shapes.axis(dim0, dim());
    int b = Shapes.axis(dim1, dim());
    perm[a] = b;
    perm[b] = a;
    return permute(perm);
  }

  /** Flattens dimensions {@code startDim..end} into one, like {@code torch.flatten(x, startDim)}. */
  public Tensor flatten(int startDim) {
    int s = Shapes.axis(startDim, dim());
    long[] out = Arrays.copyOf(shape(), s + 1);
    out[s] = -1;
    return reshape(out);
  }

  /** Inserts a dimension of size 1 at {@code dim}. */
  public Tensor unsqueeze(int dim) {
    int d = Shapes.axis(dim, dim() + 1);
    long[] s = shape();
    long[] out = new long[s.length + 1];
    for (int i = 0, j = 0; i < out.length; i++) {
      out[i] = i == d ? 1 : s[j++];
    }
    return reshape(out);
  }

  /** Removes dimension {@code dim}, which must have size 1. */
  public Tensor squeeze(int dim) {
    int d = Shapes.axis(dim, dim());
    if (size(d) != 1) {
      throw new IllegalArgumentException("squeeze: dimension " + dim + " has size " + size(d) + ", not 1");
    }
    long[] s = shape();
    long[] out = new long[s.length - 1];
    for (int i = 0, j = 0; i < s.length; i++) {
      if (i != d) {
        out[j++] = s[i];
      }
    }
    return reshape(out);
  }

  /** The slice {@code start .. start+length-1} along {@code dim}, like {@code torch.narrow}. */
  public Tensor narrow(int dim, long start, long length) {
    int d = Shapes.axis(dim, dim());
    if (start < 0 || length < 0 || start + length > size(d)) {
      throw new IllegalArgumentException("narrow: [" + start + ", " + (start + length) + ") out of range for dimension "
          + dim + " of size " + size(d));
    }
    long[] from = shape();
    var index = new org.nd4j.linalg.indexing.INDArrayIndex[from.length];
    for (int i = 0; i < from.length; i++) {
      index[i] = i == d ? NDArrayIndex.interval(start, start + length) : NDArrayIndex.all();
    }
    if (!narrowInPlace) {
      return view("narrow", data.get(index), g -> {
        INDArray full = Nd4j.zeros(g.dataType(), from);
        full.get(index).assign(g);
        return new INDArray[] {full};
      });
    }
    // Backward: the slice of the input's gradient; the pieces of one split (q, k, v of a fused projection) fill one
    // array: the first piece's gradient is a new zeroed array the engine owns, the next ones add into its slices.
    INDArray value = data.get(index);
    Tensor t = record("narrow", value, new Tensor[] {this}, (AccumulatingBackward) (g, into) -> {
      INDArray full = into[0];
      if (full == null) {
        full = Buffers.take(g.dataType(), from).assign(0);
        full.get(index).assign(g);
      } else if (!ConcatKernel.addIntoSlice(full, d, start, g)) {
        full.get(index).addi(g);
      }
      return new INDArray[] {full};
    });
    if (t.gradFn == null) {
      return new Tensor(value, null, version);
    }
    t.gradFn.freshGradients = true;
    return new Tensor(value, t.gradFn, version);
  }

  /**
   * Whether {@link #narrow}'s backward pass fills one gradient array for all the pieces of a split (the first piece
   * allocates it, the others add into their slices); off ({@code -Ddlcourse.tensor.narrowInPlace=false}), each piece
   * returns a zeroed full-size array and the engine sums them (for A/B timings).
   */
  static volatile boolean narrowInPlace = !"false".equals(System.getProperty("dlcourse.tensor.narrowInPlace"));

  /**
   * Whether {@link #cat} copies small float arrays in Java ({@code kernels.ConcatKernel}) instead of ND4J's concat
   * op ({@code -Ddlcourse.tensor.catInJava=false}, for A/B timings).
   */
  static volatile boolean catInJava = !"false".equals(System.getProperty("dlcourse.tensor.catInJava"));

  /** Concatenates tensors of equal shape except along {@code dim}. */
  public static Tensor cat(int dim, Tensor... tensors) {
    if (tensors.length == 0) {
      throw new IllegalArgumentException("cat: needs at least one tensor");
    }
    int d = Shapes.axis(dim, tensors[0].dim());
    INDArray[] arrays = new INDArray[tensors.length];
    long[] sizes = new long[tensors.length];
    for (int i = 0; i < tensors.length; i++) {
      long[] s0 = tensors[0].shape(), si = tensors[i].shape();
      s0[d] = 0;
      si[d] = 0;
      if (!Arrays.equals(s0, si) || tensors[i].dtype() != tensors[0].dtype()) {
        throw new IllegalArgumentException("cat: tensor " + i + " has shape " + Shapes.str(tensors[i].shape()) + " "
            + tensors[i].dtype() + ", tensor 0 " + Shapes.str(tensors[0].shape()) + " " + tensors[0].dtype()
            + " (only dimension " + dim + " may differ)");
      }
      arrays[i] = tensors[i].data;
      sizes[i] = tensors[i].size(d);
    }
    boolean inJava = catInJava && ConcatKernel.supports(arrays);
    INDArray y = inJava ? ConcatKernel.cat(d, arrays) : Nd4j.concat(d, arrays);
    return record("cat", y, tensors, g -> {
      if (inJava && ConcatKernel.supports(g)) {
        return ConcatKernel.split(g, d, sizes);
      }
      INDArray[] out = new INDArray[sizes.length];
      long start = 0;
      for (int i = 0; i < sizes.length; i++) {
        var index = new org.nd4j.linalg.indexing.INDArrayIndex[g.rank()];
        for (int k = 0; k < index.length; k++) {
          index[k] = k == d ? NDArrayIndex.interval(start, start + sizes[i]) : NDArrayIndex.all();
        }
        out[i] = g.get(index).dup();
        start += sizes[i];
      }
      return out;
    });
  }

  /** Stacks tensors of one shape along a new dimension {@code dim}. */
  public static Tensor stack(int dim, Tensor... tensors) {
    if (tensors.length == 0) {
      throw new IllegalArgumentException("stack: needs at least one tensor");
    }
    Tensor[] expanded = new Tensor[tensors.length];
    for (int i = 0; i < tensors.length; i++) {
      if (!Arrays.equals(tensors[i].shape(), tensors[0].shape()) || tensors[i].dtype() != tensors[0].dtype()) {
        throw new IllegalArgumentException("stack: tensor " + i + " has shape " + Shapes.str(tensors[i].shape()) + " "
            + tensors[i].dtype() + ", tensor 0 " + Shapes.str(tensors[0].shape()) + " " + tensors[0].dtype());
      }
      expanded[i] = stackInOne ? null : tensors[i].unsqueeze(dim);
    }
    if (!stackInOne) {
      return cat(dim, expanded);
    }
    // One recorded op: the parts' arrays reshaped (not recorded), concatenated, and the gradient cut and reshaped back.
    long[] part = tensors[0].shape();
    int d = Shapes.axis(dim, part.length + 1);
    long[] unsqueezed = new long[part.length + 1];
    for (int i = 0, j = 0; i < unsqueezed.length; i++) {
      unsqueezed[i] = i == d ? 1 : part[j++];
    }
    INDArray[] arrays = new INDArray[tensors.length];
    long[] sizes = new long[tensors.length];
    for (int i = 0; i < tensors.length; i++) {
      INDArray a = tensors[i].data;
      arrays[i] = (a.ordering() == 'c' ? a : a.dup('c')).reshape('c', unsqueezed);
      sizes[i] = 1;
    }
    boolean inJava = catInJava && ConcatKernel.supports(arrays);
    INDArray y = inJava ? ConcatKernel.cat(d, arrays) : Nd4j.concat(d, arrays);
    return record("stack", y, tensors, g -> {
      INDArray[] out;
      if (inJava && ConcatKernel.supports(g)) {
        out = ConcatKernel.split(g, d, sizes);
      } else {
        out = new INDArray[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
          var index = new org.nd4j.linalg.indexing.INDArrayIndex[g.rank()];
          for (int k = 0; k < index.length; k++) {
            index[k] = k == d ? NDArrayIndex.point(i) : NDArrayIndex.all();
          }
          out[i] = g.get(index).dup('c');
        }
      }
      for (int i = 0; i < out.length; i++) {
        out[i] = out[i].reshape('c', part);
      }
      return out;
    });
  }

  /**
   * Whether {@link #stack} records one operation instead of an unsqueeze per part and a cat
   * ({@code -Ddlcourse.tensor.stackInOne=false}, for A/B timings).
   */
  static volatile boolean stackInOne = !"false".equals(System.getProperty("dlcourse.tensor.stackInOne"));

  /** Converts to another data type; gradients are converted back. */
  public Tensor to(DataType type) {
    if (type == dtype()) {
      return this;
    }
    DataType from = dtype();
    return unary("to", data.castTo(type), g -> new INDArray[] {g.castTo(from)});
  }

  // ---------------------------------------------------------------- reductions

  /** Sum of all elements, a scalar. */
  public Tensor sum() {
    INDArray x = data;
    return unary("sum", data.sum(), g -> new INDArray[] {filledLike(x, g.getDouble(0))});
  }

  /** Mean of all elements, a scalar. */
  public Tensor mean() {
    long[] s = shape();
    long n = numel();
    DataType t = dtype();
    return unary("mean", data.mean(), g -> new INDArray[] {Nd4j.valueArrayOf(s, g.getDouble(0) / n, t)});
  }

  /** Sum over {@code dims}, keeping them as size 1 when {@code keepDim}. */
  public Tensor sum(boolean keepDim, int... dims) {
    int[] axes = axes(dims);
    long[] s = shape();
    long[] kept = Shapes.reduce(s, axes, true);
    return unary("sum", data.sum(keepDim, axes), g -> new INDArray[] {g.reshape(kept).broadcast(s)});
  }

  /** Mean over {@code dims}, keeping them as size 1 when {@code keepDim}. */
  public Tensor mean(boolean keepDim, int... dims) {
    int[] axes = axes(dims);
    long[] s = shape();
    long[] kept = Shapes.reduce(s, axes, true);
    double n = (double) Shapes.numel(s) / Shapes.numel(kept);
    INDArray value = meanInJava && axes.length == 1 && dlcourse.kernels.MeanKernel.supports(data)
        ? dlcourse.kernels.MeanKernel.meanAlong(data, axes[0], keepDim) : data.mean(keepDim, axes);
    return unary("mean", value, g -> new INDArray[] {g.reshape(kept).broadcast(s).divi(n)});
  }

  /**
   * Whether {@link #mean(boolean, int...)} of a small float array over one dimension runs as a Java loop
   * ({@code MeanKernel.meanAlong}) instead of ND4J's reduction, which took 1.4 ms for the captioner's (8, 256, 512)
   * region mean; {@code -Ddlcourse.tensor.meanInJava=false} turns it off (for A/B timings).
   */
  static volatile boolean meanInJava = !"false".equals(System.getProperty("dlcourse.tensor.meanInJava"));

  /** Maximum over {@code dims}; ties share the gradient equally. */
  public Tensor max(boolean keepDim, int... dims) {
    int[] axes = axes(dims);
    long[] s = shape();
    long[] kept = Shapes.reduce(s, axes, true);
    INDArray x = data;
    INDArray m = data.max(true, axes);
    return unary("max", keepDim ? m : m.reshape(Shapes.reduce(s, axes, false)), g -> {
      INDArray mask = x.eq(m.broadcast(s)).castTo(x.dataType());
      INDArray count = mask.sum(true, axes);
      return new INDArray[] {mask.muli(g.reshape(kept).div(count).broadcast(s))};
    }, this);
  }

  /** Indices of the maxima along {@code dim} (no gradient). */
  public Tensor argmax(int dim) {
    return of(data.argMax(Shapes.axis(dim, dim())));
  }

  private int[] axes(int[] dims) {
    if (dims.length == 0) {
      throw new IllegalArgumentException("give at least one dimension to reduce (or call the no-argument form)");
    }
    return Arrays.stream(dims).map(d -> Shapes.axis(d, dim())).toArray();
  }

  // ---------------------------------------------------------------- softmax

  /** Softmax along {@code dim}. */
  public Tensor softmax(int dim) {
    int d = Shapes.axis(dim, dim());
    if (d == dim() - 1 && dtype().isFPType()) {
      // One pass per row over the last dimension (attention scores, class scores): see SoftmaxKernel.
      INDArray y = dlcourse.kernels.SoftmaxKernel.forward(data, false);
      return unary("softmax", y, g -> new INDArray[] {dlcourse.kernels.SoftmaxKernel.backward(y, g)});
    }
    INDArray y = Nd4j.exec(new SoftMax(contiguous(data), d))[0];
    return unary("softmax", y, g -> new INDArray[] {y.mul(g.sub(g.mul(y).sum(true, d)))});
  }

  /**
   * Log of the softmax along {@code dim}, computed stably as {@code x - max - log(sum(exp(x - max)))} (ND4J's own
   * log_softmax op returns -inf once a probability underflows: logits 0 and 200 gave [-inf, 0]).
   */
  public Tensor logSoftmax(int dim) {
    int d = Shapes.axis(dim, dim());
    INDArray shifted = data.sub(data.max(true, d).broadcast(data.shape()));
    INDArray y = shifted.subi(Transforms.log(Transforms.exp(shifted, true).sum(true, d), false).broadcast(data
        .shape()));
    return unary("logSoftmax", y, g -> new INDArray[] {g.sub(Transforms.exp(y, true).muli(g.sum(true, d)))});
  }

  // ---------------------------------------------------------------- in place (outside the tape)

  /**
   * Adds {@code o} into this tensor's storage; allowed on tensors that are not recorded (parameters under
   * {@link #noGrad()}, plain arrays). Bumps the version so a tape that still needs the old value fails clearly.
   */
  public Tensor addi(Tensor o) {
    checkInPlace("addi");
    data.addi(o.data);
    version[0]++;
    return this;
  }

  /** Multiplies this tensor's storage by {@code c}; see {@link #addi}. */
  public Tensor muli(double c) {
    checkInPlace("muli");
    data.muli(c);
    version[0]++;
    return this;
  }

  /** Copies {@code o}'s values (broadcast) into this tensor's storage; see {@link #addi}. */
  public Tensor assign(Tensor o) {
    checkInPlace("assign");
    data.assign(o.data);
    version[0]++;
    return this;
  }

  /** Records that this tensor's array was changed in place by code outside this class (an optimizer step). */
  public void markChangedInPlace() {
    version[0]++;
  }

  private void checkInPlace(String op) {
    if (GradMode.isEnabled() && requiresGrad) {
      throw new IllegalStateException(op + ": " + (gradFn == null
          ? "a leaf tensor that requires a gradient cannot change in place while gradients are recorded; do it"
              + " inside try (var g = Tensor.noGrad()) { ... }"
          : "a tensor computed by '" + gradFn.name + "' cannot change in place; use the out-of-place form"));
    }
  }

  // ---------------------------------------------------------------- masks, triangles, splitting

  /**
   * Replaces the elements where {@code mask} is true by {@code value}, like {@code torch.Tensor.masked_fill}; the
   * gradient flows to the other elements only.
   *
   * @param mask a BOOL tensor, or any numeric one (non-zero is true), broadcastable to this tensor's shape
   * @param value the fill value; {@code Double.NEGATIVE_INFINITY} for attention masks
   * @throws IllegalArgumentException if the mask does not broadcast to this tensor's shape
   */
  public Tensor maskedFill(Tensor mask, double value) {
    long[] s = shape();
    if (!Arrays.equals(Shapes.broadcast(s, mask.shape(), "maskedFill"), s)) {
      throw new IllegalArgumentException("maskedFill: mask " + Shapes.str(mask.shape())
          + " does not broadcast to the tensor's shape " + Shapes.str(s));
    }
    INDArray cond = boolMask(mask.data, s);
    INDArray y = select(cond, Nd4j.valueArrayOf(s, value, dtype()), data);
    return unary("maskedFill", y, g -> new INDArray[] {select(cond, Nd4j.zeros(g.dataType(), s), g)});
  }

  /**
   * The lower triangle of the last two dimensions (elements with {@code col - row <= diagonal}), zeros above, like
   * {@code torch.tril}. {@code Tensor.ones(T, T).tril(0)} is the causal mask of attention (1 = may attend).
   */
  public Tensor tril(int diagonal) {
    return triangle(diagonal, true);
  }

  /** The upper triangle of the last two dimensions (elements with {@code col - row >= diagonal}), like {@code torch.triu}. */
  public Tensor triu(int diagonal) {
    return triangle(diagonal, false);
  }

  private Tensor triangle(int diagonal, boolean lower) {
    if (dim() < 2) {
      throw new IllegalArgumentException((lower ? "tril" : "triu") + ": needs at least 2 dimensions, got "
          + Shapes.str(shape()));
    }
    long[] s = shape();
    int rows = Math.toIntExact(s[s.length - 2]);
    int cols = Math.toIntExact(s[s.length - 1]);
    boolean[] drop = new boolean[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        drop[i * cols + j] = lower ? j - i > diagonal : j - i < diagonal;
      }
    }
    INDArray cond = boolMask(Nd4j.createFromArray(drop).reshape(rows, cols), s);
    INDArray y = select(cond, Nd4j.zeros(dtype(), s), data);
    return unary(lower ? "tril" : "triu", y, g -> new INDArray[] {select(cond, Nd4j.zeros(g.dataType(), s), g)});
  }

  /**
   * This tensor stretched to {@code shape} along dimensions of size 1 (and new leading dimensions), like
   * {@code torch.Tensor.expand}; -1 keeps a size. The result is a copy here; the gradient is summed back.
   */
  public Tensor expand(long... shape) {
    long[] from = shape();
    long[] to = shape.clone();
    int extra = to.length - from.length;
    if (extra < 0) {
      throw new IllegalArgumentException("expand: target " + Arrays.toString(shape) + " has fewer dimensions than "
          + Shapes.str(from));
    }
    for (int i = 0; i < to.length; i++) {
      long own = i < extra ? -2 : from[i - extra];
      if (to[i] == -1 && own != -2) {
        to[i] = own;
      }
      if (to[i] < 0 || (own != -2 && own != 1 && own != to[i])) {
        throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(from) + " to "
            + Arrays.toString(shape) + " (only size-1 dimensions stretch)");
      }
    }
    return unary("expand", expand(data, to), g -> new INDArray[] {sumTo(g, from)});
  }

  /**
   * Splits along {@code dim} into pieces of {@code splitSize} (the last may be smaller), like {@code torch.split};
   * each piece is a {@link #narrow} of this tensor.
   */
  public Tensor[] split(long splitSize, int dim) {
    if (splitSize <= 0) {
      throw new IllegalArgumentException("split: splitSize must be positive, got " + splitSize);
    }
    long n = size(dim);
    int pieces = Math.toIntExact(Math.max(1, (n + splitSize - 1) / splitSize));
    Tensor[] out = new Tensor[pieces];
    for (int i = 0; i < pieces; i++) {
      long start = i * splitSize;
      out[i] = narrow(dim, start, Math.min(splitSize, n - start));
    }
    return out;
  }

  /**
   * Splits along {@code dim} into {@code chunks} pieces of {@code ceil(size / chunks)} (fewer when that size leaves
   * none for the last), like {@code torch.chunk}: {@code qkv.chunk(3, -1)} gives q, k, v.
   */
  public Tensor[] chunk(int chunks, int dim) {
    if (chunks <= 0) {
      throw new IllegalArgumentException("chunk: chunks must be positive, got " + chunks);
    }
    long n = size(dim);
    return split(Math.max(1, (n + chunks - 1) / chunks), dim);
  }

  /** A BOOL array of shape {@code s}: {@code mask} (BOOL, or non-zero as true) broadcast to it. */
  private static INDArray boolMask(INDArray mask, long[] s) {
    INDArray b = mask.dataType() == DataType.BOOL ? mask : mask.neq(0);
    if (Arrays.equals(b.shape(), s)) {
      return b;
    }
    long[] padded = new long[s.length];
    Arrays.fill(padded, 1);
    System.arraycopy(b.shape(), 0, padded, s.length - b.rank(), b.rank());
    return b.reshape(padded).broadcast(s);
  }

  /** {@code cond ? whenTrue : whenFalse} element-wise, arrays of one shape (ND4J's select op), in a fresh array. */
  private static INDArray select(INDArray cond, INDArray whenTrue, INDArray whenFalse) {
    INDArray out = whenFalse.ulike();
    Nd4j.exec(new org.nd4j.linalg.api.ops.impl.controlflow.Select(
        new INDArray[] {cond, whenTrue, whenFalse}, new INDArray[] {out}));
    return out;
  }

  // ---------------------------------------------------------------- helpers

  private void sameType(Tensor o, String op) {
    if (o.dtype() != dtype()) {
      throw new IllegalArgumentException(op + ": data types differ (" + dtype() + " and " + o.dtype()
          + "); convert one with to(DataType." + dtype() + ")");
    }
  }

  /** The element-wise arithmetic of {@link #add(Tensor)} and its siblings. */
  private enum Arith {
    ADD, SUB, MUL, DIV;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * {@code this op o} with numpy broadcasting, in a fresh array. Equal shapes (the common case) take one
   * out-of-place ND4J op; otherwise this tensor's value is stretched to the broadcast shape and {@code o} applied in
   * place (ND4J broadcasts the second operand only).
   */
  private INDArray arith(Tensor o, Arith op) {
    sameType(o, op.label());
    INDArray a = data, b = o.data;
    if (Arrays.equals(a.shape(), b.shape())) {
      if (a.length() <= SMALL && small(a) && small(b)) {
        return smallArith(a, b, op);
      }
      if (arithPool && Buffers.enabled() && a.dataType() == b.dataType() && a.dataType().isFPType()
          && a.length() > 0) {
        INDArray out = Buffers.take(a.dataType(), a.shape()); // a recycled activation's memory, where one is free
        return switch (op) {
          case ADD -> a.add(b, out);
          case SUB -> a.sub(b, out);
          case MUL -> a.mul(b, out);
          case DIV -> a.div(b, out);
        };
      }
      return switch (op) {
        case ADD -> a.add(b);
        case SUB -> a.sub(b);
        case MUL -> a.mul(b);
        case DIV -> a.div(b);
      };
    }
    INDArray y = expand(a, Shapes.broadcast(a.shape(), b.shape(), op.label()));
    return switch (op) {
      case ADD -> y.addi(b);
      case SUB -> y.subi(b);
      case MUL -> y.muli(b);
      case DIV -> y.divi(b);
    };
  }

  /**
   * Whether same-shape arithmetic writes into an array from the buffer pool ({@code kernels.Buffers.take}: memory a
   * model recycled with {@link #recycleAfterBackward}, e.g. the ViT's residual sums) and the backward pass makes the
   * sum of two gradients of one tensor there too, instead of fresh ND4J arrays
   * ({@code -Ddlcourse.tensor.arithPool=false}, for A/B timings).
   */
  static volatile boolean arithPool = !"false".equals(System.getProperty("dlcourse.tensor.arithPool"));

  /**
   * Element count up to which same-shape arithmetic runs as a Java loop: ND4J's fixed cost per native op (~8 us)
   * is far above the loop's, and IEEE float or double arithmetic gives the same bits either way.
   */
  private static final int SMALL = 64;

  /** Whether {@code a} is a dense float or double array in row-major order from the start of its buffer. */
  private static boolean small(INDArray a) {
    DataType t = a.dataType();
    if ((t != DataType.FLOAT && t != DataType.DOUBLE) || a.isEmpty() || a.isView() || a.offset() != 0) {
      return false;
    }
    long[] shape = a.shape(), stride = a.stride();
    long expected = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      if (shape[i] != 1 && stride[i] != expected) {
        return false;
      }
      expected *= shape[i];
    }
    return true;
  }

  /** {@code a op b} for two {@link #small} arrays of one shape and type, computed in Java. */
  private static INDArray smallArith(INDArray a, INDArray b, Arith op) {
    int n = (int) a.length();
    if (a.dataType() == DataType.DOUBLE) {
      double[] x = a.data().asDouble(), z = b.data().asDouble(), y = new double[n];
      for (int i = 0; i < n; i++) {
        y[i] = switch (op) {
          case ADD -> x[i] + z[i];
          case SUB -> x[i] - z[i];
          case MUL -> x[i] * z[i];
          case DIV -> x[i] / z[i];
        };
      }
      return sameShapeAs(a, smallBuffer(y));
    }
    float[] x = a.data().asFloat(), z = b.data().asFloat(), y = new float[n];
    for (int i = 0; i < n; i++) {
      y[i] = switch (op) {
        case ADD -> x[i] + z[i];
        case SUB -> x[i] - z[i];
        case MUL -> x[i] * z[i];
        case DIV -> x[i] / z[i];
      };
    }
    return sameShapeAs(a, smallBuffer(y));
  }

  /**
   * A native buffer holding {@code values}: allocated by ND4J's own allocator and filled, which costs a third of
   * {@code Nd4j.createBuffer(float[])} (0.8 against 2.6 us for 16 floats): that one allocates through a JavaCPP
   * pointer, whose deallocator registration reads the process's physical memory size on every call (~1 us).
   */
  private static org.nd4j.linalg.api.buffer.DataBuffer smallBuffer(float[] values) {
    var b = Nd4j.getDataBufferFactory().create(DataType.FLOAT, values.length, false);
    b.setData(values);
    return b;
  }

  /** {@link #smallBuffer(float[])} for doubles. */
  private static org.nd4j.linalg.api.buffer.DataBuffer smallBuffer(double[] values) {
    var b = Nd4j.getDataBufferFactory().create(DataType.DOUBLE, values.length, false);
    b.setData(values);
    return b;
  }

  /**
   * An array over {@code values} with the shape, strides and type of the {@link #small} array {@code like}. On ND4J's
   * CPU backend it shares {@code like}'s shape information, whose creation costs as much as the values' buffer
   * (a JavaCPP pointer and its memory check, ~4 us); other backends create their own.
   */
  private static INDArray sameShapeAs(INDArray like, org.nd4j.linalg.api.buffer.DataBuffer values) {
    if (CpuShapeInfo.AVAILABLE) {
      INDArray shared = CpuShapeInfo.share(like, values);
      if (shared != null) {
        return shared;
      }
    }
    return Nd4j.create(values, like.shape(), like.stride(), 0, 'c', like.dataType());
  }

  /**
   * ND4J's CPU array constructor that takes an existing shape-information buffer, found by reflection so that the
   * library also compiles and runs on the CUDA backend (where it is absent and {@code Nd4j.create} is used).
   * Sharing the operand's (immutable) shape information skips allocating a new one, whose JavaCPP memory check
   * was half the cost of a tiny operation.
   */
  private static final class CpuShapeInfo {
    private static final Class<?> ARRAY = load("org.nd4j.linalg.cpu.nativecpu.NDArray");
    private static final Class<?> SHAPE_BUFFER = load("org.nd4j.linalg.cpu.nativecpu.buffer.LongBuffer");
    private static final java.lang.invoke.MethodHandle CREATE = constructor();
    static final boolean AVAILABLE = CREATE != null;

    private static Class<?> load(String name) {
      try {
        return Class.forName(name, false, Tensor.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        return null;
      }
    }

    private static java.lang.invoke.MethodHandle constructor() {
      if (ARRAY == null || SHAPE_BUFFER == null) {
        return null;
      }
      try {
        return java.lang.invoke.MethodHandles.publicLookup().findConstructor(ARRAY, java.lang.invoke.MethodType
            .methodType(void.class, org.nd4j.linalg.api.buffer.DataBuffer.class, SHAPE_BUFFER, long[].class));
      } catch (ReflectiveOperationException e) {
        return null;
      }
    }

    static INDArray share(INDArray like, org.nd4j.linalg.api.buffer.DataBuffer values) {
      org.nd4j.linalg.api.buffer.DataBuffer info = like.shapeInfoDataBuffer();
      if (like.getClass() != ARRAY || info.getClass() != SHAPE_BUFFER) {
        return null;
      }
      try {
        return (INDArray) CREATE.invoke(values, info, like.shapeInfoJava());
      } catch (Throwable t) {
        throw new IllegalStateException("creating a small array failed", t);
      }
    }
  }

  /** A fresh array shaped and typed like {@code like}, every element {@code value} (a Java loop when small). */
  private static INDArray filledLike(INDArray like, double value) {
    if (like.length() > SMALL || !small(like)) {
      return Nd4j.valueArrayOf(like.shape(), value, like.dataType());
    }
    int n = (int) like.length();
    if (like.dataType() == DataType.DOUBLE) {
      double[] v = new double[n];
      Arrays.fill(v, value);
      return sameShapeAs(like, smallBuffer(v));
    }
    float[] v = new float[n];
    Arrays.fill(v, (float) value);
    return sameShapeAs(like, smallBuffer(v));
  }

  /** A fresh array of {@code a} stretched to the broadcast shape {@code out}. */
  private static INDArray expand(INDArray a, long[] out) {
    if (Arrays.equals(out, a.shape())) {
      return a.dup();
    }
    long[] padded = new long[out.length];
    Arrays.fill(padded, 1);
    System.arraycopy(a.shape(), 0, padded, out.length - a.rank(), a.rank());
    return a.reshape(padded).broadcast(out);
  }

  private static INDArray contiguous(INDArray a) {
    return Layout.plain(a);
  }

  /** Sums a broadcast gradient back to {@code shape}: over leading extra dimensions and over stretched ones. */
  public static INDArray sumTo(INDArray g, long[] shape) {
    long[] gs = g.shape();
    if (Arrays.equals(gs, shape)) {
      return g;
    }
    int extra = gs.length - shape.length;
    List<Integer> dims = new ArrayList<>();
    for (int i = 0; i < gs.length; i++) {
      if (i < extra || (shape[i - extra] == 1 && gs[i] != 1)) {
        dims.add(i);
      }
    }
    INDArray s = dims.isEmpty() ? g : g.sum(true, dims.stream().mapToInt(Integer::intValue).toArray());
    return s.reshape(shape);
  }

  @Override
  public String toString() {
    String head = "tensor" + Shapes.str(shape()) + " " + dtype()
        + (gradFn != null ? ", gradFn=" + gradFn.name : requiresGrad ? ", requiresGrad=true" : "");
    return data.length() <= 100 ? head + "\n" + data : head;
  }
}
