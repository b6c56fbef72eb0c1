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
import org.junit.jupiter.api.Test;

/** Runs the UvA DL1 assignment 2 notebooks in quick mode, in a fresh JVM as ./dlcourse run does, and checks outputs. */
class UvaDl1Hw2IT {
  private static final Path DIR = root().resolve("notebooks/uva-dl1-hw2");

  private static Path root() {
    return Path.of(System.getProperty("dlcourse.root", "..")).toAbsolutePath().normalize();
  }

  /** Runs {@code dlcourse run NOTEBOOK --quick --out out} and returns the log; fails on a non-zero exit. */
  private static String runQuick(String notebook, Path out) throws Exception {
    Path kernel = root().resolve("kernel-ext").resolve(System.getProperty("dlcourse.build.dir", "target"));
    String cp = kernel.resolve("dlcourse-kernel-0.1.0-SNAPSHOT.jar") + File.pathSeparator
        + Files.readString(kernel.resolve("classpath.txt")).strip();
    List<String> cmd = ItSupport.runnerJava();
    cmd.addAll(List.of("-cp", cp, "dlcourse.kernel.Main", "run", DIR.resolve(notebook).toString(),
        "--quick", "--out", out.toString()));
    Path log = Files.createTempFile("uva-it", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).directory(root().toFile())
        .start();
    if (!p.waitFor(900, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("timed out after 900 s: " + notebook + "\n" + Files.readString(log));
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    assertEquals(0, p.exitValue(), text);
    return text;
  }

  /** All text and data outputs of the executed notebook, with a check that none is an error. */
  private static String outputs(Path executed) throws Exception {
    JsonObject nb = JsonParser.parseString(Files.readString(executed)).getAsJsonObject();
    StringBuilder all = new StringBuilder();
    int images = 0;
    for (JsonElement c : nb.getAsJsonArray("cells")) {
      JsonObject cell = c.getAsJsonObject();
      if (!cell.has("outputs")) {
        continue;
      }
      for (JsonElement o : cell.getAsJsonArray("outputs")) {
        JsonObject out = o.getAsJsonObject();
        assertTrue(!out.get("output_type").getAsString().equals("error"), "error output: " + out);
        if (out.has("text")) {
          all.append(out.get("text").getAsString());
        }
        if (out.has("data") && out.getAsJsonObject("data").has("image/png")) {
          images++;
        }
      }
    }
    return all.append("\nimages=").append(images).toString();
  }

  /** A CSV written by the runner as rows of cells (header first); quotes only protect commas. */
  private static List<String[]> csv(Path file) throws Exception {
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

  private static int col(List<String[]> rows, String name) {
    String[] header = rows.get(0);
    for (int i = 0; i < header.length; i++) {
      if (header[i].equals(name)) {
        return i;
      }
    }
    throw new AssertionError("no column " + name + " in " + String.join(",", header));
  }

  @Test
  void paddingNotebookTrainsEveryNetAndConvTypeAndChecksThePadding() throws Exception {
    Path out = QuickRun.outDir("uva-dl1-hw2");
runQuick("q1_1_padding.ipynb", out);
    String text = outputs(out.resolve("q1_1_padding.ipynb"));
    assertTrue(text.contains("val equals the first 1000 training images: true"), text);
    assertTrue(text.contains("are exactly right"), text);
    assertTrue(text.contains("= 111 by hand, 111 from Conv2d"), text);
    assertTrue(text.contains("images=2"), text); // sample grid and bar chart
    Path tables = out.resolve("q1_1_padding");
    List<String[]> pad = csv(tables.resolve("padding_check.csv"));
    assertEquals(5, pad.size());
    for (String[] r : pad.subList(1, pad.size())) {
      assertEquals(0.0, Double.parseDouble(r[1]), r[0]);
    }
    List<String[]> maps = csv(tables.resolve("feature_maps.csv"));
    int conv4 = col(maps, "conv4");
    assertEquals("(1, 64, 2, 2)", maps.get(1)[conv4]); // valid
    assertTrue(Files.notExists(tables.resolve("engine_check.csv")), "the engine cross-check is a library test now");
    assertTrue(text.contains("Training steps run on oneDNN"), text);
    List<String[]> runs = csv(tables.resolve("runs.csv"));
    assertEquals(1 + 2 * 2 * 6, runs.size(), "2 seeds x 2 nets x 6 conv types");
    for (String metric : List.of("val_acc", "test_acc")) {
      int c = col(runs, metric);
      for (String[] r : runs.subList(1, runs.size())) {
        double v = Double.parseDouble(r[c]);
        assertTrue(v >= 0 && v <= 100, metric + " " + v);
      }
    }
    int epochs = col(runs, "epochs");
    runs.subList(1, runs.size()).forEach(r -> assertTrue(Double.parseDouble(r[epochs]) <= 2, "quick runs 2 epochs"));
    List<String[]> net1 = csv(tables.resolve("net1_accuracy.csv"));
    assertEquals(7, net1.size());
    assertEquals("94.0", net1.get(2)[col(net1, "report test")]); // replicate, beside ours
    assertEquals(7, csv(tables.resolve("net2_accuracy.csv")).size());
    assertEquals(7, csv(tables.resolve("position_leak.csv")).size());
    if (ItSupport.python("torch")) {
      // PyTorch trains the seed-0 fconv net from our initial weights with the same data and settings: after the
      // quick run's 2 epochs (4 Adadelta steps) both frameworks must classify the same images.
      List<String[]> check = csv(tables.resolve("Net1_fconv_seed_0_ours_and_PyTorch.csv"));
      assertEquals(4, check.size(), "ours, PyTorch from our weights, PyTorch's own init");
      for (String metric : List.of("val", "test")) {
        int c = col(check, metric);
        double ours = Double.parseDouble(check.get(1)[c]);
        double torch = Double.parseDouble(check.get(2)[c]);
        assertEquals(ours, torch, 1.0, metric + ": dlcourse " + ours + " vs PyTorch from the same weights " + torch);
      }
    } else {
      assertTrue(text.contains("check skipped"), text);
    }
  }

  @Test
  void rotationNotebookMeasuresAccuracyAtThirteenAngles() throws Exception {
    Path out = QuickRun.outDir("uva-dl1-hw2");
runQuick("q1_2_rotation.ipynb", out);
    String text = outputs(out.resolve("q1_2_rotation.ipynb"));
    assertTrue(text.contains("images=2"), text); // rotated samples and the curves
    List<String[]> rows = csv(out.resolve("q1_2_rotation/rotation_accuracy.csv"));
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
