package dlcourse.nn;

import dlcourse.tensor.Shapes;
import dlcourse.util.Check;
import java.util.Arrays;

/**
 * The trailing dimensions that {@link LayerNorm} and {@link RMSNorm} normalise over: checked once in the constructor,
 * matched against each input.
 */
final class NormalizedShape {
  private NormalizedShape() {}

  /** A copy of {@code normalizedShape}: at least one dimension, each positive. */
  static long[] check(long[] normalizedShape) {
    if (normalizedShape.length == 0) {
      throw new IllegalArgumentException("normalizedShape must have at least one dimension");
    }
    for (long d : normalizedShape) {
      Check.positive(d, "normalizedShape");
    }
    return normalizedShape.clone();
  }

  /** The number of normalised dimensions, once {@code x} is checked to end in {@code normalizedShape}. */
  static int match(long[] x, long[] normalizedShape) {
    int k = normalizedShape.length;
    if (x.length < k || !Arrays.equals(Arrays.copyOfRange(x, x.length - k, x.length), normalizedShape)) {
      throw new IllegalArgumentException("expected input ending in " + Shapes.str(normalizedShape) + ", got "
          + Shapes.str(x));
    }
    return k;
  }
}
