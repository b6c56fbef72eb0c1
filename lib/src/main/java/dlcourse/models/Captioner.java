package dlcourse.models;

import dlcourse.nn.Dropout;
import dlcourse.nn.Embedding;
import dlcourse.nn.F;
import dlcourse.nn.LSTMCell;
import dlcourse.nn.Linear;
import dlcourse.nn.Module;
import dlcourse.nn.Reduction;
import dlcourse.tensor.Shapes;
import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An image captioner: an LSTM decoder with additive attention over precomputed region features, after "Show,
 * attend and tell" (Xu et al., 2015) as in the course template of IST Deep Learning homework 2, Q3: the initial
 * state {@code h0, c0} from Linear(mean region feature); at every step the word embedding
 * concatenated with the attention context goes into an LSTMCell, then dropout and a Linear to vocabulary scores.
 * Trained with teacher forcing ({@link #loss}); {@link #greedy} decodes. The parts follow in the order data flows:
 * {@link Config}, {@link AdditiveAttention}, then the decoder.
 *
 * <p>With {@code attention = 0} in the config ({@link Config#withoutAttention()}) it is the vanilla decoder of the
 * same homework: no attention, the LSTM reads only the word embedding, and the image reaches the decoder only
 * through {@code h0, c0} (the mean region feature). Its attention weights are then {@code null}.
 *
 * <pre>{@code
 * var model = new Captioner(Captioner.Config.course(190));
 * var out = model.forward(features, tokens);  // (B, 256, 512), (B, T) int64 -> logits (B, T, 190), weights (B, T, 256)
 * var vanilla = new Captioner(Captioner.Config.course(190).withoutAttention());  // weights null
 * }</pre>
 */
public class Captioner extends Module {

  /**
   * Every hyperparameter of the model.
   *
   * @param encoderDim channels E of a region feature (512 for ResNet-18's last stage)
   * @param embed width of the word embedding
   * @param hidden LSTM hidden size H
   * @param attention width A of the additive attention's hidden layer; 0 for the vanilla decoder without attention
   * @param vocab number of token ids V
   * @param maxLength most tokens {@link #greedy} produces
   * @param dropout probability of the dropout before the vocabulary layer
   */
  public record Config(int encoderDim, int embed, int hidden, int attention, int vocab, int maxLength,
      double dropout) {
    /** The course template: encoder 512, embedding 100, LSTM 256, attention 100, 22 tokens, dropout 0.5. */
    public static Config course(int vocab) {
      return new Config(512, 100, 256, 100, vocab, 22, 0.5);
    }

    /** This config with {@code attention = 0}: the vanilla decoder (LSTM input = word embedding only). */
    public Config withoutAttention() {
      return new Config(encoderDim, embed, hidden, 0, vocab, maxLength, dropout);
    }

    /** Whether the decoder attends over the regions ({@code attention > 0}). */
    public boolean attends() {
      return attention > 0;
    }
  }

  /** The attention context {@code (B, E)} of one step and its weights {@code (B, R)} over the regions. */
  public record Context(Tensor context, Tensor weights) {}

  /**
   * Logits {@code (B, T, V)} and attention weights {@code (B, T, R)} of a teacher-forced sequence; the weights are
   * null without attention.
   */
  public record Output(Tensor logits, Tensor weights) {}

  /**
   * Greedy decoding's token ids {@code (B, maxLength)} int64 and the attention weights {@code (B, maxLength, R)}
   * of the step that produced each token (null without attention).
   */
  public record Decoded(Tensor tokens, Tensor weights) {}

  /**
   * Additive (Bahdanau) attention: score {@code e_r = w^T relu(W_enc f_r + W_hid h) + b}, weights
   * {@code softmax(e)} over the regions r, context {@code sum_r weights_r f_r}. The encoder projection does not
   * depend on the step, so {@link #project} computes it once per sequence.
   */
  public static class AdditiveAttention extends Module {
    private final Linear encoderProj;
    private final Linear hiddenProj;
    private final Linear score;

    /**
     * Whether the scores and their softmax run as one op ({@link F#additiveAttentionWeights}) instead of add, ReLU,
     * Linear and softmax; {@code -Ddlcourse.attention.fused=false} turns it off (for A/B timings).
     */
    static volatile boolean fused = !"false".equals(System.getProperty("dlcourse.attention.fused"));

    public AdditiveAttention(long encoderDim, long hidden, long attention) {
      encoderProj = addModule("encoderProj", new Linear(encoderDim, attention));
      hiddenProj = addModule("hiddenProj", new Linear(hidden, attention));
      score = addModule("score", new Linear(attention, 1));
    }

    /** {@code W_enc f + b_enc}: features (B, R, E) -> (B, R, A). */
    public Tensor project(Tensor features) {
      return encoderProj.call(features);
    }

    /**
     * One step's context.
     *
     * @param features region features (B, R, E)
     * @param projected {@link #project} of the features (B, R, A)
     * @param h the decoder's hidden state (B, H)
     */
    public Context forward(Tensor features, Tensor projected, Tensor h) {
      long b = features.size(0);
      long r = features.size(1);
      Tensor w; // (B, R), sums to 1 over regions
      if (fused) {
        w = F.additiveAttentionWeights(projected, hiddenProj.call(h), score.weight(), score.bias());
      } else {
        Tensor a = projected.add(hiddenProj.call(h).unsqueeze(1)).relu(); // (B, R, A) + (B, 1, A)
        w = score.call(a).reshape(b, r).softmax(1); // (B, R, 1) -> (B, R)
      }
      Tensor ctx = w.unsqueeze(1).matmul(features).reshape(b, features.size(2)); // (B, 1, R) @ (B, R, E) -> (B, E)
      return new Context(ctx, w);
    }

    /** Needs the hidden state: use {@link #forward(Tensor, Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
      throw new UnsupportedOperationException("AdditiveAttention needs features, their projection and h");
    }
  }

  /**
   * Whether {@link #forward(Tensor, Tensor)} applies the vocabulary layer once to the (B, T, H) outputs of all steps
   * (one GEMM each way instead of T small ones); {@code -Ddlcourse.captioner.outputOnce=false} applies it per step
   * (for A/B timings). Same values either way up to rounding.
   */
  static volatile boolean outputOnce = !"false".equals(System.getProperty("dlcourse.captioner.outputOnce"));

  /**
   * Whether {@link #forward(Tensor, Tensor)} reads the token ids once as (T, B) Java arrays and gives each step its
   * column as a new array, instead of a recorded narrow and reshape of the (B, T) tensor per step;
   * {@code -Ddlcourse.captioner.tokenColumns=false} turns it off (for A/B timings). The same ids either way.
   */
  static volatile boolean tokenColumns = !"false".equals(System.getProperty("dlcourse.captioner.tokenColumns"));

  private final Config cfg;
  private final Embedding embedding;
  private final Linear initH;
  private final Linear initC;
  private final AdditiveAttention attention;
  private final LSTMCell cell;
  private final Dropout dropout;
  private final Linear out;

  public Captioner(Config cfg) {
    if (cfg.encoderDim() <= 0 || cfg.embed() <= 0 || cfg.hidden() <= 0 || cfg.attention() < 0 || cfg.vocab() <= 0
        || cfg.maxLength() <= 0) {
      throw new IllegalArgumentException(
          "every size in the config must be positive (attention may be 0: no attention), got " + cfg);
    }
    this.cfg = cfg;
    embedding = addModule("embedding", new Embedding(cfg.vocab(), cfg.embed()));
    initH = addModule("initH", new Linear(cfg.encoderDim(), cfg.hidden()));
    initC = addModule("initC", new Linear(cfg.encoderDim(), cfg.hidden()));
    attention = cfg.attends()
        ? addModule("attention", new AdditiveAttention(cfg.encoderDim(), cfg.hidden(), cfg.attention()))
        : null;
    cell = addModule("cell", new LSTMCell((long) cfg.embed() + (cfg.attends() ? cfg.encoderDim() : 0), cfg.hidden()));
    dropout = addModule("dropout", new Dropout(cfg.dropout()));
    out = addModule("out", new Linear(cfg.hidden(), cfg.vocab()));
  }

  /** The initial state: {@code h0 = initH(mean_r f_r)}, {@code c0 = initC(mean_r f_r)}, each (B, H). */
  public LSTMCell.State initState(Tensor features) {
    Tensor mean = features.mean(false, 1); // (B, E)
    return new LSTMCell.State(initH.call(mean), initC.call(mean));
  }

  /**
   * One decoder step: the next state, the vocabulary scores and the attention weights.
   *
   * @param projected {@link AdditiveAttention#project} of the features (B, R, A); null without attention
   * @param token the current token ids (B) int64
   */
  public Step step(Tensor features, Tensor projected, Tensor token, LSTMCell.State state) {
    Step s = recur(features, projected, token, state);
    return new Step(s.state(), out.call(dropout.call(s.state().h())), s.weights()); // logits (B, V)
  }

  /** {@link #step} without the vocabulary scores (its logits are null): the new state and the attention weights. */
  private Step recur(Tensor features, Tensor projected, Tensor token, LSTMCell.State state) {
    if (attention == null) { // vanilla: the image entered through h0, c0 only
      return new Step(cell.forward(embedding.call(token), state), null, null); // (B, embed) -> (B, H) each
    }
    Context a = attention.forward(features, projected, state.h()); // (B, E), (B, R)
    Tensor in = Tensor.cat(1, embedding.call(token), a.context()); // (B, embed + E)
    return new Step(cell.forward(in, state), null, a.weights()); // (B, H) each
  }

  /** The state after one step, its logits (B, V) and attention weights (B, R) (null without attention). */
  public record Step(LSTMCell.State state, Tensor logits, Tensor weights) {}

  /**
   * Teacher forcing: step t reads token t of {@code tokens} (the caller shifts: inputs {@code caption[:, :-1]},
   * targets {@code caption[:, 1:]}).
   *
   * @param features region features (B, R, E)
   * @param tokens input token ids (B, T) int64
   */
  public Output forward(Tensor features, Tensor tokens) {
    checkFeatures(features);
    if (tokens.dim() != 2 || tokens.size(0) != features.size(0)) {
      throw new IllegalArgumentException("expected tokens (" + features.size(0) + ", T), got "
          + Shapes.str(tokens.shape()));
    }
    int t = (int) tokens.size(1);
    Tensor projected = attention == null ? null : attention.project(features); // (B, R, A), once per sequence
    LSTMCell.State state = initState(features);
    Tensor[] outputs = new Tensor[t];
    Tensor[] weights = new Tensor[t];
    try (var batch = F.batchWeightGradients(cell.weightIh(), cell.weightHh(), // used at every step: one GEMM each
        attention == null ? null : attention.hiddenProj.weight(), outputOnce ? null : out.weight())) {
      unroll(features, projected, tokens, state, outputs, weights);
    }
    Tensor logits = outputOnce ? out.call(Tensor.stack(1, outputs)) : Tensor.stack(1, outputs); // (B, T, V)
    return new Output(logits, attention == null ? null : Tensor.stack(1, weights)); // (B, T, V), (B, T, R)
  }

  /** The teacher-forced steps of {@link #forward(Tensor, Tensor)}: each step's output and attention weights. */
  private void unroll(Tensor features, Tensor projected, Tensor tokens, LSTMCell.State state, Tensor[] outputs,
      Tensor[] weights) {
    long b = features.size(0);
    long[][] columns = tokenColumns ? tokens.array().transpose().toLongMatrix() : null; // (T, B)
    for (int i = 0; i < outputs.length; i++) {
      Tensor token = tokenColumns ? Tensor.of(Nd4j.createFromArray(columns[i])) // token i (B)
          : tokens.narrow(1, i, 1).reshape(b);
      if (outputOnce) { // dropout of h per step (the same random draws as step), the vocabulary layer after the loop
        Step s = recur(features, projected, token, state);
        state = s.state();
        outputs[i] = dropout.call(state.h()); // (B, H)
        weights[i] = s.weights();
      } else {
        Step s = step(features, projected, token, state);
        state = s.state();
        outputs[i] = s.logits(); // (B, V)
        weights[i] = s.weights();
      }
    }
  }

  /**
   * The teacher-forced training loss: mean cross-entropy of the next token over every position whose target is not
   * {@code <pad>} (id 0, as in {@link dlcourse.data.CaptionDataset}).
   *
   * @param features region features (B, R, E)
   * @param captions token ids (B, T + 1) int64: {@code <start> w1 ... wn <end>} then {@code <pad>}; the decoder reads
   *     {@code captions[:, :T]} and predicts {@code captions[:, 1:]}; trailing columns of {@code <pad>} only are
   *     skipped (they add nothing to the loss)
   * @return a scalar
   */
  public Tensor loss(Tensor features, Tensor captions) {
    if (captions.dim() != 2 || captions.size(1) < 2) {
      throw new IllegalArgumentException("expected captions (B, T + 1) with T + 1 >= 2, got "
          + Shapes.str(captions.shape()));
    }
    long b = captions.size(0);
    long t = lastNonPad(captions) - 1; // columns after the longest caption only hold <pad>: targets ignored anyway
    Tensor logits = forward(features, captions.narrow(1, 0, t)).logits(); // (B, T, V)
    Tensor target = captions.narrow(1, 1, t).reshape(b * t); // (B * T)
    return F.crossEntropy(logits.reshape(b * t, cfg.vocab()), target, Reduction.MEAN, 0, 0.0);
  }

  /** One past the last column of {@code captions} (B, L) holding a token other than {@code <pad>}, at least 2. */
  private static long lastNonPad(Tensor captions) {
    long[][] ids = captions.array().toLongMatrix();
    int last = 2;
    for (long[] row : ids) {
      for (int j = row.length - 1; j >= last; j--) {
        if (row[j] != 0) {
          last = j + 1;
          break;
        }
      }
    }
    return last;
  }

  /** Needs the token ids: use {@link #forward(Tensor, Tensor)}. */
  @Override
  public Tensor forward(Tensor x) {
    throw new UnsupportedOperationException("Captioner needs region features and token ids: forward(features, tokens)");
  }

  /**
   * Greedy decoding without recording and in evaluation mode (restored afterwards): starts from {@code start},
   * feeds back the most likely token, stops after {@code maxLength} tokens; tokens after an {@code end} are kept
   * as {@code end}.
   *
   * @param features region features (B, R, E)
   * @return token ids (B, maxLength) int64, without the start token, and the attention weights of each step
   *     (B, maxLength, R), null without attention
   */
  public Decoded greedy(Tensor features, long start, long end) {
    checkFeatures(features);
    boolean wasTraining = training();
    eval();
    try (var g = Tensor.noGrad()) {
      int b = (int) features.size(0);
      Tensor projected = attention == null ? null : attention.project(features);
      LSTMCell.State state = initState(features);
      long[] token = new long[b];
      java.util.Arrays.fill(token, start);
      boolean[] done = new boolean[b];
      long[][] outIds = new long[b][cfg.maxLength()];
      Tensor[] weights = new Tensor[cfg.maxLength()];
      for (int i = 0; i < cfg.maxLength(); i++) {
        Step s = step(features, projected, Tensor.of(Nd4j.createFromArray(token)), state);
        state = s.state();
        weights[i] = s.weights();
        INDArray best = s.logits().argmax(1).array();
        for (int j = 0; j < b; j++) {
          token[j] = done[j] ? end : best.getLong(j);
          done[j] |= token[j] == end;
          outIds[j][i] = token[j];
        }
      }
      return new Decoded(Tensor.of(Nd4j.createFromArray(outIds).castTo(DataType.INT64)),
          attention == null ? null : Tensor.stack(1, weights)); // (B, L), (B, L, R)
    } finally {
      train(wasTraining);
    }
  }

  private void checkFeatures(Tensor features) {
    if (features.dim() != 3 || features.size(2) != cfg.encoderDim()) {
      throw new IllegalArgumentException("expected region features (B, R, " + cfg.encoderDim() + "), got "
          + Shapes.str(features.shape()));
    }
  }

  public Config config() {
    return cfg;
  }

  /** The attention module, or null for the vanilla decoder. */
  public AdditiveAttention attention() {
    return attention;
  }

  @Override
  protected String extraRepr() {
    return cfg.toString();
  }
}
