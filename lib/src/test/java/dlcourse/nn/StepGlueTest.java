package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The decoder-step fast paths of session 13's second captioner pass, each against the path it replaces (switch off),
 * bit for bit: {@link F#embedding}'s Java rows and the float LSTM
 * cell's h'/c' parts adding into one gradient.
 */
class StepGlueTest {
  private static float[] values(INDArray a) {
    return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
  }

  @Test
  void embeddingRowsInJavaEqualPullRows() {
    INDArray w = Nd4j.rand(DataType.FLOAT, 11, 5);
    long[][] ids = {{3, 0, 10, 3}, {7, 7, 1, 2}, {10, 4, 4, 9}}; // repeated ids: summed gradient rows
    boolean orig = F.embeddingIndexRows;
    List<float[]> got = new ArrayList<>();
    try {
      for (int run = 0; run < 2; run++) {
        F.embeddingIndexRows = run == 0;
        Tensor weight = Tensor.of(w.dup()).requiresGrad(true);
        Tensor tokens = Tensor.of(Nd4j.createFromArray(ids));
        Tensor all = F.embedding(tokens, weight); // (3, 4, 5), plain indices
        assertArrayEquals(new long[] {3, 4, 5}, all.shape());
        Tensor loss = all.mul(Tensor.randn(3, 3, 4, 5)).sum();
        for (int t = 0; t < 4; t++) { // a column of the (B, T) ids: a strided view, as a decoder step reads it
          Tensor col = F.embedding(tokens.narrow(1, t, 1).reshape(3), weight); // (3, 5)
          got.add(values(col.array()));
          loss = loss.add(col.mul(Tensor.randn(4 + t, 3, 5)).sum());
        }
        loss.backward();
        got.add(values(all.array()));
        got.add(values(weight.grad().array()));
      }
    } finally {
      F.embeddingIndexRows = orig;
    }
    int n = got.size() / 2;
    for (int i = 0; i < n; i++) {
      assertArrayEquals(got.get(n + i), got.get(i), "array " + i);
    }
    assertEquals(w.getFloat(10, 2), got.get(0)[2 * 5 + 2]); // step 0, batch row 2 is id 10
  }

  /** Three float steps whose h' and c' both carry gradient: the parts adding into one array equal the padded path. */
  @Test
  void lstmPartsAddingIntoOneGradientEqualThePaddedArrays() {
    boolean orig = F.lstmPartsInto;
    List<float[]> got = new ArrayList<>();
    try {
      for (int run = 0; run < 2; run++) {
        F.lstmPartsInto = run == 0;
        Init.manualSeed(5);
        LSTMCell cell = new LSTMCell(7, 6);
        Tensor x = Tensor.of(Tensor.randn(11, 3, 4, 7).array()).requiresGrad(true);
        Tensor h0 = Tensor.of(Tensor.randn(12, 4, 6).array()).requiresGrad(true);
        Tensor c0 = Tensor.of(Tensor.randn(13, 4, 6).array()).requiresGrad(true);
        Tensor u = Tensor.randn(14, 4, 6);
        LSTMTest.threeSteps(cell, x, h0, c0, u).loss().backward();
        for (Tensor p : List.of(x, h0, c0, cell.weightIh(), cell.weightHh(), cell.biasIh(), cell.biasHh())) {
          got.add(values(p.grad().array()));
        }
      }
    } finally {
      F.lstmPartsInto = orig;
    }
    int n = got.size() / 2;
    for (int i = 0; i < n; i++) {
      assertArrayEquals(got.get(n + i), got.get(i), "gradient " + i);
    }
    assertEquals(0, GradCheck.maxAbsDiff(Nd4j.createFromArray(got.get(1)), Nd4j.createFromArray(got.get(n + 1))));
  }
}
