package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rdfia-basics chapter 2 notebooks (CIFAR-10 CNN) in quick mode, each in a fresh kernel JVM as
 * {@code ./dlcourse run} starts it: the theory numbers exactly, the library's parameter counts beside the report's,
 * and the shape and accuracy bands of the quick trainings.
 */
class RdfiaCifarIT {

  /**
   * All text outputs of the executed notebook (streams, and plain-text results that have no HTML form), then
   * {@code images=N} (the run itself has no error output: {@link ExecutedNotebook#runQuick(String)}).
   */
  private static String outputs(ExecutedNotebook nb) {
    StringBuilder all = new StringBuilder();
    for (JsonObject out : nb.outputs()) {
      if (out.has("text")) {
        all.append(out.get("text").getAsString());
      }
      if (out.has("data")) {
        JsonObject data = out.getAsJsonObject("data");
        if (!data.has("image/png") && data.has("text/plain") && !data.has("text/html")) {
          all.append(data.get("text/plain").getAsString()).append('\n');
        }
      }
    }
    return all.append("\nimages=").append(nb.images()).toString();
  }

  /** Column {@code name} of a CSV's rows ({@link ExecutedNotebook#rows}), header left out. */
  private static List<String> column(List<String[]> rows, String name) {
    int c = ExecutedNotebook.column(rows, name);
    return rows.subList(1, rows.size()).stream().map(r -> r[c]).toList();
  }

  private static List<Long> longs(List<String> cells) {
    return cells.stream().map(Long::parseLong).toList();
  }

  @Test
  void theoryNotebookComputesSizesCountsReceptiveFieldsAndTheReportsErrors() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("rdfia-basics/ch2_cnn_theory.ipynb");
    String text = outputs(nb);

    List<String[]> q1 = nb.rows("Q1_conv_vs_fully_connected.csv");
    assertEquals(List.of("32x32x32", "16x16x64", "8x8x64"), column(q1, "output (formula)"));
    assertEquals(List.of(76L, 801L, 1601L), longs(column(q1, "weights per filter")));
    assertEquals(List.of(2432L, 51264L, 102464L), longs(column(q1, "conv weights")));
    assertEquals(column(q1, "conv weights"), column(q1, "library parameters"));
    // (x y z + 1) x_out y_out per filter, times the filters
    assertEquals(List.of(3073L * 1024 * 32, 8193L * 256 * 64, 4097L * 64 * 64), longs(column(q1,
        "fully connected weights")));

    var eq = java.util.regex.Pattern.compile(
        "conv\\(b\\) and conv\\(a\\) moved by one column differ by at most (\\S+) ").matcher(text);
    assertTrue(eq.find(), text);
    assertTrue(Double.parseDouble(eq.group(1)) < 1e-5, "convolution commutes with the shift: " + eq.group(1));
    List<String[]> shift = nb.rows("relative_change_under_a_1-pixel_shift.csv");
    assertEquals(11, shift.size(), "input and the nine layers");
    assertTrue(text.contains("3 of the 3 max pools lower the change"), text);

    assertTrue(text.contains("The forward pass fails: [10 (Linear)] expected input (*, 1024), got (1, 4096)"), text);
    assertTrue(text.contains("conv3's pooled output is [1, 64, 8, 8] = 4096 values"), text);
    assertTrue(text.contains("the same function, within 1e-6"), text);
    List<String[]> maps = nb.rows("score_maps.csv");
    assertEquals(List.of("[1, 10, 1, 1]", "[1, 10, 2, 2]", "[1, 10, 5, 5]"), column(maps,
        "fully convolutional output"));
    assertEquals(List.of("[1, 10]", "error", "error"), column(maps, "original network"));

    List<String[]> rf = nb.rows("receptive_fields.csv");
    List<Long> expected = List.of(5L, 5L, 6L, 14L, 14L, 16L, 32L, 32L, 36L);
    assertEquals(expected, longs(column(rf, "formula (px)")));
    assertEquals(expected, longs(column(rf, "measured (px)")), "the gradient sees the same receptive fields");

    List<String[]> pads = nb.rows("size-preserving_padding.csv");
    assertEquals(List.of("2.0", "17.5", "33.0", "48.5", "-7.5", "0.0", "7.5", "15.0"), column(pads,
        "p from the formula"));
    assertEquals("32", column(pads, "library output on 32x32").get(0));
    assertEquals("16", column(pads, "library output on 32x32").get(5));

