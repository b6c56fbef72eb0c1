package dlcourse.kernels;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Plain NCHW against oneDNN's blocked layout for the course's conv shapes; run with
 * {@code DLCOURSE_BENCH=1 mvn -o -q -B -pl lib test -Dtest=ConvLayoutBench}.
 */
@EnabledIfEnvironmentVariable(named = "DLCOURSE_BENCH", matches = ".+")
class ConvLayoutBench {
  @Test
  void layouts() {
    long[][] shapes = { // n, c, h, o, k, pad, input gradient?
      {64, 1, 28, 16, 3, 1, 0}, {64, 16, 14, 32, 3, 1, 1}, {64, 32, 7, 64, 3, 1, 1},
      {128, 3, 32, 32, 5, 2, 0}, {128, 32, 16, 64, 5, 2, 1}};
    Random r = new Random(1);
    boolean before = Conv2dKernel.blocked;
    for (int rep = 0; rep < 2; rep++) {
      for (long[] s : shapes) {
        INDArray x = Nd4j.rand(DataType.FLOAT, s[0], s[1], s[2], s[2]);
        INDArray w = Nd4j.rand(DataType.FLOAT, s[3], s[1], s[4], s[4]);
        INDArray b = Nd4j.rand(DataType.FLOAT, s[3]);
        int[] st = {1, 1};
        int[] p = {(int) s[5], (int) s[5]};
        int[] d = {1, 1};
        StringBuilder line = new StringBuilder(Arrays.toString(s));
        for (boolean blocked : new boolean[] {false, true}) {
          Conv2dKernel.blocked = blocked;
          INDArray y = Conv2dKernel.forward(x, w, b, st, p, d, true);
          double[] fwd = new double[50];
          double[] bwd = new double[50];
          for (int i = -10; i < 50; i++) {
            long t0 = System.nanoTime();
            y = Conv2dKernel.forward(x, w, b, st, p, d, true);
            long t1 = System.nanoTime();
            if (s[6] == 1) {
              Conv2dKernel.backwardInput(y, w, x.shape(), st, p, d);
            }
            Conv2dKernel.backwardWeights(y, x, w.shape(), true, st, p, d);
            long t2 = System.nanoTime();
            if (i >= 0) {
              fwd[i] = (t1 - t0) / 1e6;
              bwd[i] = (t2 - t1) / 1e6;
            }
          }
          Arrays.sort(fwd);
          Arrays.sort(bwd);
          line.append(String.format(" %s fwd %.2f bwd %.2f total %.2f ms;", blocked ? "blocked" : "plain", fwd[25],
              bwd[25], fwd[25] + bwd[25]));
        }
        System.out.println("BENCH " + line);
      }
    }
    Conv2dKernel.blocked = before;
    System.out.println("BENCH impls " + Prims.implementations());
  }
}
