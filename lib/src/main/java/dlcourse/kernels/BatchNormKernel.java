package dlcourse.kernels;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.Prims.Entry;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.dnnl_batch_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Batch normalisation as {@code torch.nn.functional.batch_norm}: input {@code x} of shape {@code (N, C)},
 * {@code (N, C, L)} or {@code (N, C, H, W)}, statistics per channel {@code c} over every other dimension,
 * {@code y = (x - mean) / sqrt(var + eps) * weight + bias} with the biased variance ({@code m = x.numel() / C}
 * values per channel). {@code weight} and {@code bias} are {@code (C)} or null (each may be absent on its own).
 * Training uses the batch's statistics and returns them ({@link Stats}) for the backward pass and for the caller's
 * running estimates; inference uses given statistics (the running estimates). Plain 'c' arrays in and out; views and
 * non-'c' arrays are copied first. Stateless and thread-safe.
 *
 * <p>Float arrays run on per-channel host loops ({@code HostLoops}: two passes over the channel's rows each way,
 * channels spread over threads by {@link Parallel} without barriers), optionally with a ReLU fused into the output
 * pass and its mask into the backward pass ({@code relu} / {@code reluOutput}, used by {@code F.batchNormRelu}).
 * {@code -Ddlcourse.kernels.batchNorm=dnnl} runs them on oneDNN's {@code batch_normalization} primitives on the
 * plain layout instead ({@code nc}, {@code ncw}, {@code nchw}; {@code use_scale} / {@code use_shift} flags,
 * {@code use_global_stats} for inference and its backward pass, built once per (shape, flags, eps) and cached), and
 * {@code =host} on ND4J's broadcasting arithmetic with the same formulas, which double arrays always use (and
 * float ones where oneDNN does not load); a fused ReLU is then a separate pass on the output and on the gradient.
 *
 * <p>Why host loops: oneDNN's plain-layout batch norm ({@code ncsp_bnorm}, OpenMP) synchronises its threads with
 * spinning barriers, so on an oversubscribed machine (load above the core count) a 2-thread call took 3-5x as long
 * as the loops (bench/library/README.md, session 11: CIFAR b128, 32 ch 32 px, best of 10 at load 8, 2 threads: loops
 * 17-23 ms forward, 20-34 ms backward; oneDNN 51-84 / 63-98 ms). At one thread they cost about the same (thread CPU
 * time, same shape: loops 16-18 / 19-21 ms, oneDNN 19-21 / 21-23 ms). Earlier (session 9, 1 / 2 threads): the former
 * ~10 Tensor ops 301 / 263 ms, oneDNN 30 / 17 ms, the ND4J path 48 ms (1 thread).
 */
public final class BatchNormKernel {
  private static final String MODE = System.getProperty("dlcourse.kernels.batchNorm", "java");

  /** Whether float arrays go through oneDNN (where it loads) rather than ND4J, when not on {@link #java}; for A/B. */
  static volatile boolean dnnl = !"host".equals(MODE);

  /** Whether float arrays run on the per-channel host loops (the default); for A/B measurements. */
  static volatile boolean java = "java".equals(MODE);

  private BatchNormKernel() {}

  /** The output of a training forward pass and the batch's statistics: {@code mean} and biased {@code var}, (C). */
  public record Stats(INDArray output, INDArray mean, INDArray var) {}

  /** Gradients of {@code x}, {@code weight} and {@code bias} (null for an absent weight or bias). */
  public record Grads(INDArray x, INDArray weight, INDArray bias) {}

  /** Training forward pass: normalises with the batch's own mean and biased variance, which it returns. */
  public static Stats training(INDArray x, INDArray weight, INDArray bias, double eps) {
    return training(x, weight, bias, eps, false);
  }

  /**
   * {@link #training}, then with {@code relu} a ReLU on the output in the same pass ({@code max(y, 0)}; the
   * statistics are those of the batch norm's input, as without it).
   */
  public static Stats training(INDArray x, INDArray weight, INDArray bias, double eps, boolean relu) {
    Shape s = new Shape(x.shape(), weight, bias, null, null);
    if (s.m <= 0) {
      throw new IllegalArgumentException("batch norm needs at least one value per channel, got "
          + Arrays.toString(x.shape()));
    }
    if (hostLoops(x)) {
      return HostLoops.training(x, weight, bias, eps, s, relu);
    }
    Stats st = trainingOther(x, weight, bias, eps, s);
    return relu ? new Stats(Transforms.relu(st.output(), false), st.mean(), st.var()) : st;
  }

