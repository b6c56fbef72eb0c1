package dlcourse.nn;

/**
 * Batch normalisation of features or sequences per channel; see {@link BatchNorm} for the formula, modes and
 * defaults.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, C)} or {@code (N, C, L)}; output the same</li>
 *   <li>weight, bias, runningMean, runningVar: {@code (C)}</li>
 * </ul>
 * Example: {@code new Sequential(new Linear(784, 100), new BatchNorm1d(100), new ReLU())}.
 */
public class BatchNorm1d extends BatchNorm {
  /** @param numFeatures the number of features or channels C */
  public BatchNorm1d(long numFeatures) {
    super(numFeatures);
  }

  @Override
  protected boolean acceptsRank(int rank) {
    return rank == 2 || rank == 3;
  }

  @Override
  protected String expectedShape() {
    return "(N, C) or (N, C, L)";
  }
}