    List<String[]> counts = nb.rows("parameter_counts.csv");
    assertEquals(List.of("conv1", "conv2", "conv3", "fc4", "fc5", "total"), column(counts, "layer"));
    assertEquals(List.of(2432L, 51264L, 102464L, 1025000L, 10010L, 1191170L), longs(column(counts, "library")));
    assertEquals(List.of(2400L, 51200L, 102400L, 1025024L, 11000L, 1192024L), longs(column(counts, "report")));
    assertTrue(text.contains("Without conv biases the total would be 1,191,010. fc4 holds 86.0% of the parameters"),
        text);
    assertTrue(text.contains("has 10,010 parameters (report: 10,010)"), text);
    assertTrue(text.contains("changed 0 of 10 parameter tensors and left 0 gradients"), text);
    assertTrue(text.contains("Evaluation mode: the output equals the input."), text);
  }

  @Test
  void improvementsNotebookTrainsEveryNamedRunAndSummarisesThem() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("rdfia-basics/ch2_cifar_improvements.ipynb");
    String text = outputs(nb);

    List<String[]> runs = nb.rows("runs.csv");
    List<String> names = column(runs, "run");
    assertEquals(41, names.size(), "every run of the practical");
    for (String n : List.of("baseline", "lr0.001-b32", "lr0.08-b256", "standardize", "norm-zca", "crop-flip", "shift",
        "sched-cosine", "opt-adadelta", "dropout-p1.0", "batchnorm-dropout", "combined")) {
      assertTrue(names.contains(n), n + " in " + names);
    }
    List<String> selected = column(runs, "selected");
    for (int i = 0; i < names.size(); i++) {
      assertEquals(!names.get(i).equals("norm-zca") && !names.get(i).equals("norm-pca"), Boolean.parseBoolean(selected
          .get(i)),
          names.get(i) + ": quick runs all but the two whitening runs");
    }

    List<String[]> summary = nb.rows("best_test_accuracy_per_run.csv");
    List<String> ran = column(summary, "run");
    assertEquals(39, ran.size());
    assertEquals(names.stream().filter(n -> !n.startsWith("norm-zca") && !n.startsWith("norm-pca")).toList(), ran);
    Map<String, Double> best = new HashMap<>();
    List<String> bestCol = column(summary, "best test %");
    List<String> epochCol = column(summary, "at epoch");
    for (int i = 0; i < ran.size(); i++) {
      double acc = Double.parseDouble(bestCol.get(i));
      assertTrue(acc >= 0 && acc <= 100, ran.get(i) + " best test " + acc);
      assertEquals("1", epochCol.get(i), "quick runs one epoch");
      best.put(ran.get(i), acc);
    }
    // One epoch on 512 images (4 steps at batch 128) leaves SGD at lr 0.01 near chance (10%); the adaptive optimizers
    // move the weights further in those steps, and dropout p = 1 cannot do better than guessing.
    assertTrue(best.get("baseline") > 2 && best.get("baseline") < 20, "baseline " + best.get("baseline"));
    assertTrue(best.get("dropout-p1.0") < 20, "p = 1: " + best.get("dropout-p1.0"));
    double adaptive = List.of("opt-adam", "opt-adamw", "opt-rmsprop", "opt-adagrad", "opt-adadelta").stream()
        .mapToDouble(best::get).average().orElseThrow();
    assertTrue(adaptive > best.get("baseline"), "adaptive optimizers " + adaptive + " vs SGD " + best.get("baseline"));

    List<String[]> dropout = nb.rows("dropout_sweep.csv");
    assertEquals(List.of("0.0", "0.1", "0.3", "0.5", "0.7", "0.9", "1.0"), column(dropout, "p"));
    assertTrue(text.contains(
        "The rates the trainer used in the 6 schedule runs differ from the curves above by at most 0"), text);
    assertTrue(text.contains(
        "Dataset-wide min-max per channel would be the identity here: the channel minima are [0.0, 0.0, 0.0] "
            + "and maxima [1.0, 1.0, 1.0]"), text);
    assertTrue(!text.contains("PCA whitening reaches"), "quick mode leaves the whitening runs out");
    assertTrue(text.contains("Q17: over the first epochs the running train accuracy is"), text);
    assertTrue(text.contains("Recorded: 39 runs"), text);
    assertTrue(text.contains("images="), text);
    int images = Integer.parseInt(text.substring(text.lastIndexOf("images=") + 7).strip());
    assertEquals(20, images, "16 charts (curves, learning rates) and 4 image grids");
  }
}
