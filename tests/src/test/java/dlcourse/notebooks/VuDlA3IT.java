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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The vu-dl-a3 notebooks in quick mode, each in a fresh kernel JVM as {@code ./dlcourse run} starts it: no error
 * outputs, the tables present, and their numbers in the bands a quick run must reach.
 */
class VuDlA3IT {
  private static Path root() {
    return Path.of(System.getProperty("dlcourse.root", "..")).toAbsolutePath().normalize();
  }

  /** Runs one notebook quick; returns the executed notebook's text outputs, joined. */
  private static String run(String notebook, Path out) throws Exception {
    Path dir = root().resolve("kernel-ext").resolve(System.getProperty("dlcourse.build.dir", "target"));
    String cp = dir.resolve("dlcourse-kernel-0.1.0-SNAPSHOT.jar") + File.pathSeparator
        + Files.readString(dir.resolve("classpath.txt")).strip();
    List<String> cmd = ItSupport.runnerJava();
    cmd.addAll(List.of("-cp", cp, "dlcourse.kernel.Main", "run",
        root().resolve("notebooks/vu-dl-a3").resolve(notebook).toString(), "--quick", "--out", out.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(root().toFile());
    if (System.getenv("DLCOURSE_DATA") == null && Files.isDirectory(Path.of("/work/shared/data"))) {
      pb.environment().put("DLCOURSE_DATA", "/work/shared/data"); // the offline mirror of the dev machines
    }
    Path log = Files.createTempFile("vu-dl-a3", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(600, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError(notebook + " timed out:\n" + Files.readString(log));
    }
    String console = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), notebook + " failed:\n" + console);
    String name = notebook.replace(".ipynb", "");
    JsonObject nb = JsonParser.parseString(Files.readString(out.resolve(notebook))).getAsJsonObject();
    StringBuilder text = new StringBuilder();
    for (JsonElement c : nb.getAsJsonArray("cells")) {
      JsonObject cell = c.getAsJsonObject();
      if (!cell.has("outputs")) {
        continue;
      }
      for (JsonElement o : cell.getAsJsonArray("outputs")) {
        JsonObject output = o.getAsJsonObject();
        assertTrue(!output.get("output_type").getAsString().equals("error"), name + " has an error output: " + output);
        if (output.has("text")) {
          text.append(output.get("text").getAsString());
        }
      }
    }
    return text.toString();
  }

  /** The rows of the CSV the runner wrote for the table whose name starts with {@code prefix}. */
  private static List<String[]> table(Path out, String notebook, String prefix) throws Exception {
    Path dir = out.resolve(notebook.replace(".ipynb", ""));
    Path csv;
    try (Stream<Path> files = Files.list(dir)) {
      csv = files.filter(f -> f.getFileName().toString().startsWith(prefix)).findFirst()
          .orElseThrow(() -> new AssertionError("no table " + prefix + "* in " + dir));
    }
    List<String[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(csv).subList(1, Files.readAllLines(csv).size())) {
      rows.add(line.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")); // commas outside quotes
    }
    return rows;
  }

  private static double num(String[] row, int col) {
    return Double.parseDouble(row[col]);
  }

  private static double last(String[] row, int fromEnd) {
    return Double.parseDouble(row[row.length - fromEnd]);
  }

  @Test
  void convUnfoldNotebookShowsAgreementGradientChecksAndTraining() throws Exception {
    Path out = QuickRun.outDir("vu-dl-a3");
String nb = "q1_6_conv_unfold.ipynb";
    String text = run(nb, out);
    List<String[]> convs = table(out, nb, "Q1-Q3");
    assertEquals(4, convs.size());
    convs.forEach(r -> assertTrue(last(r, 1) < 1e-10, "convolutions disagree: " + String.join(",", r)));
    List<String[]> grads = table(out, nb, "Q4-Q6");
    assertEquals(4, grads.size());
    for (String[] r : grads) {
      assertTrue(last(r, 5) < 1e-6 && last(r, 4) < 1e-6, "numerical gradient check: " + String.join(",", r));
      assertTrue(last(r, 3) < 1e-10 && last(r, 2) < 1e-10 && last(r, 1) < 1e-10,
          "library check: " + String.join(",", r));
    }
    List<String[]> train = table(out, nb, "Q7");
    double eager = last(train.get(0), 1);
    double library = last(train.get(1), 1);
    assertTrue(eager > 0.5 && library > 0.5, "quick training must learn well above chance: " + eager + ", " + library);
    assertTrue(Math.abs(eager - library) < 0.1, "eager and library accuracies far apart: " + eager + ", " + library);
    assertTrue(text.contains("is the adjoint of unfold"), text);
  }

  @Test
  void mnistNotebookTrainsAugmentsAndShowsShapesAndTheChannelError() throws Exception {
    Path out = QuickRun.outDir("vu-dl-a3");
String nb = "q7_9_mnist.ipynb";
    String text = run(nb, out);
    assertTrue(text.contains("Total trainable parameters: 29,066, equal to"), text);
    List<String[]> q9 = table(out, nb, "Q9");
    assertEquals(2, q9.size());
    q9.forEach(r -> assertTrue(last(r, 2) > 0.8 && last(r, 2) <= 1.0, "quick test accuracy: " + String.join(",", r)));
    List<String[]> q10 = table(out, nb, "Q10");
    assertEquals("\"(16, 511, 383)\"", q10.get(0)[1]);
    assertEquals("\"(1, 16, 511, 383)\"", q10.get(0)[2]);
    assertEquals("\"[1, 16, 511, 383]\"", q10.get(0)[3]);
    assertEquals("\"(16, 959, 539)\"", q10.get(1)[1]);
    assertEquals("\"[1, 16, 959, 539]\"", q10.get(1)[3]);
    assertTrue(text.contains("8-channel input rejected: ")
        && text.contains("expected input (N, 3, H, W), got (1, 8, 1024, 768)"), text);
  }

  @Test
  void varresNotebookFindsN81AndComparesNetworks() throws Exception {
    Path out = QuickRun.outDir("vu-dl-a3");
String nb = "q12_17_varres.ipynb";
    String text = run(nb, out);
    List<String[]> groups = table(out, nb, "Q14");
    assertEquals(List.of("32x32", "48x48", "64x64"), groups.stream().map(r -> r[0]).toList());
    List<String[]> counts = table(out, nb, "Q15_parameter");
    String[] n81 = counts.stream().filter(r -> r[0].equals("81")).findFirst().orElseThrow();
    assertEquals(29_029, (long) num(n81, 1));
    assertTrue(text.contains("N = 81 gives 29,029 parameters"), text);
    List<String[]> q17 = table(out, nb, "Q17");
    assertEquals(3, q17.size());
    q17.forEach(r -> assertTrue(last(r, 2) > 0.15 && last(r, 2) <= 1.0, "above chance (0.1): " + String.join(",", r)));
    assertTrue(text.contains("Q16: validation accuracy"), text);
  }
}
