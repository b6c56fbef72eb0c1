package dlcourse.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class LinalgTest {

  @Test
  void singularValuesOfARotatedDiagonalMatrixAreItsDiagonal() {
    double c = Math.cos(0.7);
    double s = Math.sin(0.7);
    // U diag(5, 2, 0.5) V^T with U a rotation in the (0, 1) plane and V one in the (1, 2) plane, 4 x 3.
    double[][] u = {{c, -s, 0}, {s, c, 0}, {0, 0, 1}, {0, 0, 0}};
    double[][] v = {{1, 0, 0}, {0, c, -s}, {0, s, c}};
    var a = Nd4j.createFromArray(u).mmul(Nd4j.diag(Nd4j.createFromArray(5.0, 2.0, 0.5)))
        .mmul(Nd4j.createFromArray(v).transpose());
    assertArrayEquals(new double[] {5, 2, 0.5}, Linalg.svdvals(Tensor.of(a)), 1e-12);
    assertArrayEquals(new double[] {5, 2, 0.5}, Linalg.svdvals(Tensor.of(a.transpose())), 1e-12); // wide
    assertArrayEquals(new double[] {4, 3}, Linalg.svdvals(Tensor.of(Nd4j.createFromArray(new double[][] {{3, 0},
      {0, -4}}))), 1e-15);
  }

  @Test
  void rankOfAProductIsItsInnerSize() {
    for (int inner : new int[] {1, 4, 16}) {
      Tensor a = Tensor.randn(1, 32, inner).matmul(Tensor.randn(2, inner, 16)); // float, (32, 16)
      assertEquals(inner, Linalg.matrixRank(a));
      Tensor b = Tensor.randn(1, 32, inner).to(DataType.DOUBLE).matmul(Tensor.randn(2, inner, 16).to(DataType.DOUBLE));
      assertEquals(inner, Linalg.matrixRank(b, 1e-12));
    }
    assertEquals(0, Linalg.matrixRank(Tensor.zeros(3, 5)));
    var e = assertThrows(IllegalArgumentException.class, () -> Linalg.svdvals(Tensor.zeros(2, 3, 4)));
    assertEquals("svdvals: expected a matrix (m, n), got (2, 3, 4)", e.getMessage());
  }
}
