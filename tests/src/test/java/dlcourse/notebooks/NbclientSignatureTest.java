package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dlcourse.kernel.ItSupport;
import org.junit.jupiter.api.Test;

/** How NbclientIT compares tables from two executions: timings masked, alignment ignored, numbers kept. */
class NbclientSignatureTest {
  private static final String FAST = String.join("\n",
      "                      Q7                      ",
      "  convolution  |  seconds  |  test accuracy  |",
      "-----------------------------------------------",
      "        eager  |    6.488  |          0.787  |");
  private static final String SLOW = String.join("\n",
      "                       Q7                       ",
      "  convolution  |   seconds   |  test accuracy  |",
      "-------------------------------------------------",
      "        eager  |  13.656339  |          0.787  |");

  @Test
  void tablesThatDifferOnlyInTimingsAndWidthsAreEqual() {
    assertEquals(ItSupport.withoutTimings(FAST), ItSupport.withoutTimings(SLOW));
  }

  @Test
  void aDifferentAccuracyIsADifference() {
    assertNotEquals(ItSupport.withoutTimings(FAST), ItSupport.withoutTimings(SLOW.replace("0.787", "0.786")));
  }
}
