package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Entry;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.dnnl_layer_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer normalisation as {@code torch.nn.functional.layer_norm}: over the last {@code k} dimensions of {@code x}
 * (the normalised shape, {@code D} values), {@code y = (x - mean) / sqrt(var + eps) * weight + bias} with the
 * biased variance; {@code weight} and {@code bias} have the normalised shape (or {@code D} values) or are null, each
 * on its own. The statistics of the {@code M = x.numel() / D} rows are returned ({@link Stats}) for the backward
 * pass. Plain 'c' arrays in and out; views and non-'c' arrays are copied first. Stateless and thread-safe.
 *
 * <p>Float arrays run on oneDNN's {@code layer_normalization} primitives, built once per (M, D, flags, eps) and
 * cached: the input is seen as {@code (M, D)} (a 'c' array's last k dimensions are contiguous, so normalising over
 * them is normalising the rows of that matrix, and a weight of the normalised shape is a per-column scale), with the
 * {@code use_scale} / {@code use_shift} flags. Double arrays, and every array where oneDNN does not load, run on
 * ND4J's broadcasting arithmetic with the same formulas.
 *
 * <p>Measured (2 vCPU AMD EPYC shared with other jobs, float, weight and bias, forward + backward through
 * {@code F.layerNorm}, median of 35 interleaved rounds, 2 threads), former Tensor ops / oneDNN
 * ({@code simple_layer_normalization}) / this class's ND4J path: (32, 128, 128) 36.7 / 1.7 / 9.4 ms, (8, 64, 768)
 * 21.7 / 0.85 / 5.3 ms, (64, 10, 32) 4.0 / 0.16 / 0.78 ms. {@code -Ddlcourse.kernels.layerNorm=host} forces the ND4J
 * path.
 */
public final class LayerNormKernel {
  /** Whether float arrays go through oneDNN (where it loads) rather than ND4J; for A/B measurements. */
  static volatile boolean dnnl = !"host".equals(System.getProperty("dlcourse.kernels.layerNorm"));

  private LayerNormKernel() {}

  /** The output and the statistics of each of the M rows: {@code mean} and biased {@code var}, (M). */
  public record Stats(INDArray output, INDArray mean, INDArray var) {}

  /** Gradients of {@code x}, {@code weight} and {@code bias} (null for an absent weight or bias). */
  public record Grads(INDArray x, INDArray weight, INDArray bias) {}

  public static Stats forward(INDArray x, int normalizedDims, INDArray weight, INDArray bias, double eps) {
    Shape s = new Shape(x.shape(), normalizedDims, weight, bias);
    if (!dnnl || !Prims.useDnnl(x) || s.m == 0) {
      DataType t = x.dataType();
      INDArray x2 = x.reshape('c', s.m, s.d);
      INDArray mean = x2.mean(1);
      INDArray xc = x2.sub(mean.reshape(s.m, 1));
      INDArray var = xc.mul(xc).mean(1);
      INDArray y = xc.muli(Transforms.pow(var.add(eps), -0.5, false).reshape(s.m, 1));
      if (weight != null) {
        y.muli(weight.castTo(t).reshape(1, s.d));
      }
      if (bias != null) {
        y.addi(bias.castTo(t).reshape(1, s.d));
      }
      return new Stats(y.reshape('c', x.shape()), mean, var);
    }
    LnPrims e = entry(s, eps, weight != null, bias != null);
    try {
      INDArray y = Buffers.take(DataType.FLOAT, x.shape());
      INDArray mean = Nd4j.createUninitialized(DataType.FLOAT, s.m);
      INDArray var = Nd4j.createUninitialized(DataType.FLOAT, s.m);
      Prims.Args a = Prims.args().add(DNNL_ARG_SRC, e.data, Prims.plain(x)).add(DNNL_ARG_DST, e.data, y)
          .add(DNNL_ARG_MEAN, e.stat, mean).add(DNNL_ARG_VARIANCE, e.stat, var);
      if (weight != null) {
        a.add(DNNL_ARG_SCALE, e.param, BatchNormKernel.floats(weight));
      }
      if (bias != null) {
        a.add(DNNL_ARG_SHIFT, e.param, BatchNormKernel.floats(bias));
      }
      Prims.run(e.forward, a);
      return new Stats(y, mean, var);
    } finally {
      Prims.release(e);
    }
  }

