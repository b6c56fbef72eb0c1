package dlcourse.nn.autograd;

import dlcourse.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A value of the eager autograd: an array, whether it needs a gradient, and the {@link Function} call that made it.
 *
 * <p>{@link #backward()} orders the recorded calls that lead to this value (the tape), runs their backward passes
 * in reverse, and stores the gradients of the leaves: {@link #grad()} of variables made with
 * {@link #requiringGrad}, and {@link Parameter#grad()} of parameters, so the library's optimizers can step.
 * Gradients are set by each backward call, not accumulated across calls (as the library's training step does).
 */
public final class Variable {
  /** One recorded call: the function, its context, its inputs. */
  record Node(Function function, Context ctx, Variable[] inputs) {}

  private final INDArray data;
  private final boolean requiresGrad;
  private final Parameter parameter;
  private final Node creator;
  private INDArray grad;

  private Variable(INDArray data, boolean requiresGrad, Parameter parameter, Node creator) {
    if (data == null) {
      throw new IllegalArgumentException("data must not be null");
    }
    this.data = data;
    this.requiresGrad = requiresGrad;
    this.parameter = parameter;
    this.creator = creator;
  }

  /** A constant: no gradient is computed for it (inputs, targets). */
  public static Variable of(INDArray data) {
    return new Variable(data, false, null, null);
  }

  /** A leaf whose gradient {@link #grad()} is wanted, such as an input whose gradient we check. */
  public static Variable requiringGrad(INDArray data) {
    return new Variable(data, true, null, null);
  }

  /** A leaf holding a parameter's value; backward passes write its gradient to {@link Parameter#grad()}. */
  public static Variable of(Parameter parameter) {
    return new Variable(parameter.data(), parameter.requiresGrad(), parameter, null);
  }

  static Variable result(INDArray data, Node creator) {
    return new Variable(data, true, null, creator);
  }

  public INDArray data() {
    return data;
  }

  public long[] shape() {
    return data.shape();
  }

  public boolean requiresGrad() {
    return requiresGrad;
  }

  /** The gradient of the last backward pass for a leaf, or null. */
  public INDArray grad() {
    return grad;
  }

  /** Backward pass from a scalar: the gradient of this value with respect to itself is 1. */
  public void backward() {
    if (data.length() != 1) {
      throw new IllegalStateException(
          "backward() needs a scalar, got shape " + Arrays.toString(data.shape()) + "; pass a gradient instead");
    }
    backward(Nd4j.onesLike(data));
  }

  /**
   * Backward pass with {@code gradOutput} as the gradient of the loss with respect to this value.
   *
   * @throws IllegalArgumentException if {@code gradOutput} is not shaped as this value
   * @throws IllegalStateException if this value does not require a gradient
   */
  public void backward(INDArray gradOutput) {
    if (!requiresGrad) {
      throw new IllegalStateException("this value does not depend on anything that requires a gradient");
    }
    if (!Arrays.equals(gradOutput.shape(), data.shape())) {
      throw new IllegalArgumentException("gradOutput shape " + Arrays.toString(gradOutput.shape())
          + " does not match the value's shape " + Arrays.toString(data.shape()));
    }
    Map<Variable, INDArray> grads = new IdentityHashMap<>();
    grads.put(this, gradOutput);
    for (Variable v : tape()) {
      INDArray g = grads.remove(v);
      if (g == null) {
        continue; // nothing flowed here (e.g. only a constant path)
      }
      if (v.creator == null) {
        v.grad = g;
        if (v.parameter != null) {
          v.parameter.grad(dlcourse.tensor.Tensor.of(g));
        }
        continue;
      }
      INDArray[] inGrads = v.creator.function().backward(v.creator.ctx(), g);
      Variable[] inputs = v.creator.inputs();
      if (inGrads.length != inputs.length) {
        throw new IllegalStateException(v.creator.function().name() + ".backward returned " + inGrads.length
            + " gradients for " + inputs.length + " inputs");
      }
      for (int i = 0; i < inputs.length; i++) {
        if (!inputs[i].requiresGrad || inGrads[i] == null) {
          continue;
        }
        if (!Arrays.equals(inGrads[i].shape(), inputs[i].data.shape())) {
          throw new IllegalStateException(v.creator.function().name() + ".backward: gradient of input " + i
              + " has shape " + Arrays.toString(inGrads[i].shape()) + ", the input "
              + Arrays.toString(inputs[i].data.shape()));
        }
        // A value used twice receives the sum of both gradients.
        grads.merge(inputs[i], inGrads[i], INDArray::add);
      }
    }
  }

  /** The variables that lead to this one, each after every variable computed from it (reverse topological order). */
  private List<Variable> tape() {
    List<Variable> order = new ArrayList<>();
    Set<Variable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    // Iterative depth-first search: deep networks would overflow a recursive one.
    List<Object[]> stack = new ArrayList<>();
    stack.add(new Object[] {this, 0});
    seen.add(this);
    while (!stack.isEmpty()) {
      Object[] top = stack.get(stack.size() - 1);
      Variable v = (Variable) top[0];
      int next = (Integer) top[1];
      Variable[] inputs = v.creator == null ? new Variable[0] : v.creator.inputs();
      if (next < inputs.length) {
        top[1] = next + 1;
        Variable in = inputs[next];
        if (in.requiresGrad && seen.add(in)) {
          stack.add(new Object[] {in, 0});
        }
      } else {
        order.add(v);
        stack.remove(stack.size() - 1);
      }
    }
    Collections.reverse(order);
    return order;
  }

  @Override
  public String toString() {
    return "Variable(shape=" + Arrays.toString(data.shape()) + ", requiresGrad=" + requiresGrad
        + (creator != null ? ", from " + creator.function().name() : "") + ")";
  }
}
