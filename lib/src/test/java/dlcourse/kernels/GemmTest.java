package dlcourse.kernels;

import static dlcourse.kernels.Checks.close;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class GemmTest {
  /** op(a) op(b) by loops in double. */
  static INDArray loops(INDArray a, boolean ta, INDArray b, boolean tb) {
    INDArray a2 = (ta ? a.transpose() : a).castTo(DataType.DOUBLE);
    INDArray b2 = (tb ? b.transpose() : b).castTo(DataType.DOUBLE);
    long m = a2.size(0), k = a2.size(1), n = b2.size(1);
    INDArray c = Nd4j.create(DataType.DOUBLE, m, n);
    for (long i = 0; i < m; i++) {
      for (long j = 0; j < n; j++) {
        double s = 0;
        for (long q = 0; q < k; q++) {
          s += a2.getDouble(i, q) * b2.getDouble(q, j);
        }
        c.putScalar(new long[] {i, j}, s);
      }
    }
    return c;
  }

  @Test
  void productsOfPlainTransposedAndRowRangeViewsMatchLoops() {
    assertTrue(Dnnl.available(), "oneDNN must load here");
    Random r = new Random(7);
    INDArray a = Checks.f(Checks.random(r, 5, 7));
    INDArray b = Checks.f(Checks.random(r, 7, 3));
    INDArray bt = Checks.f(Checks.random(r, 3, 7));
    INDArray at = Checks.f(Checks.random(r, 7, 5));
    assertTrue(Gemm.supports(a, b, bt, at));
    close(loops(a, false, b, false), Gemm.gemm(a, false, b, false, null, 0f), 1e-6, "a b");
    close(loops(a, false, bt, true), Gemm.gemm(a, false, bt, true, null, 0f), 1e-6, "a b^T");
    close(loops(at, true, b, false), Gemm.gemm(at, true, b, false, null, 0f), 1e-6, "a^T b");
    close(loops(at, true, bt, true), Gemm.gemm(at, true, bt, true, null, 0f), 1e-6, "a^T b^T");
    // a transposed view (column-major strides) is read as the transpose of its storage
    INDArray view = at.transpose(); // (5, 7), strides (1, 5)
    assertTrue(Gemm.supports(view));
    close(loops(a, false, b, false).mul(0).add(loops(view, false, b, false)), Gemm.gemm(view, false, b, false, null,
        0f), 1e-6, "transposed view");
    INDArray c53 = Checks.f(Checks.random(r, 5, 3));
    close(loops(view, true, c53, false), Gemm.gemm(view, true, c53, false, null, 0f), 1e-6, "transposed view, op T");
    // a range of rows of a wider matrix: offset and a row stride larger than the width
    INDArray wide = Checks.f(Checks.random(r, 9, 11));
    INDArray rows = wide.get(NDArrayIndex.interval(2, 7), NDArrayIndex.interval(3, 10)); // (5, 7), offset 25, ld 11
    close(loops(rows, false, b, false), Gemm.gemm(rows, false, b, false, null, 0f), 1e-6, "row-range view");
    // unit dimensions
    INDArray row = Checks.f(Checks.random(r, 1, 7));
    INDArray col = Checks.f(Checks.random(r, 7, 1));
    close(loops(row, false, col, false), Gemm.gemm(row, false, col, false, null, 0f), 1e-6, "(1, K) (K, 1)");
    close(loops(col, false, row, false), Gemm.gemm(col, false, row, false, null, 0f), 1e-6, "(K, 1) (1, K)");
  }

  @Test
  void accumulatesWithBetaAndSumsRows() {
    Random r = new Random(9);
    INDArray a = Checks.f(Checks.random(r, 4, 6));
    INDArray b = Checks.f(Checks.random(r, 6, 3));
    INDArray c = Checks.f(Checks.random(r, 4, 3));
    INDArray expected = c.castTo(DataType.DOUBLE).add(loops(a, false, b, false));
    assertSame(c, Gemm.gemm(a, false, b, false, c, 1f));
    close(expected, c, 1e-6, "c + a b");
    INDArray g = Checks.f(Checks.random(r, 1500, 3)); // more rows than the cached row of ones starts with
    INDArray sums = g.castTo(DataType.DOUBLE).sum(0);
    close(sums, Gemm.sumRows(g, null), 1e-5, "column sums");
    INDArray into = Checks.f(Checks.random(r, 3));
    INDArray plus = into.castTo(DataType.DOUBLE).add(sums);
    assertSame(into, Gemm.sumRows(g, into));
    close(plus, into, 1e-5, "column sums added");
    close(g.get(NDArrayIndex.interval(0, 5), NDArrayIndex.all()).castTo(DataType.DOUBLE).sum(0),
        Gemm.sumRows(g.get(NDArrayIndex.interval(0, 5), NDArrayIndex.all()), null), 1e-6, "fewer rows than the ones");
  }

  @Test
  void linearAddsTheBiasToEveryRow() {
    Random r = new Random(11);
    INDArray x = Checks.f(Checks.random(r, 8, 12));
    INDArray w = Checks.f(Checks.random(r, 5, 12));
    INDArray bias = Checks.f(Checks.random(r, 5));
    INDArray expected = loops(x, false, w, true).add(bias.castTo(DataType.DOUBLE).reshape(1, 5));
    close(expected, Gemm.linear(x, w, bias), 1e-6, "x w^T + b");
    close(loops(x, false, w, true), Gemm.linear(x, w, null), 1e-6, "x w^T");
  }

  @Test
  void rejectsDoublesBroadcastViewsAndMisalignedShapes() {
    Random r = new Random(13);
    assertFalse(Gemm.supports(Checks.random(r, 3, 3)), "double");
    INDArray everyOther = Checks.f(Checks.random(r, 4, 8)).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 8));
    assertFalse(Gemm.supports(everyOther), "column stride 2");
    assertFalse(Gemm.supports(Checks.f(Checks.random(r, 2, 3, 4))), "rank 3");
    assertThrows(IllegalArgumentException.class,
        () -> Gemm.gemm(Checks.f(Checks.random(r, 2, 3)), false, Checks.f(Checks.random(r, 4, 2)), false, null, 0f));
  }
  @Test
  void batchedProductsMatchLoopsPerEntryForEveryTransposition() {
    Random r = new Random(11);
    long batch = 3, m = 2, n = 5, k = 4;
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        INDArray a = Checks.f(Checks.random(r, batch, ta ? k : m, ta ? m : k));
        INDArray b = Checks.f(Checks.random(r, batch, tb ? n : k, tb ? k : n));
        INDArray c = Gemm.batched(a, ta, b, tb, batch, m, n, k);
        for (int i = 0; i < batch; i++) {
          INDArray expected = loops(a.slice(i), ta, b.slice(i), tb);
          close(expected, c.slice(i).castTo(DataType.DOUBLE), 1e-5, "entry " + i + " ta " + ta + " tb " + tb);
        }
      }
    }
    INDArray view = Checks.f(Checks.random(r, 3, 4, 4)).permute(0, 2, 1);
    assertThrows(IllegalArgumentException.class, () -> Gemm.batched(view, false, view, false, 3, 4, 4, 4));
  }
}
