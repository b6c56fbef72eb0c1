package dlcourse.kernel;

import dlcourse.io.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dlcourse.display.Display;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import tech.tablesaw.api.Table;

/**
 * Executes notebooks headless, each in a fresh in-process kernel, and writes the executed notebook,
 * a standalone HTML page and the notebook's tables as CSV.
 *
 * <pre>dlcourse run NOTEBOOK... [--quick] [-p name=value]... [--out DIR] [--timeout SECONDS]</pre>
 *
 * <p>Exit status: 0 when every cell of every notebook ran, 1 when a cell failed or timed out,
 * 2 for bad arguments, a missing file or a file that is not an nbformat 4 notebook.
 */
public final class NotebookRunner {

  static final String USAGE =
      "usage: dlcourse run NOTEBOOK... [--quick] [-p name=value]... [--out DIR] [--timeout SECONDS]";
  private static final long STOP_WAIT_SECONDS = 10;

  /** Parsed command line. */
  static final class Options {
    final List<Path> notebooks = new ArrayList<>();
    final Map<String, String> parameters = new LinkedHashMap<>();
    boolean quick;
    Path out = Path.of("out");
    long timeoutSeconds = 0;
  }

  /** A bad command line; the message says what is wrong. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  private final PrintStream log;
  private final PrintStream err;

  NotebookRunner(PrintStream log, PrintStream err) {
    this.log = log;
    this.err = err;
  }

  /** Runs the command line {@code args}, progress and errors both to {@code log}, and returns the exit status. */
  public static int main(String[] args, PrintStream log) {
    return main(args, log, log);
  }

