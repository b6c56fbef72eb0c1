package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Entry;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_pooling_v2_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * 2-D max and average pooling as {@code torch.nn.functional.max_pool2d / avg_pool2d} (dilation 1): input
 * {@code x (N, C, H, W)}, output {@code (N, C, oH, oW)} with {@code oH = floor((H + 2 padding[0] - kernel[0]) /
 * stride[0]) + 1}, or with {@code ceilMode} rounded up unless the last window would start in the right padding
 * (likewise oW). {@code kernel}, {@code stride}, {@code padding} are {@code {height, width}}; padding at most half
 * the kernel, as in PyTorch. Max pooling pads with -inf; average pooling divides by the window's size clipped to
 * the padded input ({@code countIncludePad}) or by the number of input elements it covers. Plain NCHW arrays in
 * and out; views and non-'c' arrays are copied first. Stateless and thread-safe.
 *
 * <p>Float arrays run on oneDNN pooling primitives on NCHW (cached per shape and settings; max pooling keeps
 * oneDNN's workspace for its backward pass). Double arrays, and every array where oneDNN does not load, run on
 * plain loops on the host that follow PyTorch's CPU code (ND4J's {@code maxpool2d}/{@code avgpool2d} have no ceil
 * mode); their max pooling saves the argmax indices instead.
 */
public final class Pool2dKernel {
  private Pool2dKernel() {}

  /**
   * The result of max pooling and what its backward pass needs: {@code saved} is oneDNN's workspace (float) or, on
   * the loop path, the flat index into {@code x} of each output's maximum (LONG, shaped like the output).
   */
  public record MaxPool(INDArray output, INDArray saved) {}

  public static MaxPool maxForward(INDArray x, int[] kernel, int[] stride, int[] padding, boolean ceilMode) {
    Geometry g = new Geometry(x.shape(), kernel, stride, padding, ceilMode);
    if (!Prims.useDnnl(x)) {
      double[] xs = host(x);
      double[] y = new double[(int) g.outLength()];
      long[] idx = new long[y.length];
      g.maxLoop(xs, y, idx);
      return new MaxPool(Nd4j.create(y, g.y, DataType.DOUBLE).castTo(x.dataType()),
          Nd4j.createFromArray(idx).reshape(g.y));
    }
    Prims2 e = entry(g, dnnl_pooling_max);
    try {
      INDArray y = Nd4j.createUninitialized(DataType.FLOAT, g.y, 'c');
      INDArray ws = Prims.allocate(e.workspace);
      Prims.run(e.forward, Prims.args().add(DNNL_ARG_SRC, e.src, Prims.plain(x)).add(DNNL_ARG_DST, e.dst, y)
          .add(DNNL_ARG_WORKSPACE, e.workspace, ws));
      return new MaxPool(y, ws);
    } finally {
      Prims.release(e);
    }
  }

  /** The gradient of {@code x} ({@code xShape}) from the output's gradient and {@code saved} of the forward pass. */
  public static INDArray maxBackward(INDArray gy, MaxPool saved, long[] xShape, int[] kernel, int[] stride,
      int[] padding, boolean ceilMode) {
    Geometry g = new Geometry(xShape, kernel, stride, padding, ceilMode);
    check(gy, g);
    if (saved.saved().dataType() == DataType.LONG) {
      double[] gys = host(gy);
      long[] idx = saved.saved().dup('c').data().asLong();
      double[] gx = new double[(int) g.inLength()];
      for (int i = 0; i < gys.length; i++) {
        if (idx[i] >= 0) {
          gx[(int) idx[i]] += gys[i];
        }
      }
      return Nd4j.create(gx, xShape, DataType.DOUBLE).castTo(gy.dataType());
    }
    Prims2 e = entry(g, dnnl_pooling_max);
    try {
      INDArray gx = Nd4j.createUninitialized(DataType.FLOAT, xShape, 'c');
      Prims.run(e.backward, Prims.args().add(DNNL_ARG_DIFF_DST, e.dst, Prims.plain(gy.castTo(DataType.FLOAT)))
          .add(DNNL_ARG_WORKSPACE, e.workspace, saved.saved()).add(DNNL_ARG_DIFF_SRC, e.src, gx));
      return gx;
    } finally {
      Prims.release(e);
    }
  }

  public static INDArray avgForward(INDArray x, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
      boolean countIncludePad) {
    Geometry g = new Geometry(x.shape(), kernel, stride, padding, ceilMode);
    if (!Prims.useDnnl(x)) {
      double[] xs = host(x);
      double[] y = new double[(int) g.outLength()];
      g.avgLoop(xs, y, null, null, countIncludePad);
      return Nd4j.create(y, g.y, DataType.DOUBLE).castTo(x.dataType());
    }
    Prims2 e = entry(g, countIncludePad ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding);
    try {
      INDArray y = Nd4j.createUninitialized(DataType.FLOAT, g.y, 'c');
      Prims.run(e.forward, Prims.args().add(DNNL_ARG_SRC, e.src, Prims.plain(x)).add(DNNL_ARG_DST, e.dst, y));
      INDArray scale = countIncludePad ? g.includePadCorrection() : null;
      return scale == null ? y : y.muli(scale);
    } finally {
      Prims.release(e);
    }
  }

