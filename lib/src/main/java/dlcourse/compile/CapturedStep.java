package dlcourse.compile;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model with its loss, captured for one input shape and mode: {@link CapturedCnnStep} (oneDNN primitives bound
 * once, sequential CNNs), an optimisation of the eager path that tests check against it.
 */
public interface CapturedStep {
  /** The loss of one batch and the model's output, e.g. logits {@code (N, C)}. */
  record StepResult(double loss, INDArray output) {}

  /** Forward only, no gradients: the loss of inputs {@code x} against targets {@code y}, and the output. */
  StepResult run(INDArray x, INDArray y);

  /** Forward and backward: sets {@link dlcourse.nn.Parameter#grad()} of the trainable parameters. */
  StepResult step(INDArray x, INDArray y);
}