  /** {@link #training} on oneDNN or ND4J. */
  private static Stats trainingOther(INDArray x, INDArray weight, INDArray bias, double eps, Shape s) {
    if (!dnnl || !Prims.useDnnl(x)) {
      DataType t = x.dataType();
      INDArray x3 = s.view3(x);
      INDArray mean = x3.mean(0, 2);
      INDArray xc = x3.sub(mean.reshape(1, s.c, 1));
      INDArray var = xc.mul(xc).mean(0, 2);
      INDArray inv = Transforms.pow(var.add(eps), -0.5, false);
      INDArray y = affine(xc.muli(inv.reshape(1, s.c, 1)), weight, bias, s.c, t);
      return new Stats(y.reshape('c', x.shape()), mean, var);
    }
    BnPrims e = entry(s, eps, weight != null, bias != null, false);
    try {
      INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
      INDArray mean = Nd4j.createUninitialized(DataType.FLOAT, s.c);
      INDArray var = Nd4j.createUninitialized(DataType.FLOAT, s.c);
      Prims.Args a = Prims.args().add(DNNL_ARG_SRC, e.data, Prims.plain(x)).add(DNNL_ARG_DST, e.data, y)
          .add(DNNL_ARG_MEAN, e.stat, mean).add(DNNL_ARG_VARIANCE, e.stat, var);
      scaleShift(a, e, weight, bias);
      Prims.run(e.forward, a);
      return new Stats(y, mean, var);
    } finally {
      Prims.release(e);
    }
  }

  /** Inference forward pass with given statistics {@code mean} and {@code var} (C), e.g. the running estimates. */
  public static INDArray inference(INDArray x, INDArray mean, INDArray var, INDArray weight, INDArray bias,
      double eps) {
    return inference(x, mean, var, weight, bias, eps, false);
  }

  /** {@link #inference}, then with {@code relu} a ReLU on the output in the same pass. */
  public static INDArray inference(INDArray x, INDArray mean, INDArray var, INDArray weight, INDArray bias,
      double eps, boolean relu) {
    Shape s = new Shape(x.shape(), weight, bias, mean, var);
    if (hostLoops(x)) {
      return HostLoops.inference(x, mean, var, weight, bias, eps, s, relu);
    }
    INDArray y = inferenceOther(x, mean, var, weight, bias, eps, s);
    return relu ? Transforms.relu(y, false) : y;
  }

  /** {@link #inference} on oneDNN or ND4J. */
  private static INDArray inferenceOther(INDArray x, INDArray mean, INDArray var, INDArray weight, INDArray bias,
      double eps, Shape s) {
    if (!dnnl || !Prims.useDnnl(x)) {
      DataType t = x.dataType();
      INDArray x3 = s.view3(x);
      INDArray inv = Transforms.pow(var.castTo(t).add(eps), -0.5, false).reshape(1, s.c, 1);
      INDArray y = affine(x3.sub(mean.castTo(t).reshape(1, s.c, 1)).muli(inv), weight, bias, s.c, t);
      return y.reshape('c', x.shape());
    }
    BnPrims e = entry(s, eps, weight != null, bias != null, true);
    try {
      INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
      Prims.Args a = Prims.args().add(DNNL_ARG_SRC, e.data, Prims.plain(x)).add(DNNL_ARG_DST, e.data, y)
          .add(DNNL_ARG_MEAN, e.stat, floats(mean)).add(DNNL_ARG_VARIANCE, e.stat, floats(var));
      scaleShift(a, e, weight, bias);
      Prims.run(e.forward, a);
      return y;
    } finally {
      Prims.release(e);
    }
  }

  /**
   * Backward pass from the output's gradient {@code gy}: {@code mean} and {@code var} are the statistics the forward
   * pass normalised with (the batch's from {@link #training}, or those given to {@link #inference} when
   * {@code training} is false, where they are constants); {@code weight} and {@code bias} those of the forward pass
   * (the bias's values are not used, only whether there is one).
   */
  public static Grads backward(INDArray gy, INDArray x, INDArray mean, INDArray var, INDArray weight,
      INDArray bias, double eps, boolean training) {
    return backward(gy, null, x, mean, var, weight, bias, eps, training);
  }

