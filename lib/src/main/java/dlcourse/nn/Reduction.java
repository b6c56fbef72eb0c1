package dlcourse.nn;

/** How a loss combines its per-element values, PyTorch's {@code reduction} argument. */
public enum Reduction {
  /** Average over the elements (over the non-ignored targets for classification losses); the default. */
  MEAN,
  /** Sum over the elements. */
  SUM,
  /** No reduction: one value per element, shape of the target. */
  NONE;

  /** Parses PyTorch's spelling: "mean", "sum" or "none". */
  public static Reduction of(String name) {
    return switch (name) {
      case "mean" -> MEAN;
      case "sum" -> SUM;
      case "none" -> NONE;
      default -> throw new IllegalArgumentException("reduction must be \"mean\", \"sum\" or \"none\", got \"" + name
          + "\"");
    };
  }
}
