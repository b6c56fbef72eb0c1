package dlcourse.nn;

import dlcourse.tensor.Shapes;
import dlcourse.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Base class of every layer and model, like {@code torch.nn.Module}: it owns parameters and child modules,
 * registered by name so that parameter paths read {@code features.0.weight}.
 *
 * <p>Subclasses implement {@link #forward(Tensor)}: ordinary Java on eager tensors (loops, branches, shapes that
 * change from call to call), recorded on the tape for {@link Tensor#backward()}. Call child modules with
 * {@link #call(Tensor)} so that errors name the layer ({@code [features.3 (Conv2d)] expected input ...}) and
 * {@link #summary} sees every layer. {@link #forward(INDArray)} runs the module on an array without recording.
 */
public abstract class Module {
  /** The modules being called on this thread, outermost first: the path of a failing layer, summary traces. */
  private static final ThreadLocal<List<Module>> CALLS = ThreadLocal.withInitial(ArrayList::new);
  /** Set while {@link #summary} runs: each call's module and output shape. */
  private static final ThreadLocal<List<Object[]>> TRACE = new ThreadLocal<>();

  private final Map<String, Parameter> params = new LinkedHashMap<>();
  private final Map<String, Module> children = new LinkedHashMap<>();
  private boolean training = true;

  /** Computes the output from {@code x}. */
  public abstract Tensor forward(Tensor x);

  /** Runs {@link #forward(Tensor)}, naming this module (by its path from the outermost call) in shape errors. */
  public final Tensor call(Tensor x) {
    return call(x, null);
  }

  /**
   * Runs {@code fused}, which computes this module and then {@code next} (a shape-preserving module) on {@code x} as
   * one operation, as if it were {@code next.call(call(x))}: errors name this module, and {@link #summary} lists
   * both modules with the output shape. Used by {@link Sequential} for convolution + ReLU.
   */
  final Tensor callFused(Module next, java.util.function.UnaryOperator<Tensor> fused, Tensor x) {
    Tensor y = call(x, fused);
    List<Module> calls = CALLS.get();
    calls.add(next);
    try {
      List<Object[]> trace = TRACE.get();
      if (trace != null) {
        trace.add(new Object[] {next, y.shape(), pathOf(calls)});
      }
    } finally {
      calls.remove(calls.size() - 1);
    }
    return y;
  }

  private Tensor call(Tensor x, java.util.function.UnaryOperator<Tensor> body) {
    List<Module> calls = CALLS.get();
    calls.add(this);
    Tensor y;
    try {
      y = body == null ? forward(x) : body.apply(x);
      List<Object[]> trace = TRACE.get();
      if (trace != null) {
        trace.add(new Object[] {this, y.shape(), pathOf(calls)});
      }
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("[")) {
        throw e; // already located by an inner module
      }
      String path = pathOf(calls);
      String where = path.isEmpty() ? getClass().getSimpleName() : path + " (" + getClass().getSimpleName() + ")";
      throw new IllegalArgumentException("[" + where + "] " + e.getMessage(), e);
    } finally {
      calls.remove(calls.size() - 1);
    }
    return y;
  }

  /** The dotted path of the last module of {@code calls} below the first, by child names ("" for the first). */
  private static String pathOf(List<Module> calls) {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i < calls.size(); i++) {
      String name = null;
      for (var e : calls.get(i - 1).children.entrySet()) {
        if (e.getValue() == calls.get(i)) {
          name = e.getKey();
        }
      }
      b.append(b.length() == 0 ? "" : ".").append(name == null ? calls.get(i).getClass().getSimpleName() : name);
    }
    return b.toString();
  }

  /**
   * Runs the module on an array in its current mode ({@link #train()} or {@link #eval()}) without recording
   * gradients, and returns the output array.
   */
  public INDArray forward(INDArray x) {
    try (var g = Tensor.noGrad()) {
      return call(Tensor.of(x)).array();
    }
  }

  /** Registers a trainable parameter holding {@code value} (not copied). */
  protected Parameter addParameter(String name, INDArray value) {
    return register(name, new Parameter(name, value, true));
  }

  /** Registers a buffer: state saved with the model but not trained (running statistics). */
  protected Parameter addBuffer(String name, INDArray value) {
    return register(name, new Parameter(name, value, false));
  }

  private Parameter register(String name, Parameter p) {
    if (name.contains(".") || name.isEmpty()) {
      throw new IllegalArgumentException("parameter name must be non-empty without dots, got '" + name + "'");
    }
    params.put(name, p);
    return p;
  }

  /** Removes a parameter registered earlier (a layer built without bias). */
  protected void removeParameter(String name) {
    params.remove(name);
  }

  /** Registers a child module under {@code name}; returns it for field assignment. */
  protected <M extends Module> M addModule(String name, M module) {
    if (name.contains(".") || name.isEmpty()) {
      throw new IllegalArgumentException("module name must be non-empty without dots, got '" + name + "'");
    }
    children.put(name, module);
    return module;
  }

  /** Direct children, by name. */
  public Map<String, Module> namedChildren() {
    return java.util.Collections.unmodifiableMap(children);
  }

  /** This module (path "") and every descendant, by dotted path. */
  public Map<String, Module> namedModules() {
    Map<String, Module> out = new LinkedHashMap<>();
    collectModules("", out);
    return out;
  }

  private void collectModules(String prefix, Map<String, Module> out) {
    out.put(prefix, this);
    children.forEach((n, c) -> c.collectModules(prefix.isEmpty() ? n : prefix + "." + n, out));
  }

  /** Every parameter and buffer of this module and its descendants, by dotted path. */
  public Map<String, Parameter> namedParameters() {
    Map<String, Parameter> out = new LinkedHashMap<>();
    namedModules().forEach((path, m) -> m.params.forEach((n, p) -> out.put(path.isEmpty() ? n : path + "." + n, p)));
    return out;
  }

  /** The trainable parameters, in registration order (what an optimizer takes). */
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    namedParameters().values().forEach(p -> {
      if (p.requiresGrad()) {
        out.add(p);
      }
    });
    return out;
  }

  /** Clears the gradient of every parameter, like {@code model.zero_grad()}. */
  public void zeroGrad() {
    namedParameters().values().forEach(Parameter::zeroGrad);
  }

  /** Number of trainable scalars. */
  public long numParameters() {
    return parameters().stream().mapToLong(Parameter::numel).sum();
  }

  /** Switches this module and its descendants to training mode (dropout on, batch statistics). */
  public Module train() {
    return train(true);
  }

  public Module train(boolean mode) {
    namedModules().values().forEach(m -> m.training = mode);
    return this;
  }

  /** Switches to evaluation mode (dropout off, running statistics). */
  public Module eval() {
    return train(false);
  }

  public boolean training() {
    return training;
  }

  /**
   * Converts every parameter and buffer of this module and its descendants to {@code type}, like
   * {@code model.to(torch.float64)}; feed inputs of the same type afterwards. Gradients are cleared.
   *
   * @return this module
   */
  public Module to(org.nd4j.linalg.api.buffer.DataType type) {
    if (!type.isFPType()) {
      throw new IllegalArgumentException("type must be a floating-point type, got " + type);
    }
    for (Module m : namedModules().values()) {
      m.params.values().forEach(p -> {
        if (p.data().dataType() != type) {
          p.data(p.data().castTo(type));
        }
      });
    }
    return this;
  }

  /**
   * Calls {@code fn} on every descendant and then on this module, like {@code model.apply(fn)} in PyTorch;
   * for custom initialisation, e.g. {@code net.apply(m -> { if (m instanceof Linear l) Init.normal(l.weight().data(), 0, 0.02); })}.
   *
   * @return this module
   */
  public Module apply(java.util.function.Consumer<Module> fn) {
    children.values().forEach(c -> c.apply(fn));
    fn.accept(this);
    return this;
  }

  /** Re-initialises parameters; the default resets every child. Layers override it. */
  public void resetParameters() {
    children.values().forEach(Module::resetParameters);
  }

  /** Copies of every parameter and buffer, by path (like {@code state_dict()}). */
  public Map<String, INDArray> stateDict() {
    Map<String, INDArray> out = new LinkedHashMap<>();
    namedParameters().forEach((k, p) -> out.put(k, p.data().dup()));
    return out;
  }

  /** The keys {@link #loadStateDict(Map, boolean)} could not match, like PyTorch's {@code IncompatibleKeys}. */
  public record IncompatibleKeys(List<String> missing, List<String> unexpected) {}

  /**
   * Copies values into the parameters in place, all or nothing; every key must match a parameter of the same shape
   * (values of another floating-point type are converted, as PyTorch does).
   *
   * @throws IllegalArgumentException naming the missing, unexpected or mis-shaped keys; the model is then unchanged
   */
  public void loadStateDict(Map<String, INDArray> state) {
    loadStateDict(state, true);
  }

  /**
   * Like {@link #loadStateDict(Map)}; with {@code strict} false, keys missing from {@code state} or unknown to the
   * model are skipped and returned instead of failing. A shape mismatch always fails, before anything is copied.
   */
  public IncompatibleKeys loadStateDict(Map<String, INDArray> state, boolean strict) {
    Map<String, Parameter> own = namedParameters();
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    for (String k : own.keySet()) {
      if (!state.containsKey(k)) {
        missing.add(k);
      }
    }
    for (var e : state.entrySet()) {
      Parameter p = own.get(e.getKey());
      if (p == null) {
        unexpected.add(e.getKey());
      } else if (!java.util.Arrays.equals(p.shape(), e.getValue().shape())) {
        throw new IllegalArgumentException("size mismatch for " + e.getKey() + ": state dict "
            + Shapes.str(e.getValue().shape()) + ", model " + Shapes.str(p.shape()) + " (nothing was loaded)");
      }
    }
    if (strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
      throw new IllegalArgumentException("state dict does not match the model (nothing was loaded): missing keys "
          + missing + ", unexpected keys " + unexpected + "; loadStateDict(state, false) skips them");
    }
    try (var g = Tensor.noGrad()) {
      state.forEach((k, v) -> {
        Parameter p = own.get(k);
        if (p != null) {
          p.assign(Tensor.of(v));
        }
      });
    }
    return new IncompatibleKeys(List.copyOf(missing), List.copyOf(unexpected));
  }

  /**
   * A table of layers, output shapes and parameter counts for one input of shape {@code inputShape}
   * (batch dimension included), like torchinfo's {@code summary}: the module runs once, in evaluation mode and
   * without recording, on zeros of that shape and the parameters' type.
   */
  public Summary summary(long... inputShape) {
    org.nd4j.linalg.api.buffer.DataType type = params().findFirst().map(p -> p.dtype())
        .orElse(org.nd4j.linalg.api.buffer.DataType.FLOAT);
    return summary(Tensor.of(org.nd4j.linalg.factory.Nd4j.zeros(type, inputShape)));
  }

  /**
   * Like {@link #summary(long...)} on a given example input (batch dimension included), for models whose input is
   * not a float tensor: token ids for a language model, {@code model.summary(Tensor.of(Nd4j.zeros(DataType.INT64, 1,
   * 128)))}.
   */
  public Summary summary(Tensor example) {
    Map<Module, Boolean> modes = new java.util.IdentityHashMap<>();
    namedModules().values().forEach(m -> modes.put(m, m.training));
    List<Object[]> trace = new ArrayList<>();
    TRACE.set(trace);
    eval();
    try (var g = Tensor.noGrad()) {
      call(example);
    } finally {
      TRACE.remove();
      modes.forEach((m, mode) -> m.training = mode);
    }
    return new Summary(this, example.shape(), trace);
  }

  private java.util.stream.Stream<Parameter> params() {
    return namedParameters().values().stream();
  }

  /** Extra settings printed by {@link #toString()}, like PyTorch's {@code extra_repr}; empty by default. */
  protected String extraRepr() {
    return "";
  }

  @Override
  public String toString() {
    String name = getClass().getSimpleName();
    if (children.isEmpty()) {
      return name + "(" + extraRepr() + ")";
    }
    StringBuilder b = new StringBuilder(name).append("(");
    if (!extraRepr().isEmpty()) {
      b.append(extraRepr());
    }
    b.append("\n");
    List<Map.Entry<String, Module>> list = new ArrayList<>(children.entrySet());
    for (int i = 0; i < list.size();) {
      // Fold runs of identical children, as PyTorch prints "(0-5): 6 x Block(...)".
      String repr = list.get(i).getValue().toString();
      int j = i + 1;
      while (j < list.size() && list.get(j).getValue().toString().equals(repr)) {
        j++;
      }
      String label = j - i > 2 ? list.get(i).getKey() + "-" + list.get(j - 1).getKey() : list.get(i).getKey();
      String shown = j - i > 2 ? (j - i) + " x " + repr : repr;
      b.append("  (").append(label).append("): ").append(shown.replace("\n", "\n  ")).append("\n");
      if (j - i <= 2) {
        j = i + 1;
      }
      i = j;
    }
    return b.append(")").toString();
  }
}
