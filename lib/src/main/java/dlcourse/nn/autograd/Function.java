package dlcourse.nn.autograd;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An operation with a hand-written backward pass, like {@code torch.autograd.Function}: subclasses implement
 * {@link #forward} on arrays and {@link #backward}, which maps the gradient of the output to the gradients of the
 * inputs; {@link #apply} runs the forward pass on {@link Variable}s and records the call on the tape.
 *
 * <pre>{@code
 * Variable y = new Conv2dFunction(1, 1).apply(x, weight, bias);   // forward now, backward later
 * }</pre>
 *
 * <p>Settings that are not arrays (stride, padding) are constructor arguments of the function.
 */
public abstract class Function {
  /**
   * Computes the output from the input arrays; saves what the backward pass needs in {@code ctx}.
   *
   * @param ctx the context of this call
   * @param inputs the input values, in the order given to {@link #apply}
   * @return the output
   */
  public abstract INDArray forward(Context ctx, INDArray... inputs);

  /**
   * The gradients of the loss with respect to each input, given the gradient with respect to the output.
   *
   * @param ctx the context the forward pass filled
   * @param gradOutput gradient of the loss with respect to the output, shaped as the output
   * @return one gradient per input, shaped as that input; null where {@code ctx.needsInputGrad(i)} is false
   */
  public abstract INDArray[] backward(Context ctx, INDArray gradOutput);

  /**
   * Runs the forward pass on the inputs' values. When an input requires a gradient, the result remembers this
   * call so that {@link Variable#backward()} runs {@link #backward} on it.
   */
  public final Variable apply(Variable... inputs) {
    long[][] shapes = new long[inputs.length][];
    boolean[] needs = new boolean[inputs.length];
    INDArray[] values = new INDArray[inputs.length];
    boolean any = false;
    for (int i = 0; i < inputs.length; i++) {
      if (inputs[i] == null) {
        throw new IllegalArgumentException(name() + ": input " + i + " is null");
      }
      values[i] = inputs[i].data();
      shapes[i] = values[i].shape();
      needs[i] = inputs[i].requiresGrad();
      any |= needs[i];
    }
    Context ctx = new Context(shapes, needs);
    INDArray out = forward(ctx, values);
    return any ? Variable.result(out, new Variable.Node(this, ctx, inputs)) : Variable.of(out);
  }

  /** The function's name in error messages. */
  public String name() {
    return getClass().getSimpleName();
  }
}