  /**
   * {@link #backward} of a batch norm with a fused ReLU ({@code relu} true in {@link #training} or
   * {@link #inference}): {@code reluOutput} is that pass's output, whose non-positive values mask {@code gy} (the
   * ReLU's backward pass, {@code gy (y > 0)}); null for a batch norm without ReLU.
   */
  public static Grads backward(INDArray gy, INDArray reluOutput, INDArray x, INDArray mean, INDArray var,
      INDArray weight, INDArray bias, double eps, boolean training) {
    boolean hasBias = bias != null;
    Shape s = new Shape(x.shape(), weight, bias, mean, var);
    if (!Arrays.equals(gy.shape(), x.shape())
        || (reluOutput != null && !Arrays.equals(reluOutput.shape(), x.shape()))) {
      throw new IllegalArgumentException("output gradient " + Arrays.toString(gy.shape()) + (reluOutput == null ? ""
          : " and output " + Arrays.toString(reluOutput.shape())) + " for input " + Arrays.toString(x.shape()));
    }
    if (hostLoops(x)) {
      return HostLoops.backward(gy, reluOutput, x, mean, var, weight, bias, eps, training, s);
    }
    if (reluOutput != null) {
      gy = gy.mul(reluOutput.gt(0).castTo(gy.dataType()));
    }
    if (!dnnl || !Prims.useDnnl(x)) {
      DataType t = x.dataType();
      long[] c3 = {1, s.c, 1};
      INDArray g3 = s.view3(gy.castTo(t));
      INDArray inv = Transforms.pow(var.castTo(t).add(eps), -0.5, false).reshape(c3);
      INDArray xhat = s.view3(x).sub(mean.castTo(t).reshape(c3)).muli(inv);
      INDArray gb = g3.sum(0, 2);
      INDArray gw = g3.mul(xhat).sum(0, 2);
      INDArray scale = weight == null ? inv : inv.mul(weight.castTo(t).reshape(c3));
      INDArray gx;
      if (training) { // inv w (gy - sum(gy) / m - xhat sum(gy xhat) / m)
        gx = xhat.muli(gw.div(s.m).reshape(c3)).rsubi(g3).subi(gb.div(s.m).reshape(c3)).muli(scale);
      } else {
        gx = g3.mul(scale);
      }
      return new Grads(gx.reshape('c', x.shape()), weight == null ? null : gw.reshape(weight.shape()),
          hasBias ? gb : null);
    }
    BnPrims e = entry(s, eps, weight != null, hasBias, !training);
    try {
      INDArray gx = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
      INDArray gw = weight == null ? null : Nd4j.createUninitialized(DataType.FLOAT, s.c);
      INDArray gb = hasBias ? Nd4j.createUninitialized(DataType.FLOAT, s.c) : null;
      Prims.Args a = Prims.args().add(DNNL_ARG_SRC, e.data, Prims.plain(x))
          .add(DNNL_ARG_MEAN, e.stat, floats(mean)).add(DNNL_ARG_VARIANCE, e.stat, floats(var))
          .add(DNNL_ARG_DIFF_DST, e.data, Prims.plain(gy.castTo(DataType.FLOAT))).add(DNNL_ARG_DIFF_SRC, e.data, gx);
      if (weight != null) {
        a.add(DNNL_ARG_SCALE, e.stat, floats(weight)).add(DNNL_ARG_DIFF_SCALE, e.stat, gw);
      }
      if (hasBias) { // oneDNN 2.5 wants the shift among the backward pass's arguments too
        a.add(DNNL_ARG_SHIFT, e.stat, floats(bias)).add(DNNL_ARG_DIFF_SHIFT, e.stat, gb);
      }
      Prims.run(e.backward, a);
      return new Grads(gx, gw == null ? null : gw.reshape(weight.shape()), gb);
    } finally {
      Prims.release(e);
    }
  }

  /** Whether {@code x} runs on {@link HostLoops}: float, with at most 2^31 - 1 values. */
  private static boolean hostLoops(INDArray x) {
    return java && x.dataType() == DataType.FLOAT && x.length() <= Integer.MAX_VALUE;
  }

