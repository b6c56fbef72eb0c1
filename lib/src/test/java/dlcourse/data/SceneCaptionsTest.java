package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SceneCaptionsTest {
  /**
   * 20 flat 4x4 "objects": object o is filled with 0.70 + o / 100 in every channel (no background colour is in
   * [0.70, 0.89]); class o % 10, CIFAR's names.
   */
  private static TensorDataset objects() {
    INDArray x = Nd4j.zeros(DataType.FLOAT, 20, 3, 4, 4);
    long[] y = new long[20];
    for (int o = 0; o < 20; o++) {
      x.slice(o).assign(0.70 + o / 100.0);
      y[o] = o % 10;
    }
    return new TensorDataset(x, Nd4j.createFromArray(y), Cifar10Binary.CLASSES);
  }

  @Test
  void imagesHoldTheObjectsInTheirCellsAndCaptionsSayWhere() {
    TensorDataset objects = objects();
    SceneCaptions s = SceneCaptions.compose(objects, 200, 3);
    assertArrayEquals(new long[] {200, 3, 12, 12}, s.dataset().images().shape());
    int[] counts = new int[4];
    for (int i = 0; i < 200; i++) {
      INDArray img = s.dataset().images().slice(i);
      List<Integer> inReadingOrder = new ArrayList<>();
      for (int cell = 0; cell < 9; cell++) {
        float v = img.getFloat(0, (cell / 3) * 4 + 1, (cell % 3) * 4 + 2);
        int c = s.cell(i, cell);
        if (c < 0) {
          assertTrue(v < 0.695f || v > 0.895f, "an empty cell shows the background, got " + v);
        } else {
          int o = Math.round((v - 0.70f) * 100);
          assertEquals(c, o % 10, "image " + i + " cell " + cell);
          inReadingOrder.add(cell);
        }
      }
      counts[inReadingOrder.size()]++;
      assertEquals(5, s.dataset().captions().get(i).size());
      for (List<String> caption : s.dataset().captions().get(i)) {
        assertTrue(caption.size() <= SceneCaptions.MAX_WORDS, caption.toString());
        // Every object is named, in reading order, followed by a phrase that names its row and column.
        List<Integer> named = new ArrayList<>();
        for (int w = 0; w < caption.size(); w++) {
          int c = s.classOf(caption.get(w));
          if (c < 0) {
            continue;
          }
          int cell = inReadingOrder.get(named.size());
          assertEquals(s.cell(i, cell), c, caption.toString());
          int and = caption.subList(w, caption.size()).indexOf("and");
          int end = and < 0 ? caption.size() : w + and;
          List<String> where = caption.subList(w + 1, end);
          int row = where.contains("top") || where.contains("upper") ? 0
              : where.contains("bottom") || where.contains("lower") ? 2 : 1;
          int col = where.contains("left") ? 0 : where.contains("right") ? 2 : 1;
          assertEquals(cell, row * 3 + col, caption + ": " + where);
          assertTrue(where.stream().allMatch(x -> SceneCaptions.isPositionWord(x)
              || List.of("in", "at", "on", "the", "very").contains(x)), where.toString());
          named.add(cell);
        }
        assertEquals(inReadingOrder, named, caption.toString());
        List<SceneCaptions.Mention> mentions = s.mentions(caption);
        assertEquals(named.size(), mentions.size());
        for (int j = 0; j < mentions.size(); j++) {
          assertEquals(new SceneCaptions.Mention(s.cell(i, named.get(j)), named.get(j)), mentions.get(j));
        }
      }
      // The third template names the background ("a grey canvas with ..."), unless too long: then the shortest form.
      String bg = SceneCaptions.BACKGROUNDS.get(s.background(i));
      List<String> third = s.dataset().captions().get(i).get(2);
      assertTrue(third.subList(0, 2).equals(List.of("a", bg)) || s.classOf(third.get(1)) >= 0, third.toString());
    }
    assertEquals(0, counts[0]);
    assertTrue(counts[1] > 40 && counts[2] > 70 && counts[3] > 30, java.util.Arrays.toString(counts));
  }

  @Test
  void sameSeedSameData() {
    TensorDataset objects = objects();
    SceneCaptions a = SceneCaptions.compose(objects, 30, 11);
    SceneCaptions b = SceneCaptions.compose(objects, 30, 11);
    SceneCaptions c = SceneCaptions.compose(objects, 30, 12);
    assertEquals(a.dataset().images(), b.dataset().images());
    assertEquals(a.dataset().captions(), b.dataset().captions());
    assertNotEquals(a.dataset().captions(), c.dataset().captions());
    assertEquals("scene_00029.png", a.dataset().fileNames().get(29));
  }

  @Test
  void wordsOfTokenIdsStopAtEnd() {
    List<String> vocab = List.of("<pad>", "<start>", "<end>", "<unk>", "a", "cat");
    assertEquals(List.of("a", "<unk>", "cat"), CaptionDataset.words(vocab, new long[] {1, 4, 3, 5, 2, 4, 0}));
    assertEquals(List.of(), CaptionDataset.words(vocab, new long[] {2, 4}));
  }

  @Test
  void mentionsParseGeneratedCaptionsLoosely() {
    SceneCaptions s = SceneCaptions.compose(objects(), 1, 0);
    int cat = Cifar10Binary.CLASSES.indexOf("cat");
    int ship = Cifar10Binary.CLASSES.indexOf("ship");
    assertEquals(List.of(new SceneCaptions.Mention(cat, 2), new SceneCaptions.Mention(ship, 4),
        new SceneCaptions.Mention(cat, 6)),
        s.mentions(List.of("a", "kitten", "upper", "right", "a", "boat", "and", "cat", "at", "the", "lower", "left")));
    assertEquals(List.of(), s.mentions(List.of("a", "grey", "canvas")));
  }
}
