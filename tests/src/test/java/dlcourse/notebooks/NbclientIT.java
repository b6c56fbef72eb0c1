package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every course notebook in quick mode under Jupyter's own executor (nbclient, the dlcourse-java kernelspec as
 * {@code ./dlcourse install-kernel} writes it) gives the outputs {@code ./dlcourse run --quick} gives: the same
 * cells with the same kinds of output, and identical tables, because every random source is seeded.
 */
@Order(Integer.MAX_VALUE) // after the course ITs: see junit-platform.properties
class NbclientIT {

  @TempDir static Path jupyterData;

  @BeforeAll
  static void installKernelspec() throws Exception {
    Execution r = exec(List.of(java(), "-cp", kernelClasspath(), "dlcourse.kernel.Main", "install-kernel", "--user"), 120);
    assertEquals(0, r.exit, "install-kernel: " + r.output);
  }

  private record Execution(int exit, String output) {}

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String kernelClasspath() throws Exception {
    Path dir = QuickRun.root().resolve("kernel-ext").resolve(System.getProperty("dlcourse.build.dir", "target"));
    return dir.resolve("dlcourse-kernel-0.1.0-SNAPSHOT.jar") + File.pathSeparator
        + Files.readString(dir.resolve("classpath.txt")).strip();
  }

