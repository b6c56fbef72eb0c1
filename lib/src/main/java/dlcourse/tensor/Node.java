package dlcourse.tensor;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One recorded operation on the tape: its inputs, the tensors its backward pass reads (with their versions when
 * they were saved), and the backward function, which maps the gradient of the output to one gradient per input.
 */
final class Node {
  /** The backward pass of one operation: gradient of the output in, one gradient per input out (null: none). */
  @FunctionalInterface
  interface Backward {
    INDArray[] apply(INDArray gradOutput);
  }

  /**
   * A backward pass that may add an input's gradient into an array the engine already holds ({@code into[i]}, null
   * where there is none); see {@link Tensor.AccumulatingBackward}.
   */
  @FunctionalInterface
  interface Accumulating {
    INDArray[] apply(INDArray gradOutput, INDArray[] into);
  }

  final String name;
  final Tensor[] inputs;
  private Accumulating backward;
  /** Whether the backward pass uses {@code into} (else the engine need not look for accumulators). */
  final boolean accumulates;
  private static final Tensor[] NONE = new Tensor[0];
  private static final int[] NO_VERSIONS = new int[0];
  private Tensor[] saved = NONE;
  private int[] savedVersions = NO_VERSIONS;
  /**
   * Whether the backward pass keeps no reference to the gradient it receives, so that the engine may give that array
   * back to the buffer pool once the pass has used it ({@code Tensor.releaseConsumed}); false for user code
   * ({@link AutogradFunction}).
   */
  boolean releasesGradient = true;
  /**
   * Whether every gradient this node's backward pass returns is a new array that nothing else references (narrow's
   * zero-filled input gradient): the engine may then add later gradients of that input into it in place.
   */
  boolean freshGradients;
  /** Arrays given back to the buffer pool once this node's backward pass has run ({@code recycleAfterBackward}). */
  INDArray[] recycleAfterRun;
  /** The backward pass that last reached this node while ordering the tape (see {@code Tensor.tape}). */
  int visited;

  Node(String name, Tensor[] inputs, Backward backward) {
    this.name = name;
    this.inputs = inputs;
    this.backward = (g, into) -> backward.apply(g);
    this.accumulates = false;
  }

  Node(String name, Tensor[] inputs, Accumulating backward) {
    this.name = name;
    this.inputs = inputs;
    this.backward = backward;
    this.accumulates = true;
  }

  /** Remembers the versions of tensors whose values the backward pass reads, to detect later in-place changes. */
  void save(Tensor... tensors) {
    if (tensors.length == 0) {
      return; // most nodes (add, reshape) read no input in their backward pass: keep the shared empty arrays
    }
    saved = tensors;
    savedVersions = new int[tensors.length];
    for (int i = 0; i < tensors.length; i++) {
      savedVersions[i] = tensors[i].version();
    }
  }

  INDArray[] run(INDArray gradOutput) {
    return run(gradOutput, new INDArray[inputs.length]);
  }

  /** Runs the backward pass; {@code into[i]}, where not null, may receive input i's gradient added in place. */
  INDArray[] run(INDArray gradOutput, INDArray[] into) {
    if (backward == null) {
      throw new IllegalStateException("backward through the graph a second time: the tape of '" + name
          + "' was freed by the first backward(); call backward(gradient, true) the first time to keep it");
    }
    for (int i = 0; i < saved.length; i++) {
      if (saved[i].version() != savedVersions[i]) {
        throw new IllegalStateException("a tensor of shape " + Shapes.str(saved[i].shape()) + " needed by the"
            + " backward pass of '" + name + "' was modified in place after '" + name + "' used it (version "
            + saved[i].version() + ", expected " + savedVersions[i] + "); use an out-of-place operation or clone()");
      }
    }
    INDArray[] grads = backward.apply(gradOutput, into);
    if (grads.length != inputs.length) {
      throw new IllegalStateException(name + ": backward returned " + grads.length + " gradients for "
          + inputs.length + " inputs");
    }
    return grads;
  }

  /** Drops what the backward pass kept (arrays captured by the closure), so their memory can be reclaimed. */
  void free() {
    backward = null;
    saved = NONE;
    savedVersions = NO_VERSIONS;
  }
}
