package dlcourse.models;

import dlcourse.nn.Conv2d;
import dlcourse.nn.F;
import dlcourse.nn.GELU;
import dlcourse.nn.Init;
import dlcourse.nn.LayerNorm;
import dlcourse.nn.Linear;
import dlcourse.nn.Module;
import dlcourse.nn.MultiheadAttention;
import dlcourse.nn.Parameter;
import dlcourse.nn.Sequential;
import dlcourse.tensor.Shapes;
import dlcourse.tensor.Tensor;
import dlcourse.kernels.Buffers;
import dlcourse.kernels.Layout;
import dlcourse.util.Check;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A small vision transformer (Dosovitskiy et al., "An image is worth 16x16 words", 2020) as in the RDFIA practical
 * "Basics on deep learning for vision", chapter 3: the image cut into patches by a conv
 * with kernel = stride = patch, a learnable class token (zero init, ours) prepended, a fixed sinusoidal position
 * table added, pre-norm blocks {@code x + MHSA(LN(x))}, {@code x + MLP(LN(x))} with GELU, a final LayerNorm and a
 * linear head on the class token. The parts follow in the order data flows: {@link Config}, {@link Mlp},
 * {@link Block}, then the model. With {@link Config#learnedPositions()} the position table is trained instead, as in
 * the original ViT and timm ({@link Config#vitSmall16}, {@link Config#vitBase16}; their published weights load with
 * {@link ViTWeights}).
 *
 * <pre>{@code
 * var model = new ViT(ViT.Config.base());  // 27,434 parameters
 * Tensor logits = model.forward(x);        // x (B, 1, 28, 28) -> logits (B, 10)
 * }</pre>
 */
public class ViT extends Module {

  /**
   * Every hyperparameter of the model.
   *
   * @param embed embedding width C (channels per token)
   * @param patch side of a square patch, in pixels; imageSize must be divisible by it
   * @param blocks number of transformer blocks
   * @param heads attention heads per block; embed must be divisible by it
   * @param mlpHidden width of the MLP's hidden layer
   * @param channels image channels
   * @param imageSize side of the square input image, in pixels
   * @param classes number of classes (the head's outputs)
   * @param learnedPositions false: the fixed sinusoidal table (the course's choice, a buffer); true: a trained
   *     {@code (tokens, C)} parameter drawn from N(0, 0.02^2), as in the original ViT and timm
   * @param normEps the eps of every LayerNorm (1e-5 as PyTorch's default; timm's ViTs use 1e-6)
   */
  public record Config(int embed, int patch, int blocks, int heads, int mlpHidden, int channels, int imageSize,
      int classes, boolean learnedPositions, double normEps) {
    /** A configuration with fixed sinusoidal positions and LayerNorm eps 1e-5. */
    public Config(int embed, int patch, int blocks, int heads, int mlpHidden, int channels, int imageSize,
        int classes) {
      this(embed, patch, blocks, heads, mlpHidden, channels, imageSize, classes, false, 1e-5);
    }

    /** The course's base configuration (rdfia-basics ch. 3): 27,434 parameters. */
    public static Config base() {
      return new Config(32, 7, 2, 4, 128, 1, 28, 10);
    }

    /**
     * ViT-S/16 as timm's {@code vit_small_patch16_224} (Touvron et al. 2021, DeiT-S sizes): 224x224 RGB, patch 16,
     * C 384, 12 blocks of 6 heads, MLP 1536, learned positions, LayerNorm eps 1e-6; 22,050,664 parameters with
     * 1000 classes.
     */
    public static Config vitSmall16(int classes) {
      return new Config(384, 16, 12, 6, 1536, 3, 224, classes, true, 1e-6);
    }

    /**
     * ViT-B/16 as timm's {@code vit_base_patch16_224} (Dosovitskiy et al. 2020): 224x224 RGB, patch 16, C 768,
     * 12 blocks of 12 heads, MLP 3072, learned positions, LayerNorm eps 1e-6; 86,567,656 parameters with 1000
     * classes.
     */
    public static Config vitBase16(int classes) {
      return new Config(768, 16, 12, 12, 3072, 3, 224, classes, true, 1e-6);
    }

    public Config withEmbed(int v) {
      return new Config(v, patch, blocks, heads, mlpHidden, channels, imageSize, classes, learnedPositions, normEps);
    }

    public Config withPatch(int v) {
      return new Config(embed, v, blocks, heads, mlpHidden, channels, imageSize, classes, learnedPositions, normEps);
    }

    public Config withBlocks(int v) {
      return new Config(embed, patch, v, heads, mlpHidden, channels, imageSize, classes, learnedPositions, normEps);
    }

    public Config withHeads(int v) {
      return new Config(embed, patch, blocks, v, mlpHidden, channels, imageSize, classes, learnedPositions, normEps);
    }

    public Config withMlpHidden(int v) {
      return new Config(embed, patch, blocks, heads, v, channels, imageSize, classes, learnedPositions, normEps);
    }

    public Config withChannels(int v) {
      return new Config(embed, patch, blocks, heads, mlpHidden, v, imageSize, classes, learnedPositions, normEps);
    }

    public Config withImageSize(int v) {
      return new Config(embed, patch, blocks, heads, mlpHidden, channels, v, classes, learnedPositions, normEps);
    }

    public Config withClasses(int v) {
      return new Config(embed, patch, blocks, heads, mlpHidden, channels, imageSize, v, learnedPositions, normEps);
    }

    public Config withLearnedPositions(boolean v) {
      return new Config(embed, patch, blocks, heads, mlpHidden, channels, imageSize, classes, v, normEps);
    }

    public Config withNormEps(double v) {
      return new Config(embed, patch, blocks, heads, mlpHidden, channels, imageSize, classes, learnedPositions, v);
    }

    /** Patches per image, {@code (imageSize / patch)^2}. */
    public int patches() {
      int side = imageSize / patch;
      return side * side;
    }

    /** Sequence length: the patches and the class token. */
    public int tokens() {
      return patches() + 1;
    }

    /**
     * Multiply-adds of one forward pass per image: the patch embedding, then per block the Q/K/V projections,
     * {@code QK^T} and the weighted sum of values, the output projection and the MLP, then the head. Norms, softmax,
     * GELU and biases are left out (they are linear in the activations, not in the weights).
     */
    public long macs() {
      long n = tokens();
      long e = embed;
      long perBlock = n * e * 3 * e + 2 * n * n * e + n * e * e + 2 * n * e * mlpHidden;
      return (long) patches() * e * channels * patch * patch + blocks * perBlock + e * classes;
    }
  }

  /** The position-wise MLP: Linear(C, mlpHidden), GELU (exact), Linear(mlpHidden, C). */
  public static class Mlp extends Module {
    private final Linear fc1;
    private final GELU gelu;
    private final Linear fc2;

    public Mlp(Config cfg) {
      fc1 = addModule("fc1", new Linear(cfg.embed(), cfg.mlpHidden()));
      gelu = addModule("gelu", new GELU());
      fc2 = addModule("fc2", new Linear(cfg.mlpHidden(), cfg.embed()));
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor h = fc1.call(x); // (B, T, mlpHidden)
      Tensor a = gelu.call(h); // (B, T, mlpHidden)
      recycle(h, a);
      return fc2.call(a); // (B, T, C)
    }

    public Linear fc1() {
      return fc1;
    }

    public Linear fc2() {
      return fc2;
    }
  }

  /** A pre-norm transformer block: {@code x + MHSA(LN(x))}, then {@code x + MLP(LN(x))}. */
  public static class Block extends Module {
    private final LayerNorm norm1;
    private final MultiheadAttention attn;
    private final LayerNorm norm2;
    private final Mlp mlp;

    public Block(Config cfg) {
      norm1 = addModule("norm1", new LayerNorm(cfg.embed()).eps(cfg.normEps()));
      attn = addModule("attn", new MultiheadAttention(cfg.embed(), cfg.heads()));
      norm2 = addModule("norm2", new LayerNorm(cfg.embed()).eps(cfg.normEps()));
      mlp = addModule("mlp", new Mlp(cfg));
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor n1 = norm1.call(x); // (B, T, C)
      Tensor a = attn.call(n1); // (B, T, C)
      Tensor h = x.add(a); // (B, T, C)
      Tensor n2 = norm2.call(h); // (B, T, C)
      Tensor m = mlp.call(n2); // (B, T, C)
      recycle(n1, a, h, n2, m);
      return h.add(m); // (B, T, C)
    }

    public LayerNorm norm1() {
      return norm1;
    }

    public MultiheadAttention attn() {
      return attn;
    }

    public LayerNorm norm2() {
      return norm2;
    }

    public Mlp mlp() {
      return mlp;
    }
  }

  /**
   * Whether the activations inside the model go back to the buffer pool once the backward pass has used them
   * ({@link Tensor#recycleAfterBackward}), so that the next step reuses their memory instead of faulting in fresh
   * pages; {@code -Ddlcourse.vit.recycleActivations=false} turns it off (A/B timings). Only tensors that no caller
   * sees are recycled: the logits and {@link #features} are not, nor the output of a {@link Block} or {@link Mlp}
   * called on its own.
   */
  static volatile boolean recycleActivations =
      !"false".equals(System.getProperty("dlcourse.vit.recycleActivations"));

  private static void recycle(Tensor... internal) {
    if (recycleActivations) {
      for (Tensor t : internal) {
        Tensor.recycleAfterBackward(t);
      }
    }
  }

  private final Config cfg;
  private final Conv2d patchEmbed;
  private final Parameter clsToken;
  private final Parameter posEmbed;
  private final Sequential blocks;
  private final LayerNorm norm;
  private final Linear head;

  public ViT(Config cfg) {
    if (cfg.embed() <= 0 || cfg.patch() <= 0 || cfg.blocks() <= 0 || cfg.heads() <= 0 || cfg.mlpHidden() <= 0
        || cfg.channels() <= 0 || cfg.imageSize() <= 0 || cfg.classes() <= 0) {
      throw new IllegalArgumentException("every size in the config must be positive, got " + cfg);
    }
    Check.nonNegative(cfg.normEps(), "normEps");
    if (cfg.imageSize() % cfg.patch() != 0) {
      throw new IllegalArgumentException(
          "imageSize (" + cfg.imageSize() + ") must be divisible by patch (" + cfg.patch() + ")");
    }
    this.cfg = cfg;
    patchEmbed = addModule("patchEmbed", new Conv2d(cfg.channels(), cfg.embed(), cfg.patch()).stride(cfg.patch()));
    clsToken = addParameter("clsToken", Nd4j.zeros(DataType.FLOAT, 1, 1, cfg.embed())); // zero init (ours)
    if (cfg.learnedPositions()) { // trained, N(0, 0.02^2) as timm (which truncates at +-2)
      posEmbed = addParameter("posEmbed", Nd4j.create(DataType.FLOAT, cfg.tokens(), cfg.embed()));
    } else { // fixed, not trained: a buffer, saved with the model (position 0 is the class token's)
      posEmbed = addBuffer("posEmbed", F.sinusoidalPositionalEncoding(cfg.tokens(), cfg.embed()).array());
    }
    blocks = addModule("blocks", new Sequential());
    for (int i = 0; i < cfg.blocks(); i++) {
      blocks.add(new Block(cfg));
    }
    norm = addModule("norm", new LayerNorm(cfg.embed()).eps(cfg.normEps()));
    head = addModule("head", new Linear(cfg.embed(), cfg.classes()));
    if (cfg.learnedPositions()) {
      Init.normal(posEmbed.data(), 0, 0.02);
    }
  }

  @Override
  public void resetParameters() {
    apply(m -> {
      if (m != this) {
        m.resetParameters();
      }
    });
    clsToken.data().assign(0);
    if (cfg.learnedPositions()) {
      Init.normal(posEmbed.data(), 0, 0.02);
    }
  }

  /**
   * Class scores: the {@link #head()} on the {@link #features} of the class token.
   *
   * @param x images {@code (B, channels, imageSize, imageSize)}
   * @return logits {@code (B, classes)}
   */
  @Override
  public Tensor forward(Tensor x) {
    return head.call(features(x)); // (B, C) -> (B, classes)
  }

  /**
   * The class token after the last block and the final LayerNorm, what the head sees: the image's representation
   * (for a linear probe or a new head).
   *
   * @param x images {@code (B, channels, imageSize, imageSize)}
   * @return {@code (B, C)}
   */
  public Tensor features(Tensor x) {
    if (x.dim() != 4 || x.size(1) != cfg.channels() || x.size(2) != cfg.imageSize() || x.size(3) != cfg.imageSize()) {
      throw new IllegalArgumentException("expected images (B, " + cfg.channels() + ", " + cfg.imageSize() + ", "
          + cfg.imageSize() + "), got " + Shapes.str(x.shape()));
    }
    long b = x.size(0);
    long c = cfg.embed();
    Tensor conv = patchEmbed.call(x); // (B, C, H/patch, W/patch)
    Tensor h;
    if (fusedTokens && conv.dtype() == DataType.FLOAT && posEmbed.dtype() == DataType.FLOAT
        && clsToken.dtype() == DataType.FLOAT) {
      h = tokens(conv, clsToken, posEmbed); // (B, N + 1, C)
      recycle(conv);
    } else {
      Tensor p = conv.flatten(2).transpose(1, 2); // (B, N, C): one token per patch, row by row
      Tensor cls = clsToken.expand(b, 1, c); // (B, 1, C)
      Tensor tokens = Tensor.cat(1, cls, p); // (B, N + 1, C)
      h = tokens.add(posEmbed); // (B, N + 1, C) + (N + 1, C)
      recycle(conv, tokens);
    }
    recycle(h);
    h = blocks.call(h); // (B, N + 1, C); the outputs between blocks are left to the collector
    recycle(h);
    return norm.call(h.narrow(1, 0, 1).reshape(b, c)); // the class token (B, C): LayerNorm is per token
  }

  /**
   * Whether the tokens are made by one op ({@link #tokens}) instead of flatten, transpose, expand, cat and add
   * ({@code -Ddlcourse.vit.fusedTokens=false}, for A/B timings).
   */
  static volatile boolean fusedTokens = !"false".equals(System.getProperty("dlcourse.vit.fusedTokens"));

  /**
   * The tokens {@code (B, N + 1, C)} from the patch conv's output {@code conv (B, C, h, w)} (float), as one recorded op:
   * row 0 of each image is the class token, row {@code 1 + n} the conv's channels at patch n (row by row), each plus
   * its row of the position table {@code pos (N + 1, C)}. The same values as
   * {@code cat(1, cls.expand(B, 1, C), conv.flatten(2).transpose(1, 2)).add(pos)}. Backward: the conv's gradient is
   * the rows transposed back, the class token's the sum of row 0 over the batch, the table's (when trained) the sum
   * over the batch.
   */
  static Tensor tokens(Tensor conv, Tensor cls, Tensor pos) {
    int b = Math.toIntExact(conv.size(0));
    int c = Math.toIntExact(conv.size(1));
    int n = Math.toIntExact(conv.size(2) * conv.size(3));
    int t = n + 1;
    INDArray cv = Layout.plain(conv.array());
    float[] pv = Layout.plain(pos.array()).data().asFloat(); // (T, C)
    float[] clsRow = Layout.plain(cls.array()).data().asFloat(); // (C)
    INDArray out = Buffers.take(DataType.FLOAT, b, t, c);
    java.nio.FloatBuffer src = cv.data().asNioFloat();
    java.nio.FloatBuffer dst = out.data().asNioFloat();
    float[] block = new float[c * n]; // one image's conv output (C, N)
    float[] rows = new float[t * c]; // one image's tokens (T, C)
    for (int i = 0; i < b; i++) {
      src.get(i * c * n, block);
      for (int k = 0; k < c; k++) {
        rows[k] = clsRow[k] + pv[k];
      }
      for (int j = 0; j < n; j++) {
        int r = (j + 1) * c;
        for (int k = 0; k < c; k++) {
          rows[r + k] = block[k * n + j] + pv[r + k];
        }
      }
      dst.put(i * t * c, rows);
    }
    java.lang.ref.Reference.reachabilityFence(cv); // NIO views do not keep their arrays' memory alive
    java.lang.ref.Reference.reachabilityFence(out);
    long[] convShape = conv.shape();
    long[] clsShape = cls.shape();
    long[] posShape = pos.shape();
    return Tensor.record("tokens", out, new Tensor[] {conv, cls, pos}, g -> {
      INDArray gp = Layout.plain(g.dataType() == DataType.FLOAT ? g : g.castTo(DataType.FLOAT));
      java.nio.FloatBuffer gb = gp.data().asNioFloat();
      INDArray gConv = conv.requiresGrad() ? Buffers.take(DataType.FLOAT, convShape) : null;
      java.nio.FloatBuffer gc = gConv == null ? null : gConv.data().asNioFloat();
      float[] gCls = new float[c];
      float[] gPos = new float[t * c];
      float[] rows2 = new float[t * c];
      float[] block2 = new float[c * n];
      for (int i = 0; i < b; i++) {
        gb.get(i * t * c, rows2);
        for (int k = 0; k < c; k++) {
          gCls[k] += rows2[k];
        }
        for (int q = 0; q < t * c; q++) {
          gPos[q] += rows2[q];
        }
        if (gc != null) {
          for (int j = 0; j < n; j++) {
            int r = (j + 1) * c;
            for (int k = 0; k < c; k++) {
              block2[k * n + j] = rows2[r + k];
            }
          }
          gc.put(i * c * n, block2);
        }
      }
      java.lang.ref.Reference.reachabilityFence(gp);
      java.lang.ref.Reference.reachabilityFence(gConv);
      return new INDArray[] {gConv, cls.requiresGrad() ? Nd4j.createFromArray(gCls).reshape(clsShape) : null,
        pos.requiresGrad() ? Nd4j.createFromArray(gPos).reshape(posShape) : null};
    });
  }

  public Config config() {
    return cfg;
  }

  /** The patch embedding: {@code Conv2d(channels, C, patch).stride(patch)}. */
  public Conv2d patchEmbed() {
    return patchEmbed;
  }

  /** The class token {@code (1, 1, C)}, trained, zero at initialisation. */
  public Parameter clsToken() {
    return clsToken;
  }

  /** The position table {@code (tokens, C)}: a fixed buffer, or a trained parameter with learnedPositions. */
  public Parameter posEmbed() {
    return posEmbed;
  }

  /** The transformer blocks, each a {@link Block}. */
  public Sequential blocks() {
    return blocks;
  }

  /** The final LayerNorm. */
  public LayerNorm norm() {
    return norm;
  }

  /** The classification head on the class token. */
  public Linear head() {
    return head;
  }

  @Override
  protected String extraRepr() {
    return cfg.toString();
  }
}
