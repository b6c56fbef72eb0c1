package dlcourse.models;

import dlcourse.nn.Conv2d;
import dlcourse.nn.F;
import dlcourse.nn.GELU;
import dlcourse.nn.LayerNorm;
import dlcourse.nn.Linear;
import dlcourse.nn.Module;
import dlcourse.nn.MultiheadAttention;
import dlcourse.nn.Parameter;
import dlcourse.nn.Sequential;
import dlcourse.tensor.Shapes;
import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A small vision transformer (Dosovitskiy et al., "An image is worth 16x16 words", 2020) as in the RDFIA practical
 * "Basics on deep learning for vision", chapter 3 (HOMEWORK.md section 4): the image cut into patches by a conv
 * with kernel = stride = patch, a learnable class token (zero init, ours) prepended, a fixed sinusoidal position
 * table added, pre-norm blocks {@code x + MHSA(LN(x))}, {@code x + MLP(LN(x))} with GELU, a final LayerNorm and a
 * linear head on the class token. The parts follow in the order data flows: {@link Config}, {@link Mlp},
 * {@link Block}, then the model.
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
   */
  public record Config(int embed, int patch, int blocks, int heads, int mlpHidden, int channels, int imageSize,
      int classes) {
    /** The course's base configuration (HOMEWORK sec. 4 ch. 3): 27,434 parameters. */
    public static Config base() {
      return new Config(32, 7, 2, 4, 128, 1, 28, 10);
    }

    public Config withEmbed(int v) {
      return new Config(v, patch, blocks, heads, mlpHidden, channels, imageSize, classes);
    }

    public Config withPatch(int v) {
      return new Config(embed, v, blocks, heads, mlpHidden, channels, imageSize, classes);
    }

    public Config withBlocks(int v) {
      return new Config(embed, patch, v, heads, mlpHidden, channels, imageSize, classes);
    }

    public Config withHeads(int v) {
      return new Config(embed, patch, blocks, v, mlpHidden, channels, imageSize, classes);
    }

    public Config withMlpHidden(int v) {
      return new Config(embed, patch, blocks, heads, v, channels, imageSize, classes);
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
      return fc2.call(gelu.call(fc1.call(x))); // (B, T, mlpHidden) inside, (B, T, C) out
    }
  }

  /** A pre-norm transformer block: {@code x + MHSA(LN(x))}, then {@code x + MLP(LN(x))}. */
  public static class Block extends Module {
    private final LayerNorm norm1;
    private final MultiheadAttention attn;
    private final LayerNorm norm2;
    private final Mlp mlp;

    public Block(Config cfg) {
      norm1 = addModule("norm1", new LayerNorm(cfg.embed()));
      attn = addModule("attn", new MultiheadAttention(cfg.embed(), cfg.heads()));
      norm2 = addModule("norm2", new LayerNorm(cfg.embed()));
      mlp = addModule("mlp", new Mlp(cfg));
    }

    @Override
    public Tensor forward(Tensor x) {
      x = x.add(attn.call(norm1.call(x))); // (B, T, C)
      return x.add(mlp.call(norm2.call(x))); // (B, T, C)
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
    if (cfg.imageSize() % cfg.patch() != 0) {
      throw new IllegalArgumentException(
          "imageSize (" + cfg.imageSize() + ") must be divisible by patch (" + cfg.patch() + ")");
    }
    this.cfg = cfg;
    patchEmbed = addModule("patchEmbed", new Conv2d(cfg.channels(), cfg.embed(), cfg.patch()).stride(cfg.patch()));
    clsToken = addParameter("clsToken", Nd4j.zeros(DataType.FLOAT, 1, 1, cfg.embed())); // zero init (ours)
    // Fixed, not trained: a buffer, saved with the model (position 0 is the class token's).
    posEmbed = addBuffer("posEmbed", F.sinusoidalPositionalEncoding(cfg.tokens(), cfg.embed()).array());
    blocks = addModule("blocks", new Sequential());
    for (int i = 0; i < cfg.blocks(); i++) {
      blocks.add(new Block(cfg));
    }
    norm = addModule("norm", new LayerNorm(cfg.embed()));
    head = addModule("head", new Linear(cfg.embed(), cfg.classes()));
  }

  @Override
  public void resetParameters() {
    apply(m -> {
      if (m != this) {
        m.resetParameters();
      }
    });
    clsToken.data().assign(0);
  }

  /**
   * Class scores.
   *
   * @param x images {@code (B, channels, imageSize, imageSize)}
   * @return logits {@code (B, classes)}
   */
  @Override
  public Tensor forward(Tensor x) {
    if (x.dim() != 4 || x.size(1) != cfg.channels() || x.size(2) != cfg.imageSize() || x.size(3) != cfg.imageSize()) {
      throw new IllegalArgumentException("expected images (B, " + cfg.channels() + ", " + cfg.imageSize() + ", "
          + cfg.imageSize() + "), got " + Shapes.str(x.shape()));
    }
    long b = x.size(0);
    long c = cfg.embed();
    Tensor p = patchEmbed.call(x); // (B, C, H/patch, W/patch)
    p = p.flatten(2).transpose(1, 2); // (B, N, C): one token per patch, row by row
    Tensor cls = clsToken.expand(b, 1, c); // (B, 1, C)
    Tensor h = Tensor.cat(1, cls, p).add(posEmbed); // (B, N + 1, C) + (N + 1, C)
    h = norm.call(blocks.call(h)); // (B, N + 1, C)
    return head.call(h.narrow(1, 0, 1).reshape(b, c)); // class token (B, C) -> (B, classes)
  }

  public Config config() {
    return cfg;
  }

  @Override
  protected String extraRepr() {
    return cfg.toString();
  }
}
