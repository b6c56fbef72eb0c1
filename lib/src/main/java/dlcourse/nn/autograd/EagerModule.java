package dlcourse.nn.autograd;

import dlcourse.nn.Parameter;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer of the eager autograd: {@link #forward(Variable)} applies {@link Function}s, so the backward pass that
 * runs is the hand-written one. Parameters are {@link Parameter}s, so {@code new Adam(net.parameters(), 1e-3)}
 * trains them.
 */
public abstract class EagerModule {
  /** Computes the output, recording the calls for a backward pass when a parameter or input needs a gradient. */
  public abstract Variable forward(Variable x);

  /** Runs the layer on an array and returns the output array. */
  public INDArray forward(INDArray x) {
    return forward(Variable.of(x)).data();
  }

  /** The trainable parameters, in order. */
  public List<Parameter> parameters() {
    return List.of();
  }

  /** Number of trainable scalars. */
  public long numParameters() {
    return parameters().stream().mapToLong(Parameter::numel).sum();
  }
}
