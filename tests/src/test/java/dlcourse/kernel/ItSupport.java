package dlcourse.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Assumptions;

/** Shared helpers of the integration tests: the built kernel's class path, processes, a private Jupyter data dir. */
public final class ItSupport {

  private ItSupport() {}

  public static Path root() {
    return Path.of(System.getProperty("dlcourse.root", "..")).toAbsolutePath().normalize();
  }

  static Path notebooks() {
    return root().resolve("tests/src/test/resources/notebooks");
  }

  /** The class path the launcher uses: the packaged kernel jar and kernel-ext's dependency list. */
  public static String kernelClasspath() throws IOException {
    Path dir = root().resolve("kernel-ext").resolve(System.getProperty("dlcourse.build.dir", "target"));
    Path jar = dir.resolve("dlcourse-kernel-0.1.0-SNAPSHOT.jar");
    Path cp = dir.resolve("classpath.txt");
    if (!Files.exists(jar) || !Files.exists(cp)) {
      throw new IllegalStateException("kernel-ext is not packaged in " + dir + "; run mvn verify from the root");
    }
    return jar + java.io.File.pathSeparator + Files.readString(cp).strip();
  }

  /**
   * {@code java} with the launcher's JVM options (DEFAULT_JAVA_OPTS in ./dlcourse) for a notebook run: heap, young
   * generation, bounds on ND4J's native memory. Without the bounds the heap and the native pool follow a quarter
   * of RAM.
   */
  public static List<String> runnerJava() {
    return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.awt.headless=true", "-Xmx2g", "-Xmn8m", "-Dorg.bytedeco.javacpp.maxbytes=4g",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=7g"));
  }

  /**
   * The JVM options that make a notebook run map the kernel's class data sharing archive ({@link ClassArchive}): the
   * one {@code install-kernel} writes for this JDK and class path, which NbclientIT installs before the runner's
   * executions. A run then maps the library's, JShell's and the renderers' classes instead of loading and verifying
   * them (measured here: 1.5-2 s less CPU for a quick notebook of 10 s). A missing or stale archive is ignored
   * silently, and the run starts as without it; the runner's behaviour is the same either way.
   */
  public static List<String> classArchiveOptions() throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return ClassArchive.useOptions(classArchive(java));
  }

  /** The class data sharing archive {@code install-kernel} writes for the kernel started by {@code java}. */
  public static Path classArchive(Path java) throws IOException {
    return ClassArchive.archiveFor(ClassArchive.cacheDir(), java, kernelClasspath());
  }

  /** Result of a finished process. */
  public static final class Run {
    public final int exit;
    public final String output;

    Run(int exit, String output) {
      this.exit = exit;
      this.output = output;
    }

    @Override
    public String toString() {
      return "exit " + exit + ":\n" + output;
    }
  }

  public static Run run(List<String> command, Map<String, String> env, Path cwd, long timeoutSeconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(cwd.toFile());
    pb.environment().putAll(env);
    Path log = Files.createTempFile("dlcourse-it", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("timed out after " + timeoutSeconds + " s: " + command + "\n" + Files.readString(log));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    return new Run(p.exitValue(), out);
  }

  /**
   * {@code java [jvmOptions] -cp KERNEL dlcourse.kernel.Main args...}: a fresh JVM as the launcher starts one, with
   * {@code jvmOptions} (such as a heap) before the class path.
   */
  static List<String> mainCommand(List<String> jvmOptions, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.awt.headless=true"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", kernelClasspath(), Main.class.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs {@code dlcourse.kernel.Main args...} in a fresh JVM, as the launcher does. */
  static Run main(Path cwd, long timeoutSeconds, String... args) throws Exception {
    return run(mainCommand(List.of(), args), Map.of(), cwd, timeoutSeconds);
  }

  /**
   * The lock the kernel's own ITs share: they run on a second thread beside NbclientIT, one class (and one method) at
   * a time (junit-platform.properties).
   */
  public static final String KERNEL_IT_LANE = "dlcourse kernel IT lane";

  /** Installs the kernelspec into {@code dataDir}/kernels (JUPYTER_DATA_DIR), as ./dlcourse install-kernel does. */
  public static void installKernel(Path dataDir) throws Exception {
    installKernel(dataDir, Map.of());
  }

  /** As {@link #installKernel(Path)}, with more environment, e.g. {@code DLCOURSE_KERNEL_HEAP}. */
  public static void installKernel(Path dataDir, Map<String, String> env) throws Exception {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        kernelClasspath(), Main.class.getName(), "install-kernel", "--user");
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("JUPYTER_DATA_DIR", dataDir.toString());
    Run r = run(cmd, all, root(), 120);
    if (r.exit != 0) {
      throw new AssertionError("install-kernel failed: " + r);
    }
  }

  /**
   * A Python module a test needs from {@code /usr/bin/python3}: missing, the test fails and says which Debian package
   * provides it, unless the user opted the test's group out ({@code ./dlcourse test --without GROUP}, passed to
   * Maven as {@code -Ddlcourse.without=GROUP,...}); then the test is reported as not run.
   */
  public static void requirePython(String group, String module, String debianPackage) {
    if (Arrays.asList(System.getProperty("dlcourse.without", "").split(",")).contains(group)) {
      Assumptions.abort("not run: opted out with --without " + group);
    }
    if (!python(module)) {
      throw new AssertionError("/usr/bin/python3 cannot import " + module + ": apt-get install " + debianPackage
          + " (or run ./dlcourse test --without " + group + ")");
    }
  }

  public static boolean python(String module) {
    try {
      return run(List.of("/usr/bin/python3", "-c", "import " + module), Map.of(), root(), 60).exit == 0;
    } catch (Exception e) {
      return false;
    }
  }

  /**
    * What must agree between the two executions, one line per output: the cell, the output type, the MIME types,
    * and for tables (results with text/html but no image) the table text. With {@code exactText} every stream's text
    * and every non-image result's text must agree too (a notebook without timings); without it streams are compared
    * by count only (they carry timings and progress bars) and tables without their timing columns.
    */
  public static List<String> signature(JsonObject nb, boolean exactText) {
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
          if (exactText) {
            s.append(' ').append(text(out.get("text")));
          }
        } else if (out.has("data")) {
          JsonObject data = out.getAsJsonObject("data");
          s.append(' ').append(new TreeSet<>(data.keySet()));
          if (exactText && !data.has("image/png") && data.has("text/plain")) {
            s.append(' ').append(text(data.get("text/plain")));
          } else if (data.has("text/html") && !data.has("image/png") && data.has("text/plain")) {
            s.append('\n').append(withoutTimings(text(data.get("text/plain"))));
          }
        } else if (type.equals("error")) {
          s.append(' ').append(out.get("ename").getAsString()).append(": ").append(out.get("evalue").getAsString());
        }
        sig.add(s.toString());
      }
    }
    return exactText ? sig : mergeStreams(sig);
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
  public static String withoutTimings(String table) {
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
}
