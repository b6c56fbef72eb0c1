package dlcourse.tensor;

import dlcourse.util.Check;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Matrix functions that record no gradient, like the parts of {@code torch.linalg} the course uses: singular values
 * and the numerical rank of a matrix.
 */
public final class Linalg {
  private Linalg() {}

  /**
   * The singular values of a matrix, largest first, like {@code torch.linalg.svdvals}: computed in double by one-sided
   * Jacobi rotations (Hestenes), which orthogonalise the columns until every pair is orthogonal to machine precision;
   * the singular values are then the column norms. Accurate to a few units of double rounding relative to the largest.
   *
   * @param a a matrix {@code (m, n)}, any floating-point type
   * @return {@code min(m, n)} values, float64, descending
   * @throws IllegalArgumentException if {@code a} is not a matrix
   */
  public static double[] svdvals(Tensor a) {
    if (a.dim() != 2) {
      throw new IllegalArgumentException("svdvals: expected a matrix (m, n), got " + Shapes.str(a.shape()));
    }
    INDArray x = a.array().castTo(DataType.DOUBLE);
    if (x.rows() < x.columns()) {
      x = x.transpose(); // rotate the shorter side: the singular values are those of the transpose
    }
    int m = x.rows();
    int n = x.columns();
    double[][] col = new double[n][m];
    for (int j = 0; j < n; j++) {
      col[j] = x.getColumn(j).dup().toDoubleVector();
    }
    for (int sweep = 0; sweep < 60; sweep++) {
      boolean rotated = false;
      for (int p = 0; p < n - 1; p++) {
        for (int q = p + 1; q < n; q++) {
          double alpha = dot(col[p], col[p]);
          double beta = dot(col[q], col[q]);
          double gamma = dot(col[p], col[q]);
          if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma == 0) {
            continue;
          }
          rotated = true;
          double zeta = (beta - alpha) / (2 * gamma);
          double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
          double c = 1 / Math.sqrt(1 + t * t);
          double s = c * t;
          for (int i = 0; i < m; i++) {
            double u = col[p][i];
            double w = col[q][i];
            col[p][i] = c * u - s * w;
            col[q][i] = s * u + c * w;
          }
        }
      }
      if (!rotated) {
        break;
      }
    }
    double[] sv = new double[n];
    for (int j = 0; j < n; j++) {
      sv[j] = Math.sqrt(dot(col[j], col[j]));
    }
    Arrays.sort(sv);
    for (int i = 0; i < n / 2; i++) {
      double tmp = sv[i];
      sv[i] = sv[n - 1 - i];
      sv[n - 1 - i] = tmp;
    }
    return sv;
  }

  /**
   * The numerical rank: how many singular values exceed {@code rtol} times the largest, like
   * {@code torch.linalg.matrix_rank(a, rtol=rtol)}.
   *
   * @param rtol relative tolerance, e.g. {@code 1e-6}
   */
  public static int matrixRank(Tensor a, double rtol) {
    Check.nonNegative(rtol, "rtol");
    double[] sv = svdvals(a);
    int rank = 0;
    for (double s : sv) {
      if (s > rtol * sv[0]) {
        rank++;
      }
    }
    return rank;
  }

  /**
   * The numerical rank with PyTorch's default tolerance, {@code max(m, n)} times the machine epsilon of the
   * matrix's type (float 1.19e-7, double 2.22e-16), relative to the largest singular value.
   */
  public static int matrixRank(Tensor a) {
    if (a.dim() != 2) {
      throw new IllegalArgumentException("matrixRank: expected a matrix (m, n), got " + Shapes.str(a.shape()));
    }
    double eps = a.dtype() == DataType.DOUBLE ? Math.ulp(1.0) : Math.ulp(1.0f);
    return matrixRank(a, Math.max(a.size(0), a.size(1)) * eps);
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
