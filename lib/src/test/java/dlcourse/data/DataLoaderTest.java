package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DataLoaderTest {
  /** n images (n, 2, 3, 3) whose every pixel equals the example index, labels = index (int64). */
  static TensorDataset indexed(int n) {
    if (n == 0) {
      return new TensorDataset(Nd4j.create(DataType.FLOAT, 0, 2, 3, 3), Nd4j.create(DataType.LONG, 0));
    }
    INDArray x = Nd4j.arange(n).castTo(DataType.FLOAT).reshape(n, 1, 1, 1).mul(Nd4j.ones(DataType.FLOAT, 1, 2, 3, 3));
    INDArray y = Nd4j.arange(n).castTo(DataType.LONG);
    return new TensorDataset(x, y, List.of());
  }

  private static List<long[]> labelsPerBatch(Iterable<Batch> epoch) {
    List<long[]> out = new ArrayList<>();
    for (Batch b : epoch) {
      out.add(b.y().array().toLongVector());
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({
    "10, 3, false, 4", "10, 3, true, 3", "9, 3, false, 3", "9, 3, true, 3", "2, 5, true, 0", "0, 4, false, 0"
  })
  void sizeCountsBatchesWithAndWithoutDropLast(int n, int batch, boolean dropLast, long expected) {
    DataLoader loader = DataLoader.of(indexed(n)).batchSize(batch).dropLast(dropLast);
    assertEquals(expected, loader.size());
    assertEquals(expected, labelsPerBatch(loader).size());
  }

  @Test
  void withoutShuffleBatchesAreConsecutiveAndTheLastIsSmaller() {
    DataLoader loader = DataLoader.of(indexed(10)).batchSize(4);
    List<long[]> batches = labelsPerBatch(loader);
    assertArrayEquals(new long[] {0, 1, 2, 3}, batches.get(0));
    assertArrayEquals(new long[] {8, 9}, batches.get(2));
    Batch first = loader.iterator().next();
    assertArrayEquals(new long[] {4, 2, 3, 3}, first.x().array().shape());
    assertEquals(DataType.LONG, first.y().array().dataType());
    assertEquals(DataType.FLOAT, first.x().array().dataType());
  }

  @Test
  void shuffledEpochIsAPermutationWithFeaturesMatchingLabels() {
    DataLoader loader = DataLoader.of(indexed(103)).batchSize(16).shuffle(true).seed(7);
    Set<Long> seen = new HashSet<>();
    for (Batch b : loader) {
      long[] y = b.y().array().toLongVector();
      for (int i = 0; i < y.length; i++) {
        assertTrue(seen.add(y[i]), "example " + y[i] + " twice in one epoch");
        assertEquals(y[i], b.x().array().getFloat(i, 1, 2, 2), 0f, "features of row " + i + " belong to its label");
      }
    }
    assertEquals(103, seen.size());
  }

  @Test
  void eachIteratorCallIsANewEpochWithANewOrder() {
    DataLoader loader = DataLoader.of(indexed(50)).batchSize(50).shuffle(true).seed(1);
    long[] e0 = loader.iterator().next().y().array().toLongVector();
    long[] e1 = loader.iterator().next().y().array().toLongVector();
    assertFalse(Arrays.equals(e0, e1), "epochs 0 and 1 have different orders");
    assertEquals(2, loader.epoch());
    loader.epoch(0);
    assertArrayEquals(e0, loader.iterator().next().y().array().toLongVector(), "setting the epoch back replays it");
  }

  @Test
  void twoLoadersWithTheSameSeedGiveIdenticalSequences() {
    TensorDataset data = indexed(40);
    Transform noise = (x, rng) -> x.add(rng.nextGaussian());
    DataLoader a = DataLoader.of(data).batchSize(8).shuffle(true).seed(3).transform(noise);
    DataLoader b = DataLoader.of(data).batchSize(8).shuffle(true).seed(3).transform(noise);
    DataLoader c = DataLoader.of(data).batchSize(8).shuffle(true).seed(4).transform(noise);
    for (int epoch = 0; epoch < 3; epoch++) {
      var ia = a.iterator();
      var ib = b.iterator();
      var ic = c.iterator();
      boolean differs = false;
      while (ia.hasNext()) {
        Batch ba = ia.next();
        Batch bb = ib.next();
        Batch bc = ic.next();
        assertEquals(ba.x().array(), bb.x().array());
        assertEquals(ba.y().array(), bb.y().array());
        differs |= !ba.y().array().equals(bc.y().array());
      }
      assertTrue(differs, "another seed gives another order");
    }
  }

  @Test
  void transformRandomnessIsRedrawnEveryEpochAndAppliedToInputsOnly() {
    TensorDataset data = indexed(6);
    DataLoader loader = DataLoader.of(data).batchSize(6).transform((x, rng) -> x.add(rng.nextInt(1000) + 1000));
    Batch e0 = loader.iterator().next();
    Batch e1 = loader.iterator().next();
    assertNotEquals(e0.x().array(), e1.x().array());
    assertEquals(data.labels(), e0.y().array());
    assertTrue(e0.x().array().minNumber().doubleValue() >= 1000);
  }

  @Test
  void batchesAreCopiesThatDoNotAliasTheDataset() {
    TensorDataset data = indexed(8);
    for (boolean shuffle : new boolean[] {false, true}) {
      Batch b = DataLoader.of(data).batchSize(4).shuffle(shuffle).iterator().next();
      b.x().array().assign(-1);
      b.y().array().assign(-1);
    }
    assertEquals(indexed(8).features(), data.features());
    assertEquals(indexed(8).labels(), data.labels());
  }

  @Test
  void worksOnTwoDimensionalFeaturesAndMultiDimensionalTargets() {
    INDArray x = Nd4j.arange(20).castTo(DataType.FLOAT).reshape(10, 2);
    INDArray y = Nd4j.arange(30).castTo(DataType.LONG).reshape(10, 3); // e.g. token targets (N, T)
    DataLoader loader = DataLoader.of(new TensorDataset(x, y)).batchSize(4).shuffle(true).seed(2);
    for (Batch b : loader) {
      for (int i = 0; i < b.size(); i++) {
        long row = b.y().array().getLong(i, 0) / 3;
        assertEquals(2 * row, b.x().array().getFloat(i, 0), 0f);
        assertEquals(3 * row + 2, b.y().array().getLong(i, 2));
      }
    }
  }

  @Test
  void iteratorPastTheEndThrows() {
    var it = DataLoader.of(indexed(3)).batchSize(2).iterator();
    it.next();
    it.next();
    var e = assertThrows(NoSuchElementException.class, it::next);
    assertTrue(e.getMessage().contains("2 batches"), e.getMessage());
  }

  @Test
  void settersCheckTheirArguments() {
    var loader = DataLoader.of(indexed(3));
    var e = assertThrows(IllegalArgumentException.class, () -> loader.batchSize(0));
    assertEquals("batchSize must be positive, got 0", e.getMessage());
    assertThrows(NullPointerException.class, () -> DataLoader.of(null));
    assertEquals(1, loader.batchSize());
    assertFalse(loader.shuffle());
  }
}
