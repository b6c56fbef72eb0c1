package dlcourse.nn;

import dlcourse.util.Check;
import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multi-head attention, like {@code torch.nn.MultiheadAttention(embedDim, numHeads, batch_first=True)}:
 * {@code out = concat(head_1, ..., head_h) W_o^T + b_o} with
 * {@code head_i = softmax(q_i k_i^T / sqrt(d) + mask) v_i}, where q, k, v are the query, key and value projected by
 * the rows of {@code inProjWeight} and split into {@code numHeads} heads of {@code d = embedDim / numHeads} channels.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>query {@code (B, L, E)}, key and value {@code (B, S, E)} (batch first; no unbatched form)</li>
 *   <li>output {@code (B, L, E)}; weights {@code (B, L, S)}, averaged over heads, after dropout (as PyTorch)</li>
 *   <li>keyPaddingMask {@code (B, S)}: BOOL, true = this key is padding and is ignored; or float, added</li>
 *   <li>attnMask {@code (L, S)} or {@code (B * numHeads, L, S)}: BOOL, true = <em>not</em> allowed to attend; or
 *       float, added to the scores. (PyTorch's convention here is the opposite of
 *       {@link F#scaledDotProductAttention}'s, where a BOOL true means "may attend"; both are kept as in PyTorch.)</li>
 *   <li>causal: query i attends only to keys {@code j <= i}; it may be combined with the masks</li>
 *   <li>inProjWeight {@code (3E, E)} Xavier-uniform, inProjBias {@code (3E)} zeros, outProj {@code Linear(E, E)}
 *       with PyTorch's default weight init and a zero bias, as {@code _reset_parameters}</li>
 * </ul>
 * A query whose keys are all masked gets zero weights and a zero output (PyTorch 1.13 gives NaN); see
 * {@link F#scaledDotProductAttentionWithWeights}. Example: {@code new MultiheadAttention(48, 3).dropout(0.1)}.
 */
public class MultiheadAttention extends Module {
  /** The attention output {@code (B, L, E)} and the head-averaged weights {@code (B, L, S)} (null if not asked). */
  public record Output(Tensor output, Tensor weights) {}

  private final long embedDim;
  private final int numHeads;
  private final Parameter inProjWeight;
  private Parameter inProjBias;
  private final Linear outProj;
  private double dropout;

  public MultiheadAttention(long embedDim, int numHeads) {
    this.embedDim = Check.positive(embedDim, "embedDim");
    this.numHeads = (int) Check.positive(numHeads, "numHeads");
    Check.divisible(embedDim, numHeads, "embedDim", "numHeads");
    inProjWeight = addParameter("inProjWeight", Nd4j.create(DataType.FLOAT, 3 * embedDim, embedDim));
    inProjBias = addParameter("inProjBias", Nd4j.create(DataType.FLOAT, 3 * embedDim));
    outProj = addModule("outProj", new Linear(embedDim, embedDim));
    resetParameters();
  }

  /** Dropout probability on the attention weights during training (default 0). */
  public MultiheadAttention dropout(double p) {
    this.dropout = Check.probability(p, "dropout");
    return this;
  }

  public double dropout() {
    return dropout;
  }

  /** With {@code false}, neither the input nor the output projection has a bias (default true). */
  public MultiheadAttention bias(boolean enabled) {
    if (!enabled && inProjBias != null) {
      inProjBias = null;
      removeParameter("inProjBias");
      outProj.bias(false);
    }
    return this;
  }

  @Override
  public void resetParameters() {
    Init.xavierUniform(inProjWeight.data(), 1);
    outProj.resetParameters();
    if (inProjBias != null) {
      inProjBias.data().assign(0);
      outProj.bias().data().assign(0);
    }
  }

  /** Self-attention without masks: {@code forward(x, x, x, null, false, null, false).output()}. */
  @Override
  public Tensor forward(Tensor x) {
    return forward(x, x, x, null, false, null, false).output();
  }

  /** Attention of {@code query} over {@code key} and {@code value} without masks, with the averaged weights. */
  public Output forward(Tensor query, Tensor key, Tensor value) {
    return forward(query, key, value, null, true, null, false);
  }

  /**
   * Attention with PyTorch's arguments ({@code average_attn_weights} is always true here). See the class comment
   * for shapes and mask conventions.
   *
   * @param keyPaddingMask null or {@code (B, S)}: BOOL true = padding (ignored), or float (added)
   * @param needWeights whether {@link Output#weights()} is computed (else null)
   * @param attnMask null, {@code (L, S)} or {@code (B * numHeads, L, S)}: BOOL true = masked out, or float (added)
   * @param causal whether query i attends only to keys {@code j <= i}
   */
  public Output forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, boolean needWeights,
      Tensor attnMask, boolean causal) {
    F.Attention a = F.multiheadAttention(query, key, value, numHeads, inProjWeight, inProjBias, outProj.weight(),
        outProj.bias(), keyPaddingMask, needWeights, attnMask, causal, dropout, training());
    return new Output(a.output(), a.weights());
  }

  public long embedDim() {
    return embedDim;
  }

  public int numHeads() {
    return numHeads;
  }

  public Parameter inProjWeight() {
    return inProjWeight;
  }

  public Parameter inProjBias() {
    return inProjBias;
  }

  public Linear outProj() {
    return outProj;
  }

  @Override
  protected String extraRepr() {
    return "embedDim=" + embedDim + ", numHeads=" + numHeads + (dropout != 0 ? ", dropout=" + dropout : "")
        + (inProjBias == null ? ", bias=false" : "");
  }
}