  /**
   * Backward pass from the output's gradient {@code gy}, with {@code saved} the result of {@link #forward} on
   * {@code x}, {@code weight} and {@code bias} those of the forward pass (the bias's values are not used, only whether
   * there is one).
   */
  public static Grads backward(INDArray gy, INDArray x, Stats saved, int normalizedDims, INDArray weight,
      INDArray bias, double eps) {
    boolean hasBias = bias != null;
    Shape s = new Shape(x.shape(), normalizedDims, weight, bias);
    if (!Arrays.equals(gy.shape(), x.shape())) {
      throw new IllegalArgumentException("output gradient " + Arrays.toString(gy.shape()) + " for input "
          + Arrays.toString(x.shape()));
    }
    long[] wShape = weight != null ? weight.shape()
        : Arrays.copyOfRange(x.shape(), x.shape().length - normalizedDims, x.shape().length);
    if (!dnnl || !Prims.useDnnl(x) || s.m == 0) {
      DataType t = x.dataType();
      INDArray g2 = gy.castTo(t).reshape('c', s.m, s.d);
      INDArray inv = Transforms.pow(saved.var().castTo(t).add(eps), -0.5, false).reshape(s.m, 1);
      INDArray xhat = x.reshape('c', s.m, s.d).sub(saved.mean().castTo(t).reshape(s.m, 1)).muli(inv);
      INDArray gw = weight == null ? null : g2.mul(xhat).sum(0);
      INDArray gb = hasBias ? g2.sum(0) : null;
      INDArray gxhat = weight == null ? g2 : g2.mul(weight.castTo(t).reshape(1, s.d));
      // inv (gxhat - mean(gxhat) - xhat mean(gxhat xhat)), means over each row
      INDArray proj = gxhat.mul(xhat).mean(1).reshape(s.m, 1);
      INDArray gx = xhat.muli(proj).rsubi(gxhat).subi(gxhat.mean(1).reshape(s.m, 1)).muli(inv);
      return new Grads(gx.reshape('c', x.shape()), gw == null ? null : gw.reshape('c', wShape),
          gb == null ? null : gb.reshape('c', wShape));
    }
    LnPrims e = entry(s, eps, weight != null, hasBias);
    try {
      INDArray gx = Buffers.take(DataType.FLOAT, x.shape());
      INDArray gw = weight == null ? null : Nd4j.createUninitialized(DataType.FLOAT, wShape, 'c');
      INDArray gb = hasBias ? Nd4j.createUninitialized(DataType.FLOAT, wShape, 'c') : null;
      Prims.Args a = Prims.args().add(DNNL_ARG_SRC, e.data, Prims.plain(x))
          .add(DNNL_ARG_MEAN, e.stat, BatchNormKernel.floats(saved.mean()))
          .add(DNNL_ARG_VARIANCE, e.stat, BatchNormKernel.floats(saved.var()))
          .add(DNNL_ARG_DIFF_DST, e.data, Prims.plain(gy.castTo(DataType.FLOAT))).add(DNNL_ARG_DIFF_SRC, e.data, gx);
      if (weight != null) {
        a.add(DNNL_ARG_SCALE, e.param, BatchNormKernel.floats(weight)).add(DNNL_ARG_DIFF_SCALE, e.param, gw);
      }
      if (hasBias) { // oneDNN 2.5 wants the shift among the backward pass's arguments too
        a.add(DNNL_ARG_SHIFT, e.param, BatchNormKernel.floats(bias)).add(DNNL_ARG_DIFF_SHIFT, e.param, gb);
      }
      Prims.run(e.backward, a);
      return new Grads(gx, gw, gb);
    } finally {
      Prims.release(e);
    }
  }

  private static LnPrims entry(Shape s, double eps, boolean scale, boolean shift) {
    int flags = (scale ? dnnl_use_scale : 0) | (shift ? dnnl_use_shift : 0);
    float e = (float) eps;
    return Prims.acquire(List.of("layernorm", s.m, s.d, flags, Float.floatToIntBits(e)),
        () -> new LnPrims(s.m, s.d, e, flags));
  }

  /** Forward (training) and backward primitives of one layer normalisation of an (M, D) matrix. */
  private static final class LnPrims extends Entry {
    final dnnl_memory_desc_t data;
    final dnnl_memory_desc_t stat;
    final dnnl_memory_desc_t param;
    final dnnl_primitive forward;
    final dnnl_primitive backward;

    LnPrims(long m, long d, float eps, int flags) {
      String what = "layer norm (" + m + ", " + d + ")";
      data = Dnnl.md(dnnl_ab, m, d);
      stat = Dnnl.md(dnnl_a, m);
      param = Dnnl.md(dnnl_a, d);
      dnnl_layer_normalization_desc_t fd = new dnnl_layer_normalization_desc_t();
      Dnnl.check(dnnl_layer_normalization_forward_desc_init(fd, dnnl_forward_training, data, stat, eps, flags), what);
      dnnl_primitive_desc fpd = keep(Prims.pd(fd, null, null, what));
      forward = primitive(fpd, "layer norm forward");
      boolean params = (flags & (dnnl_use_scale | dnnl_use_shift)) != 0;
      dnnl_layer_normalization_desc_t bd = new dnnl_layer_normalization_desc_t();
      Dnnl.check(dnnl_layer_normalization_backward_desc_init(bd, params ? dnnl_backward : dnnl_backward_data, data,
          data, stat, eps, flags), what + " gradient");
      backward = primitive(Prims.pd(bd, null, fpd, what + " gradient"), "layer norm backward");
    }
  }

  /** M rows of D normalised values, checked against the weight and bias. */
  private static final class Shape {
    final long m;
    final long d;

    Shape(long[] x, int k, INDArray weight, INDArray bias) {
      if (k < 1 || k > x.length) {
        throw new IllegalArgumentException("cannot normalise over the last " + k + " dimensions of "
            + Arrays.toString(x));
      }
      long d = 1;
      long m = 1;
      for (int i = 0; i < x.length; i++) {
        if (i < x.length - k) {
          m *= x[i];
        } else {
          d *= x[i];
        }
      }
      this.m = m;
      this.d = d;
      for (INDArray a : new INDArray[] {weight, bias}) {
        if (a != null && a.length() != d) {
          throw new IllegalArgumentException("weight/bias of " + a.length() + " values for a normalised shape of "
              + d + " (input " + Arrays.toString(x) + ", last " + k + " dimensions)");
        }
      }
    }
  }
}
