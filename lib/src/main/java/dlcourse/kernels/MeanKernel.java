package dlcourse.kernels;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The mean of a float array along one dimension as a Java loop, behind {@code Tensor.mean}: ND4J's reduction over a
 * middle dimension took 1.4 ms for the captioner's mean region feature ((8, 256, 512) over the 256 regions), the loop
 * reads the array once. Stateless.
 */
public final class MeanKernel {
  /** Arrays up to this many elements go through Java; larger ones are left to ND4J. */
  static final long MAX_ELEMENTS = 1 << 24;

  private MeanKernel() {}

  /** Whether {@link #meanAlong} takes {@code x}: float, non-empty, row-major from the start of its own buffer. */
  public static boolean supports(INDArray x) {
    return x.dataType() == DataType.FLOAT && !x.isEmpty() && x.length() <= MAX_ELEMENTS && x.offset() == 0
        && x.data().length() == x.length() && Gemm.rowMajor(x);
  }

  /**
   * The mean of {@code x} along {@code dim} (an array {@link #supports} takes), summed in double in index order and
   * rounded once: a new 'c' array of {@code x}'s shape without {@code dim} (kept as size 1 when {@code keepDim}).
   * Behind {@code Tensor.mean} over one dimension (the captioner's mean region feature, (8, 256, 512) over the regions).
   */
  public static INDArray meanAlong(INDArray x, int dim, boolean keepDim) {
    long[] shape = x.shape();
    long innerL = 1;
    for (int k = dim + 1; k < shape.length; k++) {
      innerL *= shape[k];
    }
    int inner = (int) innerL;
    int n = (int) shape[dim];
    int outer = (int) (x.length() / Math.max(1, (long) n * inner));
    FloatBuffer xb = x.data().asNioFloat();
    float[] row = new float[inner];
    double[] acc = new double[inner];
    float[] out = new float[outer * inner];
    for (int o = 0; o < outer; o++) {
      java.util.Arrays.fill(acc, 0);
      for (int r = 0; r < n; r++) {
        xb.get((o * n + r) * inner, row);
        for (int i = 0; i < inner; i++) {
          acc[i] += row[i];
        }
      }
      for (int i = 0; i < inner; i++) {
        out[o * inner + i] = (float) (acc[i] / n);
      }
    }
    Reference.reachabilityFence(x);
    long[] to = keepDim ? shape.clone() : new long[shape.length - 1];
    if (keepDim) {
      to[dim] = 1;
    } else {
      for (int d = 0, j = 0; d < shape.length; d++) {
        if (d != dim) {
          to[j++] = shape[d];
        }
      }
    }
    INDArray y = Nd4j.createUninitialized(DataType.FLOAT, to, 'c');
    y.data().asNioFloat().put(0, out);
    Reference.reachabilityFence(y);
    return y;
  }

}
