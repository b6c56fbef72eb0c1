package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dlcourse.kernel.ItSupport;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The ist-dl-hw2 notebooks in quick mode, each in a fresh JVM as {@code ./dlcourse run} starts it: no error output,
 * the exact parameter counts and attention checks, equivariance exact away from the borders, the sweep's table and
 * accuracy bands, and the number of images.
 */
class IstDlHw2IT {
  private static final String COURSE = "ist-dl-hw2";

  /** Runs {@code dlcourse run NOTEBOOK --quick --out out}; returns the text outputs and an {@code images=N} line. */
  private static String runQuick(String notebook, Path out) throws Exception {
    Path root = QuickRun.root();
    Path kernel = root.resolve("kernel-ext").resolve(System.getProperty("dlcourse.build.dir", "target"));
    String cp = kernel.resolve("dlcourse-kernel-0.1.0-SNAPSHOT.jar") + File.pathSeparator
        + Files.readString(kernel.resolve("classpath.txt")).strip();
    List<String> cmd = ItSupport.runnerJava();
    cmd.addAll(List.of("-cp", cp, "dlcourse.kernel.Main", "run", root.resolve("notebooks").resolve(COURSE).resolve(notebook)
        .toString(), "--quick", "--out", out.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(root.toFile());
    if (System.getenv("DLCOURSE_DATA") == null && Files.isDirectory(Path.of("/work/shared/data"))) {
      pb.environment().put("DLCOURSE_DATA", "/work/shared/data"); // the offline mirror of the dev machines
    }
    Path log = Files.createTempFile("ist-dl-hw2", ".log");
    Process p = pb.redirectOutput(log.toFile()).start();
    if (!p.waitFor(900, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError(notebook + " timed out after 900 s:\n" + Files.readString(log));
    }
    String console = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    assertEquals(0, p.exitValue(), notebook + " failed:\n" + console);
    JsonObject nb = JsonParser.parseString(Files.readString(out.resolve(notebook))).getAsJsonObject();
    StringBuilder text = new StringBuilder();
    int images = 0;
    for (JsonElement c : nb.getAsJsonArray("cells")) {
      JsonObject cell = c.getAsJsonObject();
      if (!cell.has("outputs")) {
        continue;
      }
      for (JsonElement o : cell.getAsJsonArray("outputs")) {
        JsonObject output = o.getAsJsonObject();
        assertTrue(!output.get("output_type").getAsString().equals("error"), notebook + " has an error output: " + output);
        if (output.has("text")) {
          text.append(output.get("text").getAsString());
        }
        if (output.has("data") && output.getAsJsonObject("data").has("image/png")) {
          images++;
        }
      }
    }
    return text.append("\nimages=").append(images).append('\n').toString();
  }

  /** A table the runner wrote as CSV, header first; quotes only protect commas. */
  private static List<String[]> csv(Path out, String notebook, String table) throws Exception {
    Path file = out.resolve(notebook.replace(".ipynb", "")).resolve(table + ".csv");
    assertTrue(Files.exists(file), "missing table " + file);
    List<String[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      List<String> cells = new ArrayList<>();
      StringBuilder cell = new StringBuilder();
      boolean quoted = false;
      for (char ch : line.toCharArray()) {
        if (ch == '"') {
          quoted = !quoted;
        } else if (ch == ',' && !quoted) {
          cells.add(cell.toString());
          cell.setLength(0);
        } else {
          cell.append(ch);
        }
      }
      cells.add(cell.toString());
      rows.add(cells.toArray(new String[0]));
    }
    return rows;
  }

  /** The cell of a data row (1-based, after the header) in the named column. */
  private static String cell(List<String[]> rows, int row, String column) {
    String[] header = rows.get(0);
    for (int i = 0; i < header.length; i++) {
      if (header[i].equals(column)) {
        return rows.get(row)[i];
      }
    }
    throw new AssertionError("no column " + column + " in " + String.join(",", header));
  }

  private static double num(List<String[]> rows, int row, String column) {
    return Double.parseDouble(cell(rows, row, column));
  }

  @Test
  void countsNotebookShowsTheReportsTwoMistakesAndVerifiesTheAttentionAlgebra() throws Exception {
    Path out = QuickRun.outDir(COURSE);
    String nb = "q1_counts_attention.ipynb";
    String text = runQuick(nb, out);
    List<String[]> q11 = csv(out, nb, "Q1.1_CNN_parameter_counts");
    assertEquals(4, q11.size(), "conv, output layer, total");
    long[][] cnn = {{608, 608, 75, 75}, {9_690, 23_530, 2_352, 968}}; // library, report, report's fan-in, layer's fan-in
    for (int r = 0; r < 2; r++) {
      assertEquals(cnn[r][0], (long) num(q11, r + 1, "library"));
      assertEquals(cnn[r][1], (long) num(q11, r + 1, "report"));
      assertEquals(cnn[r][2], (long) num(q11, r + 1, "report's fan-in"));
      assertEquals(cnn[r][3], (long) num(q11, r + 1, "layer's fan-in"));
    }
    assertEquals(10_298, (long) num(q11, 3, "library"));
    assertEquals(24_138, (long) num(q11, 3, "report"));
    assertEquals("10 x (968 + 1)", cell(q11, 2, "layer's formula"));
    List<String[]> q12 = csv(out, nb, "Q1.2_MLP_parameter_counts");
    assertEquals(4, q12.size(), "hidden, output layer, total");
    assertEquals(235_300, (long) num(q12, 1, "library"));
    assertEquals(0, (long) num(q12, 1, "report - library"));
    assertEquals(1_010, (long) num(q12, 2, "library"));
    assertEquals(100, (long) num(q12, 2, "layer's fan-in"));
    assertEquals(2_352, (long) num(q12, 2, "report's fan-in"));
    assertEquals(236_310, (long) num(q12, 3, "library"));
    assertEquals(258_830, (long) num(q12, 3, "report"));
    assertTrue(text.contains("The CNN has 10,298 parameters, not 24,138"), text);
    assertTrue(text.contains("The network has 236,310 parameters, not 258,830"), text);
    assertTrue(text.contains("rank(A1) = 3 and rank(A2) = 3 for n = 8 and d = 3; rank(B) = 3"), text);
    List<String[]> checks = csv(out, nb, "Q1.3_checks");
    assertEquals(8, checks.size(), "four claims and three counter-checks");
    for (int r = 1; r <= 4; r++) {
      assertTrue(num(checks, r, "max abs difference") < 1e-12, "claim " + cell(checks, r, "claim"));
      assertEquals("true", cell(checks, r, "same (< 1e-10)"));
    }
    for (int r = 5; r <= 7; r++) {
      assertTrue(num(checks, r, "max abs difference") > 1e-2, "counter-check " + cell(checks, r, "claim"));
      assertEquals("false", cell(checks, r, "same (< 1e-10)"), "the check must be able to fail");
    }
    assertTrue(text.contains("Every row is as expected"), text);
  }

  @Test
  void equivarianceNotebookIsExactAwayFromBordersAndPoolingAddsInvariance() throws Exception {
    Path out = QuickRun.outDir(COURSE);
    String nb = "q2_1_equivariance.ipynb";
    String text = runQuick(nb, out);
    List<String[]> equi = csv(out, nb, "Q2.1_equivariance");
    assertEquals(6, equi.size(), "five shifts");
    for (int r = 1; r < equi.size(); r++) {
      assertTrue(num(equi, r, "max error, interior") < 1e-12, "interior error at shift " + cell(equi, r, "shift (dy, dx)"));
      assertTrue(num(equi, r, "max error, whole map") > 0.1, "the borders must differ: " + cell(equi, r, "shift (dy, dx)"));
    }
    List<String[]> inv = csv(out, nb, "Q2.1_pooling_invariance");
    assertEquals(5, inv.size(), "shifts of 1 to 4 pixels");
    double conv = num(inv, 1, "unchanged, conv only");
    double pool2 = num(inv, 1, "unchanged, max pool 2");
    double pool4 = num(inv, 1, "unchanged, max pool 4");
    double global = num(inv, 1, "unchanged, global max");
    assertTrue(conv < 0.05 && conv < pool2 && pool2 < pool4 && pool4 < global && global > 0.8,
        "1-px shift, fraction unchanged: conv " + conv + ", pool 2 " + pool2 + ", pool 4 " + pool4 + ", global " + global);
    assertTrue(num(inv, 1, "relative change, global max") < num(inv, 1, "relative change, conv only"));
    assertTrue(text.contains("equivariance holds exactly"), text);
    assertTrue(text.contains("images=2"), text); // the difference tiles and the invariance curves
  }

  @Test
  void fashionNotebookSweepsThreeRatesPicksTheBestAndDrawsTheFilters() throws Exception {
    Path out = QuickRun.outDir(COURSE);
    String nb = "q2_2_fashion_cnn.ipynb";
    String text = runQuick(nb, out);
    assertTrue(text.contains("Total trainable parameters: 769,930, equal to the derived 769,930."), text);
    List<String[]> summary = csv(out, nb, "Q2.2_network_summary");
    assertEquals(15, summary.size(), "14 layers");
    List<String[]> sweep = csv(out, nb, "Q2.2_learning-rate_sweep");
    assertEquals(4, sweep.size(), "three learning rates");
    assertEquals(6, sweep.get(0).length, String.join(",", sweep.get(0)));
    assertEquals(List.of("0.001", "0.01", "0.1"), sweep.subList(1, 4).stream().map(r -> r[0]).toList());
    int best = 1;
    for (int r = 1; r <= 3; r++) {
      double acc = num(sweep, r, "final val accuracy");
      assertTrue(acc >= 0 && acc <= num(sweep, r, "best val accuracy") && num(sweep, r, "best val accuracy") <= 1, "row " + r);
      assertTrue(num(sweep, r, "best epoch") >= 1 && num(sweep, r, "best epoch") <= 2, "quick runs 2 epochs");
      if (acc > num(sweep, best, "final val accuracy")) {
        best = r;
      }
    }
    // Two quick epochs on 3,000 images: the best rate is far above chance (0.1); the smallest has barely moved.
    assertTrue(num(sweep, best, "final val accuracy") > 0.6, "best quick validation accuracy " + num(sweep, best, "final val accuracy"));
    assertTrue(num(sweep, 1, "final train loss") > num(sweep, best, "final train loss"));
    assertTrue(text.contains("The best is lr = " + cell(sweep, best, "lr") + " ("), text);
    Matcher test = Pattern.compile("Test accuracy of that model: ([0-9.]+)%").matcher(text);
    assertTrue(test.find(), text);
    assertTrue(Double.parseDouble(test.group(1)) > 60, "quick test accuracy " + test.group(1));
    assertTrue(text.contains("images=5"), text); // three sweep charts, two filter grids
  }
}
