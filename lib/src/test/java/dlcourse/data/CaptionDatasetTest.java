package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptionDatasetTest {
  @TempDir
  Path dir;

  @Test
  void syntheticSetIsSeededAndCaptionsDescribeTheImage() {
    var a = CaptionDataset.synthetic(20, 32, 7);
    var b = CaptionDataset.synthetic(20, 32, 7);
    var c = CaptionDataset.synthetic(20, 32, 8);
    assertArrayEquals(new long[] {20, 3, 32, 32}, a.images().shape());
    assertEquals(a.images(), b.images());
    assertEquals(a.captions(), b.captions());
    assertNotEquals(a.captions(), c.captions());
    for (int i = 0; i < a.size(); i++) {
      List<String> first = a.captions().get(i).get(0);
      assertEquals(5, a.captions().get(i).size());
      assertEquals("a", first.get(0));
      String rel = first.get(3);
      assertTrue(rel.equals("above") || rel.equals("left"), first.toString());
      // "a red circle above a blue square": the top (or left) half holds the first colour.
      var img = a.images().get(org.nd4j.linalg.indexing.NDArrayIndex.point(i));
      var half = rel.equals("above")
          ? img.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 16))
          : img.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
              org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 16));
      if (first.get(1).equals("red")) {
        assertTrue(half.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).maxNumber().doubleValue() > 0.8);
      }
    }
    var vocab = a.vocabulary(1);
    assertEquals(CaptionDataset.SPECIALS, vocab.subList(0, 4));
    var tokens = a.encode(vocab, 0, 12);
    assertArrayEquals(new long[] {20, 12}, tokens.shape());
    assertEquals(1, tokens.getLong(0, 0));
    assertEquals(vocab.indexOf("a"), tokens.getLong(0, 1));
    int words = a.captions().get(0).get(0).size();
    assertEquals(2, tokens.getLong(0, words + 1), "<end> after the words");
    assertEquals(0, tokens.getLong(0, words + 2), "then <pad>");
  }

  @Test
  void readsTheSydneyDatasetJsonLayoutBySplit() throws Exception {
    Files.createDirectories(dir.resolve("images"));
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    img.setRGB(0, 0, 0x00ff00);
    ImageIO.write(img, "png", dir.resolve("images/1.png").toFile());
    ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("images/2.png").toFile());
    Files.writeString(dir.resolve("dataset.json"), """
        {"images": [
          {"filename": "1.png", "imgid": 0, "split": "train",
           "sentences": [{"tokens": ["Green", "field"], "raw": "Green field.", "imgid": 0, "sentid": 0},
                         {"tokens": ["a", "field"], "raw": "a field", "imgid": 0, "sentid": 1}]},
          {"filename": "2.png", "imgid": 1, "split": "test",
           "sentences": [{"tokens": ["dark"], "raw": "dark", "imgid": 1, "sentid": 2}]}
        ], "dataset": "sydney"}
        """);
    var train = Datasets.sydneyCaptions(dir, "train", 8);
    assertEquals(List.of("1.png"), train.fileNames());
    assertEquals(List.of(List.of("green", "field"), List.of("a", "field")), train.captions().get(0));
    assertEquals(1f, train.images().getFloat(0, 1, 0, 0), 1e-6);
    assertEquals(0f, train.images().getFloat(0, 0, 0, 0), 1e-6);
    var e = assertThrows(IllegalArgumentException.class, () -> Datasets.sydneyCaptions(dir, "val", 8));
    assertTrue(e.getMessage().contains("val"), e.getMessage());
  }

  @Test
  void captionPairsHoldEveryCaptionOfEveryImageOnce() {
    var d = CaptionDataset.synthetic(6, 16, 3);
    List<String> vocab = d.vocabulary(1);
    int maxLen = d.longestEncoded();
    int perImage = d.captions().get(0).size();
    org.nd4j.linalg.api.ndarray.INDArray features = org.nd4j.linalg.factory.Nd4j.arange(6 * 4).reshape(6, 2, 2);
    TensorDataset pairs = d.captionPairs(features, vocab, maxLen);
    assertEquals(6L * perImage, pairs.size());
    for (int k = 0; k < perImage; k++) {
      var encoded = d.encode(vocab, k, maxLen);
      for (int i = 0; i < 6; i++) {
        assertEquals(encoded.getRow(i), pairs.labels().getRow(k * 6L + i), "caption " + k + " of image " + i);
        assertEquals(features.slice(i), pairs.features().slice(k * 6L + i));
      }
    }
    // the longest caption fits whole: its last token is <end>, none is cut
    int longest = d.captions().stream().flatMap(List::stream).mapToInt(List::size).max().getAsInt();
    assertEquals(longest + 2, maxLen);
    var e = assertThrows(IllegalArgumentException.class, () -> d.captionPairs(features.get(
        org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 5)), vocab, maxLen));
    assertTrue(e.getMessage().contains("one row per image (6)"), e.getMessage());
  }
}