  public static INDArray avgBackward(INDArray gy, long[] xShape, int[] kernel, int[] stride, int[] padding,
      boolean ceilMode, boolean countIncludePad) {
    Geometry g = new Geometry(xShape, kernel, stride, padding, ceilMode);
    check(gy, g);
    if (!Prims.useDnnl(gy)) {
      double[] gx = new double[(int) g.inLength()];
      g.avgLoop(null, null, host(gy), gx, countIncludePad);
      return Nd4j.create(gx, xShape, DataType.DOUBLE).castTo(gy.dataType());
    }
    Prims2 e = entry(g, countIncludePad ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding);
    try {
      INDArray scale = countIncludePad ? g.includePadCorrection() : null;
      INDArray g2 = scale == null ? Prims.plain(gy) : gy.mul(scale);
      INDArray gx = Nd4j.createUninitialized(DataType.FLOAT, xShape, 'c');
      Prims.run(e.backward, Prims.args().add(DNNL_ARG_DIFF_DST, e.dst, Prims.plain(g2))
          .add(DNNL_ARG_DIFF_SRC, e.src, gx));
      return gx;
    } finally {
      Prims.release(e);
    }
  }

  private static void check(INDArray gy, Geometry g) {
    if (!Arrays.equals(gy.shape(), g.y)) {
      throw new IllegalArgumentException("output gradient " + Arrays.toString(gy.shape()) + ", expected "
          + Arrays.toString(g.y));
    }
  }

  private static double[] host(INDArray a) {
    return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
  }

  private static Prims2 entry(Geometry g, int alg) {
    return Prims.acquire(List.of("pool", alg, g.key()), () -> new Prims2(g, alg));
  }

  /** Forward (training) and backward primitives of one pooling. */
  private static final class Prims2 extends Entry {
    final dnnl_memory_desc_t src;
    final dnnl_memory_desc_t dst;
    final dnnl_memory_desc_t workspace;
    final dnnl_primitive forward;
    final dnnl_primitive backward;

    Prims2(Geometry g, int alg) {
      src = Dnnl.md(dnnl_nchw, g.x);
      dst = Dnnl.md(dnnl_nchw, g.y);
      long[] dilation = {0, 0};
      dnnl_pooling_v2_desc_t fd = new dnnl_pooling_v2_desc_t();
      Dnnl.check(dnnl_pooling_v2_forward_desc_init(fd, dnnl_forward_training, alg, src, dst, g.stride, g.kernel,
          dilation, g.padL, g.padR), "pooling " + g.key());
      dnnl_primitive_desc fpd = keep(Prims.pd(fd, null, null, "pooling " + g.key()));
      workspace = alg == dnnl_pooling_max ? Dnnl.query(fpd, dnnl_query_workspace_md) : null;
      forward = primitive(fpd, "pool forward");
      dnnl_pooling_v2_desc_t bd = new dnnl_pooling_v2_desc_t();
      Dnnl.check(dnnl_pooling_v2_backward_desc_init(bd, alg, src, dst, g.stride, g.kernel, dilation, g.padL, g.padR),
          "pooling gradient " + g.key());
      backward = primitive(Prims.pd(bd, null, fpd, "pooling gradient " + g.key()), "pool backward");
    }
  }

  /** Shapes and windows. */
  static final class Geometry {
    final long[] x;
    final long[] y;
    final long[] kernel;
    final long[] stride;
    final long[] padL;
    final long[] padR; // at least padL: oneDNN wants every window inside the padded input

    Geometry(long[] x, int[] kernel, int[] stride, int[] padding, boolean ceilMode) {
      if (x.length != 4) {
        throw new IllegalArgumentException("pooling needs (N, C, H, W), got " + Arrays.toString(x));
      }
      this.x = x.clone();
      this.y = new long[] {x[0], x[1], 0, 0};
      this.kernel = new long[2];
      this.stride = new long[2];
      this.padL = new long[2];
      this.padR = new long[2];
      for (int d = 0; d < 2; d++) {
        if (kernel[d] < 1 || stride[d] < 1 || padding[d] < 0 || 2 * padding[d] > kernel[d]) {
          throw new IllegalArgumentException("kernel " + Arrays.toString(kernel) + ", stride " + Arrays.toString(stride)
              + ", padding " + Arrays.toString(padding) + " (padding must be at most half the kernel)");
        }
        long span = x[2 + d] + 2L * padding[d] - kernel[d];
        if (span < 0) {
          throw new IllegalArgumentException("kernel " + Arrays.toString(kernel) + " larger than the padded input "
              + Arrays.toString(x));
        }
        long o = (ceilMode ? Math.floorDiv(span + stride[d] - 1, stride[d]) : Math.floorDiv(span, stride[d])) + 1;
        if (ceilMode && (o - 1) * stride[d] >= x[2 + d] + padding[d]) {
          o--; // PyTorch: the last window must start inside the input or the left padding
        }
        this.y[2 + d] = o;
        this.kernel[d] = kernel[d];
        this.stride[d] = stride[d];
        this.padL[d] = padding[d];
        this.padR[d] = Math.max(padding[d], (o - 1) * stride[d] + kernel[d] - x[2 + d] - padding[d]);
      }
    }