  /**
   * Runs the command line {@code args} and returns the exit status: progress and {@code ok} lines go to
   * {@code log}, errors and {@code FAILED} lines to {@code err}.
   */
  public static int main(String[] args, PrintStream log, PrintStream err) {
    Options options;
    try {
      options = parse(args);
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    List<JsonObject> notebooks = new ArrayList<>();
    for (Path p : options.notebooks) {
      try {
        notebooks.add(Notebook.read(p));
      } catch (Notebook.BadNotebookException e) {
        err.println("error: " + e.getMessage());
        return 2;
      }
    }
    for (int i = 0; i < notebooks.size(); i++) {
      try {
        checkParameters(options.notebooks.get(i), notebooks.get(i), options);
      } catch (UsageException e) {
        err.println("error: " + e.getMessage());
        return 2;
      }
    }
    try {
      checkWritable(options.out);
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
      return 2;
    }
    NotebookRunner runner = new NotebookRunner(log, err);
    int status = 0;
    for (int i = 0; i < notebooks.size(); i++) {
      try {
        if (!runner.run(options.notebooks.get(i), notebooks.get(i), options)) {
          status = 1;
        }
      } catch (IOException e) {
        err.println("FAILED " + options.notebooks.get(i) + ": cannot write outputs: " + e.getMessage());
        status = 1;
      }
    }
    return status;
  }

  static Options parse(String[] args) throws UsageException {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--quick" :
          o.quick = true;
          break;
        case "-p" :
        case "--parameter" :
          String kv = value(args, ++i, a);
          int eq = kv.indexOf('=');
          if (eq <= 0) {
            throw new UsageException(a + " needs name=value, got '" + kv + "'");
          }
          String name = kv.substring(0, eq);
          if (!name.matches("[A-Za-z_$][A-Za-z0-9_$]*")) {
            throw new UsageException("parameter name '" + name + "' is not a Java identifier");
          }
          o.parameters.put(name, kv.substring(eq + 1));
          break;
        case "--out" :
          o.out = Path.of(value(args, ++i, a));
          break;
        case "--timeout" :
          String t = value(args, ++i, a);
          try {
            o.timeoutSeconds = Long.parseLong(t);
          } catch (NumberFormatException e) {
            throw new UsageException("--timeout needs a whole number of seconds, got '" + t + "'");
          }
          if (o.timeoutSeconds <= 0) {
            throw new UsageException("--timeout must be > 0 seconds, got " + t);
          }
          break;
        default :
          if (a.startsWith("-")) {
            throw new UsageException("unknown option '" + a + "'");
          }
          o.notebooks.add(Path.of(a));
      }
    }
    if (o.notebooks.isEmpty()) {
      throw new UsageException("no notebook given");
    }
    return o;
  }

  private static String value(String[] args, int i, String option) throws UsageException {
    if (i >= args.length) {
      throw new UsageException(option + " needs a value");
    }
    return args[i];
  }

  /** Returns the Java declaration of a -p parameter: int, double, boolean, else String. */
  static String declaration(String name, String value) {
    String v = value.strip();
    if (v.matches("[-+]?\\d{1,9}")) {
      return "int " + name + " = " + Integer.parseInt(v) + ";";
    }
    if (v.matches("[-+]?\\d+")) {
      return "long " + name + " = " + v + "L;";
    }
    if (v.matches("[-+]?(\\d+\\.\\d*|\\.\\d+|\\d+)([eE][-+]?\\d+)?")) {
      return "double " + name + " = " + v + ";";
    }
    if (v.equals("true") || v.equals("false")) {
      return "boolean " + name + " = " + v + ";";
    }
    return stringDeclaration(name, value);
  }

  private static final java.util.regex.Pattern DECLARED = java.util.regex.Pattern.compile(
      "^\\s*(boolean|int|long|float|double|String|var)\\s+([A-Za-z_$][\\w$]*)\\s*=", java.util.regex.Pattern.MULTILINE);

  /** Fails now, with the system's reason, when outputs could not be written to {@code out} after the run. */
  static void checkWritable(Path out) throws UsageException {
    try {
      java.nio.file.Files.createDirectories(out);
      Path probe = java.nio.file.Files.createTempFile(out, ".dlcourse-write-check", ".tmp");
      java.nio.file.Files.delete(probe);
    } catch (IOException | SecurityException e) {
      String reason = e instanceof java.nio.file.FileAlreadyExistsException ? "a file of that name exists"
          : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
          : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
          : e.toString();
      throw new UsageException("--out " + out + " cannot hold the outputs: " + reason);
    }
  }

  /** The variables the cell tagged {@code parameters} declares, by name, with their Java types; null if no such cell. */
  static Map<String, String> declaredParameters(JsonObject nb) {
    for (JsonElement e : nb.getAsJsonArray("cells")) {
      JsonObject c = e.getAsJsonObject();
      if (Notebook.hasTag(c, "parameters")) {
        Map<String, String> out = new LinkedHashMap<>();
        java.util.regex.Matcher m = DECLARED.matcher(Notebook.source(c));
        while (m.find()) {
          out.put(m.group(2), m.group(1));
        }
        return out;
      }
    }
    return null;
  }

  /**
   * Checks every {@code -p} against the notebook's parameters cell, as papermill users expect: the name must be
   * declared there, and the value must convert to the declared type (a typo or {@code lr=abc} stops the run
   * before any cell runs, instead of running with the default or redeclaring the variable with another type).
   */
  static void checkParameters(Path path, JsonObject nb, Options options) throws UsageException {
    if (options.parameters.isEmpty()) {
      return;
    }
    Map<String, String> declared = declaredParameters(nb);
    if (declared == null) {
      throw new UsageException(path + " has no cell tagged 'parameters', so -p " + options.parameters.keySet()
          .iterator().next() + " would set nothing");
    }
    for (var e : options.parameters.entrySet()) {
      String type = declared.get(e.getKey());
      if (type == null) {
        throw new UsageException("-p " + e.getKey() + ": " + path + " has no parameter '" + e.getKey()
            + "'; its parameters cell declares " + declared.keySet());
      }
      typedDeclaration(e.getKey(), e.getValue(), type);
    }
  }

  /**
   * Checks {@code parameters} against the cell tagged {@code parameters} of the notebook at {@code path}, with
   * the messages {@code -p} gives before a run (for tools that launch the runner, e.g. the sweep command).
   *
   * @return the declared parameters, name to Java type, in order; empty if the notebook has no such cell
   * @throws IllegalArgumentException if the file is not an nbformat 4 notebook, a name is not declared or a value
   *     does not convert to the declared type
   */
  public static Map<String, String> checkParameters(Path path, Map<String, String> parameters) {
    try {
      JsonObject nb = Notebook.read(path);
      Options o = new Options();
      o.parameters.putAll(parameters);
      checkParameters(path, nb, o);
      Map<String, String> declared = declaredParameters(nb);
      return declared == null ? Map.of() : declared;
    } catch (Notebook.BadNotebookException | UsageException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The declaration of parameter {@code name} with {@code value} converted to the declared {@code type}. */
  static String typedDeclaration(String name, String value, String type) throws UsageException {
    String v = value.strip();
    try {
      switch (type) {
        case "int" :
          return "int " + name + " = " + Integer.parseInt(v) + ";";
        case "long" :
          return "long " + name + " = " + Long.parseLong(v) + "L;";
        case "float" :
          return "float " + name + " = " + Float.parseFloat(v) + "f;";
        case "double" :
          double d = Double.parseDouble(v);
          if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new NumberFormatException(v);
          }
          return "double " + name + " = " + d + ";";
        case "boolean" :
          if (!v.equals("true") && !v.equals("false")) {
            throw new NumberFormatException(v);
          }
          return "boolean " + name + " = " + v + ";";
        case "String" :
          return stringDeclaration(name, value);
        default :
          return declaration(name, value);
      }
    } catch (NumberFormatException ex) {
      throw new UsageException("-p " + name + "=" + value + ": the parameters cell declares " + type + " " + name
          + ", and '" + value + "' is not a" + (type.equals("int") ? "n " : " ") + type);
    }
  }

  private static String stringDeclaration(String name, String value) {
    StringBuilder s = new StringBuilder();
    for (char c : value.toCharArray()) {
      switch (c) {
        case '\\' :
          s.append("\\\\");
          break;
        case '"' :
          s.append("\\\"");
          break;
        case '\n' :
          s.append("\\n");
          break;
        case '\r' :
          s.append("\\r");
          break;
        case '\t' :
          s.append("\\t");
          break;
        default :
          s.append(c);
      }
    }
    return "String " + name + " = \"" + s + "\";";
  }

  /** The cell {@code --quick} injects before the cell tagged {@code parameters}: see {@link dlcourse.display.Quick}. */
  static final String QUICK_CELL =
      "Quick.set(true);   // injected by --quick: each Quick.pick(full, quick) below takes its quick value";

  /**
   * Inserts the injected-parameters cell after the cell tagged {@code parameters} (or first), and with
   * {@code --quick} the {@link #QUICK_CELL} before it, so that the parameters cell's {@code Quick.pick} sizes are the
   * quick ones and every {@code -p} still wins. A parameters cell that declares {@code QUICK} itself (the older
   * convention) gets {@code boolean QUICK = true;} in the injected-parameters cell.
   */
  static void injectParameters(JsonObject nb, Options options) {
    if (options.parameters.isEmpty() && !options.quick) {
      return;
    }
    Map<String, String> declared = declaredParameters(nb);
    boolean ids = nb.has("nbformat_minor") && nb.get("nbformat_minor").getAsInt() >= 5;
    if (options.quick) {
      JsonArray cells = nb.getAsJsonArray("cells");
      JsonArray copy = new JsonArray();
      boolean placed = false;
      for (JsonElement c : cells) {
        if (!placed && Notebook.hasTag(c.getAsJsonObject(), "parameters")) {
          copy.add(Notebook.codeCell(QUICK_CELL, "injected-quick", ids));
          placed = true;
        }
        copy.add(c);
      }
      if (!placed) {
        copy = new JsonArray();
        copy.add(Notebook.codeCell(QUICK_CELL, "injected-quick", ids));
        copy.addAll(cells);
      }
      nb.add("cells", copy);
      boolean declaresQuick = declared != null && declared.containsKey("QUICK");
      if (options.parameters.isEmpty() && !declaresQuick) {
        return;
      }
    }
    StringBuilder src = new StringBuilder("// Parameters injected by dlcourse run\n");
    if (options.quick && declared != null && declared.containsKey("QUICK")) {
      src.append("boolean QUICK = true;\n");
    }
    options.parameters.forEach((k, v) -> {
      String type = declared == null ? null : declared.get(k);
      try {
        src.append(type == null ? declaration(k, v) : typedDeclaration(k, v, type)).append('\n');
      } catch (UsageException e) {
        throw new IllegalArgumentException(e.getMessage(), e); // checkParameters ran first
      }
    });
    JsonArray cells = nb.getAsJsonArray("cells");
    int at = 0;
    for (int i = 0; i < cells.size(); i++) {
      if (Notebook.hasTag(cells.get(i).getAsJsonObject(), "parameters")) {
        at = i + 1;
        break;
      }
    }
    JsonArray copy = new JsonArray();
    for (int i = 0; i < cells.size(); i++) {
      if (i == at) {
        copy.add(Notebook.codeCell(src.toString().strip(), "injected-parameters", ids));
      }
      copy.add(cells.get(i));
    }
    if (at == cells.size()) {
      copy.add(Notebook.codeCell(src.toString().strip(), "injected-parameters", ids));
    }
    nb.add("cells", copy);
  }

  /** Collects one cell's outputs; written from the cell's threads, read by the runner. */
  private static final class CellOutputs {
    final JsonArray outputs = new JsonArray();
    final Map<String, ByteArrayOutputStream> pending = new LinkedHashMap<>();

    synchronized void write(String stream, byte[] b, int off, int len) {
      pending.computeIfAbsent(stream, s -> new ByteArrayOutputStream()).write(b, off, len);
    }

    synchronized void drain() {
      for (Map.Entry<String, ByteArrayOutputStream> e : pending.entrySet()) {
        if (e.getValue().size() == 0) {
          continue;
        }
        String text = e.getValue().toString(StandardCharsets.UTF_8);
        e.getValue().reset();
        JsonObject last = outputs.size() == 0 ? null : outputs.get(outputs.size() - 1).getAsJsonObject();
        if (last != null && "stream".equals(last.get("output_type").getAsString())
            && e.getKey().equals(last.get("name").getAsString())) {
          last.addProperty("text", last.get("text").getAsString() + text);
        } else {
          JsonObject o = new JsonObject();
          o.addProperty("output_type", "stream");
          o.addProperty("name", e.getKey());
          o.addProperty("text", text);
          outputs.add(o);
        }
      }
    }

    synchronized void add(JsonObject output) {
      drain();
      outputs.add(output);
    }

    synchronized void clear() {
      drain();
      while (outputs.size() > 0) {
        outputs.remove(0);
      }
    }
  }

  private static OutputStream streamTo(CellOutputs[] current, String name) {
    return new OutputStream() {
      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        CellOutputs c = current[0];
        if (c != null) {
          c.write(name, b, off, len);
        }
      }
    };
  }

  static JsonObject bundle(String type, DisplayData data) {
    JsonObject o = new JsonObject();
    o.addProperty("output_type", type);
    JsonObject d = new JsonObject();
    Renderers.data(data).forEach((k, v) -> {
      if (v instanceof String) {
        d.addProperty(k, (String) v);
      } else {
        d.add(k, Notebook.GSON.toJsonTree(v));
      }
    });
    o.add("data", d);
    o.add("metadata", Notebook.GSON.toJsonTree(Renderers.metadata(data)));
    return o;
  }

  /** Runs one notebook and writes its outputs; returns true when every cell ran. */
  boolean run(Path path, JsonObject nb, Options options) throws IOException {
    long t0 = System.nanoTime();
    String name = path.getFileName().toString().replaceFirst("\\.ipynb$", "");
    Path tableDir = options.out.resolve(name);
    injectParameters(nb, options);
    JsonArray cells = nb.getAsJsonArray("cells");
    for (JsonElement e : cells) {
      JsonObject c = e.getAsJsonObject();
      if (c.get("cell_type").getAsString().equals("code")) {
        c.add("outputs", new JsonArray());
        c.add("execution_count", null);
      }
    }
    CellOutputs[] current = new CellOutputs[1];
    Map<String, JsonObject> displays = new LinkedHashMap<>();
    List<String> tables = new ArrayList<>();
    int[] cellNumber = new int[1];
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    PrintStream out = new PrintStream(streamTo(current, "stdout"), true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(streamTo(current, "stderr"), true, StandardCharsets.UTF_8);
    ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "dlcourse-runner");
      t.setDaemon(true);
      return t;
    });
    String failure = null;
    int executed = 0;
    CellExecutor executor = null;
    System.setOut(out);
    System.setErr(err);
    // Ctrl-C or a kill (SIGINT, SIGTERM) ends the JVM through its shutdown hooks: write every finished cell and
    // mark the one that was running, as the periodic checkpoints would, before the process exits.
    final boolean[] finished = {false};
    final Path displayPath = path;
    Thread saveOnSignal = new Thread(() -> {
      synchronized (finished) {
        if (finished[0]) {
          return;
        }
        CellOutputs running = current[0];
        if (running != null) {
          running.drain();
          running.add(errorOutput("Interrupted", "the run was stopped (signal) while this cell ran",
              List.of("Interrupted: the run was stopped (signal) while this cell ran")));
        }
        for (int attempt = 0; attempt < 3; attempt++) {
          try {
            String written = writeExecuted(nb, options, name);
            this.err.println("INTERRUPTED " + displayPath + ": stopped by a signal; finished cells written -> "
                + written);
            return;
          } catch (java.util.ConcurrentModificationException busy) {
            // the running cell added an output while we serialised: take another snapshot
          } catch (IOException | RuntimeException e) {
            this.err.println("INTERRUPTED " + displayPath + ": stopped by a signal; could not write outputs: " + e);
            return;
          }
        }
      }
    }, "dlcourse-runner-save-on-signal");
    Runtime.getRuntime().addShutdownHook(saveOnSignal);
    try {
      executor = new CellExecutor(JShellSession.start(), Renderers.create(), false);
      CellExecutor ex = executor;
      executor.sink(new CellExecutor.Sink() {
        @Override
        public void display(DisplayData data, Object source) {
          out.flush();
          err.flush();
          JsonObject o = bundle("display_data", data);
          displays.put(data.getDisplayId(), o);
          saveTable(source, tableDir, cellNumber[0], tables);
          current[0].add(o);
        }

        @Override
        public void updateDisplay(String displayId, DisplayData data, Object source) {
          JsonObject target = displays.get(displayId);
          if (target != null) {
            synchronized (current[0]) {
              JsonObject fresh = bundle("display_data", data);
              target.add("data", fresh.get("data"));
              target.add("metadata", fresh.get("metadata"));
            }
          }
        }

        @Override
        public void clearOutput() {
          out.flush();
          err.flush();
          current[0].clear();
        }
      });
      Display.backend(executor.backend());
      int count = 0;
      long codeCells = cells.asList().stream().map(JsonElement::getAsJsonObject)
          .filter(c -> c.get("cell_type").getAsString().equals("code") && !Notebook.source(c).isBlank()).count();
      long lastCheckpoint = System.nanoTime();
      for (int i = 0; i < cells.size(); i++) {
        JsonObject cell = cells.get(i).getAsJsonObject();
        if (!cell.get("cell_type").getAsString().equals("code")) {
          continue;
        }
        String code = Notebook.source(cell);
        if (code.isBlank()) {
          continue;
        }
        count++;
        cellNumber[0] = i + 1;
        CellOutputs outputs = new CellOutputs();
        current[0] = outputs;
        cell.addProperty("execution_count", count);
        cell.add("outputs", outputs.outputs);
        long cellStart = System.nanoTime();
        Future<CellExecutor.Outcome> future = worker.submit(() -> ex.execute(code));
        String error = null;
        JsonObject errorOutput = null;
        try {
          CellExecutor.Outcome outcome = options.timeoutSeconds > 0
              ? future.get(options.timeoutSeconds, TimeUnit.SECONDS) : future.get();
          out.flush();
          err.flush();
          if (outcome.data() != null) {
            JsonObject o = bundle("execute_result", outcome.data());
            o.addProperty("execution_count", count);
            outputs.add(o);
            saveTable(outcome.value(), tableDir, cellNumber[0], tables);
          }
        } catch (TimeoutException te) {
          ex.session().interrupt();
          try {
            future.get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
          } catch (ExecutionException | TimeoutException | InterruptedException ignored) {
            // the cell is reported as timed out either way
          }
          String msg = "cell exceeded the timeout of " + options.timeoutSeconds + " s and was stopped";
          errorOutput = errorOutput("Timeout", msg, List.of("Timeout: " + msg));
          error = "Timeout: " + msg;
        } catch (ExecutionException ee) {
          Throwable cause = ee.getCause();
          if (cause instanceof CellError) {
            CellError ce = (CellError) cause;
            errorOutput = errorOutput(ce.ename(), ce.evalue(), ce.traceback());
            error = ce.ename() + ": " + ce.evalue();
          } else {
            errorOutput = errorOutput(cause.getClass().getName(), String.valueOf(cause.getMessage()),
                List.of(String.valueOf(cause)));
            error = String.valueOf(cause);
          }
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          error = "runner interrupted";
          errorOutput = errorOutput("Interrupted", error, List.of(error));
        }
        out.flush();
        err.flush();
        outputs.drain();
        if (errorOutput != null) {
          outputs.add(errorOutput);
          failure = "cell " + count + ": " + error; // its In [count] in the written notebook
          break;
        }
        executed++;
        double cellSeconds = (System.nanoTime() - cellStart) / 1e9;
        if (cellSeconds >= PROGRESS_SECONDS) {
          log.println(String.format(Locale.ROOT, "       %s: cell %d done in %.1f s (of %d code cells)",
              path, count, cellSeconds, codeCells));
        }
        // A run of hours that is killed (closed laptop, ended session) keeps what it computed.
        if ((System.nanoTime() - lastCheckpoint) / 1e9 >= checkpointSeconds()) {
          writeExecuted(nb, options, name);
          lastCheckpoint = System.nanoTime();
        }
      }
    } catch (RuntimeException e) {
      failure = "the kernel failed: " + e;
    } finally {
      synchronized (finished) {
        finished[0] = true;
      }
      try {
        Runtime.getRuntime().removeShutdownHook(saveOnSignal);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs or has run; it writes the outputs
      }
      out.flush();
      err.flush();
      if (current[0] != null) {
        current[0].drain();
      }
      current[0] = null;
      System.setOut(oldOut);
      System.setErr(oldErr);
      Display.backend(null);
      worker.shutdownNow();
      if (executor != null) {
        executor.close();
      }
    }
    String written = writeExecuted(nb, options, name);
    double seconds = (System.nanoTime() - t0) / 1e9;
    written += tables.isEmpty() ? "" : ", " + tables.size() + " table(s) in " + tableDir;
    if (failure != null) {
      this.err.println(String.format(Locale.ROOT, "FAILED %s: %s (%.1f s) -> %s", path, failure, seconds, written));
      return false;
    }
    log.println(String.format(Locale.ROOT, "ok     %s: %d cells in %.1f s -> %s", path, executed, seconds, written));
    return true;
  }

  /** Cells that run at least this long get a progress line on the console. */
  static final double PROGRESS_SECONDS = 30;

  /**
   * How often a run writes the executed notebook so far (after the cell that crosses the interval); system
   * property {@code dlcourse.checkpointSeconds}, default 60, 0 writes after every cell.
   */
  static double checkpointSeconds() {
    return Double.parseDouble(System.getProperty("dlcourse.checkpointSeconds", "60"));
  }

  /** Writes the notebook and its HTML as executed so far (atomically); returns the two paths for the log line. */
  private static String writeExecuted(JsonObject nb, Options options, String name) throws IOException {
    JsonObject meta = nb.has("metadata") && nb.get("metadata").isJsonObject() ? nb.getAsJsonObject("metadata")
        : new JsonObject();
    JsonObject spec = new JsonObject();
    spec.addProperty("name", DlKernel.NAME);
    spec.addProperty("display_name", KernelSpec.DISPLAY_NAME);
    spec.addProperty("language", "java");
    meta.add("kernelspec", spec);
    JsonObject lang = new JsonObject();
    lang.addProperty("name", "java");
    lang.addProperty("version", Runtime.version().toString());
    lang.addProperty("mimetype", "text/x-java-source");
    lang.addProperty("file_extension", ".jshell");
    meta.add("language_info", lang);
    nb.add("metadata", meta);
    Path ipynb = options.out.resolve(name + ".ipynb");
    Path html = options.out.resolve(name + ".html");
    AtomicFiles.writeString(ipynb, Notebook.GSON.toJson(nb) + "\n");
    AtomicFiles.writeString(html, HtmlExport.html(nb, name));
    return ipynb + ", " + html;
  }

  private static JsonObject errorOutput(String ename, String evalue, List<String> traceback) {
    JsonObject o = new JsonObject();
    o.addProperty("output_type", "error");
    o.addProperty("ename", ename);
    o.addProperty("evalue", evalue);
    JsonArray tb = new JsonArray();
    traceback.forEach(tb::add);
    o.add("traceback", tb);
    return o;
  }

  private static void saveTable(Object value, Path dir, int cell, List<String> tables) {
    if (!(value instanceof Table)) {
      return;
    }
    Table t = (Table) value;
    String base = t.name() == null || t.name().isBlank() ? "cell" + cell : t.name().replaceAll("[^A-Za-z0-9._-]+", "_");
    String file = base + ".csv";
    for (int k = 2; tables.contains(dir.resolve(file).toString()); k++) {
      file = base + "-" + k + ".csv";
    }
    Path target = dir.resolve(file);
    try {
      dlcourse.io.AtomicFiles.write(target, stream -> t.write().csv(stream));
      tables.add(target.toString());
    } catch (IOException | RuntimeException e) {
      System.err.println("could not write table " + target + ": " + e.getMessage());
    }
  }
}
