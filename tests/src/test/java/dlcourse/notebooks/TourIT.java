package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import tech.tablesaw.api.Table;

/**
 * The main job ({@code notebooks/00-tour.ipynb}) and the library tour ({@code notebooks/01-library.ipynb}) in
 * quick mode, in a fresh JVM as {@code ./dlcourse run} starts it: no errors, the expected tables and charts, sane numbers.
 */
// on the kernel ITs' thread, beside NbclientIT (junit-platform.properties): its two notebooks run only here, not under
// nbclient, so it waits for no other run
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock(dlcourse.kernel.ItSupport.KERNEL_IT_LANE)
class TourIT {

  private static double col(Table t, int row, String column) {
    assertTrue(t.containsColumn(column), "no column " + column + " in " + t.columnNames());
    return t.numberColumn(column).getDouble(row);
  }

  @Test
  void tourRunsQuickWithTableChartsImagesArrayAndATrainedCnn() throws Exception {
    ExecutedNotebook r = ExecutedNotebook.runQuick("00-tour.ipynb");
    assertTrue(r.log.lines().anyMatch(l -> l.startsWith("ok ")), r.log);

    Table classes = r.table("classes.csv");
    assertEquals(10, classes.rowCount(), "10 Fashion-MNIST classes");
    long images = 0;
    for (int i = 0; i < classes.rowCount(); i++) {
      images += (long) col(classes, i, "images");
    }
    assertEquals(2000, images, "quick mode trains on 2,000 images");

    assertTrue(r.count("text/html") >= 3, "class table, INDArray and model summary as HTML");
    assertTrue(r.count("image/png") >= 5, "bars, histogram, image grid, curve, predictions; got " + r.count(
        "image/png"));
    assertTrue(r.outputs().stream().anyMatch(o -> o.has("data")
        && o.getAsJsonObject("data").has("text/plain")
        && o.getAsJsonObject("data").get("text/plain").getAsString().startsWith("array([[")),
        "the INDArray is rendered like numpy");
    String stdout = r.stdout();
    assertTrue(stdout.contains("train [") && stdout.contains("100%"), "progress bar lines: " + stdout);
    assertTrue(stdout.contains("epoch 1/1: train loss"), stdout);
    assertFalse(stdout.contains("PrintStream@"), "no PrintStream value is shown");

    double acc = col(r.table("tour_result.csv"), 0, "test accuracy");
    // 16 steps of Adam on 2,000 images reach ~0.45-0.6 (chance 0.1); the band catches a model that does not learn.
    assertTrue(acc > 0.3 && acc <= 1.0, "quick-mode test accuracy " + acc);
    assertTrue(stdout.contains(String.format("Test accuracy after 1 epoch(s): %.3f", acc)),
        "the sentence quotes the measured accuracy: " + stdout);
  }

  @Test
  void libraryTourRunsQuickAndEachPartGivesSaneNumbers() throws Exception {
    ExecutedNotebook r = ExecutedNotebook.runQuick("01-library.ipynb");
    String stdout = r.stdout();

    // data
    assertTrue(stdout.contains("The CIFAR binary round trip is exact"), stdout);
    assertTrue(stdout.contains("3 size groups [32x32, 48x48, 64x64]"), stdout);
    assertTrue(stdout.contains("the input is left unchanged"), stdout);
    assertTrue(stdout.contains("split sizes 1600 + 400") && stdout.contains("differs from epoch 1's"), stdout);
    // nn
    Table init = r.table("init.csv");
    assertEquals(4, init.rowCount());
    for (int i = 0; i < init.rowCount(); i++) {
      double m = col(init, i, "measured std");
      double e = col(init, i, "expected std");
      assertEquals(e, m, 0.05 * e, "init scheme " + init.stringColumn("scheme").get(i));
    }
    assertTrue(r.table("Sequential_summary.csv").stringColumn("type").contains("BatchNorm2d"));
    // train
    Table optimizers = r.table("optimizers.csv");
    assertEquals(7, optimizers.rowCount(), "7 optimizers");
    for (int i = 0; i < optimizers.rowCount(); i++) {
      double loss = col(optimizers, i, "train loss");
      // cross-entropy of 2 classes starts near ln 2 = 0.69; every optimizer must have moved and stayed finite
      assertTrue(loss > 0 && loss < 0.8, optimizers.stringColumn("optimizer").get(i) + " train loss " + loss);
    }
    assertTrue(stdout.contains("between their losses is 0.0e+00: the same computation"),
        "hand-written loop vs Trainer: " + stdout);
    assertTrue(stdout.contains("0.1000 after"), "clipped gradient norm: " + stdout);
    assertTrue(stdout.contains("logits differ by at most 0.0e+00"), "checkpoint round trip: " + stdout);
    assertTrue(stdout.contains("BLEU-4 0.5046"), stdout);
    Table cm = r.table("confusion_matrix.csv");
    assertEquals(10, cm.rowCount());
    long total = 0;
    long diagonal = 0;
    for (int i = 0; i < 10; i++) {
      for (int j = 0; j < 10; j++) {
        long v = (long) cm.numberColumn(j + 1).getDouble(i);
        total += v;
        diagonal += i == j ? v : 0;
      }
    }
    assertEquals(2000, total, "confusion matrix over the 2,000 test images");
    assertTrue(diagonal / (double) total > 0.25, "quick-mode CNN accuracy " + diagonal / (double) total);
    Table summary = r.table("summary.csv");
    assertEquals(2, summary.rowCount(), "hidden 2 and 16");
    for (int i = 0; i < summary.rowCount(); i++) {
      assertEquals(3, (int) col(summary, i, "n"), "three seeds per setting");
      double std = col(summary, i, "val_acc_std");
      assertTrue(std >= 0 && std < 0.5, "std " + std);
    }
    // headless, the CNN's live chart is shown once, at the end of fit: 1,600 images in batches of 128 = 13 steps
    assertEquals(1, r.outputs().stream().filter(o -> o.has("data") && o.getAsJsonObject("data").has("text/plain")
        && o.getAsJsonObject("data").get("text/plain").getAsString()
            .startsWith("LiveChart [loss, accuracy]: 13 steps, last train loss ")).count(),
        "one final live chart of the CNN's 13 steps");
    // CIFAR and Boxes grids, transforms, padding modes, live chart, two curves, schedules, bars, heatmap, boundary,
    // filters
    assertEquals(12, r.count("image/png"), "charts and images");
  }
}