  /** {@code y * weight + bias} in place, per channel of {@code y (N, C, S)}. */
  private static INDArray affine(INDArray y, INDArray weight, INDArray bias, long c, DataType t) {
    if (weight != null) {
      y.muli(weight.castTo(t).reshape(1, c, 1));
    }
    if (bias != null) {
      y.addi(bias.castTo(t).reshape(1, c, 1));
    }
    return y;
  }

  private static void scaleShift(Prims.Args a, BnPrims e, INDArray weight, INDArray bias) {
    if (weight != null) {
      a.add(DNNL_ARG_SCALE, e.stat, floats(weight));
    }
    if (bias != null) {
      a.add(DNNL_ARG_SHIFT, e.stat, floats(bias));
    }
  }

  /** A plain float (C) array with the values of {@code a}. */
  static INDArray floats(INDArray a) {
    return Prims.plain(a.castTo(DataType.FLOAT));
  }

  private static BnPrims entry(Shape s, double eps, boolean scale, boolean shift, boolean global) {
    int flags = flags(scale, shift, global, false);
    float e = (float) eps;
    return Prims.acquire(List.of("batchnorm", Arrays.toString(s.x), flags, Float.floatToIntBits(e)),
        () -> new BnPrims(s.x, e, flags, global));
  }

  /**
   * oneDNN's batch-norm flags: {@code dnnl_use_scale} / {@code dnnl_use_shift} for a weight / bias,
   * {@code dnnl_use_global_stats} to normalise with given statistics (inference), {@code dnnl_fuse_norm_relu} for a
   * ReLU on the output (its backward pass then needs the forward pass's workspace).
   */
  public static int flags(boolean scale, boolean shift, boolean global, boolean relu) {
    return (scale ? dnnl_use_scale : 0) | (shift ? dnnl_use_shift : 0) | (global ? dnnl_use_global_stats : 0)
        | (relu ? dnnl_fuse_norm_relu : 0);
  }

  /**
   * The oneDNN forward descriptor of a batch norm on {@code data} (any layout: the primitives of {@code =dnnl} use
   * the plain one, the captured CNN step of {@code dlcourse.compile} its blocked activations): training (batch
   * statistics, written to {@code DNNL_ARG_MEAN} / {@code DNNL_ARG_VARIANCE}) unless {@code flags} has
   * {@code dnnl_use_global_stats}.
   */
  public static dnnl_batch_normalization_desc_t forwardDesc(dnnl_memory_desc_t data, float eps, int flags) {
    dnnl_batch_normalization_desc_t fd = new dnnl_batch_normalization_desc_t();
    boolean global = (flags & dnnl_use_global_stats) != 0;
    Dnnl.check(dnnl_batch_normalization_forward_desc_init(fd, global ? dnnl_forward_inference : dnnl_forward_training,
        data, eps, flags), "batch norm " + Arrays.toString(dims(data)));
    return fd;
  }

  /** The backward descriptor matching {@link #forwardDesc}: input gradient, and weight / bias gradients if used. */
  public static dnnl_batch_normalization_desc_t backwardDesc(dnnl_memory_desc_t data, float eps, int flags) {
    boolean params = (flags & (dnnl_use_scale | dnnl_use_shift)) != 0;
    dnnl_batch_normalization_desc_t bd = new dnnl_batch_normalization_desc_t();
    Dnnl.check(dnnl_batch_normalization_backward_desc_init(bd, params ? dnnl_backward : dnnl_backward_data, data,
        data, eps, flags), "batch norm gradient " + Arrays.toString(dims(data)));
    return bd;
  }

  private static long[] dims(dnnl_memory_desc_t md) {
    long[] d = new long[md.ndims()];
    md.dims().get(d);
    return d;
  }

  /** Forward and backward primitives of one batch normalisation (shape, flags, eps). */
  private static final class BnPrims extends Entry {
    final dnnl_memory_desc_t data;
    final dnnl_memory_desc_t stat;
    final dnnl_primitive forward;
    final dnnl_primitive backward;

