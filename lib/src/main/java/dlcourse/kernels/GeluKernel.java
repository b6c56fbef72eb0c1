package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Unary;
import java.util.List;
import org.bytedeco.dnnl.dnnl_eltwise_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GELU forward and backward on float arrays, as oneDNN's {@code eltwise_gelu_tanh} / {@code eltwise_gelu_erf}
 * primitives (one vectorised pass each, against the nine ND4J element-wise ops with four temporaries of the formula):
 * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))} with {@code tanh}, {@code x Phi(x)} otherwise. The array is
 * seen as a vector of its {@code n} elements (element-wise, so any shape), the primitives built once per
 * (n, form) and cached. Plain 'c' float arrays in and out (others are copied first); {@link #supports} says where
 * oneDNN is used, the caller computes the other cases (double) itself. Stateless and thread-safe.
 */
public final class GeluKernel {
  /** Whether float arrays go through oneDNN; {@code -Ddlcourse.kernels.gelu=host} turns it off for A/B timings. */
  static volatile boolean dnnl = !"host".equals(System.getProperty("dlcourse.kernels.gelu"));

  private GeluKernel() {}

  /** Whether {@link #forward} and {@link #backward} run on oneDNN for {@code x} (float, oneDNN loaded). */
  public static boolean supports(INDArray x) {
    return dnnl && x.length() > 0 && Prims.useDnnl(x);
  }

  /** GELU of {@code x}, a new array of its shape. */
  public static INDArray forward(INDArray x, boolean tanh) {
    Unary e = entry(x.length(), tanh);
    try {
      INDArray y = Buffers.take(DataType.FLOAT, x.shape());
      e.forward(Prims.plain(x), y);
      return y;
    } finally {
      Prims.release(e);
    }
  }

  /** The gradient of the input {@code x} from the output's gradient {@code gy} (same shape), a new array. */
  public static INDArray backward(INDArray x, INDArray gy, boolean tanh) {
    if (gy.length() != x.length()) {
      throw new IllegalArgumentException("GELU gradient of " + gy.length() + " values for an input of " + x.length());
    }
    Unary e = entry(x.length(), tanh);
    try {
      INDArray gx = Buffers.take(DataType.FLOAT, x.shape());
      e.backward(DNNL_ARG_SRC, Prims.plain(x), Prims.plain(gy.castTo(DataType.FLOAT)), gx);
      return gx;
    } finally {
      Prims.release(e);
    }
  }

  private static Unary entry(long n, boolean tanh) {
    return Prims.acquire(List.of("gelu", n, tanh), () -> geluPrims(n, tanh));
  }

  /** Forward (training) and backward primitives of GELU on a vector of n floats. */
  private static Unary geluPrims(long n, boolean tanh) {
    String what = "GELU (" + n + (tanh ? ", tanh)" : ", erf)");
    int alg = tanh ? dnnl_eltwise_gelu_tanh : dnnl_eltwise_gelu_erf;
    dnnl_memory_desc_t md = Dnnl.md(dnnl_a, n);
    dnnl_eltwise_desc_t f = new dnnl_eltwise_desc_t();
    Dnnl.check(dnnl_eltwise_forward_desc_init(f, dnnl_forward_training, alg, md, 0f, 0f), what);
    dnnl_eltwise_desc_t b = new dnnl_eltwise_desc_t();
    Dnnl.check(dnnl_eltwise_backward_desc_init(b, alg, md, md, 0f, 0f), what + " gradient");
    return new Unary(md, f, b, what, "GELU");
  }
}
