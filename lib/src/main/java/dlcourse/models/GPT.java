package dlcourse.models;

import dlcourse.nn.Dropout;
import dlcourse.nn.Embedding;
import dlcourse.nn.F;
import dlcourse.nn.GELU;
import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.nn.Module;
import dlcourse.nn.Parameter;
import dlcourse.nn.RMSNorm;
import dlcourse.nn.Sampling;
import dlcourse.nn.Sequential;
import dlcourse.tensor.Shapes;
import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A character-level GPT: a decoder-only transformer with pre-norm blocks, after Karpathy's nanoGPT
 * ({@code model.py}, https://github.com/karpathy/nanoGPT) and the UvA DL1 assignment 2 template built on it: RMSNorm
 * instead of LayerNorm, rotary position embeddings (RoPE) on q and k unless {@link Config#absEmb()}, an LM head
 * without bias. The parts follow in the order data flows: {@link Config}, {@link CausalSelfAttention}, {@link Mlp},
 * {@link Block}, then the model and {@link #generate}.
 *
 * <pre>{@code
 * var model = new GPT(GPT.Config.nano(87, 128));
 * Tensor logits = model.forward(idx);  // idx (B, T) int64 -> logits (B, T, 87)
 * }</pre>
 */
public class GPT extends Module {

  /**
   * Every hyperparameter of the model.
   *
   * @param nLayer number of transformer blocks
   * @param nHead attention heads per block; nEmbd must be divisible by it
   * @param nEmbd embedding width C (channels per token)
   * @param vocabSize number of token ids V
   * @param blockSize longest context in tokens: the learned position table's length and {@link #generate}'s crop
   * @param dropout probability used in all three places: embedding, attention weights, residual branches
   * @param absEmb true: learned absolute position table added to the token embeddings; false: RoPE in attention
   */
  public record Config(int nLayer, int nHead, int nEmbd, int vocabSize, int blockSize, double dropout,
      boolean absEmb) {
    /** gpt-nano: 3 layers, 3 heads, 48 channels, dropout 0.1, RoPE. */
    public static Config nano(int vocabSize, int blockSize) {
      return new Config(3, 3, 48, vocabSize, blockSize, 0.1, false);
    }

    /** gpt-micro: 4 layers, 4 heads, 128 channels, dropout 0.1, RoPE. */
    public static Config micro(int vocabSize, int blockSize) {
      return new Config(4, 4, 128, vocabSize, blockSize, 0.1, false);
    }

    /** gpt-mini: 6 layers, 6 heads, 384 channels, dropout 0.1, RoPE. */
    public static Config mini(int vocabSize, int blockSize) {
      return new Config(6, 6, 384, vocabSize, blockSize, 0.1, false);
    }

    /**
     * A configuration by its name in the course: {@code "gpt-nano"}, {@code "gpt-micro"} or {@code "gpt-mini"}.
     *
     * @throws IllegalArgumentException naming the known configurations for any other name
     */
    public static Config of(String name, int vocabSize, int blockSize) {
      return switch (name) {
        case "gpt-nano" -> nano(vocabSize, blockSize);
        case "gpt-micro" -> micro(vocabSize, blockSize);
        case "gpt-mini" -> mini(vocabSize, blockSize);
        default -> throw new IllegalArgumentException("unknown GPT configuration '" + name
            + "', expected gpt-nano, gpt-micro or gpt-mini");
      };
    }

    public Config withDropout(double p) {
      return new Config(nLayer, nHead, nEmbd, vocabSize, blockSize, p, absEmb);
    }

    public Config withAbsEmb(boolean abs) {
      return new Config(nLayer, nHead, nEmbd, vocabSize, blockSize, dropout, abs);
    }

    public Config withNLayer(int n) {
      return new Config(n, nHead, nEmbd, vocabSize, blockSize, dropout, absEmb);
    }

    /** Channels per head, {@code nEmbd / nHead}. */
    public int headSize() {
      return nEmbd / nHead;
    }

    /** The fields by name, for a checkpoint's JSON metadata; {@link #fromMap} reads it back. */
    public java.util.Map<String, Object> toMap() {
      var m = new java.util.LinkedHashMap<String, Object>();
      m.put("nLayer", nLayer);
      m.put("nHead", nHead);
      m.put("nEmbd", nEmbd);
      m.put("vocabSize", vocabSize);
      m.put("blockSize", blockSize);
      m.put("dropout", dropout);
      m.put("absEmb", absEmb);
      return m;
    }

    /**
     * The config written by {@link #toMap}, e.g. {@code Config.fromMap((Map<String, ?>) ck.extra().get("config"))}
     * after a checkpoint's JSON turned the integers into doubles.
     *
     * @throws IllegalArgumentException naming a missing field
     */
    public static Config fromMap(java.util.Map<String, ?> m) {
      for (String k : java.util.List.of("nLayer", "nHead", "nEmbd", "vocabSize", "blockSize", "dropout", "absEmb")) {
        if (!m.containsKey(k)) {
          throw new IllegalArgumentException("GPT config has no '" + k + "': " + m);
        }
      }
      return new Config(((Number) m.get("nLayer")).intValue(), ((Number) m.get("nHead")).intValue(),
          ((Number) m.get("nEmbd")).intValue(), ((Number) m.get("vocabSize")).intValue(),
          ((Number) m.get("blockSize")).intValue(), ((Number) m.get("dropout")).doubleValue(),
          (Boolean) m.get("absEmb"));
    }
  }

  /**
   * Causal self-attention: one fused Linear(C, 3C) with bias for q, k and v, RoPE on q and k (unless absEmb),
   * softmax(q k^T / sqrt(hs)) over keys {@code <= t}, attention dropout, output projection {@code cProj} and residual
   * dropout.
   */
  public static class CausalSelfAttention extends Module {
    private final Config cfg;
    private final Linear cAttn;
    private final Linear cProj;
    private final Dropout residDropout;
    /** Always true in use; the tests switch it off to show that their causality check catches a leaking mask. */
    boolean causal = true;

    public CausalSelfAttention(Config cfg) {
      this.cfg = cfg;
      cAttn = addModule("cAttn", new Linear(cfg.nEmbd(), 3L * cfg.nEmbd()));
      cProj = addModule("cProj", new Linear(cfg.nEmbd(), cfg.nEmbd()));
      residDropout = addModule("residDropout", new Dropout(cfg.dropout()));
    }

    @Override
    public Tensor forward(Tensor x) {
      long b = x.size(0);
      long t = x.size(1);
      long c = x.size(2);
      int nh = cfg.nHead();
      Tensor[] qkv = cAttn.call(x).chunk(3, 2); // 3 x (B, T, C)
      Tensor q = qkv[0].reshape(b, t, nh, c / nh).transpose(1, 2); // (B, nh, T, hs)
      Tensor k = qkv[1].reshape(b, t, nh, c / nh).transpose(1, 2); // (B, nh, T, hs)
      Tensor v = qkv[2].reshape(b, t, nh, c / nh).transpose(1, 2); // (B, nh, T, hs)
      if (!cfg.absEmb()) {
        q = F.rope(q, 0); // (B, nh, T, hs), pairs rotated by position
        k = F.rope(k, 0); // (B, nh, T, hs)
      }
      Tensor y = F.scaledDotProductAttention(q, k, v, null, causal, cfg.dropout(), training()); // (B, nh, T, hs)
      y = y.transpose(1, 2).reshape(b, t, c); // (B, T, C): heads side by side
      return residDropout.call(cProj.call(y)); // (B, T, C)
    }
  }

  /** The position-wise MLP: Linear(C, 4C), GELU (tanh approximation), Linear(4C, C) as {@code cProj}, dropout. */
  public static class Mlp extends Module {
    /** Whether the hidden activations are recycled after backward; {@code -Ddlcourse.gpt.recycleHidden=false} (A/B). */
    static volatile boolean recycleHidden = !"false".equals(System.getProperty("dlcourse.gpt.recycleHidden"));

    private final Linear cFc;
    private final GELU gelu;
    private final Linear cProj;
    private final Dropout dropout;

    public Mlp(Config cfg) {
      cFc = addModule("cFc", new Linear(cfg.nEmbd(), 4L * cfg.nEmbd()));
      gelu = addModule("gelu", new GELU("tanh"));
      cProj = addModule("cProj", new Linear(4L * cfg.nEmbd(), cfg.nEmbd()));
      dropout = addModule("dropout", new Dropout(cfg.dropout()));
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor h = cFc.call(x); // (B, T, 4C)
      Tensor a = gelu.call(h); // (B, T, 4C)
      if (recycleHidden) {
        // The two (B, T, 4C) activations are this block's own: their memory goes back to the buffer pool once the
        // backward pass has used them, so the next step reuses it instead of faulting in fresh pages (~0.5 ns/byte).
        Tensor.recycleAfterBackward(h);
        Tensor.recycleAfterBackward(a);
      }
      return dropout.call(cProj.call(a)); // (B, T, C)
    }
  }

  /** A pre-norm transformer block: {@code x + attn(norm(x))}, then {@code x + mlp(norm(x))}. */
  public static class Block extends Module {
    private final RMSNorm ln1;
    private final CausalSelfAttention attn;
    private final RMSNorm ln2;
    private final Mlp mlp;

    public Block(Config cfg) {
      ln1 = addModule("ln1", new RMSNorm(cfg.nEmbd()).eps(1e-6));
      attn = addModule("attn", new CausalSelfAttention(cfg));
      ln2 = addModule("ln2", new RMSNorm(cfg.nEmbd()).eps(1e-6));
      mlp = addModule("mlp", new Mlp(cfg));
    }

    @Override
    public Tensor forward(Tensor x) {
      x = x.add(attn.call(ln1.call(x))); // (B, T, C)
      return x.add(mlp.call(ln2.call(x))); // (B, T, C)
    }
  }

  /** The parameter counts of the course's table (uva-dl1-hw2 Q2.2). */
  public record ParameterCounts(long templatePrint, long withoutPositionTable, long lmHead, long perBlock) {}

  private final Config cfg;
  private final Embedding wte;
  private final Embedding wpe;
  private final Dropout drop;
  private final Sequential h;
  private final RMSNorm lnF;
  private final Linear lmHead;

  public GPT(Config cfg) {
    if (cfg.nLayer() <= 0 || cfg.nHead() <= 0 || cfg.nEmbd() <= 0 || cfg.vocabSize() <= 0 || cfg.blockSize() <= 0) {
      throw new IllegalArgumentException("every size in the config must be positive, got " + cfg);
    }
    if (cfg.nEmbd() % cfg.nHead() != 0) {
      throw new IllegalArgumentException(
          "nEmbd (" + cfg.nEmbd() + ") must be divisible by nHead (" + cfg.nHead() + ")");
    }
    if (!cfg.absEmb() && cfg.headSize() % 2 != 0) {
      throw new IllegalArgumentException("RoPE needs an even head size, got nEmbd / nHead = " + cfg.headSize());
    }
    this.cfg = cfg;
    wte = addModule("wte", new Embedding(cfg.vocabSize(), cfg.nEmbd()));
    // Created always (the template keeps it for pretrained weights); added to the input only with absEmb.
    wpe = addModule("wpe", new Embedding(cfg.blockSize(), cfg.nEmbd()));
    drop = addModule("drop", new Dropout(cfg.dropout()));
    h = addModule("h", new Sequential());
    for (int i = 0; i < cfg.nLayer(); i++) {
      h.add(new Block(cfg));
    }
    lnF = addModule("lnF", new RMSNorm(cfg.nEmbd()).eps(1e-6));
    lmHead = addModule("lmHead", new Linear(cfg.nEmbd(), cfg.vocabSize()).bias(false));
    resetParameters();
  }

  /**
   * nanoGPT's init: Linear and Embedding weights N(0, 0.02), biases zero, RMSNorm weights one; then the residual
   * projections ({@code cProj}) N(0, 0.02 / sqrt(2 nLayer)), "a special scaled init per GPT-2 paper", so that the
   * residual stream's variance does not grow with depth.
   */
  @Override
  public void resetParameters() {
    apply(m -> {
      if (m instanceof Linear l) {
        Init.normal(l.weight().data(), 0, 0.02);
        if (l.bias() != null) {
          l.bias().data().assign(0);
        }
      } else if (m instanceof Embedding e) {
        Init.normal(e.weight().data(), 0, 0.02);
      } else if (m instanceof RMSNorm r) {
        r.weight().data().assign(1);
      }
    });
    namedParameters().forEach((path, p) -> {
      if (path.endsWith("cProj.weight")) {
        Init.normal(p.data(), 0, 0.02 / Math.sqrt(2.0 * cfg.nLayer()));
      }
    });
  }

  /**
   * Logits of the next token at every position.
   *
   * @param idx {@code (B, T)} int64 token ids in [0, vocabSize)
   * @return logits {@code (B, T, vocabSize)}
   * @throws IllegalArgumentException with absEmb, if T exceeds blockSize (RoPE has no such limit)
   */
  @Override
  public Tensor forward(Tensor idx) {
    if (idx.dim() != 2) {
      throw new IllegalArgumentException("expected token ids (B, T), got " + Shapes.str(idx.shape()));
    }
    long t = idx.size(1);
    Tensor x = wte.call(idx); // (B, T, C)
    if (cfg.absEmb()) {
      if (t > cfg.blockSize()) {
        throw new IllegalArgumentException("cannot forward a sequence of length " + t + ": the learned position"
            + " table (absEmb) has blockSize = " + cfg.blockSize() + " rows");
      }
      Tensor pos = Tensor.of(Nd4j.arange(0, t).castTo(DataType.INT64)); // (T)
      x = x.add(wpe.call(pos)); // (B, T, C) + (T, C)
    }
    x = drop.call(x); // (B, T, C)
    x = h.call(x); // (B, T, C)
    return lmHead.call(lnF.call(x)); // (B, T, V)
  }

  /**
   * Extends each row of {@code idx} by {@code maxNewTokens} tokens, feeding back each one, with the context cropped
   * to the last {@code blockSize} tokens; top-k filtering only (see {@link #generate(Tensor, int, double, int,
   * double, long)}).
   */
  public Tensor generate(Tensor idx, int maxNewTokens, double temperature, int topK, long seed) {
    return generate(idx, maxNewTokens, temperature, topK, 1.0, seed);
  }

  /**
   * Extends each row of {@code idx} by {@code maxNewTokens} tokens, feeding back each one, with the context cropped
   * to the last {@code blockSize} tokens (the course template's {@code generate}). Each next token comes from
   * {@link Sampling#sample} on the logits of the last position: greedy at temperature 0 (the template's
   * {@code do_sample=False}), else logits / temperature, then top-k or top-p, then a draw. Runs without recording
   * and in evaluation mode (dropout off); the module's mode is restored afterwards.
   *
   * @param idx {@code (B, T)} int64 prompt ids
   * @param temperature logits are divided by it; 0 means greedy (argmax)
   * @param topK keep only the k most likely tokens before sampling (ties at the k-th kept); 0 keeps all
   * @param topP nucleus: keep the most likely tokens whose probabilities first reach p; 1 keeps all
   * @param seed seed of the sampling generator (a {@link java.util.Random}, one draw per row and token)
   * @return {@code (B, T + maxNewTokens)} int64 ids, the prompt first
   * @throws IllegalArgumentException if both topK and topP filter: the template asserts {@code not (top_k and
   *     top_p)}
   */
  public Tensor generate(Tensor idx, int maxNewTokens, double temperature, int topK, double topP, long seed) {
    if (idx.dim() != 2 || idx.dtype().isFPType()) {
      throw new IllegalArgumentException("expected int64 token ids (B, T), got " + Shapes.str(idx.shape()) + " "
          + idx.dtype());
    }
    if (temperature < 0 || topK < 0 || maxNewTokens < 0 || !(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("temperature, topK and maxNewTokens must be non-negative and topP in (0, 1],"
          + " got " + temperature + ", " + topK + ", " + maxNewTokens + ", " + topP);
    }
    if (topK > 0 && topP < 1) {
      throw new IllegalArgumentException("topK (" + topK + ") and topP (" + topP + ") are exclusive, as in the course"
          + " template");
    }
    java.util.Random rng = new java.util.Random(seed);
    int b = (int) idx.size(0);
    int t0 = (int) idx.size(1);
    long[][] seq = new long[b][t0 + maxNewTokens];
    long[] flat = idx.array().dup('c').reshape(idx.numel()).toLongVector();
    for (int i = 0; i < b; i++) {
      System.arraycopy(flat, i * t0, seq[i], 0, t0);
    }
    boolean wasTraining = training();
    eval();
    try (var g = Tensor.noGrad()) {
      for (int n = t0; n < t0 + maxNewTokens; n++) {
        int from = Math.max(0, n - cfg.blockSize()); // crop the context to the last blockSize tokens
        long[][] ctx = new long[b][];
        for (int i = 0; i < b; i++) {
          ctx[i] = java.util.Arrays.copyOfRange(seq[i], from, n);
        }
        Tensor logits = forward(Tensor.of(Nd4j.createFromArray(ctx))); // (B, n - from, V)
        INDArray last = logits.array().get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
            org.nd4j.linalg.indexing.NDArrayIndex.point(n - from - 1), org.nd4j.linalg.indexing.NDArrayIndex.all());
        long[] next = Sampling.sample(Tensor.of(last), temperature, topK, topP, rng).array().reshape(b)
            .toLongVector(); // (B)
        for (int i = 0; i < b; i++) {
          seq[i][n] = next[i];
        }
      }
    } finally {
      train(wasTraining);
    }
    return Tensor.of(Nd4j.createFromArray(seq));
  }

  /**
   * The counts of the course's table: the template's print (every parameter outside the LM head, the unused position
   * table included), the same without the position table, the LM head, and one block.
   */
  public ParameterCounts parameterCounts() {
    long all = numParameters();
    long head = lmHead.numParameters();
    long pos = wpe.numParameters();
    return new ParameterCounts(all - head, all - head - pos, head, h.get(0).numParameters());
  }

  public Config config() {
    return cfg;
  }

  /** The token embedding {@code (V, C)}. */
  public Embedding wte() {
    return wte;
  }

  /** The learned position table {@code (blockSize, C)}, used only with absEmb. */
  public Embedding wpe() {
    return wpe;
  }

  public Linear lmHead() {
    return lmHead;
  }

  /** The transformer blocks, named 0, 1, ... */
  public Sequential blocks() {
    return h;
  }

  /** Parameters that AdamW should decay: the weights of Linear layers only (as the template's optimizer groups). */
  public java.util.List<Parameter> decayedParameters() {
    java.util.List<Parameter> out = new java.util.ArrayList<>();
    apply(m -> {
      if (m instanceof Linear l) {
        out.add(l.weight());
      }
    });
    return out;
  }

  /** The other parameters, which AdamW must not decay: biases, RMSNorm weights, the embeddings. */
  public java.util.List<Parameter> noDecayParameters() {
    var decayed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<Parameter, Boolean>());
    decayed.addAll(decayedParameters());
    return parameters().stream().filter(p -> !decayed.contains(p)).toList();
  }
}
