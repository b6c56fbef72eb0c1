package dlcourse.nn;

/**
 * Batch normalisation of images per channel; see {@link BatchNorm} for the formula, modes and defaults.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, C, H, W)}; output the same</li>
 *   <li>weight, bias, runningMean, runningVar: {@code (C)}</li>
 * </ul>
 * Example: {@code new Sequential(new Conv2d(3, 32, 5).padding(2), new BatchNorm2d(32), new ReLU())}.
 */
public class BatchNorm2d extends BatchNorm {
  /** @param numFeatures the number of channels C */
  public BatchNorm2d(long numFeatures) {
    super(numFeatures);
  }

  @Override
  protected boolean acceptsRank(int rank) {
    return rank == 4;
  }

  @Override
  protected String expectedShape() {
    return "(N, C, H, W)";
  }
}