    BnPrims(long[] x, float eps, int flags, boolean global) {
      int tag = switch (x.length) {
        case 2 -> dnnl_nc;
        case 3 -> dnnl_ncw;
        default -> dnnl_nchw;
      };
      String what = "batch norm " + Arrays.toString(x) + (global ? " inference" : "");
      data = Dnnl.md(tag, x);
      stat = Dnnl.md(dnnl_x, x[1]);
      dnnl_primitive_desc fpd = keep(Prims.pd(forwardDesc(data, eps, flags), null, null, what));
      forward = primitive(fpd, "batch norm forward");
      backward = primitive(Prims.pd(backwardDesc(data, eps, flags), null, fpd, what + " gradient"),
          "batch norm backward");
    }
  }

  /**
   * The float path: per channel, plain Java loops over the channel's rows of {@code S = H W} values (copied in bulk to
   * a per-thread {@code float[]}, where the JIT unrolls and vectorises the element-wise passes), channels spread over
   * {@link Parallel} without barriers. Training forward: one pass for the sums of {@code x - k} and {@code (x -
   * k)^2} (shifted by the channel's first value {@code k}, so the variance does not cancel; four float lanes per row,
   * rows summed in double), one pass for
   * {@code y = (x - mean) inv w + b}. Backward: one pass for {@code sum(gy)} and {@code sum(gy (x - mean))}, one for
   * {@code gx}; inference backward in one pass.
   */
  private static final class HostLoops {
    /** This thread's three row buffers (x, gy and a fused ReLU's output), grown to the longest row seen. */
    private static final ThreadLocal<float[][]> ROWS = ThreadLocal.withInitial(() -> new float[3][0]);

    private HostLoops() {}

    private static float[][] rows(int length) {
      float[][] r = ROWS.get();
      if (r[0].length < length) {
        r[0] = new float[length];
        r[1] = new float[length];
        r[2] = new float[length];
      }
      return r;
    }

    private static float[] vector(INDArray a) {
      return a == null ? null : floats(a).toFloatVector();
    }

    /**
     * {@code g[j] = 0} where the ReLU's output {@code y} (its row at {@code off}) is not positive, without branches
     * (a branch on the sign of activations mispredicts half the time: it doubled the backward pass): {@code y > 0}
     * exactly when its bits as an int are positive (NaN aside).
     */
    private static void mask(FloatBuffer y, int off, float[] yr, float[] g, int sp) {
      y.get(off, yr, 0, sp);
      for (int j = 0; j < sp; j++) {
        int b = Float.floatToRawIntBits(yr[j]);
        g[j] = Float.intBitsToFloat(Float.floatToRawIntBits(g[j]) & ((-b & ~b) >> 31));
      }
    }

    private static FloatBuffer nio(INDArray a) {
      return a.data().asNioFloat();
    }

    /**
     * The output pass of channel {@code ch}, training and inference alike: {@code y = (x - mean) scale + shift} row
     * by row ({@code max(., 0)} with {@code relu}), through this thread's {@code row}.
     */
    private static void normalize(FloatBuffer xb, FloatBuffer yb, float[] row, int ch, int n, int c, int sp,
        float mean, float scale, float shift, boolean relu) {
      for (int i = 0; i < n; i++) {
        int off = (i * c + ch) * sp;
        xb.get(off, row, 0, sp);
        if (relu) {
          for (int j = 0; j < sp; j++) {
            row[j] = Math.max((row[j] - mean) * scale + shift, 0f);
          }
        } else {
          for (int j = 0; j < sp; j++) {
            row[j] = (row[j] - mean) * scale + shift;
          }
        }
        yb.put(off, row, 0, sp);
      }
    }

