package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dlcourse.kernel.ItSupport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import tech.tablesaw.api.Table;

/**
 * A course notebook run with {@code --quick} in a fresh JVM, as {@code ./dlcourse run} starts it (mapping the kernel's
 * class archive when one is installed: {@link ItSupport#classArchiveOptions()}), and what it wrote:
 * the executed notebook and the tables under {@code out/test/<course>/<name>/}. The run must exit 0 and leave no
 * error output, so a test only asserts the notebook's numbers.
 *
 * <pre>{@code
 * var nb = ExecutedNotebook.runQuick("vu-dl-a3/q7_9_mnist.ipynb");
 * assertTrue(nb.text().contains("29,066"), nb.text());
 * List<String[]> q9 = nb.rows("Q9");   // header first
 * }</pre>
 */
final class ExecutedNotebook {
  private static final long TIMEOUT_SECONDS = 900;

  final String log;
  final JsonObject notebook;
  /** The folder the runner wrote this notebook's CSV tables to. */
  final Path tables;
  final double seconds;

  private ExecutedNotebook(String log, JsonObject notebook, Path tables, double seconds) {
    this.log = log;
    this.notebook = notebook;
    this.tables = tables;
    this.seconds = seconds;
  }

  /** The runs of {@link #once} in this JVM, by key: running or done (a failure included). */
  private static final Map<String, CompletableFuture<ExecutedNotebook>> QUICK_RUNS = new ConcurrentHashMap<>();

  /**
   * Runs {@code notebooks/<relative>} quick into {@code out/test/<course>/}, with the data of
   * {@link QuickRun#dataEnv()}, once per JVM: a later call, from any thread, waits for the first run and returns it
   * (or throws its failure). NbclientIT runs first and makes these runs beside the notebooks' nbclient executions;
   * the course ITs then assert on the same executions.
   */
  static ExecutedNotebook runQuick(String relative) throws Exception {
    Path parent = Path.of(relative).getParent();
    return once(relative, () -> runQuick(relative, QuickRun.outDir(parent == null ? "" : parent.toString())));
  }

  /**
   * The result of {@code run}, made once per JVM under {@code key}: a later call, from any thread, waits for the first
   * and returns it (or throws its failure). {@link #runQuick(String)} keys its runs by the notebook; a course IT's run
   * with parameters of its own takes a key of its own, so that NbclientIT's runner lane can make it ahead of the test.
   */
  static ExecutedNotebook once(String key, Callable<ExecutedNotebook> run) throws Exception {
    CompletableFuture<ExecutedNotebook> mine = new CompletableFuture<>();
    CompletableFuture<ExecutedNotebook> made = QUICK_RUNS.putIfAbsent(key, mine);
    if (made == null) {
      try {
        mine.complete(run.call());
      } catch (Throwable t) {
        mine.completeExceptionally(t);
      }
      made = mine;
    }
    try {
      ExecutedNotebook done = made.join();
      if (made != mine) {
        System.out.printf("%s quick run: the one of %.1f s made earlier in this JVM%n", key, done.seconds);
      }
      return done;
    } catch (CompletionException e) {
      if (e.getCause() instanceof Exception x) {
        throw x;
      }
      throw (Error) e.getCause();
    }
  }

