package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class TensorDatasetTest {
  private static TensorDataset fiveRows() {
    // Row i of the features is filled with i, so gathered rows show where they came from.
    var x = Nd4j.arange(5).castTo(DataType.FLOAT).reshape(5, 1, 1, 1).broadcast(5, 1, 2, 2).dup();
    var y = Nd4j.createFromArray(10L, 11L, 12L, 13L, 14L);
    return new TensorDataset(x, y, List.of("a", "b"));
  }

  @Test
  void subsetGathersRowsInTheGivenOrder() {
    var s = fiveRows().subset(new long[] {3, 0, 3});
    assertArrayEquals(new long[] {3, 1, 2, 2}, s.features().shape());
    assertArrayEquals(new long[] {13, 10, 13}, s.labels().toLongVector());
    assertEquals(DataType.LONG, s.labels().dataType());
    assertEquals(3f, s.features().getFloat(0, 0, 1, 1));
    assertEquals(0f, s.features().getFloat(1, 0, 0, 0));
    assertEquals(List.of("a", "b"), s.classes());
  }

  @Test
  void takeReturnsTheFirstRows() {
    var t = fiveRows().take(2);
    assertEquals(2, t.size());
    assertArrayEquals(new long[] {10, 11}, t.labels().toLongVector());
    assertEquals(1f, t.features().getFloat(1, 0, 1, 0));
    assertEquals(5, fiveRows().take(100).size());
  }

  @Test
  void rejectsMismatchedSizesAndBadIndices() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new TensorDataset(Nd4j.zeros(3, 2), Nd4j.zeros(DataType.LONG, 4)));
    assertTrue(e.getMessage().contains("3") && e.getMessage().contains("4"), e.getMessage());
    var e2 = assertThrows(IndexOutOfBoundsException.class, () -> fiveRows().subset(new long[] {5}));
    assertTrue(e2.getMessage().contains("5"), e2.getMessage());
    assertThrows(IllegalArgumentException.class, () -> fiveRows().take(-1));
  }

  @Test
  void shuffleAndRandomSubsetAreSeededPermutationsKeepingPairsTogether() {
    TensorDataset ds = fiveRows();
    TensorDataset a = ds.shuffle(7);
    org.junit.jupiter.api.Assertions.assertEquals(a.labels(), ds.shuffle(7).labels(), "same seed, same order");
    org.junit.jupiter.api.Assertions.assertNotEquals(a.labels(), ds.shuffle(8).labels());
    long[] sorted = a.labels().toLongVector().clone();
    java.util.Arrays.sort(sorted);
    org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {10, 11, 12, 13, 14}, sorted, "every example once");
    TensorDataset three = ds.randomSubset(3, 7);
    org.junit.jupiter.api.Assertions.assertEquals(3, three.size());
    for (int i = 0; i < 3; i++) {
      long label = three.labels().getLong(i);
      org.junit.jupiter.api.Assertions.assertEquals(label - 10, three.features().getDouble(i, 0, 1, 1),
          "row and label");
    }
    org.junit.jupiter.api.Assertions.assertEquals(a.labels().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 3)),
        three.labels(), "a subset is the start of the same seed's permutation");
    org.junit.jupiter.api.Assertions.assertEquals(5, ds.randomSubset(99, 1).size());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ds.randomSubset(-1, 0));
  }
}
