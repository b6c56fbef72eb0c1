package dlcourse.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The pieces of a split or chunk share one input gradient (narrow's zero array, then the later pieces added into its
 * slices in place, {@link Node#freshGradients}): the input's gradient is the same with and without that, and equals
 * the sum of the pieces' gradients put in place, also when the pieces overlap or the input has other uses.
 */
class NarrowBackwardTest {

  @AfterEach
  void on() {
    Tensor.narrowInPlace = true;
  }

  /** d/da of sum(2a * w) + sum_i sum(piece_i(2a) * w_i), pieces = columns [from_i, from_i + len_i). */
  private static void check(boolean fresh, long[][] pieces, boolean chunk) {
    Tensor.narrowInPlace = fresh;
    Tensor a = Tensor.of(Nd4j.linspace(DataType.FLOAT, 1, 24, 1).reshape(4, 6)).requiresGrad(true);
    Tensor b = a.mul(2); // a non-leaf: its gradients are summed by the engine
    Tensor[] p = chunk ? b.chunk(3, 1) : new Tensor[pieces.length];
    INDArray whole = Tensor.randn(9, 4, 6).array();
    INDArray expected = whole.dup();
    Tensor loss = b.mul(Tensor.of(whole)).sum(); // another use of b, before the pieces
    for (int i = 0; i < pieces.length; i++) {
      if (!chunk) {
        p[i] = b.narrow(1, pieces[i][0], pieces[i][1]);
      }
      INDArray w = Tensor.randn(i, 4, pieces[i][1]).array();
      loss = loss.add(p[i].mul(Tensor.of(w)).sum());
      INDArrayIndex cols = NDArrayIndex.interval(pieces[i][0], pieces[i][0] + pieces[i][1]);
      expected.get(NDArrayIndex.all(), cols).addi(w);
    }
    loss.backward();
    expected.muli(2);
    assertEquals(0, expected.sub(a.grad().array()).amaxNumber().doubleValue(), 1e-5,
        "fresh " + fresh + ": " + a.grad().array() + " expected " + expected);
  }

  @Test
  void piecesOfAChunkAddUpInTheirSlices() {
    long[][] thirds = {{0, 2}, {2, 2}, {4, 2}};
    check(true, thirds, true);
    check(false, thirds, true);
  }

  @Test
  void overlappingNarrowsAddTheirGradients() {
    long[][] overlapping = {{0, 4}, {2, 4}, {1, 2}};
    check(true, overlapping, false);
    check(false, overlapping, false);
  }
}
