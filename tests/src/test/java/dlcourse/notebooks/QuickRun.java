package dlcourse.notebooks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a course notebook in quick mode, as {@code ./dlcourse test} does, into {@code out/test/<course>/}, and
 * gives the tests its executed cells. The launcher's notebook step reuses these outputs instead of running
 * the notebook again.
 */
final class QuickRun {
  final Path notebook;
  final Path executed;
  final Path csvDir;
  final JsonObject json;
  final String log;

  private QuickRun(Path notebook, Path executed, Path csvDir, JsonObject json, String log) {
    this.notebook = notebook;
    this.executed = executed;
    this.csvDir = csvDir;
    this.json = json;
    this.log = log;
  }

  static Path root() {
    return Path.of(System.getProperty("dlcourse.root", "..")).toAbsolutePath().normalize();
  }

  /** Executes {@code notebooks/<relative>} with {@code --quick} plus {@code extraArgs}; fails on a non-zero exit. */
  static QuickRun of(String relative, long timeoutSeconds, String... extraArgs) throws Exception {
    Path root = root();
    Path nb = root.resolve("notebooks").resolve(relative);
    Path sub = Path.of(relative).getParent();
    Path out = sub == null ? root.resolve("out/test") : root.resolve("out/test").resolve(sub);
    String build = System.getProperty("dlcourse.build.dir", "target");
    Path kdir = root.resolve("kernel-ext").resolve(build);
    String cp = kdir.resolve("dlcourse-kernel-0.1.0-SNAPSHOT.jar") + java.io.File.pathSeparator
        + Files.readString(kdir.resolve("classpath.txt")).strip();
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.awt.headless=true", "-cp", cp, "dlcourse.kernel.Main", "run", nb.toString(), "--quick",
        "--out", out.toString()));
    cmd.addAll(List.of(extraArgs));
    Path logFile = Files.createTempFile("quickrun", ".log");
    Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
        .redirectOutput(logFile.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError(relative + " did not finish in " + timeoutSeconds + " s:\n" + Files.readString(logFile));
    }
    String log = Files.readString(logFile);
    Files.deleteIfExists(logFile);
    if (p.exitValue() != 0) {
      throw new AssertionError(relative + " failed (exit " + p.exitValue() + "):\n" + log);
    }
    String name = nb.getFileName().toString();
    Path executed = out.resolve(name);
    Path csv = out.resolve(name.substring(0, name.length() - ".ipynb".length()));
    return new QuickRun(nb, executed, csv, JsonParser.parseString(Files.readString(executed)).getAsJsonObject(), log);
  }

  /** Code cells of the executed notebook. */
  List<JsonObject> codeCells() {
    List<JsonObject> out = new ArrayList<>();
    for (JsonElement c : json.getAsJsonArray("cells")) {
      if ("code".equals(c.getAsJsonObject().get("cell_type").getAsString())) {
        out.add(c.getAsJsonObject());
      }
    }
    return out;
  }

  /** Every output's text (stream text, text/plain, text/html) joined, for searching. */
  String allText() {
    StringBuilder b = new StringBuilder();
    for (JsonObject cell : codeCells()) {
      for (JsonElement o : cell.getAsJsonArray("outputs")) {
        JsonObject out = o.getAsJsonObject();
        if (out.has("text")) {
          b.append(join(out.get("text"))).append('\n');
        }
        if (out.has("data")) {
          JsonObject data = out.getAsJsonObject("data");
          for (String mime : List.of("text/plain", "text/html")) {
            if (data.has(mime)) {
              b.append(join(data.get(mime))).append('\n');
            }
          }
        }
      }
    }
    return b.toString();
  }

  /** Number of outputs carrying the given MIME type. */
  long count(String mime) {
    return codeCells().stream().flatMap(c -> stream(c.getAsJsonArray("outputs")))
        .filter(o -> o.has("data") && o.getAsJsonObject("data").has(mime)).count();
  }

  /** Error outputs (there should be none). */
  List<String> errors() {
    List<String> out = new ArrayList<>();
    codeCells().forEach(c -> stream(c.getAsJsonArray("outputs"))
        .filter(o -> "error".equals(o.get("output_type").getAsString()))
        .forEach(o -> out.add(o.get("ename").getAsString() + ": " + o.get("evalue").getAsString())));
    return out;
  }

  /** The CSV files written for the notebook's tables. */
  List<Path> csvFiles() throws IOException {
    if (!Files.isDirectory(csvDir)) {
      return List.of();
    }
    try (var s = Files.list(csvDir)) {
      return s.filter(f -> f.toString().endsWith(".csv")).sorted().toList();
    }
  }

  /** Every number following {@code label} in the outputs, e.g. {@code numbersAfter("test accuracy")}. */
  List<Double> numbersAfter(String label) {
    Matcher m = Pattern.compile(Pattern.quote(label) + "\\D{0,20}?(-?\\d+(?:\\.\\d+)?)").matcher(allText());
    List<Double> out = new ArrayList<>();
    while (m.find()) {
      out.add(Double.parseDouble(m.group(1)));
    }
    return out;
  }

  private static String join(JsonElement e) {
    if (e.isJsonArray()) {
      StringBuilder b = new StringBuilder();
      for (JsonElement x : (JsonArray) e) {
        b.append(x.getAsString());
      }
      return b.toString();
    }
    return e.getAsString();
  }

  private static java.util.stream.Stream<JsonObject> stream(JsonArray a) {
    List<JsonObject> out = new ArrayList<>();
    a.forEach(x -> out.add(x.getAsJsonObject()));
    return out.stream();
  }
}