    static Stats training(INDArray x, INDArray weight, INDArray bias, double eps, Shape s, boolean relu) {
      INDArray xp = Prims.plain(x);
      int n = Math.toIntExact(s.x[0]);
      int c = Math.toIntExact(s.c);
      int sp = Math.toIntExact(s.m / n);
      float[] w = vector(weight);
      float[] b = vector(bias);
      INDArray y = Nd4j.createUninitialized(DataType.FLOAT, s.x, 'c');
      float[] mean = new float[c];
      float[] var = new float[c];
      FloatBuffer xb = nio(xp);
      FloatBuffer yb = nio(y);
      double m = s.m;
      Parallel.forEach(c, s.m * c * 3, ch -> {
        float[] row = rows(sp)[0];
        float k = xb.get(ch * sp);
        double s1 = 0;
        double s2 = 0;
        for (int i = 0; i < n; i++) {
          xb.get((i * c + ch) * sp, row, 0, sp);
          // four independent float lanes per row (a row is short), summed into double per row
          float a0 = 0;
          float a1 = 0;
          float a2 = 0;
          float a3 = 0;
          float q0 = 0;
          float q1 = 0;
          float q2 = 0;
          float q3 = 0;
          int j = 0;
          for (; j + 3 < sp; j += 4) {
            float d0 = row[j] - k;
            float d1 = row[j + 1] - k;
            float d2 = row[j + 2] - k;
            float d3 = row[j + 3] - k;
            a0 += d0;
            a1 += d1;
            a2 += d2;
            a3 += d3;
            q0 += d0 * d0;
            q1 += d1 * d1;
            q2 += d2 * d2;
            q3 += d3 * d3;
          }
          for (; j < sp; j++) {
            float d = row[j] - k;
            a0 += d;
            q0 += d * d;
          }
          s1 += (double) a0 + a1 + a2 + a3;
          s2 += (double) q0 + q1 + q2 + q3;
        }
        double dm = s1 / m;
        double v = Math.max(s2 / m - dm * dm, 0);
        float mu = (float) (k + dm);
        mean[ch] = mu;
        var[ch] = (float) v;
        double inv = 1 / Math.sqrt(v + eps);
        float scale = (float) (w == null ? inv : w[ch] * inv);
        float shift = b == null ? 0 : b[ch];
        normalize(xb, yb, row, ch, n, c, sp, mu, scale, shift, relu);
      });
      Reference.reachabilityFence(xp);
      return new Stats(y, Nd4j.createFromArray(mean), Nd4j.createFromArray(var));
    }

    static INDArray inference(INDArray x, INDArray mean, INDArray var, INDArray weight, INDArray bias, double eps,
        Shape s, boolean relu) {
      INDArray xp = Prims.plain(x);
      int n = Math.toIntExact(s.x[0]);
      int c = Math.toIntExact(s.c);
      int sp = n == 0 ? 0 : Math.toIntExact(s.m / n);
      float[] mu = vector(mean);
      float[] va = vector(var);
      float[] w = vector(weight);
      float[] b = vector(bias);
      INDArray y = Nd4j.createUninitialized(DataType.FLOAT, s.x, 'c');
      FloatBuffer xb = nio(xp);
      FloatBuffer yb = nio(y);
      Parallel.forEach(c, s.m * c * 2, ch -> {
        float[] row = rows(sp)[0];
        double inv = 1 / Math.sqrt(va[ch] + eps);
        float scale = (float) (w == null ? inv : w[ch] * inv);
        float shift = b == null ? 0 : b[ch];
        normalize(xb, yb, row, ch, n, c, sp, mu[ch], scale, shift, relu);
      });
      Reference.reachabilityFence(xp);
      return y;
    }

