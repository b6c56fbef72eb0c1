package dlcourse.nn.internal;

import dlcourse.tensor.Shapes;
import dlcourse.nn.Module;
import dlcourse.nn.Parameter;
import dlcourse.nn.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A built graph ready to run: placeholders for the inputs, named outputs, optionally a scalar loss whose
 * gradients flow into the module's {@link Parameter#grad()}. One per (input shapes, mode); callers cache them.
 */
public final class Executable implements Compiled {
  /** What a training step returns: the loss value and every named output (copied out of the graph). */
  public record StepResult(double loss, Map<String, INDArray> outputs) {}

  private final Graph graph;
  private final List<String> inputNames = new ArrayList<>();
  private final Map<String, String> outputNames = new LinkedHashMap<>();
  private final String lossName;
  private final Map<String, Parameter> trainable;

  private Executable(Graph graph, List<Tensor> inputs, Map<String, Tensor> outputs, Tensor loss) {
    this.graph = graph;
    inputs.forEach(t -> inputNames.add(t.sd().name()));
    outputs.forEach((k, t) -> outputNames.put(k, t.sd().name()));
    if (loss != null) {
      if (loss.dim() != 0 && loss.numel() != 1) {
        throw new IllegalArgumentException("the loss must be a scalar, got shape " + Shapes.str(loss.shape()));
      }
      graph.sameDiff().setLossVariables(loss.sd().name());
      lossName = loss.sd().name();
    } else {
      lossName = null;
    }
    trainable = graph.trainableVariables();
  }

  /**
   * Builds a graph from {@code root}: one placeholder per input spec, then {@code body} maps the input tensors to
   * named outputs; the output named {@code "loss"}, when present, is what {@link #step} differentiates.
   */
  public static Executable build(
      Module root, boolean training, List<long[]> inputShapes, List<DataType> inputTypes,
      Function<List<Tensor>, Map<String, Tensor>> body) {
    Executable exe = build(root, training, inputShapes, inputTypes, body, true);
    // A fused loss op feeding anything else would get a wrong gradient: rebuild with elementary ops only.
    // Forward-only graphs (no loss) are always right.
    if (exe.lossName != null && !exe.graph.fusedLossesExact(exe.graph.sameDiff().getVariable(exe.lossName))) {
      exe = build(root, training, inputShapes, inputTypes, body, false);
    }
    return exe;
  }

  private static Executable build(
      Module root, boolean training, List<long[]> inputShapes, List<DataType> inputTypes,
      Function<List<Tensor>, Map<String, Tensor>> body, boolean fusedLosses) {
    Graph g = new Graph(root, training, fusedLosses);
    List<Tensor> inputs = new ArrayList<>();
    for (int i = 0; i < inputShapes.size(); i++) {
      inputs.add(g.placeholder("input" + i, inputTypes.get(i), inputShapes.get(i)));
    }
    Map<String, Tensor> outputs = new LinkedHashMap<>(body.apply(inputs));
    Tensor loss = outputs.remove("loss");
    if (loss != null) {
      outputs.put("loss", loss);
    }
    return new Executable(g, inputs, outputs, loss);
  }

  public Graph graph() {
    return graph;
  }

  private Map<String, INDArray> feed(INDArray... inputs) {
    if (inputs.length != inputNames.size()) {
      throw new IllegalArgumentException("expected " + inputNames.size() + " inputs, got " + inputs.length);
    }
    Map<String, INDArray> ph = new HashMap<>();
    for (int i = 0; i < inputs.length; i++) {
      ph.put(inputNames.get(i), inputs[i]);
    }
    for (Graph.DropoutMask m : graph.dropoutMasks()) {
      ph.put(m.name(), mask(m));
    }
    return ph;
  }

  /** Runs the graph forward and returns every named output. */
  @Override
  public Map<String, INDArray> run(INDArray... inputs) {
    Map<String, INDArray> raw = graph.sameDiff().output(feed(inputs), new ArrayList<>(outputNames.values()));
    Map<String, INDArray> out = new LinkedHashMap<>();
    outputNames.forEach((k, name) -> out.put(k, raw.get(name)));
    return out;
  }

  /**
   * Forward and backward: sets {@link Parameter#grad()} of every trainable parameter in the graph, applies the
   * state updates (batch-norm running statistics) and returns the loss and outputs.
   */
  @Override
  public StepResult step(INDArray... inputs) {
    if (lossName == null) {
      throw new IllegalStateException("this graph has no loss output to differentiate");
    }
    if (!gradientGraphBuilt) {
      buildGradientGraphQuietly();
    }
    List<String> wanted = new ArrayList<>(outputNames.values());
    List<Graph.StateUpdate> updates = graph.stateUpdates();
    updates.forEach(u -> wanted.add(u.value().sd().name()));
    OutAndGrad result =
        graph.sameDiff().calculateGradientsAndOutputs(feed(inputs), wanted, trainable.keySet());
    Map<String, INDArray> grads = result.getGradients();
    trainable.forEach((name, p) -> p.grad(grads.get(name)));
    Map<String, INDArray> raw = result.getOutputs();
    for (Graph.StateUpdate u : updates) {
      u.buffer().data().assign(raw.get(u.value().sd().name()));
    }
    Map<String, INDArray> out = new LinkedHashMap<>();
    outputNames.forEach((k, name) -> out.put(k, raw.get(name).detach()));
    return new StepResult(out.get("loss").getDouble(0), out);
  }

  private static INDArray mask(Graph.DropoutMask m) {
    java.util.Random r = dlcourse.nn.Init.generator();
    double keep = 1.0 / (1.0 - m.p());
    double[] v = new double[(int) Shapes.numel(m.shape())];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextDouble() < m.p() ? 0 : keep;
    }
    return org.nd4j.linalg.factory.Nd4j.createFromArray(v).reshape(m.shape()).castTo(m.type());
  }

  private boolean gradientGraphBuilt;

  /**
   * Builds the backward graph once, with standard output muted: SameDiff prints "Added differentiated op X"
   * on {@code System.out} for every op, which would flood notebook cells.
   */
  private void buildGradientGraphQuietly() {
    synchronized (System.class) {
      java.io.PrintStream out = System.out;
      System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
      try {
        graph.sameDiff().createGradFunction();
      } finally {
        System.setOut(out);
      }
    }
    gradientGraphBuilt = true;
  }

  /** Cache key for executables: shapes and types of the inputs plus the mode. */
  public static String key(boolean training, INDArray... inputs) {
    StringBuilder b = new StringBuilder(training ? "train" : "eval");
    for (INDArray a : inputs) {
      b.append('|').append(a.dataType()).append(Arrays.toString(a.shape()));
    }
    return b.toString();
  }
}
