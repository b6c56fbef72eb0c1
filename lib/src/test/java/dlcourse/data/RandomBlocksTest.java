package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RandomBlocksTest {
  private static final TextCorpus TEXT = new TextCorpus("the quick brown fox jumps over the lazy dog");

  private static List<Batch> epoch(RandomBlocks r) {
    List<Batch> out = new ArrayList<>();
    r.forEach(out::add);
    return out;
  }

  @Test
  void anEpochHasTheTemplatesStepCountByDefault() {
    var r = RandomBlocks.of(TEXT, 8).batchSize(5);
    assertEquals(43 - 8, r.numBlocks());
    assertEquals(35 / 5, r.stepsPerEpoch());
    assertEquals(7, epoch(r).size());
    assertEquals(3, epoch(r.stepsPerEpoch(3)).size());
  }

  @Test
  void everySampleIsAWindowAndItsShiftAtARandomOffset() {
    var r = RandomBlocks.of(TEXT, 8).batchSize(4).stepsPerEpoch(50).seed(3);
    Set<String> starts = new HashSet<>();
    for (Batch b : r) {
      assertArrayEquals(new long[] {4, 8}, b.x().shape());
      assertArrayEquals(new long[] {4, 8}, b.y().shape());
      for (int i = 0; i < 4; i++) {
        String x = TEXT.decode(b.x().array().getRow(i));
        String y = TEXT.decode(b.y().array().getRow(i));
        int at = TEXT.text().indexOf(x + y.charAt(7));
        assertTrue(at >= 0, x + " / " + y);
        assertEquals(x.substring(1), y.substring(0, 7));
        starts.add(x);
      }
    }
    // 200 draws with replacement from 35 offsets reach nearly all of them, and repeat some
    assertTrue(starts.size() > 30 && starts.size() < 200, "distinct samples " + starts.size());
  }

  @Test
  void theSameSeedAndEpochGiveTheSameBatches() {
    var a = epoch(RandomBlocks.of(TEXT, 8).batchSize(4).stepsPerEpoch(3).seed(1));
    var r = RandomBlocks.of(TEXT, 8).batchSize(4).stepsPerEpoch(3).seed(1);
    var b = epoch(r);
    for (int i = 0; i < 3; i++) {
      assertEquals(a.get(i).x().array(), b.get(i).x().array());
    }
    assertEquals(1, r.epoch());
    assertNotEquals(b.get(0).x().array(), epoch(r).get(0).x().array(), "the next epoch draws new offsets");
    assertNotEquals(a.get(0).x().array(), epoch(RandomBlocks.of(TEXT, 8).batchSize(4).seed(2)).get(0).x().array());
    assertThrows(IllegalArgumentException.class, () -> RandomBlocks.of(TEXT, 43));
    assertThrows(IllegalArgumentException.class, () -> r.batchSize(0));
  }
}
