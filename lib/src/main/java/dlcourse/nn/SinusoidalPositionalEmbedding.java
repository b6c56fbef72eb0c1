package dlcourse.nn;

import dlcourse.util.Check;
import dlcourse.tensor.Tensor;
import java.util.Arrays;

/**
 * The fixed sinusoidal position embedding of "Attention is all you need" (Vaswani et al. 2017, section 3.5): position
 * {@code p} maps to {@code PE[p, 2i] = sin(p / 10000^(2i/d))}, {@code PE[p, 2i+1] = cos(p / 10000^(2i/d))}. It has no
 * parameters and no length limit; it is used like an {@link Embedding} of positions, and its output is added to
 * the token embeddings.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (*)} int64 positions (non-negative)</li>
 *   <li>Output: {@code (*, embeddingDim)}, float (convert with {@code to(...)} for double models)</li>
 * </ul>
 * Example: {@code x = tok.add(new SinusoidalPositionalEmbedding(48).forward(positions))} with positions {@code (T)}.
 */
public class SinusoidalPositionalEmbedding extends Module {
  private final long embeddingDim;

  /** @param embeddingDim the embedding size d, even */
  public SinusoidalPositionalEmbedding(long embeddingDim) {
    this.embeddingDim = Check.positive(embeddingDim, "embeddingDim");
    if (embeddingDim % 2 != 0) {
      throw new IllegalArgumentException("embeddingDim must be even, got " + embeddingDim);
    }
  }

  @Override
  public Tensor forward(Tensor positions) {
    if (positions.dtype().isFPType()) {
      throw new IllegalArgumentException("positions must be integers (int64), got " + positions.dtype());
    }
    long[] p = positions.array().dup('c').reshape(positions.numel()).toLongVector();
    for (long v : p) {
      Check.nonNegative(v, "positions");
    }
    long[] out = Arrays.copyOf(positions.shape(), positions.dim() + 1);
    out[positions.dim()] = embeddingDim;
    return F.sinusoidalPositionalEncoding(p, embeddingDim).reshape(out);
  }

  public long embeddingDim() {
    return embeddingDim;
  }

  @Override
  protected String extraRepr() {
    return String.valueOf(embeddingDim);
  }
}