  /** A new temporary folder, deleted with everything in it when this JVM exits. */
  static Path tempDir(String prefix) throws IOException {
    Path dir = Files.createTempDirectory(prefix);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // a temporary folder left behind
      }
    }));
    return dir;
  }

  /**
   * Runs {@code notebooks/<relative>} quick into {@code out} with more runner arguments, such as
   * {@code "-p", "name=value"}.
   */
  static ExecutedNotebook runQuick(String relative, Path out, String... args) throws Exception {
    Path nb = QuickRun.root().resolve("notebooks").resolve(relative);
    List<String> cmd = ItSupport.runnerJava();
    cmd.addAll(ItSupport.classArchiveOptions()); // start-up only: see there
    cmd.addAll(List.of("-cp", ItSupport.kernelClasspath(), "dlcourse.kernel.Main", "run", nb.toString(), "--quick",
        "--out", out.toString()));
    cmd.addAll(List.of(args));
    long t0 = System.nanoTime();
    ItSupport.Run run = ItSupport.run(cmd, QuickRun.dataEnv(), QuickRun.root(), TIMEOUT_SECONDS);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(0, run.exit, relative + " failed:\n" + run.output);
    String file = nb.getFileName().toString();
    JsonObject executed = JsonParser.parseString(Files.readString(out.resolve(file), StandardCharsets.UTF_8))
        .getAsJsonObject();
    System.out.printf("%s quick run: %.1f s%n", relative, seconds);
    ExecutedNotebook result = new ExecutedNotebook(run.output, executed, out.resolve(file.replaceFirst("\\.ipynb$",
        "")),
        seconds);
    assertEquals(List.of(), result.errors(), relative + " has error outputs");
    return result;
  }

  /** Every output of every cell, in order. */
  List<JsonObject> outputs() {
    List<JsonObject> all = new ArrayList<>();
    for (JsonElement c : notebook.getAsJsonArray("cells")) {
      JsonObject cell = c.getAsJsonObject();
      if (cell.has("outputs")) {
        cell.getAsJsonArray("outputs").forEach(o -> all.add(o.getAsJsonObject()));
      }
    }
    return all;
  }

  /** The text of every stream output, joined. */
  String text() {
    StringBuilder s = new StringBuilder();
    outputs().stream().filter(o -> o.has("text")).forEach(o -> s.append(o.get("text").getAsString()));
    return s.toString();
  }

  /** The text of the stdout streams only (no stderr warnings), joined. */
  String stdout() {
    StringBuilder s = new StringBuilder();
    outputs().stream().filter(o -> o.get("output_type").getAsString().equals("stream")
        && o.get("name").getAsString().equals("stdout")).forEach(o -> s.append(o.get("text").getAsString()));
    return s.toString();
  }

  /** How many results carry {@code mime}, e.g. {@code image/png}. */
  long count(String mime) {
    return outputs().stream().filter(o -> o.has("data") && o.getAsJsonObject("data").has(mime)).count();
  }

  long images() {
    return count("image/png");
  }

  List<String> errors() {
    return outputs().stream().filter(o -> o.get("output_type").getAsString().equals("error"))
        .map(o -> o.get("ename").getAsString() + ": " + o.get("evalue").getAsString()).toList();
  }

  /** The CSV the runner wrote for the table whose file name starts with {@code prefix}, as a Tablesaw table. */
  Table table(String prefix) throws Exception {
    return Table.read().csv(csv(prefix).toFile());
  }

  /** The same CSV as rows of cells, header first; quotes only protect commas and are removed. */
  List<String[]> rows(String prefix) throws Exception {
    List<String[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(csv(prefix))) {
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

  /** The index of the column named {@code name} in {@code rows}' header. */
  static int column(List<String[]> rows, String name) {
    String[] header = rows.get(0);
    for (int i = 0; i < header.length; i++) {
      if (header[i].equals(name)) {
        return i;
      }
    }
    throw new AssertionError("no column " + name + " in " + String.join(",", header));
  }

  private Path csv(String prefix) throws Exception {
    assertTrue(Files.isDirectory(tables), "no tables were written to " + tables);
    Path exact = tables.resolve(prefix);
    if (Files.isRegularFile(exact)) {
      return exact;
    }
    try (Stream<Path> files = Files.list(tables)) {
      List<Path> all = files.sorted().toList();
      return all.stream().filter(f -> f.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow(
          () -> new AssertionError("no table " + prefix + "* in " + tables + ": " + all.stream()
              .map(f -> f.getFileName().toString()).toList()));
    }
  }
}
