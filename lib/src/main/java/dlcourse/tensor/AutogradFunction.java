package dlcourse.tensor;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An operation with a hand-written backward pass, like {@code torch.autograd.Function}: subclasses implement
 * {@link #forward} and {@link #backward} on arrays; {@link #apply} runs the forward pass on tensors and records the
 * call on the same tape as every built-in operation, so it mixes freely with them.
 *
 * <pre>{@code
 * class Square extends AutogradFunction {
 *   public INDArray forward(Context ctx, INDArray... in) { ctx.saveForBackward(in[0]); return in[0].mul(in[0]); }
 *   public INDArray[] backward(Context ctx, INDArray g) { return new INDArray[] {g.mul(ctx.saved(0)).muli(2)}; }
 * }
 * Tensor y = new Square().apply(x);
 * }</pre>
 *
 * <p>Settings that are not arrays (stride, padding) are constructor arguments of the function.
 */
public abstract class AutogradFunction {
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

  /** Runs the forward pass on the inputs' values and records the call for the backward pass. */
  public final Tensor apply(Tensor... inputs) {
    INDArray[] values = new INDArray[inputs.length];
    long[][] shapes = new long[inputs.length][];
    boolean[] needs = new boolean[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      if (inputs[i] == null) {
        throw new IllegalArgumentException(name() + ": input " + i + " is null");
      }
      values[i] = inputs[i].array();
      shapes[i] = inputs[i].shape();
      needs[i] = inputs[i].requiresGrad() && GradMode.isEnabled();
    }
    Context ctx = new Context(shapes, needs);
    INDArray out;
    try (var g = Tensor.noGrad()) {
      out = forward(ctx, values);
    }
    Tensor y = Tensor.record(name(), out, inputs, gy -> backward(ctx, gy), inputs);
    if (y.gradFn != null) {
      y.gradFn.releasesGradient = false; // user code may keep the gradient it is given
    }
    return y;
  }

  /** The function's name in error messages. */
  public String name() {
    return getClass().getSimpleName();
  }
}
