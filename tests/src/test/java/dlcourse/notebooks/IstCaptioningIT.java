package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * IST Deep Learning homework 2, Q3 (image captioning), in quick mode in a fresh kernel JVM as {@code ./dlcourse run}
 * starts it: on the offline CIFAR-composed set, and on a small Sydney-Captions layout (dataset.json, images and a
 * region-feature file) written by the test.
 */
class IstCaptioningIT {
  static final String NOTEBOOK = "ist-dl-hw2/q3_captioning.ipynb";

  /** The data rows (header dropped) of a table the runner wrote. */
  private static List<String[]> table(ExecutedNotebook nb, String name) throws Exception {
    List<String[]> rows = nb.rows(name);
    return rows.subList(1, rows.size());
  }

  /** The training loss of each epoch printed by the notebook for one decoder. */
  private static List<Double> losses(String text, String decoder) {
    Matcher m = Pattern.compile(decoder + " epoch \\d+/\\d+: train loss ([0-9.]+), val BLEU-4 ([0-9.]+)").matcher(text);
    List<Double> out = new ArrayList<>();
    while (m.find()) {
      out.add(Double.parseDouble(m.group(1)));
      double bleu = Double.parseDouble(m.group(2));
      assertTrue(bleu >= 0 && bleu <= 1, decoder + " val BLEU-4 " + bleu);
    }
    return out;
  }

  private static void checkBleuTable(List<String[]> bleu) {
    assertEquals(2, bleu.size());
    assertEquals("vanilla", bleu.get(0)[0]);
    assertEquals("attention", bleu.get(1)[0]);
    for (String[] r : bleu) {
      for (int c = 1; c <= 3; c++) {
        double v = Double.parseDouble(r[c]);
        assertTrue(v >= 0 && v <= 1, r[0] + " column " + c + ": " + v);
      }
    }
    assertEquals(0.52706, Double.parseDouble(bleu.get(0)[4]), 0); // the report's, beside ours
    assertEquals(0.52922, Double.parseDouble(bleu.get(1)[4]), 0);
  }

  @Test
  void offlineSetTrainsBothDecodersAndScoresThem() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick(NOTEBOOK);
    String text = nb.text();
    // Images: sample scenes, loss and BLEU curves, generated captions, two attention maps.
    assertEquals(6, nb.images());
    assertTrue(text.contains("offline set of 300 / 60 / 100 images: 2 decoder epochs"), text);
    assertTrue(text.contains("region features: train [300, 9, 137], val [60, 9, 137], test [100, 9, 137]"), text);
    Matcher acc = Pattern.compile("([0-9.]+)% accuracy on 2,000 test images").matcher(text);
    assertTrue(acc.find(), text);
    assertTrue(Double.parseDouble(acc.group(1)) > 15, "the encoder beats chance (10%): " + acc.group(1));
    for (String decoder : List.of("vanilla", "attention")) {
      List<Double> loss = losses(text, decoder);
      assertEquals(2, loss.size(), decoder + ": " + text);
      assertTrue(loss.get(1) < loss.get(0), decoder + " training loss must fall: " + loss);
    }
    assertTrue(text.contains("With attention the test BLEU-4 is"), text);
    assertTrue(text.contains("Total wall time"), text);

    List<String[]> data = table(nb, "data");
    assertEquals(4, data.size());
    int[] images = {300, 60, 100, 613};
    for (int i = 0; i < 4; i++) {
      assertEquals(images[i], Integer.parseInt(data.get(i)[1]), data.get(i)[0]);
      assertEquals(5, Integer.parseInt(data.get(i)[2]), data.get(i)[0]);
    }
    assertEquals("ours train", data.get(0)[0]);
    int words = Integer.parseInt(data.get(0)[3]);
    assertTrue(words >= 40 && words <= 100, "distinct words " + words);
    double mean = Double.parseDouble(data.get(0)[4]);
    assertTrue(mean >= 8 && mean <= 18, "mean caption length " + mean);
    assertTrue(Integer.parseInt(data.get(0)[5]) <= 20);
    assertEquals("190", data.get(3)[3]);

    checkBleuTable(table(nb, "test_BLEU-4"));

