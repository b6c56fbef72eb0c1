package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.kernel.ItSupport;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the UvA DL1 assignment 2 notebooks in quick mode, in a fresh JVM as ./dlcourse run does, and checks outputs. */
class UvaDl1Hw2IT {
  @Test
  void paddingNotebookTrainsEveryNetAndConvTypeAndChecksThePadding() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("uva-dl1-hw2/q1_1_padding.ipynb");
    String text = nb.text();
    assertTrue(text.contains("val equals the first 1000 training images: true"), text);
    assertTrue(text.contains("are exactly right"), text);
    assertTrue(text.contains("= 111 by hand, 111 from Conv2d"), text);
    assertEquals(2, nb.images(), "sample grid and bar chart");
    List<String[]> pad = nb.rows("padding_check.csv");
    assertEquals(5, pad.size());
    for (String[] r : pad.subList(1, pad.size())) {
      assertEquals(0.0, Double.parseDouble(r[1]), r[0]);
    }
    List<String[]> maps = nb.rows("feature_maps.csv");
    int conv4 = ExecutedNotebook.column(maps, "conv4");
    assertEquals("(1, 64, 2, 2)", maps.get(1)[conv4]); // valid
    assertTrue(Files.notExists(nb.tables.resolve("engine_check.csv")), "the engine cross-check is a library test now");
    assertTrue(text.contains("Training steps run on the captured oneDNN step"), text);
    List<String[]> runs = nb.rows("runs.csv");
    assertEquals(1 + 2 * 2 * 6, runs.size(), "2 seeds x 2 nets x 6 conv types");
    for (String metric : List.of("val_acc", "test_acc")) {
      int c = ExecutedNotebook.column(runs, metric);
      for (String[] r : runs.subList(1, runs.size())) {
        double v = Double.parseDouble(r[c]);
        assertTrue(v >= 0 && v <= 100, metric + " " + v);
      }
    }
    int epochs = ExecutedNotebook.column(runs, "epochs");
    runs.subList(1, runs.size()).forEach(r -> assertTrue(Double.parseDouble(r[epochs]) <= 2, "quick runs 2 epochs"));
    List<String[]> net1 = nb.rows("net1_accuracy.csv");
    assertEquals(7, net1.size());
    assertEquals("94.0", net1.get(2)[ExecutedNotebook.column(net1, "report test")]); // replicate, beside ours
    assertEquals(7, nb.rows("net2_accuracy.csv").size());
    assertEquals(7, nb.rows("position_leak.csv").size());
    ItSupport.requirePython("torch-checks", "torch", "python3-torch");
    // PyTorch trains the seed-0 fconv net from our initial weights with the same data and settings: after the
    // quick run's 2 epochs (4 Adadelta steps) both frameworks must classify the same images.
    List<String[]> check = nb.rows("Net1_fconv_seed_0_ours_and_PyTorch.csv");
    assertEquals(4, check.size(), "ours, PyTorch from our weights, PyTorch's own init");
    for (String metric : List.of("val", "test")) {
      int c = ExecutedNotebook.column(check, metric);
      double ours = Double.parseDouble(check.get(1)[c]);
      double torch = Double.parseDouble(check.get(2)[c]);
      assertEquals(ours, torch, 1.0, metric + ": dlcourse " + ours + " vs PyTorch from the same weights " + torch);
    }
  }

  @Test
  void rotationNotebookMeasuresAccuracyAtThirteenAngles() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("uva-dl1-hw2/q1_2_rotation.ipynb");
    String text = nb.text();
    assertEquals(2, nb.images(), "rotated samples and the curves");
    List<String[]> rows = nb.rows("rotation_accuracy.csv");
    assertEquals(14, rows.size());
    double[] base = new double[13];
    for (int i = 0; i < 13; i++) {
      assertEquals(30.0 * i, Double.parseDouble(rows.get(i + 1)[0]));
      base[i] = Double.parseDouble(rows.get(i + 1)[1]);
      double aug = Double.parseDouble(rows.get(i + 1)[2]);
      assertTrue(aug >= 0 && aug <= 100, "augmented " + aug);
    }
    // One epoch on 5000 images already beats chance upright, and 360 degrees is the upright image again.
    assertTrue(base[0] > 20, "upright accuracy " + base[0]);
    assertEquals(base[0], base[12], 0.5);
    double oblique = (base[1] + base[2] + base[4] + base[5] + base[7] + base[8] + base[10] + base[11]) / 8;
    assertTrue(base[0] > oblique, "upright " + base[0] + " vs oblique mean " + oblique);
  }
}