    String key() {
      return Arrays.toString(x) + Arrays.toString(kernel) + Arrays.toString(stride) + Arrays.toString(padL)
          + Arrays.toString(padR) + Arrays.toString(y);
    }

    long outLength() {
      return y[0] * y[1] * y[2] * y[3];
    }

    long inLength() {
      return x[0] * x[1] * x[2] * x[3];
    }

    /** PyTorch's divisor with countIncludePad: the window clipped to the input plus its (symmetric) padding. */
    private long includeDivisor(int d, long o) {
      long start = o * stride[d] - padL[d];
      return Math.min(start + kernel[d], x[2 + d] + padL[d]) - start;
    }

    /**
     * oneDNN divides by the whole window also where ceil mode lets it run past PyTorch's padding: the factor
     * {@code kH kW / PyTorch's divisor} per output position {@code (1, 1, oH, oW)}, or null when it is 1 everywhere.
     */
    INDArray includePadCorrection() {
      if (padR[0] == padL[0] && padR[1] == padL[1]) {
        return null;
      }
      float[] f = new float[(int) (y[2] * y[3])];
      boolean any = false;
      for (int i = 0; i < y[2]; i++) {
        for (int j = 0; j < y[3]; j++) {
          long div = includeDivisor(0, i) * includeDivisor(1, j);
          f[(int) (i * y[3] + j)] = (float) ((double) (kernel[0] * kernel[1]) / div);
          any |= div != kernel[0] * kernel[1];
        }
      }
      return any ? Nd4j.create(f, new long[] {1, 1, y[2], y[3]}, DataType.FLOAT) : null;
    }

    /** Max pooling of {@code xs} into {@code out}, argmax flat indices into {@code idx} (PyTorch: NaN wins, then first max). */
    void maxLoop(double[] xs, double[] out, long[] idx) {
      int o = 0;
      for (long nc = 0; nc < x[0] * x[1]; nc++) {
        long base = nc * x[2] * x[3];
        for (long i = 0; i < y[2]; i++) {
          long hs = i * stride[0] - padL[0];
          long he = Math.min(hs + kernel[0], x[2]);
          hs = Math.max(hs, 0);
          for (long j = 0; j < y[3]; j++) {
            long ws = j * stride[1] - padL[1];
            long we = Math.min(ws + kernel[1], x[3]);
            ws = Math.max(ws, 0);
            double best = Double.NEGATIVE_INFINITY;
            long at = -1;
            for (long h = hs; h < he; h++) {
              for (long w = ws; w < we; w++) {
                long k = base + h * x[3] + w;
                double v = xs[(int) k];
                if (at < 0 || v > best || Double.isNaN(v)) {
                  best = v;
                  at = k;
                  if (Double.isNaN(v)) {
                    h = he;
                    break;
                  }
                }
              }
            }
            out[o] = best;
            idx[o] = at;
            o++;
          }
        }
      }
    }

    /** Average pooling forward ({@code xs} to {@code out}) or backward ({@code gy} into {@code gx}). */
    void avgLoop(double[] xs, double[] out, double[] gy, double[] gx, boolean countIncludePad) {
      int o = 0;
      for (long nc = 0; nc < x[0] * x[1]; nc++) {
        long base = nc * x[2] * x[3];
        for (long i = 0; i < y[2]; i++) {
          long hs = i * stride[0] - padL[0];
          long he = Math.min(hs + kernel[0], x[2] + padL[0]);
          long poolH = he - hs;
          hs = Math.max(hs, 0);
          he = Math.min(he, x[2]);
          for (long j = 0; j < y[3]; j++) {
            long ws = j * stride[1] - padL[1];
            long we = Math.min(ws + kernel[1], x[3] + padL[1]);
            long poolW = we - ws;
            ws = Math.max(ws, 0);
            we = Math.min(we, x[3]);
            double div = countIncludePad ? poolH * poolW : (he - hs) * (we - ws);
            double sum = 0;
            for (long h = hs; h < he; h++) {
              for (long w = ws; w < we; w++) {
                int k = (int) (base + h * x[3] + w);
                if (out != null) {
                  sum += xs[k];
                } else {
                  gx[k] += gy[o] / div;
                }
              }
            }
            if (out != null) {
              out[o] = sum / div;
            }
            o++;
          }
        }
      }
    }
  }
}
