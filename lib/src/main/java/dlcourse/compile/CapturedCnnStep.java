package dlcourse.compile;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlcourse.kernels.BatchNormKernel;
import dlcourse.kernels.Dnnl;
import dlcourse.kernels.Dnnl.Buf;
import dlcourse.kernels.CrossEntropyKernel;
import dlcourse.kernels.Dnnl.Call;
import dlcourse.kernels.DropoutKernel;
import dlcourse.kernels.Pad2dKernel;
import dlcourse.nn.AdaptiveMaxPool2d;
import dlcourse.nn.BatchNorm2d;
import dlcourse.nn.Conv2d;
import dlcourse.nn.Dropout;
import dlcourse.nn.F;
import dlcourse.nn.Flatten;
import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.nn.MaxPool2d;
import dlcourse.nn.Module;
import dlcourse.nn.PaddingMode;
import dlcourse.nn.Parameter;
import dlcourse.nn.ReLU;
import dlcourse.nn.Sequential;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.dnnl_batch_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_eltwise_desc_t;
import org.bytedeco.dnnl.dnnl_inner_product_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_pooling_v2_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A sequential CNN with cross-entropy loss, its training step captured once per input shape as oneDNN primitives
 * bound to reused buffers: what {@code Trainer} runs instead of the eager step for the homework's convolutional
 * classifiers (the timings are in {@code bench/library/README.md}), checked against the eager step in {@code CapturedCnnStepTest}.
 *
 * <p>Supported: a (nested) {@link Sequential} of {@link Conv2d} (any stride and padding, padding modes zeros,
 * reflect, replicate and circular, bias or not, no dilation), {@link BatchNorm2d}, {@link ReLU}, {@link MaxPool2d},
 * {@link AdaptiveMaxPool2d} with output sizes dividing the input, then {@link Flatten}, then {@link Linear},
 * {@link ReLU} and {@link Dropout} layers, on float inputs {@code (N, C, H, W)} with class-index targets.
 * {@link #unsupported} says why another model is not; callers then run the eager step.
 *
 * <p>How it runs: every primitive is created once per input shape with its buffers, which are reused by every
 * step. Activations stay in oneDNN's blocked layout ({@code nChw16c} where oneDNN runs AVX-512 kernels, else
 * {@code nChw8c}; {@link #channelBlock}) from convolution to convolution; a ReLU after a convolution is the
 * convolution's post-op, and its backward pass reads the stored output (the pooled output when a max pooling follows:
 * {@link #pool}). Mirror padding modes copy border rows and columns with region reorders (their backward adds them
 * back), so the convolution itself always pads with zeros. The first layer does not compute
 * the gradient of the input. The linear layers are oneDNN inner products on the flattened features (plain
 * {@code (N, C*H*W)} order, as {@link Flatten} defines it); the loss is computed on the host.
 *
 * <p>Batch norm is oneDNN's batch-normalization primitive on the blocked activations (built by
 * {@code BatchNormKernel}'s descriptors; a following ReLU fused into it), as {@code F.batchNorm}: in a step prepared
 * for training, the batch's statistics, and the running estimates moved after the forward pass by
 * {@code F.batchNormRunningStats} (momentum, unbiased variance); for evaluation, the running estimates.
 * Dropout (after {@link Flatten}) runs {@code DropoutKernel} on the host with one draw of {@code Init.generator()}
 * per step, as {@code F.dropout}, so a seeded run draws the same masks as the eager step; for evaluation it is the
 * identity.
 */
public final class CapturedCnnStep implements CapturedStep {
  private final List<Parameter> trainable = new ArrayList<>();
  private final List<Runnable> bindParameters = new ArrayList<>();
  private final List<Call> forward = new ArrayList<>();
  private final List<Call> backward = new ArrayList<>(); // in execution order
  private final long[] inputShape;
  private final Buf input;
  private final Buf logits;
  private final Buf logitsGrad;
  private final float[] logitsHost;
  private final float[] logitsGradHost;
  private final FloatPointer logitsPointer;
  private final FloatPointer logitsGradPointer;
  private final Map<Parameter, Buf> gradients = new LinkedHashMap<>();
  private final Map<Parameter, INDArray> gradientViews = new LinkedHashMap<>(); // in the parameters' shapes
  private final dnnl_stream stream = Dnnl.newStream();
  private final List<String> implementations = new ArrayList<>();
  private static final long IGNORE_INDEX = -100; // PyTorch's default, as F.crossEntropy(logits, target)
  private double[] perSample;
  /** The blocked layout of this step's activations: {@code dnnl_nChw8c} or {@code dnnl_nChw16c}. */
  private final int blocked;

  /**
   * oneDNN's channel block for activations, {@code -Ddlcourse.compile.channelBlock}: {@code auto} (default) decides
   * by the CPU and the model ({@link #channelBlock}); {@code 8} or {@code 16} force one for every model (for A/B on
   * either kind of machine; the other block runs, slower).
   */
  static final String CHANNEL_BLOCK_SETTING = System.getProperty("dlcourse.compile.channelBlock", "auto");

  /**
   * Whether the gradient of a ReLU between a convolution and a max pooling is taken on the pooled values ({@link
   * #pool}; {@code -Ddlcourse.compile.reluGradientOnPooled=false}: on the convolution's output). Read when a step is
   * built.
   */
  static volatile boolean reluGradientOnPooled = !"false".equals(System.getProperty(
      "dlcourse.compile.reluGradientOnPooled"));

  /**
   * Whether a weight gradient that oneDNN would run on its reference kernel for its implicit zero padding runs on a
   * zero-padded copy of the input instead ({@code -Ddlcourse.compile.explicitZeroPadding=false}: off). Read when a
   * step is built.
   */
  static volatile boolean explicitZeroPadding = !"false".equals(System.getProperty(
      "dlcourse.compile.explicitZeroPadding"));

  /** The channel block (8 or 16) of {@code model}'s activations by {@code -Ddlcourse.compile.channelBlock}. */
  public static int channelBlock(Module model) {
    return channelBlockFor(CHANNEL_BLOCK_SETTING, model);
  }

  /**
   * The one place the block is decided. With AVX-512, oneDNN's kernels for it (jit:avx512_common) read 16-channel
   * blocks; given 8-channel blocks it runs its AVX2 kernels instead, and on a Sapphire-Rapids Xeon the CNN steps then
   * lose to PyTorch (bench/library/README.md, "Session 14, CNNs on AVX-512"). But those AVX-512 convolutions take
   * blocked inputs only in whole blocks (8 input channels in a 16-channel block got its reference kernel, ~100x
   * slower), so a model with such a convolution stays on 8-channel blocks, whose AVX2 kernels pad the block.
   */
  static int channelBlockFor(String setting, Module model) {
    return switch (setting) {
      case "auto" -> Dnnl.available() && Dnnl.avx512() && blockedConvInputsFillBlocksOf(16, model) ? 16 : 8;
      case "8", "16" -> Integer.parseInt(setting);
      default -> throw new IllegalArgumentException("-Ddlcourse.compile.channelBlock=" + setting
          + ": expected auto, 8 or 16");
    };
  }

  /**
   * Whether every convolution that reads a blocked activation (any but one reading the model's plain input) has input
   * channels in whole blocks of {@code block}.
   */
  private static boolean blockedConvInputsFillBlocksOf(int block, Module model) {
    List<Module> layers = new ArrayList<>();
    leaves(model, layers);
    boolean plain = true; // the model's input; convolutions and pooling write blocked outputs
    for (Module m : layers) {
      if (m instanceof Conv2d c) {
        if (!plain && c.inChannels() % block != 0) {
          return false;
        }
        plain = false;
      } else if (m instanceof MaxPool2d || m instanceof AdaptiveMaxPool2d) {
        plain = false;
      }
    }
    return true;
  }

  /**
   * Why {@code model} cannot run here, or {@code null} when it can. Also null only if oneDNN loads on this
   * platform.
   */
  public static String unsupported(Module model, long[] inputShape, DataType inputType) {
    if (inputShape.length != 4 || inputType != DataType.FLOAT) {
      return "needs float input (N, C, H, W), got " + inputType + " " + Arrays.toString(inputShape);
    }
    List<Module> layers = new ArrayList<>();
    String flattened = leaves(model, layers);
    if (flattened != null) {
      return flattened;
    }
    boolean features = true;
    boolean sawLinear = false;
    for (Module m : layers) {
      for (Parameter p : m.parameters()) {
        if (p.data().dataType() != DataType.FLOAT) {
          return "parameter " + p.name() + " of " + m + " is " + p.data().dataType() + ", not FLOAT";
        }
      }
      if (features) {
        if (m instanceof Conv2d c) {
          if (c.dilation()[0] != 1 || c.dilation()[1] != 1) {
            return "dilated convolution " + c;
          }
        } else if (m instanceof AdaptiveMaxPool2d) {
          continue; // divisibility is checked against the actual sizes when compiling
        } else if (m instanceof Flatten f) {
          if (f.startDim() != 1) {
            return "Flatten(startDim=" + f.startDim() + ")";
          }
          features = false;
        } else if (m instanceof BatchNorm2d bn) {
          if (bn.runningMean().data().dataType() != DataType.FLOAT
              || bn.runningVar().data().dataType() != DataType.FLOAT) {
            return "running statistics of " + bn + " are not FLOAT";
          }
        } else if (!(m instanceof ReLU || m instanceof MaxPool2d)) {
          return "layer " + m.getClass().getSimpleName() + " before Flatten";
        }
      } else if (m instanceof Linear) {
        sawLinear = true;
      } else if (m instanceof Dropout d) {
        if (d.p() == 1) {
          return "Dropout(p=1)";
        }
      } else if (!(m instanceof ReLU)) {
        return "layer " + m.getClass().getSimpleName() + " after Flatten";
      }
    }
    if (features || !sawLinear) {
      return "needs Flatten followed by Linear layers (the output must be class logits)";
    }
    if (!Dnnl.available()) {
      return "oneDNN does not load here: " + Dnnl.loadFailure();
    }
    return null;
  }

  private static String leaves(Module m, List<Module> out) {
    if (m.getClass() == Sequential.class) {
      for (Module child : ((Sequential) m).layers()) {
        String r = leaves(child, out);
        if (r != null) {
          return r;
        }
      }
      return null;
    }
    List<Class<?>> known = List.of(Conv2d.class, BatchNorm2d.class, ReLU.class, MaxPool2d.class,
        AdaptiveMaxPool2d.class, Flatten.class, Linear.class, Dropout.class);
    if (!known.contains(m.getClass())) {
      return "layer " + m.getClass().getName() + " (oneDNN path runs " + known.stream().map(Class::getSimpleName)
          .toList() + " in a Sequential)";
    }
    out.add(m);
    return null;
  }

  /**
   * Prepares {@code model} for inputs of {@code inputShape}; with {@code training} false only {@link #run}
   * works. The model's parameters are read at every call, so optimizer updates are seen.
   *
   * @throws IllegalArgumentException with the reason when {@link #unsupported} is not null
   */
  public CapturedCnnStep(Module model, long[] inputShape, boolean training) {
    this(model, inputShape, training, channelBlock(model));
  }

  /**
   * The same with activations in oneDNN's {@code channelBlock}-channel blocks (8 or 16) whatever the CPU: the other
   * block runs too, slower, on either kind of machine (for tests and A/B of the two layouts).
   */
  public CapturedCnnStep(Module model, long[] inputShape, boolean training, int channelBlock) {
    if (channelBlock != 8 && channelBlock != 16) {
      throw new IllegalArgumentException("channel block " + channelBlock
          + ": oneDNN's blocked layouts here are 8 or 16");
    }
    blocked = channelBlock == 16 ? dnnl_nChw16c : dnnl_nChw8c;
    String why = unsupported(model, inputShape, DataType.FLOAT);
    if (why != null) {
      throw new IllegalArgumentException("the oneDNN path cannot run this model: " + why);
    }
    this.inputShape = inputShape.clone();
    List<Module> layers = new ArrayList<>();
    leaves(model, layers);
    long[] shape = inputShape.clone();
    input = Buf.allocate(Dnnl.md(dnnl_nchw, shape));
    Buf x = input;
    Buf gx = null; // no gradient for the model's input
    List<List<Call>> backwardStages = new ArrayList<>();
    int i = 0;
    boolean reluGradientAtPool = false; // the last convolution's ReLU gradient is left to the max pooling after it
    while (!(layers.get(i) instanceof Flatten)) {
      Module m = layers.get(i);
      boolean reluNext = layers.get(i + 1) instanceof ReLU;
      List<Call> back = new ArrayList<>();
      Buf[] yg;
      if (m instanceof Conv2d c) {
        reluGradientAtPool = reluNext && reluGradientOnPooled && isMaxPool(layers.get(i + 2));
        yg = conv(c, reluNext, reluGradientAtPool, x, gx, shape, training, back);
        i += reluNext ? 2 : 1;
      } else if (m instanceof BatchNorm2d bn) {
        yg = batchNorm(bn, reluNext, x, gx, shape, training, back);
        i += reluNext ? 2 : 1;
      } else if (m instanceof ReLU) {
        yg = relu(x, gx, training, back);
        i++;
      } else {
        yg = pool(m, reluGradientAtPool, x, gx, shape, training, back);
        i++;
      }
      if (!(m instanceof Conv2d)) {
        reluGradientAtPool = false;
      }
      x = yg[0];
      gx = yg[1];
      shape = dims(x.md);
      backwardStages.add(back);
    }
    Buf flat = Buf.allocate(Dnnl.md(dnnl_nchw, shape));
    forward.add(Dnnl.reorder(x, flat, null, "features to plain layout"));
    List<Call> back = new ArrayList<>();
    if (gx != null) {
      Buf flatGrad = Buf.allocate(flat.md);
      back.add(Dnnl.reorder(flatGrad, gx, null, "feature gradient to blocked layout"));
      gx = flatGrad;
    }
    backwardStages.add(back);
    long features = shape[1] * shape[2] * shape[3];
    x = Buf.alias(flat, Dnnl.md(dnnl_ab, shape[0], features));
    gx = gx == null ? null : Buf.alias(gx, x.md);
    for (i++; i < layers.size(); i++) {
      if (layers.get(i) instanceof Linear l) {
        boolean reluNext = i + 1 < layers.size() && layers.get(i + 1) instanceof ReLU;
        back = new ArrayList<>();
        Buf[] yg = linear(l, reluNext, x, gx, features, training, back);
        backwardStages.add(back);
        x = yg[0];
        gx = yg[1];
        features = l.outFeatures();
      } else if (layers.get(i) instanceof Dropout d) {
        back = new ArrayList<>();
        Buf[] yg = dropout(d, x, gx, features, training, back);
        backwardStages.add(back);
        x = yg[0];
        gx = yg[1];
      } else if (!(layers.get(i - 1) instanceof Linear)) {
        throw new IllegalArgumentException("the oneDNN path runs ReLU after Flatten only right after a Linear layer");
      }
    }
    logits = x;
    logitsGrad = gx;
    logitsHost = new float[(int) (inputShape[0] * features)];
    logitsGradHost = training ? new float[logitsHost.length] : null;
    logitsPointer = new FloatPointer(logits.array.data().addressPointer());
    logitsGradPointer = training ? new FloatPointer(logitsGrad.array.data().addressPointer()) : null;
    for (int s = backwardStages.size() - 1; s >= 0; s--) {
      backward.addAll(backwardStages.get(s));
    }
    gradients.forEach((p, b) -> gradientViews.put(p, b.array.reshape(p.shape())));
  }

  /** The oneDNN implementation chosen for each primitive, e.g. {@code conv jit:avx2}, in layer order. */
  public List<String> implementations() {
    return List.copyOf(implementations);
  }

  private static long[] dims(dnnl_memory_desc_t md) {
    long[] d = new long[md.ndims()];
    md.dims().get(d);
    return d;
  }

  /**
   * Activations in oneDNN's channel blocks (8 or 16, {@link #channelBlock}) for any channel count (oneDNN pads the
   * last block): with plain {@code nchw} outputs, e.g. 81 channels, the gradients fall back to reference kernels.
   */
  private int layout() {
    return blocked;
  }

  /**
   * A convolution, with {@code relu} the ReLU after it fused; with {@code reluGradientAtPool} that ReLU's gradient is
   * left to the max pooling that follows ({@link #pool}).
   */
  private Buf[] conv(Conv2d c, boolean relu, boolean reluGradientAtPool, Buf x, Buf gx, long[] in, boolean training,
      List<Call> back) {
    int[] k = c.kernelSize();
    long[] strides = {c.stride()[0], c.stride()[1]};
    long[] pad = {c.padding()[0], c.padding()[1]};
    Buf src = x;
    Buf gsrc = gx;
    long[] srcShape = in;
    List<Call> padBack = new ArrayList<>();
    if (c.paddingMode() != PaddingMode.ZEROS && (pad[0] > 0 || pad[1] > 0)) {
      srcShape = new long[] {in[0], in[1], in[2] + 2 * pad[0], in[3] + 2 * pad[1]};
      src = Buf.allocate(Dnnl.md(layoutOf(x, in), srcShape));
      int[] sides = {(int) pad[1], (int) pad[1], (int) pad[0], (int) pad[0]}; // left, right, top, bottom
      Pad2dKernel.Mode mode = Pad2dKernel.Mode.valueOf(c.paddingMode().name());
      String what = c.paddingMode() + " padding";
      List<Pad2dKernel.Region> copies = Pad2dKernel.copies(in, sides, mode);
      forward.add(Dnnl.reorder(x, Buf.region(src, in, Pad2dKernel.middleOffset(sides)), null, what + ": middle"));
      for (Pad2dKernel.Region r : copies.subList(1, copies.size())) { // the first is the middle
        forward.add(Dnnl.reorder(Buf.region(r.fromInput() ? x : src, r.size(), r.fromOffset()), Buf.region(src, r
            .size(), r.toOffset()), null, what + (r.fromInput() ? ": border rows" : ": border columns")));
      }
      if (gx != null) {
        gsrc = Buf.allocate(src.md);
        for (Pad2dKernel.Region r : Pad2dKernel.additions(in, sides, mode)) {
          padBack.add(Dnnl.reorder(Buf.region(gsrc, r.size(), r.fromOffset()), Buf.region(gsrc, r.size(), r
              .toOffset()), Dnnl.accumulate(), what + " gradient: borders"));
        }
        padBack.add(Dnnl.reorder(Buf.region(gsrc, in, Pad2dKernel.middleOffset(sides)), gx, null, what
            + " gradient: middle"));
      }
      pad = new long[] {0, 0};
    }
    long out = c.outChannels();
    long[] o = {(srcShape[2] + 2 * pad[0] - k[0]) / strides[0] + 1, (srcShape[3] + 2 * pad[1] - k[1]) / strides[1] + 1};
    // The right/bottom padding the output actually reads: negative when the stride leaves the last input rows
    // unread, and only then do oneDNN's AVX2 input-gradient kernels accept a valid strided convolution.
    long[] padR = {(o[0] - 1) * strides[0] + k[0] - srcShape[2] - pad[0], (o[1] - 1) * strides[1] + k[1] - srcShape[3]
        - pad[1]};
    long[] wShape = {out, c.inChannels(), k[0], k[1]};
    dnnl_memory_desc_t anyWeights = Dnnl.md(dnnl_format_tag_any, wShape);
    dnnl_memory_desc_t biasMd = c.bias() == null ? null : Dnnl.md(dnnl_x, out);
    dnnl_memory_desc_t dstMd = Dnnl.md(layout(), in[0], out, o[0], o[1]);
    dnnl_convolution_desc_t fd = new dnnl_convolution_desc_t();
    Dnnl.check(dnnl_convolution_forward_desc_init(fd, training ? dnnl_forward_training : dnnl_forward_inference,
        dnnl_convolution_direct, src.md, anyWeights, biasMd, dstMd, strides, pad, padR), "convolution " + c);
    dnnl_primitive_desc fpd = Dnnl.pd(fd, relu ? Dnnl.reluPostOp() : null, null, "convolution " + c);
    implementations.add("conv " + Dnnl.implementation(fpd));
    Buf y = Buf.allocate(Dnnl.query(fpd, dnnl_query_dst_md));
    Buf wPlain = Buf.view(Dnnl.md(dnnl_oihw, wShape));
    Buf w = converted(wPlain, Dnnl.query(fpd, dnnl_query_weights_md), forward, "weights to blocked layout " + c);
    Buf b = biasMd == null ? null : Buf.view(biasMd);
    bindParameters.add(() -> {
      wPlain.bind(c.weight().data());
      if (b != null) {
        b.bind(c.bias().data());
      }
    });
    Call call = new Call(Dnnl.primitive(fpd, "convolution"), "convolution " + c).arg(DNNL_ARG_SRC, src)
        .arg(DNNL_ARG_WEIGHTS, w).arg(DNNL_ARG_DST, y);
    forward.add(b == null ? call : call.arg(DNNL_ARG_BIAS, b));
    if (!training) {
      return new Buf[] {y, null};
    }
    Buf gy = Buf.allocate(y.md);
    if (relu && !reluGradientAtPool) {
      back.add(reluBackward(y, gy, gy, "ReLU gradient"));
    }
    dnnl_primitive_desc wpd = weightGradient(src.md, anyWeights, biasMd, gy.md, strides, pad, padR, fpd, c);
    Buf wsrc = src;
    if (Dnnl.implementation(wpd).startsWith("ref")) {
      // Few input channels in plain layout (a grey-scale first layer) leave only the reference kernel, 100x slower
      // than the input copied into the channel blocks the jit kernel reads.
      dnnl_primitive_desc blocked = weightGradient(Dnnl.md(dnnl_format_tag_any, srcShape), anyWeights, biasMd, gy.md,
          strides, pad, padR, fpd, c);
      if (!Dnnl.implementation(blocked).startsWith("ref")) {
        wpd = blocked;
        wsrc = Buf.allocate(Dnnl.query(wpd, dnnl_query_src_md));
        back.add(Dnnl.reorder(src, wsrc, null, "input to weight-gradient layout " + c));
      }
    }
    if (Dnnl.implementation(wpd).startsWith("ref") && (pad[0] > 0 || pad[1] > 0) && explicitZeroPadding) {
      // oneDNN's AVX-512 weight-gradient kernel takes at most half the kernel as implicit padding (Net1's 3x3 with
      // padding 2 got its reference kernel, ~300x slower): the input copied into a zero-bordered buffer (the borders
      // are never written), convolved with padding 0.
      long[] padded = {srcShape[0], srcShape[1], srcShape[2] + 2 * pad[0], srcShape[3] + 2 * pad[1]};
      long[] paddedR = {padR[0] - pad[0], padR[1] - pad[1]};
      long[] none = {0, 0};
      Buf zeroPadded = Buf.allocate(Dnnl.md(layoutOf(src, srcShape), padded));
      dnnl_convolution_desc_t hd = new dnnl_convolution_desc_t();
      Dnnl.check(dnnl_convolution_forward_desc_init(hd, dnnl_forward_training, dnnl_convolution_direct, zeroPadded.md,
          anyWeights, biasMd, gy.md, strides, none, paddedR), "convolution " + c);
      dnnl_primitive_desc explicit = weightGradient(zeroPadded.md, anyWeights, biasMd, gy.md, strides, none, paddedR,
          Dnnl.pd(hd, null, null, "convolution " + c), c);
      if (!Dnnl.implementation(explicit).startsWith("ref")) {
        wpd = explicit;
        wsrc = zeroPadded;
        back.add(Dnnl.reorder(src, Buf.region(zeroPadded, srcShape, new long[] {0, 0, pad[0], pad[1]}), null,
            "input into zero padding for the weight gradient " + c));
      }
    }
    implementations.add("conv weight grad " + Dnnl.implementation(wpd));
    Buf gwPlain = Buf.allocate(wPlain.md);
    Buf gw = Buf.allocate(Dnnl.query(wpd, dnnl_query_diff_weights_md));
    trainable.add(c.weight());
    Call wcall = new Call(Dnnl.primitive(wpd, "convolution weight gradient"), "convolution weight gradient " + c)
        .arg(DNNL_ARG_SRC, wsrc).arg(DNNL_ARG_DIFF_DST, gy).arg(DNNL_ARG_DIFF_WEIGHTS, gw);
    if (b != null) {
      Buf gb = Buf.allocate(biasMd);
      wcall.arg(DNNL_ARG_DIFF_BIAS, gb);
      gradients.put(c.bias(), gb);
      trainable.add(c.bias());
    }
    gradients.put(c.weight(), gwPlain);
    back.add(wcall);
    back.add(Dnnl.reorder(gw, gwPlain, null, "weight gradient to plain layout " + c));
    if (gsrc != null) {
      // When the stride leaves the last input rows or columns unread, their gradient is 0 (the buffer starts zeroed
      // and nothing else writes there): the input gradient is computed for the rows read only, with oneDNN's AVX2
      // kernel, which rejects the uncovered geometry (its reference kernel is 100x slower), and copied into place.
      long[] read = {srcShape[0], srcShape[1], srcShape[2] + Math.min(padR[0], 0), srcShape[3] + Math.min(padR[1], 0)};
      long[] readPadR = {Math.max(padR[0], 0), Math.max(padR[1], 0)};
      boolean cropped = read[2] < srcShape[2] || read[3] < srcShape[3];
      Buf gread = gsrc;
      dnnl_primitive_desc hint = fpd;
      if (cropped) {
        gread = Buf.allocate(Dnnl.md(layoutOf(gsrc, srcShape), read));
        dnnl_convolution_desc_t hd = new dnnl_convolution_desc_t();
        Dnnl.check(dnnl_convolution_forward_desc_init(hd, dnnl_forward_training, dnnl_convolution_direct, gread.md,
            anyWeights, null, gy.md, strides, pad, readPadR), "convolution " + c);
        hint = Dnnl.pd(hd, null, null, "convolution " + c);
      }
      dnnl_convolution_desc_t dd = new dnnl_convolution_desc_t();
      Dnnl.check(dnnl_convolution_backward_data_desc_init(dd, dnnl_convolution_direct, gread.md, anyWeights, gy.md,
          strides, pad, cropped ? readPadR : padR), "convolution input gradient " + c);
      dnnl_primitive_desc dpd = Dnnl.pd(dd, null, hint, "convolution input gradient " + c);
      implementations.add("conv input grad " + Dnnl.implementation(dpd));
      dnnl_memory_desc_t bdWeights = Dnnl.query(dpd, dnnl_query_weights_md);
      Buf wd2 = Dnnl.same(bdWeights, w.md) ? w : converted(wPlain, bdWeights, back, "weights to input-gradient layout "
          + c);
      back.add(new Call(Dnnl.primitive(dpd, "convolution input gradient"), "convolution input gradient " + c)
          .arg(DNNL_ARG_DIFF_DST, gy).arg(DNNL_ARG_WEIGHTS, wd2).arg(DNNL_ARG_DIFF_SRC, gread));
      if (cropped) {
        back.add(Dnnl.reorder(gread, Buf.region(gsrc, read, new long[4]), null, "input gradient of the rows read "
            + c));
      }
      back.addAll(padBack);
    }
    return new Buf[] {y, gy};
  }

  private static boolean isMaxPool(Module m) {
    return m instanceof MaxPool2d || m instanceof AdaptiveMaxPool2d;
  }

  /** The activation layout of {@code x} of shape {@code shape}: the blocked one of this step, or plain. */
  private int layoutOf(Buf x, long[] shape) {
    return Dnnl.same(x.md, Dnnl.md(layout(), shape)) ? layout() : dnnl_nchw;
  }

  private static dnnl_primitive_desc weightGradient(dnnl_memory_desc_t src, dnnl_memory_desc_t weights,
      dnnl_memory_desc_t bias, dnnl_memory_desc_t diffDst, long[] strides, long[] pad, long[] padR,
      dnnl_primitive_desc forward,
      Conv2d c) {
    dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
    Dnnl.check(dnnl_convolution_backward_weights_desc_init(d, dnnl_convolution_direct, src, weights, bias, diffDst,
        strides, pad, padR), "convolution weight gradient " + c);
    return Dnnl.pd(d, null, forward, "convolution weight gradient " + c);
  }

  /** {@code plain} itself when {@code want} is its layout, else a buffer of layout {@code want} filled by a reorder. */
  private static Buf converted(Buf plain, dnnl_memory_desc_t want, List<Call> calls, String name) {
    if (Dnnl.same(plain.md, want)) {
      return plain;
    }
    Buf b = Buf.allocate(want);
    calls.add(Dnnl.reorder(plain, b, null, name));
    return b;
  }

  /**
   * Batch norm on {@code x} (N, C, H, W) in its layout, with the following ReLU fused ({@code dnnl_fuse_norm_relu}:
   * the backward pass masks the gradient by the forward pass's workspace). Training: the batch's statistics, kept for
   * the backward pass, then the running estimates moved by {@code F.batchNormRunningStats}; evaluation: the running
   * estimates, read at every call.
   */
  private Buf[] batchNorm(BatchNorm2d bn, boolean relu, Buf x, Buf gx, long[] in, boolean training,
      List<Call> back) {
    String name = "batch norm " + bn + (relu ? " + ReLU" : "");
    boolean affine = bn.weight() != null;
    int flags = BatchNormKernel.flags(affine, affine, !training, relu);
    float eps = (float) bn.eps();
    dnnl_memory_desc_t statMd = Dnnl.md(dnnl_x, in[1]);
    dnnl_batch_normalization_desc_t fd = BatchNormKernel.forwardDesc(x.md, eps, flags);
    dnnl_primitive_desc fpd = Dnnl.pd(fd, null, null, name);
    implementations.add("batch norm " + Dnnl.implementation(fpd));
    Buf y = Buf.allocate(Dnnl.query(fpd, dnnl_query_dst_md));
    Buf w = affine ? Buf.view(statMd) : null;
    Buf b = affine ? Buf.view(statMd) : null;
    if (affine) {
      bindParameters.add(() -> {
        w.bind(bn.weight().data());
        b.bind(bn.bias().data());
      });
    }
    Call call = new Call(Dnnl.primitive(fpd, "batch norm"), name).arg(DNNL_ARG_SRC, x).arg(DNNL_ARG_DST, y);
    if (affine) {
      call.arg(DNNL_ARG_SCALE, w).arg(DNNL_ARG_SHIFT, b);
    }
    if (!training) {
      Buf mean = Buf.view(statMd);
      Buf var = Buf.view(statMd);
      bindParameters.add(() -> {
        mean.bind(bn.runningMean().data());
        var.bind(bn.runningVar().data());
      });
      forward.add(call.arg(DNNL_ARG_MEAN, mean).arg(DNNL_ARG_VARIANCE, var));
      return new Buf[] {y, null};
    }
    Buf mean = Buf.allocate(statMd);
    Buf var = Buf.allocate(statMd);
    call.arg(DNNL_ARG_MEAN, mean).arg(DNNL_ARG_VARIANCE, var);
    Buf ws = relu ? Buf.allocate(Dnnl.query(fpd, dnnl_query_workspace_md)) : null;
    forward.add(ws == null ? call : call.arg(DNNL_ARG_WORKSPACE, ws));
    long count = in[0] * in[2] * in[3]; // values per channel
    forward.add(new Call("running statistics " + bn, () -> F.batchNormRunningStats(bn.runningMean(), bn
        .runningVar(), mean.array, var.array, bn.momentum(), count)));
    Buf gy = Buf.allocate(y.md);
    if (gx == null && !affine) {
      return new Buf[] {y, gy}; // nothing to compute backward
    }
    dnnl_primitive_desc bpd = Dnnl.pd(BatchNormKernel.backwardDesc(x.md, eps, flags), null, fpd, name + " gradient");
    implementations.add("batch norm gradient " + Dnnl.implementation(bpd));
    Buf gsrc = gx != null ? gx : Buf.allocate(x.md); // the model's input needs no gradient, oneDNN computes one
    Call bcall = new Call(Dnnl.primitive(bpd, "batch norm gradient"), name + " gradient").arg(DNNL_ARG_SRC, x)
        .arg(DNNL_ARG_MEAN, mean).arg(DNNL_ARG_VARIANCE, var).arg(DNNL_ARG_DIFF_DST, gy).arg(DNNL_ARG_DIFF_SRC, gsrc);
    if (ws != null) {
      bcall.arg(DNNL_ARG_WORKSPACE, ws);
    }
    if (affine) {
      Buf gw = Buf.allocate(statMd);
      Buf gb = Buf.allocate(statMd);
      // oneDNN 2.5 wants the shift among the backward pass's arguments too
      bcall.arg(DNNL_ARG_SCALE, w).arg(DNNL_ARG_SHIFT, b).arg(DNNL_ARG_DIFF_SCALE, gw).arg(DNNL_ARG_DIFF_SHIFT, gb);
      trainable.add(bn.weight());
      gradients.put(bn.weight(), gw);
      trainable.add(bn.bias());
      gradients.put(bn.bias(), gb);
    }
    back.add(bcall);
    return new Buf[] {y, gy};
  }

  /**
   * Dropout on the (N, features) rows in {@code x}, by {@code DropoutKernel} with one draw of {@code Init.generator()}
   * per step, as {@code F.dropout} (the same masks from the same generator state); the identity for evaluation or
   * p = 0 (no draw, as {@code F.dropout}).
   */
  private Buf[] dropout(Dropout d, Buf x, Buf gx, long features, boolean training, List<Call> back) {
    if (!training || d.p() == 0) {
      return new Buf[] {x, gx};
    }
    double p = d.p();
    int n = Math.toIntExact(inputShape[0] * features);
    long[] kept = new long[(n + 63) >>> 6];
    Buf y = Buf.allocate(x.md);
    FloatBuffer xb = x.array.data().asNioFloat();
    FloatBuffer yb = y.array.data().asNioFloat();
    forward.add(new Call("dropout " + d, () -> DropoutKernel.forward(xb, yb, n, p, Init.generator().nextLong(),
        kept)));
    Buf gy = Buf.allocate(y.md);
    if (gx != null) {
      FloatBuffer gyb = gy.array.data().asNioFloat();
      FloatBuffer gxb = gx.array.data().asNioFloat();
      back.add(new Call("dropout gradient " + d, () -> DropoutKernel.backward(gyb, gxb, n, p, kept)));
    }
    return new Buf[] {y, gy};
  }

  private Buf[] linear(Linear l, boolean relu, Buf x, Buf gx, long in, boolean training, List<Call> back) {
    if (l.inFeatures() != in) {
      throw new IllegalArgumentException(l + " gets " + in + " features");
    }
    long n = inputShape[0];
    long out = l.outFeatures();
    dnnl_memory_desc_t wMd = Dnnl.md(dnnl_ab, out, in); // PyTorch's (out, in) weight as it is stored
    dnnl_memory_desc_t biasMd = l.bias() == null ? null : Dnnl.md(dnnl_x, out);
    dnnl_memory_desc_t yMd = Dnnl.md(dnnl_ab, n, out);
    dnnl_inner_product_desc_t fd = new dnnl_inner_product_desc_t();
    Dnnl.check(dnnl_inner_product_forward_desc_init(fd, training ? dnnl_forward_training : dnnl_forward_inference,
        x.md, wMd, biasMd, yMd), "linear " + l);
    dnnl_primitive_desc fpd = Dnnl.pd(fd, relu ? Dnnl.reluPostOp() : null, null, "linear " + l);
    implementations.add("linear " + Dnnl.implementation(fpd));
    Buf w = Buf.view(wMd);
    Buf b = biasMd == null ? null : Buf.view(biasMd);
    bindParameters.add(() -> {
      w.bind(l.weight().data());
      if (b != null) {
        b.bind(l.bias().data());
      }
    });
    Buf y = Buf.allocate(yMd);
    Call call = new Call(Dnnl.primitive(fpd, "linear"), "linear " + l).arg(DNNL_ARG_SRC, x).arg(DNNL_ARG_WEIGHTS, w)
        .arg(DNNL_ARG_DST, y);
    forward.add(b == null ? call : call.arg(DNNL_ARG_BIAS, b));
    if (!training) {
      return new Buf[] {y, null};
    }
    Buf gy = Buf.allocate(yMd);
    if (relu) {
      back.add(reluBackward(y, gy, gy, "ReLU gradient"));
    }
    dnnl_inner_product_desc_t wd = new dnnl_inner_product_desc_t();
    Dnnl.check(dnnl_inner_product_backward_weights_desc_init(wd, x.md, wMd, biasMd, yMd), "linear weight gradient "
        + l);
    dnnl_primitive_desc wpd = Dnnl.pd(wd, null, fpd, "linear weight gradient " + l);
    implementations.add("linear weight grad " + Dnnl.implementation(wpd));
    Buf gw = Buf.allocate(wMd);
    Call wcall = new Call(Dnnl.primitive(wpd, "linear weight gradient"), "linear weight gradient " + l)
        .arg(DNNL_ARG_SRC, x).arg(DNNL_ARG_DIFF_DST, gy).arg(DNNL_ARG_DIFF_WEIGHTS, gw);
    trainable.add(l.weight());
    gradients.put(l.weight(), gw);
    if (b != null) {
      Buf gb = Buf.allocate(biasMd);
      wcall.arg(DNNL_ARG_DIFF_BIAS, gb);
      trainable.add(l.bias());
      gradients.put(l.bias(), gb);
    }
    back.add(wcall);
    if (gx != null) {
      dnnl_inner_product_desc_t dd = new dnnl_inner_product_desc_t();
      Dnnl.check(dnnl_inner_product_backward_data_desc_init(dd, x.md, wMd, yMd), "linear input gradient " + l);
      dnnl_primitive_desc dpd = Dnnl.pd(dd, null, fpd, "linear input gradient " + l);
      implementations.add("linear input grad " + Dnnl.implementation(dpd));
      back.add(new Call(Dnnl.primitive(dpd, "linear input gradient"), "linear input gradient " + l)
          .arg(DNNL_ARG_DIFF_DST, gy).arg(DNNL_ARG_WEIGHTS, w).arg(DNNL_ARG_DIFF_SRC, gx));
    }
    return new Buf[] {y, gy};
  }

  private Call reluBackward(Buf y, Buf gy, Buf gx, String name) {
    dnnl_eltwise_desc_t f = new dnnl_eltwise_desc_t();
    Dnnl.check(dnnl_eltwise_forward_desc_init(f, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, y.md, 0f,
        0f),
        "ReLU");
    dnnl_primitive_desc fpd = Dnnl.pd(f, null, null, "ReLU");
    dnnl_eltwise_desc_t d = new dnnl_eltwise_desc_t();
    Dnnl.check(dnnl_eltwise_backward_desc_init(d, dnnl_eltwise_relu_use_dst_for_bwd, gy.md, y.md, 0f, 0f),
        "ReLU gradient");
    dnnl_primitive_desc bpd = Dnnl.pd(d, null, fpd, "ReLU gradient");
    implementations.add("ReLU gradient " + Dnnl.implementation(bpd));
    return new Call(Dnnl.primitive(bpd, "ReLU gradient"), name).arg(DNNL_ARG_DST, y)
        .arg(DNNL_ARG_DIFF_DST, gy).arg(DNNL_ARG_DIFF_SRC, gx);
  }

  private Buf[] relu(Buf x, Buf gx, boolean training, List<Call> back) {
    dnnl_eltwise_desc_t f = new dnnl_eltwise_desc_t();
    Dnnl.check(dnnl_eltwise_forward_desc_init(f, training ? dnnl_forward_training : dnnl_forward_inference,
        dnnl_eltwise_relu_use_dst_for_bwd, x.md, 0f, 0f), "ReLU");
    dnnl_primitive_desc fpd = Dnnl.pd(f, null, null, "ReLU");
    Buf y = Buf.allocate(x.md);
    forward.add(new Call(Dnnl.primitive(fpd, "ReLU"), "ReLU").arg(DNNL_ARG_SRC, x).arg(DNNL_ARG_DST, y));
    if (!training) {
      return new Buf[] {y, null};
    }
    Buf gy = Buf.allocate(y.md);
    if (gx != null) {
      back.add(reluBackward(y, gy, gx, "ReLU gradient"));
    }
    return new Buf[] {y, gy};
  }

  /**
   * Max pooling; with {@code reluGradient} also the gradient of the ReLU before it (fused into the convolution before
   * that), taken on the pooled values: the pooling gradient goes to each window's maximum, where the ReLU's output is
   * the pooled value, so masking by {@code pooled > 0} before it equals masking its result by {@code relu(x) > 0},
   * on a tensor a quarter the size for 2x2 windows (bit for bit: both pass a value or write 0).
   */
  private Buf[] pool(Module m, boolean reluGradient, Buf x, Buf gx, long[] in, boolean training, List<Call> back) {
    long[] kernel;
    long[] strides;
    long[] padL;
    long[] o;
    if (m instanceof MaxPool2d p) {
      kernel = new long[] {p.kernelSize()[0], p.kernelSize()[1]};
      strides = new long[] {p.stride()[0], p.stride()[1]};
      padL = new long[] {p.padding()[0], p.padding()[1]};
      o = p.outputSize(in[2], in[3]);
    } else {
      int[] size = ((AdaptiveMaxPool2d) m).outputSize();
      if (in[2] % size[0] != 0 || in[3] % size[1] != 0) {
        throw new IllegalArgumentException("the oneDNN path runs AdaptiveMaxPool2d only when the output size "
            + Arrays.toString(size) + " divides the input " + in[2] + "x" + in[3]);
      }
      kernel = new long[] {in[2] / size[0], in[3] / size[1]};
      strides = kernel.clone();
      padL = new long[] {0, 0};
      o = new long[] {size[0], size[1]};
    }
    long[] padR = new long[2];
    for (int d = 0; d < 2; d++) { // ceil mode reads past the end: a larger right padding, never a smaller one
      padR[d] = Math.max(padL[d], (o[d] - 1) * strides[d] + kernel[d] - in[2 + d] - padL[d]);
    }
    long[] dilation = {0, 0};
    dnnl_memory_desc_t dstMd = Dnnl.md(layout(), in[0], in[1], o[0], o[1]);
    dnnl_pooling_v2_desc_t fd = new dnnl_pooling_v2_desc_t();
    Dnnl.check(dnnl_pooling_v2_forward_desc_init(fd, training ? dnnl_forward_training : dnnl_forward_inference,
        dnnl_pooling_max, x.md, dstMd, strides, kernel, dilation, padL, padR), "max pooling " + m);
    dnnl_primitive_desc fpd = Dnnl.pd(fd, null, null, "max pooling " + m);
    implementations.add("pool " + Dnnl.implementation(fpd));
    Buf y = Buf.allocate(Dnnl.query(fpd, dnnl_query_dst_md));
    Call call = new Call(Dnnl.primitive(fpd, "max pooling"), "max pooling " + m).arg(DNNL_ARG_SRC, x)
        .arg(DNNL_ARG_DST, y);
    if (!training) {
      forward.add(call);
      return new Buf[] {y, null};
    }
    Buf ws = Buf.allocate(Dnnl.query(fpd, dnnl_query_workspace_md));
    forward.add(call.arg(DNNL_ARG_WORKSPACE, ws));
    Buf gy = Buf.allocate(y.md);
    if (gx != null) {
      dnnl_pooling_v2_desc_t bd = new dnnl_pooling_v2_desc_t();
      Dnnl.check(dnnl_pooling_v2_backward_desc_init(bd, dnnl_pooling_max, gx.md, gy.md, strides, kernel, dilation,
          padL, padR), "max pooling gradient " + m);
      dnnl_primitive_desc bpd = Dnnl.pd(bd, null, fpd, "max pooling gradient " + m);
      implementations.add("pool gradient " + Dnnl.implementation(bpd));
      if (reluGradient) {
        back.add(reluBackward(y, gy, gy, "ReLU gradient on the pooled values"));
      }
      back.add(new Call(Dnnl.primitive(bpd, "max pooling gradient"), "max pooling gradient " + m)
          .arg(DNNL_ARG_DIFF_DST, gy).arg(DNNL_ARG_WORKSPACE, ws).arg(DNNL_ARG_DIFF_SRC, gx));
    }
    return new Buf[] {y, gy};
  }

  private void checkInput(INDArray x) {
    if (!Arrays.equals(x.shape(), inputShape)) {
      throw new IllegalArgumentException("this captured step was prepared for input " + Arrays.toString(inputShape)
          + ", got " + Arrays.toString(x.shape()));
    }
  }

  /** Runs every layer; the logits are then in {@link #logitsHost}. */
  private void forwardPass(INDArray x) {
    checkInput(x);
    bindParameters.forEach(Runnable::run);
    input.array.reshape(inputShape).assign(x);
    for (Call c : forward) {
      c.run(stream);
    }
    logitsPointer.get(logitsHost);
  }

  private INDArray logitsArray() {
    return Nd4j.create(logitsHost, new long[] {inputShape[0], logitsHost.length / inputShape[0]}, DataType.FLOAT);
  }

  /**
   * The mean cross-entropy of the logits in {@link #logitsHost} against {@code y} (PyTorch's defaults: ignore index
   * -100, no smoothing), by the kernel {@code F.crossEntropy} runs; with {@code grad} not null, writes d loss / d
   * logits into {@link #logitsGradHost}.
   */
  private double loss(INDArray y, boolean grad) {
    long[] targets = CrossEntropyKernel.classIndices(y, inputShape[0]);
    int classes = logitsHost.length / targets.length;
    CrossEntropyKernel.checkTargets(targets, classes, IGNORE_INDEX);
    double[] logp = new double[logitsHost.length];
    for (int i = 0; i < logp.length; i++) {
      logp[i] = logitsHost[i];
    }
    CrossEntropyKernel.logSoftmax(logp, classes);
    int kept = CrossEntropyKernel.perSample(logp, targets, classes, IGNORE_INDEX, 0, perSample(targets.length));
    double sum = 0;
    for (double v : perSample) {
      sum += v;
    }
    if (grad) {
      double[] g = new double[logp.length];
      CrossEntropyKernel.gradient(logp, targets, classes, IGNORE_INDEX, 0, null, 1.0 / kept, g);
      for (int i = 0; i < g.length; i++) {
        logitsGradHost[i] = (float) g[i];
      }
    }
    return kept == 0 ? Double.NaN : sum / kept;
  }

  private double[] perSample(int n) {
    if (perSample == null || perSample.length != n) {
      perSample = new double[n];
    }
    return perSample;
  }

  @Override
  public CapturedStep.StepResult run(INDArray x, INDArray y) {
    forwardPass(x);
    return new CapturedStep.StepResult(loss(y, false), logitsArray());
  }

  @Override
  public CapturedStep.StepResult step(INDArray x, INDArray y) {
    if (logitsGrad == null) {
      throw new IllegalStateException("this captured step was prepared for evaluation only");
    }
    forwardPass(x);
    double loss = loss(y, true);
    logitsGradPointer.put(logitsGradHost);
    for (Call c : backward) {
      c.run(stream);
    }
    gradientViews.forEach((p, g) -> p.grad(dlcourse.tensor.Tensor.of(g)));
    return new CapturedStep.StepResult(loss, logitsArray());
  }

  /**
   * Where the time went: for each primitive call (in execution order, forward then backward), its name and the
   * milliseconds per run since the start or {@link #resetTimings()}. Calls with the same name are summed.
   */
  public Map<String, Double> timings() {
    Map<String, Double> out = new LinkedHashMap<>();
    List<Call> all = new ArrayList<>(forward);
    all.addAll(backward);
    for (Call c : all) {
      if (c.runs() > 0) {
        out.merge(c.name(), c.nanos() / 1e6 / c.runs(), Double::sum);
      }
    }
    return out;
  }

  /** Starts {@link #timings()} afresh (after a warm-up, say). */
  public void resetTimings() {
    forward.forEach(Call::resetTiming);
    backward.forEach(Call::resetTiming);
  }

  /** The parameters this net sets gradients for. */
  public List<Parameter> parameters() {
    return List.copyOf(trainable);
  }
}
