package dlcourse.nn.internal;

import dlcourse.nn.Module;
import dlcourse.nn.Parameter;
import dlcourse.nn.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One SameDiff graph built from a module tree for fixed input shapes and one mode (train or eval).
 *
 * <p>Parameters enter the graph as SameDiff variables named by their module path ({@code features.0.weight})
 * that share the parameter's array, so optimizer updates are seen by every graph. Everything else gets a
 * unique generated name, because SameDiff rejects duplicate names.
 */
public final class Graph {
  /** A buffer (running mean, ...) that takes the value of {@code value} after each training step. */
  public record StateUpdate(Parameter buffer, Tensor value) {}

  /** One row of a shape trace: which module produced which output shape. */
  public record TraceRow(String path, Module module, long[] outputShape) {}

  private final SameDiff sd = SameDiff.create();
  private final boolean training;
  private final IdentityHashMap<Parameter, SDVariable> paramVars = new IdentityHashMap<>();
  private final IdentityHashMap<Parameter, String> paramPaths = new IdentityHashMap<>();
  private final IdentityHashMap<Module, String> modulePaths = new IdentityHashMap<>();
  private final Map<String, Integer> nameCounts = new HashMap<>();
  private final List<StateUpdate> stateUpdates = new ArrayList<>();
  private final List<TraceRow> trace = new ArrayList<>();
  private final List<DropoutMask> masks = new ArrayList<>();

  /** A graph input refilled at every run with a fresh inverted-dropout mask: 0 with probability p, else 1/(1-p). */
  public record DropoutMask(String name, DataType type, long[] shape, double p) {}

  private final boolean fusedLosses;
  private final List<SDVariable> terminalOnly = new ArrayList<>();
  private final Map<String, SDVariable> channelsLast = new HashMap<>();

  /** Builds an empty graph for {@code root}; its parameters are added lazily, named by their paths. */
  public Graph(Module root, boolean training) {
    this(root, training, true);
  }

  /**
   * As {@link #Graph(Module, boolean)}; with {@code fusedLosses = false} losses are built from elementary ops
   * only (see {@link #fusedLosses()}).
   */
  public Graph(Module root, boolean training, boolean fusedLosses) {
    this.training = training;
    this.fusedLosses = fusedLosses;
    root.namedParameters().forEach((path, p) -> paramPaths.put(p, path));
    root.namedModules().forEach((path, m) -> modulePaths.put(m, path));
  }

  public SameDiff sameDiff() {
    return sd;
  }

  /** Whether layers should behave as in training (dropout active, batch statistics). */
  public boolean training() {
    return training;
  }

  /** A new graph input of the given type and shape. */
  public Tensor placeholder(String name, DataType type, long... shape) {
    return Tensor.wrap(this, sd.placeHolder(uniqueName(name), type, shape), shape);
  }

  /**
   * A dropout mask of the given shape, drawn anew for every run from {@code dlcourse.nn.Init}'s seeded generator
   * (ND4J's native random ops cannot be made to repeat, so masks are made in Java and fed in).
   */
  public Tensor dropoutMask(double p, DataType type, long... shape) {
    String name = uniqueName("dropout_mask");
    masks.add(new DropoutMask(name, type, shape.clone(), p));
    return Tensor.wrap(this, sd.placeHolder(name, type, shape), shape);
  }

  public List<DropoutMask> dropoutMasks() {
    return masks;
  }

  /** A constant holding {@code value} (copied into the graph). */
  public Tensor constant(INDArray value) {
    return Tensor.wrap(this, sd.constant(uniqueName("const"), value), value.shape());
  }

  /** The graph variable of a parameter, sharing its array; created on first use. */
  public Tensor tensor(Parameter p) {
    SDVariable v = paramVars.get(p);
    if (v == null) {
      String path = paramPaths.getOrDefault(p, p.name());
      v = p.requiresGrad() ? sd.var(uniqueName(path), p.data()) : sd.constant(uniqueName(path), p.data());
      paramVars.put(p, v);
    }
    return Tensor.wrap(this, v, p.shape());
  }

  /** The parameters that entered the graph as trainable variables, by variable name. */
  public Map<String, Parameter> trainableVariables() {
    Map<String, Parameter> out = new java.util.LinkedHashMap<>();
    paramVars.forEach((p, v) -> {
      if (p.requiresGrad()) {
        out.put(v.name(), p);
      }
    });
    return out;
  }

  /** A name not used yet in this graph, derived from {@code base}. */
  public String uniqueName(String base) {
    int n = nameCounts.merge(base, 1, Integer::sum);
    return n == 1 ? base : base + "_" + (n - 1);
  }

  /**
   * Whether a loss may use one of ND4J's fused loss ops. Their backward ignores the incoming gradient, so they
   * are only right as the graph's loss itself; {@link Executable} checks that and rebuilds without them.
   */
  public boolean fusedLosses() {
    return fusedLosses;
  }

  /** Records {@code v} as the output of a fused loss op, whose gradient is right only if it is the loss itself. */
  public void markTerminalOnly(SDVariable v) {
    terminalOnly.add(v);
  }

  /**
   * Whether every fused loss output is {@code loss} itself and nothing consumes it, so that its gradient is
   * right; trivially true without fused losses.
   */
  public boolean fusedLossesExact(SDVariable loss) {
    for (SDVariable v : terminalOnly) {
      if (loss == null || !v.name().equals(loss.name())) {
        return false;
      }
      List<String> consumers = sd.getVariables().get(v.name()).getInputsForOp();
      if (consumers != null && !consumers.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Records that the NCHW variable {@code nchw} is the permute of the NHWC variable {@code nhwc}, so that layers
   * that run faster channels-last (convolution, ReLU, pooling) can use {@code nhwc} directly. The permute then
   * only runs when something else consumes {@code nchw} (SameDiff executes just what the outputs need).
   */
  public void channelsLast(SDVariable nchw, SDVariable nhwc) {
    channelsLast.put(nchw.name(), nhwc);
  }

  /** The NHWC form recorded for {@code nchw}, or null. */
  public SDVariable channelsLastOf(SDVariable nchw) {
    return channelsLast.get(nchw.name());
  }

  public void addStateUpdate(Parameter buffer, Tensor value) {
    stateUpdates.add(new StateUpdate(buffer, value));
  }

  public List<StateUpdate> stateUpdates() {
    return stateUpdates;
  }

  /** The module path of {@code m} in the tree this graph was built from, or its class name. */
  public String pathOf(Module m) {
    String path = modulePaths.get(m);
    return path == null ? m.getClass().getSimpleName() : path;
  }

  public void record(Module m, long[] outputShape) {
    trace.add(new TraceRow(pathOf(m), m, outputShape));
  }

  public List<TraceRow> trace() {
    return trace;
  }
}