    static Grads backward(INDArray gy, INDArray reluOutput, INDArray x, INDArray mean, INDArray var,
        INDArray weight, INDArray bias, double eps, boolean training, Shape s) {
      INDArray xp = Prims.plain(x);
      INDArray gp = Prims.plain(gy.castTo(DataType.FLOAT));
      INDArray yp = reluOutput == null ? null : Prims.plain(reluOutput.castTo(DataType.FLOAT));
      FloatBuffer yb = yp == null ? null : nio(yp);
      int n = Math.toIntExact(s.x[0]);
      int c = Math.toIntExact(s.c);
      int sp = n == 0 ? 0 : Math.toIntExact(s.m / n);
      float[] mu = vector(mean);
      float[] va = vector(var);
      float[] w = vector(weight);
      INDArray gx = Nd4j.createUninitialized(DataType.FLOAT, s.x, 'c');
      float[] gw = new float[c];
      float[] gb = new float[c];
      FloatBuffer xb = nio(xp);
      FloatBuffer gyb = nio(gp);
      FloatBuffer gxb = nio(gx);
      double m = s.m;
      Parallel.forEach(c, s.m * c * (training ? 5 : 3), ch -> {
        float[][] r = rows(sp);
        float[] xr = r[0];
        float[] gr = r[1];
        float[] yr = r[2];
        float mc = mu[ch];
        double inv = 1 / Math.sqrt(va[ch] + eps);
        double scale = w == null ? inv : w[ch] * inv;
        double sg = 0;
        double sgx = 0;
        if (training) {
          for (int i = 0; i < n; i++) {
            int off = (i * c + ch) * sp;
            xb.get(off, xr, 0, sp);
            gyb.get(off, gr, 0, sp);
            if (yb != null) { // masked once: gx holds the masked gy until the second pass overwrites it
              mask(yb, off, yr, gr, sp);
              gxb.put(off, gr, 0, sp);
            }
            float a0 = 0;
            float a1 = 0;
            float a2 = 0;
            float a3 = 0;
            float q0 = 0;
            float q1 = 0;
            float q2 = 0;
            float q3 = 0;
            int j = 0;
            for (; j + 3 < sp; j += 4) {
              a0 += gr[j];
              a1 += gr[j + 1];
              a2 += gr[j + 2];
              a3 += gr[j + 3];
              q0 += gr[j] * (xr[j] - mc);
              q1 += gr[j + 1] * (xr[j + 1] - mc);
              q2 += gr[j + 2] * (xr[j + 2] - mc);
              q3 += gr[j + 3] * (xr[j + 3] - mc);
            }
            for (; j < sp; j++) {
              a0 += gr[j];
              q0 += gr[j] * (xr[j] - mc);
            }
            sg += (double) a0 + a1 + a2 + a3;
            sgx += (double) q0 + q1 + q2 + q3;
          }
          // gx = scale (gy - sg / m - (x - mean) inv^2 sgx / m)
          float fa = (float) scale;
          float fb = (float) (scale * inv * inv * sgx / m);
          float fc = (float) (scale * sg / m);
          for (int i = 0; i < n; i++) {
            int off = (i * c + ch) * sp;
            xb.get(off, xr, 0, sp);
            (yb == null ? gyb : gxb).get(off, gr, 0, sp);
            for (int j = 0; j < sp; j++) {
              gr[j] = fa * gr[j] - fb * (xr[j] - mc) - fc;
            }
            gxb.put(off, gr, 0, sp);
          }
        } else { // the statistics are constants: gx = scale gy
          float fa = (float) scale;
          for (int i = 0; i < n; i++) {
            int off = (i * c + ch) * sp;
            xb.get(off, xr, 0, sp);
            gyb.get(off, gr, 0, sp);
            if (yb != null) {
              mask(yb, off, yr, gr, sp);
            }
            double a1 = 0;
            double a2 = 0;
            for (int j = 0; j < sp; j++) {
              float g = gr[j];
              a1 += g;
              a2 += g * (double) (xr[j] - mc);
              gr[j] = fa * g;
            }
            sg += a1;
            sgx += a2;
            gxb.put(off, gr, 0, sp);
          }
        }
        gw[ch] = (float) (sgx * inv);
        gb[ch] = (float) sg;
      });
      Reference.reachabilityFence(xp);
      Reference.reachabilityFence(gp);
      Reference.reachabilityFence(yp);
      return new Grads(gx, weight == null ? null : Nd4j.createFromArray(gw).reshape(weight.shape()),
          bias == null ? null : Nd4j.createFromArray(gb));
    }
  }

  /** The input's shape, checked against the per-channel arrays. */
  private static final class Shape {
    final long[] x;
    final long c;
    final long m;

    Shape(long[] x, INDArray weight, INDArray bias, INDArray mean, INDArray var) {
      if (x.length < 2 || x.length > 4) {
        throw new IllegalArgumentException("batch norm needs (N, C), (N, C, L) or (N, C, H, W), got "
            + Arrays.toString(x));
      }
      this.x = x.clone();
      this.c = x[1];
      long len = 1;
      for (long d : x) {
        len *= d;
      }
      this.m = c == 0 ? 0 : len / c;
      for (INDArray a : new INDArray[] {weight, bias, mean, var}) {
        if (a != null && a.length() != c) {
          throw new IllegalArgumentException("per-channel array of " + a.length() + " values for " + c
              + " channels (input " + Arrays.toString(x) + ")");
        }
      }
    }

    /** {@code a} (shaped like x) as (N, C, S), 'c' order. */
    INDArray view3(INDArray a) {
      return a.reshape('c', x[0], c, m / Math.max(x[0], 1));
    }
  }
}
