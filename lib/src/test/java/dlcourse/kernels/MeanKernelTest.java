package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MeanKernelTest {
  /** Every dimension of a (3, 5, 7) float array, with and without keepDim, against ND4J's mean in double. */
  @Test
  void meanAlongEachDimensionEqualsTheDoubleMean() {
    INDArray x = Tensor.randn(3, 3, 5, 7).array();
    assertTrue(MeanKernel.supports(x));
    for (int dim = 0; dim < 3; dim++) {
      for (boolean keep : new boolean[] {false, true}) {
        INDArray want = x.castTo(DataType.DOUBLE).mean(keep, dim);
        INDArray got = MeanKernel.meanAlong(x, dim, keep);
        assertArrayEquals(want.shape(), got.shape(), "dim " + dim + " keep " + keep);
        assertTrue(GradCheck.maxAbsDiff(want, got.castTo(DataType.DOUBLE)) < 1e-7, "dim " + dim);
      }
    }
    INDArray v = Nd4j.createFromArray(1f, 2f, 6f);
    assertArrayEquals(new long[0], MeanKernel.meanAlong(v, 0, false).shape());
    assertTrue(MeanKernel.meanAlong(v, 0, false).getDouble(0) == 3.0);
  }

  /** Views that do not start their buffer, and double arrays, are left to ND4J. */
  @Test
  void viewsAndDoublesAreNotTaken() {
    INDArray x = Tensor.randn(4, 4, 6).array();
    assertFalse(MeanKernel.supports(x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3))));
    assertFalse(MeanKernel.supports(x.transpose()));
    assertFalse(MeanKernel.supports(x.castTo(DataType.DOUBLE)));
  }

  /** Tensor.mean over one dimension goes through the kernel and keeps its gradient. */
  @Test
  void tensorMeanUsesItWithTheSameGradient() {
    Tensor x = Tensor.of(Tensor.randn(5, 2, 8, 3).array()).requiresGrad(true);
    Tensor m = x.mean(false, 1);
    assertTrue(GradCheck.maxAbsDiff(x.array().castTo(DataType.DOUBLE).mean(1), m.array().castTo(
        DataType.DOUBLE)) < 1e-7);
    m.sum().backward();
    assertTrue(GradCheck.maxAbsDiff(Nd4j.valueArrayOf(new long[] {2, 8, 3}, 1.0 / 8, DataType.DOUBLE),
        x.grad().array().castTo(DataType.DOUBLE)) < 1e-7);
  }
}
