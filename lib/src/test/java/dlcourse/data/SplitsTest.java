package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SplitsTest {
  @Test
  void partsAreDisjointCoverEverythingAndKeepRowsTogether() {
    TensorDataset data = DataLoaderTest.indexed(100);
    List<Dataset> parts = Splits.randomSplit(data, new long[] {70, 20, 10}, 42);
    assertEquals(3, parts.size());
    Set<Long> seen = new HashSet<>();
    long[] sizes = {70, 20, 10};
    for (int p = 0; p < 3; p++) {
      Dataset part = parts.get(p);
      assertEquals(sizes[p], part.size());
      long[] y = part.labels().toLongVector();
      for (int i = 0; i < y.length; i++) {
        assertTrue(seen.add(y[i]), "example " + y[i] + " in two parts");
        assertEquals(y[i], part.features().getFloat(i, 0, 0, 0), 0f);
      }
    }
    assertEquals(100, seen.size());
  }

  @Test
  void sameSeedSameSplitOtherSeedOtherSplit() {
    TensorDataset data = DataLoaderTest.indexed(50);
    long[] a = Splits.randomSplit(data, new long[] {40, 10}, 42).get(1).labels().toLongVector();
    long[] b = Splits.randomSplit(data, new long[] {40, 10}, 42).get(1).labels().toLongVector();
    long[] c = Splits.randomSplit(data, new long[] {40, 10}, 43).get(1).labels().toLongVector();
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, c));
    long[] sorted = a.clone();
    Arrays.sort(sorted);
    assertFalse(Arrays.equals(a, sorted) && sorted[9] == 49, "the split is random, not the last 10 rows");
  }

  @Test
  void fractionsRoundLikePytorch() {
    TensorDataset data = DataLoaderTest.indexed(10);
    List<Dataset> parts = Splits.randomSplit(data, new double[] {0.33, 0.33, 0.34}, 0);
    // floor: 3, 3, 3; the remaining 1 goes to the first part
    assertEquals(4, parts.get(0).size());
    assertEquals(3, parts.get(1).size());
    assertEquals(3, parts.get(2).size());
  }

  @Test
  void sizesMustSumToTheDatasetSize() {
    TensorDataset data = DataLoaderTest.indexed(10);
    var e = assertThrows(IllegalArgumentException.class, () -> Splits.randomSplit(data, new long[] {5, 4}, 0));
    assertEquals("sizes [5, 4] sum to 9, but the data set has 10 examples", e.getMessage());
    var neg = assertThrows(IllegalArgumentException.class, () -> Splits.randomSplit(data, new long[] {11, -1}, 0));
    assertTrue(neg.getMessage().contains("must be non-negative"), neg.getMessage());
    var frac = assertThrows(IllegalArgumentException.class,
        () -> Splits.randomSplit(data, new double[] {0.5, 0.4}, 0));
    assertTrue(frac.getMessage().contains("must sum to 1"), frac.getMessage());
  }
}
