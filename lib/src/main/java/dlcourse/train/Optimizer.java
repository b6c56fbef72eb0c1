package dlcourse.train;

import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Base class of the optimizers, like {@code torch.optim.Optimizer}: it holds the parameters in groups, updates
 * their values in place from their gradients, and keeps a per-parameter state (moment estimates, step counts).
 *
 * <p>Each update rule follows PyTorch's single-tensor implementation operation by operation, so results match
 * PyTorch to float rounding. Parameters with {@code requiresGrad() == false} or without a gradient are skipped,
 * as PyTorch skips parameters whose {@code grad} is {@code None}.
 *
 * <p>Parameter groups: the list given to the constructor forms the first group, which uses the optimizer's
 * {@link #weightDecay(double)}. {@link #paramGroup(List, double)} adds a group with its own weight decay, for
 * example to decay only the weights of linear layers when training a GPT:
 *
 * <pre>{@code
 * var opt = new AdamW(decayed, 6e-4).betas(0.9, 0.95).weightDecay(0.1).paramGroup(notDecayed, 0.0);
 * }</pre>
 *
 * <p>The learning rate is shared by all groups; a {@link LRScheduler} sets it through {@link #lr(double)}.
 *
 * <p>The type parameter is the optimizer's own class, so that the setters declared here ({@code lr},
 * {@code weightDecay}, {@code maximize}, {@code paramGroup}) return it and chain with its own setters:
 * {@code new SGD(params, 0.1).weightDecay(5e-4).momentum(0.9)}. Code that holds any optimizer writes
 * {@code Optimizer<?>}.
 *
 * @param <O> the concrete optimizer class, e.g. {@code SGD extends Optimizer<SGD>}
 */
public abstract class Optimizer<O extends Optimizer<O>> {
  private final List<Parameter> params = new ArrayList<>();
  private final List<Double> groupDecay = new ArrayList<>(); // per parameter; null = optimizer's weightDecay
  private final List<State> states = new ArrayList<>();
  private final Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
  private double lr;
  private double weightDecay;
  private boolean maximize;
  private Double initialLr;

  /**
   * Creates an optimizer over one group of parameters.
   *
   * @param params the parameters to update (usually {@code model.parameters()})
   * @param lr the learning rate, positive or zero
   * @param weightDecay the default weight decay of this optimizer (PyTorch's default for its class)
   */
  protected Optimizer(List<Parameter> params, double lr, double weightDecay) {
    Check.nonNegative(lr, "lr");
    this.lr = lr;
    this.weightDecay = weightDecay;
    addGroup(params, null);
  }

  /**
   * Adds parameters that use their own weight decay instead of the optimizer's (PyTorch's param groups).
   *
   * @param params parameters not already in this optimizer
   * @param weightDecay weight decay for these parameters, e.g. 0 for biases and norm weights
   * @return this optimizer
   * @throws IllegalArgumentException if a parameter is already in the optimizer
   */
  public O paramGroup(List<Parameter> params, double weightDecay) {
    Check.nonNegative(weightDecay, "weightDecay");
    addGroup(params, weightDecay);
    return self();
  }

  private void addGroup(List<Parameter> group, Double wd) {
    if (group == null) {
      throw new IllegalArgumentException("params must not be null");
    }
    for (Parameter p : group) {
      if (p == null) {
        throw new IllegalArgumentException("params must not contain null");
      }
      if (!seen.add(p)) {
        throw new IllegalArgumentException(
            "parameter " + p.name() + " appears in more than one parameter group");
      }
      params.add(p);
      groupDecay.add(wd);
      states.add(new State());
    }
  }

  /** The learning rate now in use. */
  public double lr() {
    return lr;
  }

  /** Sets the learning rate (schedules call this). */
  public O lr(double lr) {
    Check.nonNegative(lr, "lr");
    this.lr = lr;
    return self();
  }

  /** The learning rate a schedule starts from: the rate when the first schedule was attached. */
  double initialLr() {
    if (initialLr == null) {
      initialLr = lr;
    }
    return initialLr;
  }

  /** The weight decay of the first parameter group. */
  public double weightDecay() {
    return weightDecay;
  }

  /** Sets the weight decay of the first parameter group (groups added by {@link #paramGroup} keep theirs). */
  public O weightDecay(double weightDecay) {
    Check.nonNegative(weightDecay, "weightDecay");
    this.weightDecay = weightDecay;
    return self();
  }

  /** Whether the optimizer maximizes the objective instead of minimizing it. */
  public boolean maximize() {
    return maximize;
  }

  /** Maximizes the objective (gradient ascent) when true; default false. */
  public O maximize(boolean maximize) {
    this.maximize = maximize;
    return self();
  }

  /** This optimizer as its own class, for the setters' return values. */
  @SuppressWarnings("unchecked")
  protected final O self() {
    return (O) this;
  }

  /** All parameters, in group order. */
  public List<Parameter> parameters() {
    return Collections.unmodifiableList(params);
  }

  /**
   * Updates every parameter that has a gradient, in place. A backward pass through a graph recorded before the
   * step then fails clearly, as in PyTorch, instead of using the new values with the old activations.
   */
  public void step() {
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      INDArray g = p.grad() == null ? null : p.grad().array();
      if (!p.requiresGrad() || g == null) {
        continue;
      }
      if (!java.util.Arrays.equals(g.shape(), p.data().shape())) {
        throw new IllegalStateException(
            "gradient of "
                + p.name()
                + " has shape "
                + java.util.Arrays.toString(g.shape())
                + ", the parameter "
                + java.util.Arrays.toString(p.data().shape()));
      }
      Double wd = groupDecay.get(i);
      State s = states.get(i);
      s.step++;
      update(p.data(), g, wd == null ? weightDecay : wd, s);
      p.markChangedInPlace(); // a tape recorded before this step can no longer run its backward pass
    }
  }

  /** Sets every parameter's gradient to null, as PyTorch's {@code zero_grad(set_to_none=True)}. */
  public void zeroGrad() {
    for (Parameter p : params) {
      p.zeroGrad();
    }
  }

  /**
   * Updates one parameter in place.
   *
   * @param param the parameter's value, updated in place
   * @param grad its gradient, never modified
   * @param weightDecay the weight decay of its group
   * @param state its state; {@link State#step()} already counts this step
   */
  protected abstract void update(INDArray param, INDArray grad, double weightDecay, State state);

  /**
   * A copy of the optimizer state for checkpoints: {@code lr}, and for parameter {@code i} (in group order)
   * {@code i.step} and its buffers {@code i.<name>} (PyTorch's names, e.g. {@code 0.exp_avg}).
   */
  public Map<String, INDArray> state() {
    Map<String, INDArray> out = new LinkedHashMap<>();
    out.put("lr", Nd4j.scalar(lr));
    for (int i = 0; i < states.size(); i++) {
      State s = states.get(i);
      out.put(i + ".step", Nd4j.scalar((double) s.step));
      for (var e : s.buffers.entrySet()) {
        out.put(i + "." + e.getKey(), e.getValue().dup());
      }
    }
    return out;
  }

  /**
   * Restores a state saved by {@link #state()} of an optimizer of the same class over parameters of the same
   * shapes.
   *
   * @throws IllegalArgumentException if a key names no parameter or a buffer's shape does not match
   */
  public void loadState(Map<String, INDArray> saved) {
    for (var e : saved.entrySet()) {
      String key = e.getKey();
      INDArray v = e.getValue();
      if (key.equals("lr")) {
        lr = v.getDouble(0);
        continue;
      }
      int dot = key.indexOf('.');
      int i;
      try {
        i = Integer.parseInt(key.substring(0, Math.max(dot, 0)));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("optimizer state key '" + key + "' is not of the form <index>.<name>");
      }
      if (i < 0 || i >= params.size()) {
        throw new IllegalArgumentException(
            "optimizer state key '" + key + "' names parameter " + i + ", but there are " + params.size());
      }
      String name = key.substring(dot + 1);
      State s = states.get(i);
      if (name.equals("step")) {
        s.step = (int) v.getDouble(0);
        continue;
      }
      INDArray p = params.get(i).data();
      if (!java.util.Arrays.equals(v.shape(), p.shape())) {
        throw new IllegalArgumentException(
            "optimizer state '"
                + key
                + "' has shape "
                + java.util.Arrays.toString(v.shape())
                + ", parameter "
                + params.get(i).name()
                + " has "
                + java.util.Arrays.toString(p.shape()));
      }
      s.buffers.put(name, v.castTo(p.dataType()).dup());
    }
  }

  /**
   * The gradient the update rule sees: negated when maximizing and plus {@code weightDecay * param} (coupled L2),
   * written to a scratch buffer so the parameter's gradient is left alone.
   */
  protected INDArray effectiveGrad(INDArray param, INDArray grad, double weightDecay, State s) {
    if (weightDecay == 0 && !maximize) {
      return grad;
    }
    INDArray g = s.scratch("grad", param).assign(grad);
    if (maximize) {
      g.negi();
    }
    if (weightDecay != 0) {
      axpy(weightDecay, param, g);
    }
    return g;
  }

  /** {@code y += a * x} in place, with one BLAS call. */
  protected static void axpy(double a, INDArray x, INDArray y) {
    if (x.dataType() == y.dataType() && x.isR() && x.elementWiseStride() == 1 && y.elementWiseStride() == 1) {
      Nd4j.getBlasWrapper().level1().axpy(x.length(), a, x, y);
    } else {
      y.addi(x.mul(a));
    }
  }

  /** The state of one parameter: its step count, its saved buffers, and unsaved scratch space. */
  protected static final class State {
    private int step;
    private final Map<String, INDArray> buffers = new LinkedHashMap<>();
    private final Map<String, INDArray> scratch = new LinkedHashMap<>();

    /** How many updates this parameter has had, including the current one. */
    public int step() {
      return step;
    }

    /** Whether a saved buffer exists. */
    public boolean has(String name) {
      return buffers.containsKey(name);
    }

    /** A saved buffer, created filled with {@code init} and shaped like {@code like} on first use. */
    public INDArray buffer(String name, INDArray like, double init) {
      return buffers.computeIfAbsent(name, k -> Nd4j.valueArrayOf(like.shape(), init, like.dataType()));
    }

    /** A saved buffer, created as zeros shaped like {@code like} on first use. */
    public INDArray buffer(String name, INDArray like) {
      return buffer(name, like, 0.0);
    }

    /** Stores a saved buffer. */
    public void put(String name, INDArray value) {
      buffers.put(name, value);
    }

    /** A scratch array shaped like {@code like}, reused across steps and not saved. */
    public INDArray scratch(String name, INDArray like) {
      return scratch.computeIfAbsent(name, k -> Nd4j.createUninitialized(like.dataType(), like.shape()));
    }
  }
}
