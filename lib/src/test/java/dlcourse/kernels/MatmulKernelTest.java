package dlcourse.kernels;

import static dlcourse.kernels.Checks.close;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class MatmulKernelTest {
  /** op(a) op(b) over the last two dimensions of rank-3 or rank-4 arrays, by loops in double. */
  static INDArray loops(INDArray a, boolean ta, INDArray b, boolean tb) {
    INDArray a2 = ta ? a.swapAxes(a.rank() - 1, a.rank() - 2) : a;
    INDArray b2 = tb ? b.swapAxes(b.rank() - 1, b.rank() - 2) : b;
    long[] as = a2.shape();
    long[] bs = b2.shape();
    int r = as.length;
    long m = as[r - 2], k = as[r - 1], n = bs[r - 1];
    long batch = a2.length() / (m * k);
    INDArray a3 = a2.castTo(DataType.DOUBLE).dup('c').reshape(batch, m, k);
    INDArray b3 = b2.castTo(DataType.DOUBLE).dup('c').reshape(batch, k, n);
    INDArray c = Nd4j.create(DataType.DOUBLE, batch, m, n);
    for (long p = 0; p < batch; p++) {
      for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
          double s = 0;
          for (long q = 0; q < k; q++) {
            s += a3.getDouble(p, i, q) * b3.getDouble(p, q, j);
          }
          c.putScalar(new long[] {p, i, j}, s);
        }
      }
    }
    long[] out = as.clone();
    out[r - 1] = n;
    return c.reshape(out);
  }

  @Test
  void productsOfPlainTransposedAndStridedViewsMatchLoops() {
    assertTrue(Dnnl.available(), "oneDNN must load here");
    Random r = new Random(3);
    // attention heads cut from a fused (B, T, 3C) projection: (B, H, T, d) views with permuted strides
    INDArray qkv = Checks.f(Checks.random(r, 2, 5, 3 * 12));
    INDArray q = qkv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 12)).reshape(2, 5, 3, 4)
        .permute(0, 2, 1, 3);
    INDArray k = qkv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(12, 24)).reshape(2, 5, 3, 4)
        .permute(0, 2, 1, 3);
    close(loops(q, false, k, true), MatmulKernel.matmul(q, false, k, true, null), 1e-6, "q k^T from views");
    INDArray a = Checks.f(Checks.random(r, 4, 3, 7));
    INDArray b = Checks.f(Checks.random(r, 4, 7, 5));
    INDArray bt = Checks.f(Checks.random(r, 4, 5, 7));
    INDArray at = Checks.f(Checks.random(r, 4, 7, 3));
    close(loops(a, false, b, false), MatmulKernel.matmul(a, false, b, false, null), 1e-6, "a b");
    close(loops(a, false, bt, true), MatmulKernel.matmul(a, false, bt, true, null), 1e-6, "a b^T");
    close(loops(at, true, b, false), MatmulKernel.matmul(at, true, b, false, null), 1e-6, "a^T b");
    close(loops(at, true, bt, true), MatmulKernel.matmul(at, true, bt, true, null), 1e-6, "a^T b^T");
    INDArray p = a.permute(0, 2, 1); // (4, 7, 3), 'f'-like strides in the last two
    close(loops(p, true, b, false), MatmulKernel.matmul(p, true, b, false, null), 1e-6, "permuted view, transposed");
    INDArray u = Checks.f(Checks.random(r, 6, 1, 9)); // unit rows
    INDArray v = Checks.f(Checks.random(r, 6, 9, 2));
    close(loops(u, false, v, false), MatmulKernel.matmul(u, false, v, false, null), 1e-6, "(B, 1, K)");
  }

  @Test
  void accumulatesIntoAPlainArrayAndDeclinesOthers() {
    Random r = new Random(5);
    INDArray a = Checks.f(Checks.random(r, 3, 4, 6));
    INDArray b = Checks.f(Checks.random(r, 3, 6, 2));
    INDArray into = Checks.f(Checks.random(r, 3, 4, 2));
    INDArray expected = into.castTo(DataType.DOUBLE).add(loops(a, false, b, false));
    assertSame(into, MatmulKernel.matmul(a, false, b, false, into));
    close(expected, into, 1e-6, "added into");
    INDArray view = Checks.f(Checks.random(r, 3, 4, 4)).get(NDArrayIndex.all(), NDArrayIndex.all(),
        NDArrayIndex.interval(0, 2));
    INDArray before = view.dup();
    INDArray c = MatmulKernel.matmul(a, false, b, false, view);
    assertFalse(c == view, "a view is declined");
    close(before, view, 0, "the declined array is unchanged");
    close(loops(a, false, b, false), c, 1e-6, "declined: a new product");
  }

  @Test
  void runsOnGemmNotTheReferenceCodeAndChecksShapes() {
    Random r = new Random(7);
    INDArray qkv = Checks.f(Checks.random(r, 4, 16, 3 * 48));
    INDArray q = qkv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 48)).reshape(4, 16, 3, 16)
        .permute(0, 2, 1, 3);
    MatmulKernel.matmul(q, false, q, true, null);
    int cached = Prims.size();
    MatmulKernel.matmul(q, false, q, true, null); // the same shapes and strides: the cached primitive
    assertTrue(Prims.size() == cached, "one primitive per shape and strides");
    MatmulKernel.matmul(Checks.f(Checks.random(r, 8, 16, 16)), true, Checks.f(Checks.random(r, 8, 16, 16)), false,
        Nd4j.zeros(DataType.FLOAT, 8, 16, 16));
    List<String> impl = Prims.implementations().stream().filter(s -> s.startsWith("matmul")).toList();
    assertFalse(impl.isEmpty());
    assertTrue(impl.stream().noneMatch(s -> s.contains("ref")), impl.toString());
    assertThrows(IllegalArgumentException.class, () -> MatmulKernel.matmul(Checks.f(Checks.random(r, 2, 3, 4)), false,
        Checks.f(Checks.random(r, 2, 3, 4)), false, null));
    assertFalse(MatmulKernel.supports(Nd4j.rand(DataType.DOUBLE, 2, 3, 3), Nd4j.rand(DataType.DOUBLE, 2, 3, 3)));
  }
}
