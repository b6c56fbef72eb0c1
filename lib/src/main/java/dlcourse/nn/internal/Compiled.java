package dlcourse.nn.internal;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model with its loss, prepared for one input shape and mode: {@link Executable} (a SameDiff graph, any model)
 * or {@link dlcourse.nn.dnnl.OneDnnNet} (oneDNN primitives, sequential CNNs). Outputs are {@code "output"} and
 * {@code "loss"}.
 */
public interface Compiled {
  /** Forward only: every named output. */
  Map<String, INDArray> run(INDArray... inputs);

  /** Forward and backward: sets {@link dlcourse.nn.Parameter#grad()} of the trainable parameters. */
  Executable.StepResult step(INDArray... inputs);
}
