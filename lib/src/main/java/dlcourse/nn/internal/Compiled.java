package dlcourse.nn.internal;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model with its loss, captured for one input shape and mode: {@link dlcourse.nn.dnnl.OneDnnNet} (oneDNN
 * primitives bound once, sequential CNNs), an optimisation of the eager path that tests check against it.
 * Outputs are {@code "output"} and {@code "loss"}.
 */
public interface Compiled {
  /** The loss and named outputs of one step. */
  record StepResult(double loss, Map<String, INDArray> outputs) {}

  /** Forward only: every named output. */
  Map<String, INDArray> run(INDArray... inputs);

  /** Forward and backward: sets {@link dlcourse.nn.Parameter#grad()} of the trainable parameters. */
  StepResult step(INDArray... inputs);
}