  private static Execution exec(List<String> cmd, long timeoutSeconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(QuickRun.root().toFile());
    pb.environment().put("JUPYTER_DATA_DIR", jupyterData.toString());
    pb.environment().put("OMP_NUM_THREADS", "1");
    if (System.getenv("DLCOURSE_DATA") == null && Files.isDirectory(Path.of("/work/shared/data"))) {
      pb.environment().put("DLCOURSE_DATA", "/work/shared/data"); // the offline mirror of the dev machines
    }
    Path log = Files.createTempFile("nbclient", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      return new Execution(124, "timed out after " + timeoutSeconds + " s\n" + Files.readString(log));
    }
    return new Execution(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  /** The runner's quick copy from the course IT when it is newer than the notebook, else a fresh quick run. */
  private static Path runnerCopy(Path notebook, String course) throws Exception {
    Path out = QuickRun.outDir(course);
    Path executed = out.resolve(notebook.getFileName());
    if (!Files.exists(executed) || Files.getLastModifiedTime(executed).compareTo(Files.getLastModifiedTime(notebook)) < 0) {
      Execution r = exec(List.of(java(), "-Djava.awt.headless=true", "-Xmx2g", "-Dorg.bytedeco.javacpp.maxbytes=4g",
          "-cp", kernelClasspath(), "dlcourse.kernel.Main", "run", notebook.toString(), "--quick", "--out", out.toString()), 900);
      assertEquals(0, r.exit, "dlcourse run --quick " + notebook + ":\n" + r.output);
    }
    return executed;
  }

  /**
   * What must agree between the two executions, one line per output: the cell, the output type, the MIME types,
   * and for tables (results with text/html but no image) the table text. Streams are compared by count only: they
   * carry timings and progress bars.
   */
  static List<String> signature(JsonObject nb) {
    List<String> sig = new ArrayList<>();
    int cell = 0;
    for (JsonElement e : nb.getAsJsonArray("cells")) {
      JsonObject c = e.getAsJsonObject();
      cell++;
      if (!c.get("cell_type").getAsString().equals("code")) {
        continue;
      }
      for (JsonElement o : c.getAsJsonArray("outputs")) {
        JsonObject out = o.getAsJsonObject();
        String type = out.get("output_type").getAsString();
        StringBuilder s = new StringBuilder("cell " + cell + " " + type);
        if (type.equals("stream")) {
          s.append(' ').append(out.get("name").getAsString());
        } else if (out.has("data")) {
          JsonObject data = out.getAsJsonObject("data");
          s.append(' ').append(new TreeSet<>(data.keySet()));
          if (data.has("text/html") && !data.has("image/png") && data.has("text/plain")) {
            s.append('\n').append(withoutTimings(text(data.get("text/plain"))));
          }
        } else if (type.equals("error")) {
          s.append(' ').append(out.get("ename").getAsString()).append(": ").append(out.get("evalue").getAsString());
        }
        sig.add(s.toString());
      }
    }
    return mergeStreams(sig);
  }

  /** Consecutive stream outputs of one cell count as one: how output is chunked depends on timing. */
  private static List<String> mergeStreams(List<String> sig) {
    List<String> merged = new ArrayList<>();
    for (String s : sig) {
      if (s.contains(" stream ") && !merged.isEmpty() && merged.get(merged.size() - 1).equals(s)) {
        continue;
      }
      merged.add(s);
    }
    return merged;
  }

  /**
   * A table's text with the cells of timing columns (header mentions seconds or time) replaced by '*', and
   * alignment (runs of spaces and dashes) collapsed.
   */
  static String withoutTimings(String table) {
    List<Integer> timing = new ArrayList<>();
    boolean headerSeen = false;
    StringBuilder s = new StringBuilder();
    for (String line : table.split("\n", -1)) {
      String[] cells = line.split("\\|", -1);
      if (cells.length > 1 && !headerSeen) {
        headerSeen = true;
        for (int i = 0; i < cells.length; i++) {
          String h = cells[i].toLowerCase();
          if (h.contains("second") || h.contains("time")) {
            timing.add(i);
          }
        }
      } else if (cells.length > 1) {
        timing.stream().filter(i -> i < cells.length).forEach(i -> cells[i] = "*");
      }
      // Column widths follow the longest cell, so a longer timing widens its column and the title: compare
      // without alignment.
      s.append(String.join("|", cells).strip().replaceAll("\\s+", " ").replaceAll("-{2,}", "-")).append('\n');
    }
    return s.toString();
  }

  private static String text(JsonElement e) {
    if (e.isJsonArray()) {
      StringBuilder sb = new StringBuilder();
      e.getAsJsonArray().forEach(x -> sb.append(x.getAsString()));
      return sb.toString();
    }
    return e.getAsString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"vu-dl-a3/q1_6_conv_unfold.ipynb", "vu-dl-a3/q7_9_mnist.ipynb", "vu-dl-a3/q12_17_varres.ipynb",
      "uva-dl1-hw2/q1_2_rotation.ipynb", "uva-dl1-hw2/q1_1_padding.ipynb"})
  void notebookUnderNbclientGivesTheRunnersOutputs(String relative, @TempDir Path tmp) throws Exception {
    assumeTrue(exec(List.of("/usr/bin/python3", "-c", "import nbclient"), 60).exit == 0, "python3-nbclient is not installed");
    Path notebook = QuickRun.root().resolve("notebooks").resolve(relative);
    String course = relative.substring(0, relative.indexOf('/'));
    Path viaNbclient = tmp.resolve("nbclient.ipynb");
    Execution r = exec(List.of("/usr/bin/python3", QuickRun.root().resolve("tests/src/test/python/nbclient_compare.py").toString(),
        notebook.toString(), viaNbclient.toString(), "--quick", "--timeout", "900"), 1800);
    JsonObject executed = JsonParser.parseString(Files.readString(viaNbclient)).getAsJsonObject();
    List<String> actual = signature(executed);
    assertEquals(0, r.exit, relative + " under nbclient:\n" + r.output + "\n" + String.join("\n", actual));
    List<String> expected = signature(JsonParser.parseString(Files.readString(runnerCopy(notebook, course))).getAsJsonObject());
    assertTrue(expected.stream().anyMatch(s -> s.contains("text/html")), "no table in " + expected);
    assertEquals(String.join("\n", expected), String.join("\n", actual), relative + ": nbclient and dlcourse run differ");
  }
}
