package dlcourse.kernels;

import static dlcourse.kernels.Checks.close;
import static dlcourse.kernels.Checks.f;
import static dlcourse.kernels.Checks.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Pad2dKernelTest {
  record Case(long[] x, int[] pad) {}

  static final List<Case> CASES = List.of(
      new Case(new long[] {1, 2, 5, 6}, new int[] {2, 1, 0, 3}),
      new Case(new long[] {2, 81, 4, 4}, new int[] {1, 1, 1, 1}),
      new Case(new long[] {1, 1, 3, 3}, new int[] {2, 2, 2, 2}), // reflect's largest padding
      new Case(new long[] {3, 2, 4, 7}, new int[] {0, 3, 2, 0}));

  /** PyTorch's definitions, one pixel at a time; mode 0 constant 0.5, 1 reflect, 2 replicate, 3 circular. */
  static long source(long t, long n, int mode) {
    if (t >= 0 && t < n) {
      return t;
    }
    return switch (mode) {
      case 1 -> t < 0 ? -t : 2 * (n - 1) - t;
      case 2 -> Math.max(0, Math.min(n - 1, t));
      case 3 -> ((t % n) + n) % n;
      default -> -1;
    };
  }

  static INDArray loops(INDArray x, int[] pad, int mode) {
    long[] s = x.shape();
    INDArray y = Nd4j.zeros(DataType.DOUBLE, s[0], s[1], s[2] + pad[2] + pad[3], s[3] + pad[0] + pad[1]);
    for (long n = 0; n < s[0]; n++) {
      for (long c = 0; c < s[1]; c++) {
        for (long i = 0; i < y.size(2); i++) {
          for (long j = 0; j < y.size(3); j++) {
            long r = source(i - pad[2], s[2], mode);
            long q = source(j - pad[0], s[3], mode);
            y.putScalar(new long[] {n, c, i, j}, r < 0 || q < 0 ? 0.5 : x.getDouble(n, c, r, q));
          }
        }
      }
    }
    return y;
  }

  static INDArray forward(INDArray x, int[] pad, int mode) {
    return switch (mode) {
      case 0 -> Pad2dKernel.constant(x, pad, 0.5);
      case 1 -> Pad2dKernel.reflect(x, pad);
      case 2 -> Pad2dKernel.replicate(x, pad);
      default -> Pad2dKernel.circular(x, pad);
    };
  }

  static INDArray backward(INDArray gy, int[] pad, int mode) {
    return switch (mode) {
      case 0 -> Pad2dKernel.constantBackward(gy, pad);
      case 1 -> Pad2dKernel.reflectBackward(gy, pad);
      case 2 -> Pad2dKernel.replicateBackward(gy, pad);
      default -> Pad2dKernel.circularBackward(gy, pad);
    };
  }

  @Test
  void everyModeMatchesTheDefinitionInFloatAndDouble() {
    Random r = new Random(7);
    for (Case k : CASES) {
      for (int mode = 0; mode < 4; mode++) {
        String what = java.util.Arrays.toString(k.x) + java.util.Arrays.toString(k.pad) + " mode " + mode;
        INDArray x = random(r, k.x);
        INDArray y = loops(x, k.pad, mode);
        close(y, forward(x, k.pad, mode), 0, what + " double");
        INDArray yf = forward(f(x), k.pad, mode);
        assertEquals(DataType.FLOAT, yf.dataType());
        close(y, yf, 1e-7, what + " float");
        // the adjoint: <pad(x), g> = <x, pad*(g)> for the linear part (constant's value aside)
        INDArray gy = random(r, y.shape());
        INDArray gx = backward(gy, k.pad, mode);
        INDArray gxf = backward(f(gy), k.pad, mode);
        close(gx, gxf, 1e-6, what + " float backward");
        INDArray zero = Nd4j.zeros(DataType.DOUBLE, k.x);
        double lhs = loops(x, k.pad, mode).sub(loops(zero, k.pad, mode)).mul(gy).sumNumber().doubleValue();
        double rhs = x.mul(gx).sumNumber().doubleValue();
        assertEquals(lhs, rhs, 1e-9 * (1 + Math.abs(lhs)), what + " adjoint");
      }
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Random r = new Random(8);
    for (Case k : List.of(new Case(new long[] {1, 2, 3, 4}, new int[] {2, 3, 2, 1}),
        new Case(new long[] {2, 1, 4, 3}, new int[] {1, 0, 3, 3}))) {
      for (int mode = 0; mode < 4; mode++) {
        int m = mode;
        if (m == 1 && (k.pad[0] >= k.x[3] || k.pad[1] >= k.x[3] || k.pad[2] >= k.x[2] || k.pad[3] >= k.x[2])) {
          continue; // too large for reflect; checked below
        }
        INDArray x = random(r, k.x);
        INDArray gy = random(r, forward(x, k.pad, m).shape());
        Checks.finiteDifferences(x, v -> forward(v, k.pad, m), gy, backward(gy, k.pad, m), "mode " + m);
      }
    }
    INDArray x = Nd4j.zeros(DataType.FLOAT, 1, 1, 3, 3);
    assertThrows(IllegalArgumentException.class, () -> Pad2dKernel.reflect(x, new int[] {3, 0, 0, 0}));
    assertThrows(IllegalArgumentException.class, () -> Pad2dKernel.circular(x, new int[] {0, 0, 4, 0}));
    assertEquals(9, Pad2dKernel.replicate(x, new int[] {0, 6, 0, 0}).size(3));
  }

  @Test
  void viewsPadLikeCopies() {
    Random r = new Random(9);
    INDArray big = f(random(r, 2, 5, 6, 6));
    INDArray view = big.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3));
    int[] pad = {1, 2, 2, 1};
    for (int mode = 0; mode < 4; mode++) {
      close(forward(view.dup('c'), pad, mode), forward(view, pad, mode), 0, "view mode " + mode);
    }
  }

}
