package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dlcourse.nn.F;
import dlcourse.nn.Reduction;
import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Float cross-entropy on {@link LogSoftmaxKernel} against the double host loops of {@link CrossEntropyKernel} (the
 * same call on the logits cast to double): losses and gradients, with ignored rows, label smoothing and every
 * reduction, including an upstream gradient per row.
 */
class LogSoftmaxKernelTest {

  @Test
  void floatCrossEntropyMatchesTheDoubleLoops() {
    Nd4j.getRandom().setSeed(5);
    int n = 37;
    int c = 87;
    INDArray logits = Nd4j.randn(DataType.FLOAT, n, c).muli(4);
    logits.putScalar(3, 5, 80f); // a confident row: its other log-probabilities are far below -50
    long[] t = new long[n];
    for (int i = 0; i < n; i++) {
      t[i] = i % 7 == 0 ? -100 : (i * 13) % c;
    }
    INDArray target = Nd4j.createFromArray(t);
    for (Reduction r : Reduction.values()) {
      for (double smoothing : new double[] {0, 0.1}) {
        Tensor xf = Tensor.of(logits.dup()).requiresGrad(true);
        Tensor xd = Tensor.of(logits.castTo(DataType.DOUBLE)).requiresGrad(true);
        Tensor lf = F.crossEntropy(xf, Tensor.of(target), r, -100, smoothing);
        Tensor ld = F.crossEntropy(xd, Tensor.of(target), r, -100, smoothing);
        String what = r + " smoothing " + smoothing;
        assertEquals(DataType.FLOAT, lf.dtype(), what);
        assertEquals(0, GradCheck.maxAbsDiff(lf, ld.to(DataType.FLOAT)), 2e-5 * Math.max(1, Math.abs(ld.array()
            .sumNumber().doubleValue())), what + " loss");
        if (r == Reduction.NONE) {
          INDArray up = Nd4j.rand(DataType.FLOAT, n);
          lf.mul(Tensor.of(up)).sum().backward();
          ld.mul(Tensor.of(up.castTo(DataType.DOUBLE))).sum().backward();
        } else {
          lf.mul(3).backward();
          ld.mul(3).backward();
        }
        assertEquals(0, GradCheck.maxAbsDiff(xf.grad(), xd.grad().to(DataType.FLOAT)), 3e-5, what + " gradient");
        for (int i = 0; i < n; i += 7) {
          assertEquals(0, xf.grad().array().getRow(i).amaxNumber().doubleValue(), what + ": ignored row " + i);
        }
      }
    }
  }
}
