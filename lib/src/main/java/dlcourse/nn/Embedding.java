package dlcourse.nn;

import dlcourse.tensor.Tensor;

import dlcourse.util.Check;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A lookup table: index i gives row i of the weight.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (*)} int64 indices in [0, numEmbeddings)</li>
 *   <li>Output: {@code (*, embeddingDim)}</li>
 *   <li>weight: {@code (numEmbeddings, embeddingDim)}, N(0, 1) as in PyTorch</li>
 * </ul>
 * Example: {@code new Embedding(87, 48)} for a character vocabulary of 87.
 */
public class Embedding extends Module {
  private final long numEmbeddings;
  private final long embeddingDim;
  private final Parameter weight;

  public Embedding(long numEmbeddings, long embeddingDim) {
    this.numEmbeddings = Check.positive(numEmbeddings, "numEmbeddings");
    this.embeddingDim = Check.positive(embeddingDim, "embeddingDim");
    weight = addParameter("weight", Nd4j.create(DataType.FLOAT, numEmbeddings, embeddingDim));
    resetParameters();
  }

  @Override
  public void resetParameters() {
    Init.normal(weight.data(), 0, 1);
  }

  @Override
  public Tensor forward(Tensor x) {
    return F.embedding(x, weight);
  }

  public Parameter weight() {
    return weight;
  }

  public long numEmbeddings() {
    return numEmbeddings;
  }

  public long embeddingDim() {
    return embeddingDim;
  }

  @Override
  protected String extraRepr() {
    return numEmbeddings + ", " + embeddingDim;
  }
}
