package dlcourse.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Each check passes its value through and words a failure as "NAME must be RULE, got VALUE". */
class CheckTest {
  private static void fails(String message, Executable check) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, check).getMessage());
  }

  @Test
  void passingValuesComeBack() {
    assertEquals(3, Check.positive(3, "n"));
    assertEquals(3L, Check.positive(3L, "n"));
    assertEquals(0.5, Check.positive(0.5, "lr"));
    assertEquals(0, Check.nonNegative(0, "n"));
    assertEquals(0.0, Check.nonNegative(0.0, "eps"));
    assertEquals(1.0, Check.probability(1.0, "p"));
    assertEquals(0.0, Check.inRangeExclusive(0.0, 0, 1, "beta1"));
    assertEquals(2L, Check.index(2, 3, "layer"));
    assertArrayEquals(new int[] {3, 3}, Check.pair(new int[] {3}, "kernelSize"));
    assertArrayEquals(new int[] {3, 5}, Check.pair(new int[] {3, 5}, "kernelSize"));
    Check.divisible(6, 3, "embedDim", "numHeads");
  }

  @Test
  void failuresNameTheArgumentAndTheValue() {
    fails("stride must be positive, got 0", () -> Check.positive(0, "stride"));
    fails("numel must be positive, got -2", () -> Check.positive(-2L, "numel"));
    fails("lr must be positive, got NaN", () -> Check.positive(Double.NaN, "lr"));
    fails("n must be non-negative, got -1", () -> Check.nonNegative(-1, "n"));
    fails("maxNorm must be non-negative, got -1.0", () -> Check.nonNegative(-1.0, "maxNorm"));
    fails("scale must be finite, got Infinity", () -> Check.finite(Double.POSITIVE_INFINITY, "scale"));
    fails("p must be in [0, 1], got 1.5", () -> Check.probability(1.5, "p"));
    fails("factor must be in [0.5, 2], got 3.0", () -> Check.inRange(3.0, 0.5, 2, "factor"));
    fails("k must be in [1, 3], got 4", () -> Check.inRange(4L, 1, 3, "k"));
    fails("beta2 must be in [0, 1), got 1.0", () -> Check.inRangeExclusive(1.0, 0, 1, "beta2"));
    fails("layer must be in [0, 2), got 2", () -> Check.index(2, 2, "layer"));
    fails("inChannels (3) must be divisible by groups (2)", () -> Check.divisible(3, 2, "inChannels", "groups"));
    fails("kernelSize takes one or two values, got 3", () -> Check.pair(new int[] {1, 2, 3}, "kernelSize"));
  }
}
