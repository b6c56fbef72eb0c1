package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class RandomSubsetInOrderTest {
  /** 100 examples; the label of row i is i and its features are filled with i. */
  private static TensorDataset rows(int n) {
    var x = Nd4j.arange(n).castTo(DataType.FLOAT).reshape(n, 1).broadcast(n, 3).dup();
    return new TensorDataset(x, Nd4j.arange(n).castTo(DataType.LONG), List.of());
  }

  @Test
  void theSameExamplesAsRandomSubsetInTheDataSetsOrder() {
    TensorDataset ds = rows(100);
    long[] want = ds.randomSubset(30, 7).labels().toLongVector();
    Arrays.sort(want);
    TensorDataset got = ds.randomSubsetInOrder(30, 7);
    assertArrayEquals(want, got.labels().toLongVector());
    for (int i = 0; i < 30; i++) {
      assertArrayEquals(new float[] {want[i], want[i], want[i]}, got.features().getRow(i).toFloatVector(), 0);
    }
  }

  @Test
  void equalsASortedCollectionsShuffleOfTheSameSeed() {
    // The notebooks' former idiom: shuffle the indices with java.util.Random(seed), keep the first n, sorted.
    List<Long> idx = new ArrayList<>();
    for (long i = 0; i < 100; i++) {
      idx.add(i);
    }
    Collections.shuffle(idx, new Random(3));
    long[] want = idx.subList(0, 25).stream().mapToLong(Long::longValue).sorted().toArray();
    assertArrayEquals(want, rows(100).randomSubsetInOrder(25, 3).labels().toLongVector());
  }

  @Test
  void allOfThemUnchangedWhenNIsAtLeastTheSize() {
    TensorDataset ds = rows(10);
    assertSame(ds, ds.randomSubsetInOrder(10, 1));
    assertSame(ds, ds.randomSubsetInOrder(99, 1));
    assertArrayEquals(new long[0], ds.randomSubsetInOrder(0, 1).labels().toLongVector());
    assertThrows(IllegalArgumentException.class, () -> ds.randomSubsetInOrder(-1, 0));
  }
}