    List<String[]> placement = table(nb, "object_placement");
    assertEquals(2, placement.size());
    for (String[] r : placement) {
      assertTrue(Integer.parseInt(r[1]) > 0, "objects named by " + r[0]);
      for (int c = 2; c <= 3; c++) {
        double v = Double.parseDouble(r[c]);
        assertTrue(v >= 0 && v <= 100, r[0] + " " + v);
      }
    }
    assertTrue(text.contains("and an object of the named class for"), text);
  }

  // ---- a tiny Sydney-Captions layout --------------------------------------------------------------------

  private static byte[] npy(float[] data, long... shape) {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(d).append(", ");
    }
    String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims.substring(0, dims.length() - 2)
        + "), }";
    int total = 10 + header.length() + 1;
    header = header + " ".repeat((64 - total % 64) % 64) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    for (float f : data) {
      b.putFloat(f);
    }
    return b.array();
  }

  /**
   * 19 images (10 train, 3 val, 6 test) in Sydney's dataset.json layout with five captions each, and a .npz of
   * (8, 7, 7) feature maps keyed by file name, as the notebook's torchvision recipe writes them.
   */
  private static void writeSydney(Path dir) throws Exception {
    Files.createDirectories(dir.resolve("images"));
    String[] kinds = {"residential", "industrial", "river"};
    Random rnd = new Random(0);
    StringBuilder json = new StringBuilder("{\"dataset\": \"sydney\", \"images\": [");
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(dir.resolve("features.npz")))) {
      for (int i = 0; i < 19; i++) {
        String split = i < 10 ? "train" : i < 13 ? "val" : "test";
        String name = (i + 1) + ".tif";
        int kind = i % 3;
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
          for (int x = 0; x < 16; x++) {
            img.setRGB(x, y, kind == 0 ? 0x808080 : kind == 1 ? 0xf0f0f0 : 0x3050a0);
          }
        }
        ImageIO.write(img, "png", dir.resolve("images").resolve(name).toFile()); // PNG bytes, Sydney's names
        float[] f = new float[8 * 49];
        for (int k = 0; k < f.length; k++) {
          f[k] = (float) (0.1 * rnd.nextGaussian()) + (k / 49 == kind ? 1f : 0f);
        }
        zip.putNextEntry(new ZipEntry(name + ".npy"));
        zip.write(npy(f, 8, 7, 7));
        zip.closeEntry();
        json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
            "{\"filename\": \"%s\", \"imgid\": %d, \"split\": \"%s\", \"sentences\": [", name, i, split));
        for (int s = 0; s < 5; s++) {
          String sentence = "a " + kinds[kind] + " area with " + (s % 2 == 0 ? "many" : "some") + " buildings";
          json.append(s == 0 ? "" : ",").append("{\"tokens\": [\"").append(sentence.replace(" ", "\", \""))
              .append("\"], \"raw\": \"").append(sentence).append("\"}");
        }
        json.append("]}");
      }
    }
    json.append("]}");
    Files.writeString(dir.resolve("dataset.json"), json);
  }

  /** The folder {@link #sydneyRun()} wrote its Sydney-Captions layout to. */
  private static volatile Path sydney;

  /**
   * The quick run on a tiny Sydney-Captions layout with a feature file ({@link #writeSydney}), once per JVM:
   * NbclientIT's runner lane makes it ahead of the test.
   */
  static ExecutedNotebook sydneyRun() throws Exception {
    return ExecutedNotebook.once(NOTEBOOK + " on a Sydney-Captions layout", () -> {
      Path tmp = ExecutedNotebook.tempDir("dlcourse-sydney");
      sydney = tmp.resolve("sydney");
      writeSydney(sydney);
      return ExecutedNotebook.runQuick(NOTEBOOK, tmp.resolve("out"), "-p", "sydneyDir=" + sydney, "-p",
          "sydneyFeatures=" + sydney.resolve("features.npz"));
    });
  }

  @Test
  void sydneyLayoutWithAFeatureFileRunsTheSameCells() throws Exception {
    ExecutedNotebook nb = sydneyRun();
    String text = nb.text();
    assertTrue(text.contains("Sydney-Captions from " + sydney), text);
    assertTrue(text.contains("region features: train [10, 49, 8], val [3, 49, 8], test [6, 49, 8]"), text);
    assertTrue(!text.contains("encoder: trained"), "no encoder is trained when the features are given");
    assertTrue(text.contains("Sydney-Captions has no object layout"), text);
    assertEquals(6, nb.images());
    for (String decoder : List.of("vanilla", "attention")) {
      assertEquals(2, losses(text, decoder).size(), decoder + ": " + text);
    }
    List<String[]> data = table(nb, "data");
    assertEquals("Sydney train", data.get(0)[0]);
    assertEquals(10, Integer.parseInt(data.get(0)[1]));
    assertEquals(6, Integer.parseInt(data.get(2)[1]));
    assertEquals(9, Integer.parseInt(data.get(0)[3])); // a, residential|industrial|river, area, with, many|some, buildings
    checkBleuTable(table(nb, "test_BLEU-4"));
    assertTrue(table(nb, "object_placement").isEmpty());
  }
}
