package dlcourse.nn;

import dlcourse.nn.internal.Executable;
import dlcourse.nn.internal.Graph;
import dlcourse.tensor.Shapes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Base class of every layer and model, like {@code torch.nn.Module}: it owns parameters and child modules,
 * registered by name so that parameter paths read {@code features.0.weight}.
 *
 * <p>Subclasses implement {@link #forward(Tensor)}, which builds the computation on symbolic tensors. To get
 * numbers, call {@link #forward(INDArray)} (the graph for each input shape is built once and cached) or train
 * the module with {@code dlcourse.train.Trainer}. Call child modules with {@link #call(Tensor)} so that
 * {@link #summary} can report their output shapes and errors name the layer.
 */
public abstract class Module {
  private final Map<String, Parameter> params = new LinkedHashMap<>();
  private final Map<String, Module> children = new LinkedHashMap<>();
  private final Map<String, Executable> executables = new ConcurrentHashMap<>();
  private boolean training = true;

  /** Builds the output from {@code x} inside a graph. */
  public abstract Tensor forward(Tensor x);

  /** Runs {@link #forward(Tensor)}, recording the output shape and naming this module in shape errors. */
  public final Tensor call(Tensor x) {
    Tensor y;
    try {
      y = forward(x);
    } catch (IllegalArgumentException e) {
      String path = x.graph().pathOf(this);
      if (e.getMessage() != null && e.getMessage().startsWith("[")) {
        throw e; // already located by an inner module
      }
      String where = path.isEmpty() ? getClass().getSimpleName() : path + " (" + getClass().getSimpleName() + ")";
      throw new IllegalArgumentException("[" + where + "] " + e.getMessage(), e);
    }
    x.graph().record(this, y.shape());
    return y;
  }

  /**
   * Runs the module on real data in its current mode ({@link #train()} or {@link #eval()}) and returns the
   * output. No gradients are computed.
   */
  public INDArray forward(INDArray x) {
    String key = Executable.key(training, x);
    Executable exe = executables.computeIfAbsent(key, k -> Executable.build(
        this, training, List.of(x.shape()), List.of(x.dataType()), in -> Map.of("output", call(in.get(0)))));
    return exe.run(x).get("output");
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
    executables.clear();
    return p;
  }

  /** Removes a parameter registered earlier (a layer built without bias). */
  protected void removeParameter(String name) {
    params.remove(name);
    executables.clear();
  }

  /** Registers a child module under {@code name}; returns it for field assignment. */
  protected <M extends Module> M addModule(String name, M module) {
    if (name.contains(".") || name.isEmpty()) {
      throw new IllegalArgumentException("module name must be non-empty without dots, got '" + name + "'");
    }
    children.put(name, module);
    executables.clear();
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
    namedModules().forEach((path, m) ->
        m.params.forEach((n, p) -> out.put(path.isEmpty() ? n : path + "." + n, p)));
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
      m.executables.clear();
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

  /** Copies values into the parameters in place; every key must match a parameter of the same shape. */
  public void loadStateDict(Map<String, INDArray> state) {
    Map<String, Parameter> own = namedParameters();
    for (var e : state.entrySet()) {
      Parameter p = own.get(e.getKey());
      if (p == null) {
        throw new IllegalArgumentException("unexpected key '" + e.getKey() + "' in state dict; expected " + own.keySet());
      }
      if (!java.util.Arrays.equals(p.shape(), e.getValue().shape())) {
        throw new IllegalArgumentException("size mismatch for " + e.getKey() + ": checkpoint "
            + Shapes.str(e.getValue().shape()) + ", model " + Shapes.str(p.shape()));
      }
      p.data().assign(e.getValue());
    }
    for (String k : own.keySet()) {
      if (!state.containsKey(k)) {
        throw new IllegalArgumentException("missing key '" + k + "' in state dict");
      }
    }
  }

  /**
   * A table of layers, output shapes and parameter counts for one input of shape {@code inputShape}
   * (batch dimension included), like torchinfo's {@code summary}.
   */
  public Summary summary(long... inputShape) {
    Graph g = new Graph(this, false);
    call(g.placeholder("input", org.nd4j.linalg.api.buffer.DataType.FLOAT, inputShape));
    return new Summary(this, inputShape, g.trace());
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
    for (int i = 0; i < list.size(); ) {
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
