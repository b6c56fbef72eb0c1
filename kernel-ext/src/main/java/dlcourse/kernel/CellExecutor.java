package dlcourse.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dlcourse.display.Display;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;

/**
 * Runs notebook cells: magics, JShell snippets, rendering of results and of {@link Display} calls.
 *
 * <p>Shared by the Jupyter kernel and the headless runner; each gives it a {@link Sink} for display outputs.
 * Standard output is not handled here: both install their own {@code System.out}.
 *
 * <p>Magics (IJava spelling): {@code %classpath}/{@code %jars PATH...} (globs allowed), {@code %load FILE}
 * (.jsh or .java), {@code %maven group:artifact:version}, {@code %time CODE} and {@code %%time} (whole cell).
 */
public final class CellExecutor implements AutoCloseable {

  /** Receives display outputs; {@code source} is the object that was rendered. */
  public interface Sink {
    void display(DisplayData data, Object source);

    void updateDisplay(String displayId, DisplayData data, Object source);

    void clearOutput();
  }

  private static final Pattern LINE_MAGIC = Pattern.compile("^%(\\w+)[ \\t]*(.*)$");
  static final String MAGICS = "%classpath, %jars, %load, %maven, %time, %%time";

  private final JShellSession session;
  private final Renderer renderer;
  private final boolean interactive;
  private volatile Sink sink;
  private Consumer<List<Path>> classpathListener = paths -> {};

  /** Creates an executor over {@code session}; {@code interactive} is what {@link Display#interactive()} reports. */
  public CellExecutor(JShellSession session, Renderer renderer, boolean interactive) {
    this.session = session;
    this.renderer = renderer;
    this.interactive = interactive;
  }

  /** Sets where display outputs go. */
  public CellExecutor sink(Sink s) {
    this.sink = s;
    return this;
  }

  /** Sets what runs after jars join the class path (the kernel reloads extensions from them). */
  public CellExecutor onClasspathAdded(Consumer<List<Path>> listener) {
    this.classpathListener = listener;
    return this;
  }

  /** Returns the JShell session. */
  public JShellSession session() {
    return session;
  }

  /** Returns the renderer. */
  public Renderer renderer() {
    return renderer;
  }

  /** Returns a {@link Display.Backend} that renders into this executor's sink. */
  public Display.Backend backend() {
    return new Display.Backend() {
      @Override
      public String display(Object value) {
        String id = UUID.randomUUID().toString();
        DisplayData data = render(value);
        data.setDisplayId(id);
        Sink s = sink;
        if (s != null) {
          s.display(data, value);
        }
        return id;
      }

      @Override
      public void updateDisplay(String id, Object value) {
        DisplayData data = render(value);
        data.setDisplayId(id);
        Sink s = sink;
        if (s != null) {
          s.updateDisplay(id, data, value);
        }
      }

      @Override
      public void clearOutput() {
        Sink s = sink;
        if (s != null) {
          s.clearOutput();
        }
      }

      @Override
      public boolean interactive() {
        return interactive;
      }
    };
  }

  /** Renders {@code value} with the kernel's renderers. */
  public DisplayData render(Object value) {
    if (value == null) {
      return new DisplayData("null");
    }
    return renderer.render(value);
  }

  /**
   * A cell's result.
   *
   * @param data the rendered value of the cell's last expression, or null when the cell has no value to show
   * @param value the result object (may be null)
   */
  public record Outcome(DisplayData data, Object value) {}

  /**
   * Runs one cell and returns its result.
   *
   * @throws CellError when a snippet or magic fails; outputs made before the failure are already out
   */
  public Outcome execute(String code) throws CellError {
    // Cleared when the cell ends, not when it starts: an interrupt that arrives while the cell still waits
    // for JShell to start must stop it.
    try {
      return executeCell(code);
    } finally {
      Display.clearInterrupt();
    }
  }

  private Outcome executeCell(String code) throws CellError {
    String stripped = code.stripLeading();
    if (stripped.startsWith("%%")) {
      int eol = stripped.indexOf('\n');
      String header = (eol < 0 ? stripped : stripped.substring(0, eol)).strip();
      String body = eol < 0 ? "" : stripped.substring(eol + 1);
      if (!header.equals("%%time")) {
        throw CellError.of("UnknownMagic", "cell magic '" + header.split("\\s+")[0]
            + "' is not known; the magics are " + MAGICS);
      }
      long t0 = System.nanoTime();
      try {
        return executeCell(body);
      } finally {
        printWallTime(t0);
      }
    }
    Object last = null;
    boolean hasValue = false;
    StringBuilder pending = new StringBuilder();
    for (String line : code.split("\n", -1)) {
      Matcher m = LINE_MAGIC.matcher(line);
      if (m.matches()) {
        flush(pending);
        MagicResult mr = lineMagic(m.group(1), m.group(2).strip());
        hasValue = mr.hasValue();
        last = mr.value();
      } else {
        pending.append(line).append('\n');
      }
    }
    if (!pending.toString().isBlank()) {
      JShellSession.Result r = flush(pending);
      hasValue = r.hasValue();
      last = r.value();
    }
    // A cell ending in System.out.printf(...) evaluates to the PrintStream; like print() in Python, it shows nothing.
    if (last instanceof java.io.PrintStream) {
      hasValue = false;
    }
    return hasValue ? new Outcome(render(last), last) : new Outcome(null, last);
  }

  private JShellSession.Result flush(StringBuilder pending) throws CellError {
    String code = pending.toString();
    pending.setLength(0);
    return code.isBlank() ? JShellSession.Result.NONE : session.eval(code);
  }

  private record MagicResult(boolean hasValue, Object value) {}

  private MagicResult lineMagic(String name, String args) throws CellError {
    switch (name) {
      case "classpath" :
      case "jars" :
        addJars(name, args);
        return new MagicResult(false, null);
      case "load" :
        return load(args);
      case "maven" :
        maven(args);
        return new MagicResult(false, null);
      case "time" :
        long t0 = System.nanoTime();
        try {
          JShellSession.Result r = args.isBlank() ? JShellSession.Result.NONE : session.eval(args);
          return new MagicResult(r.hasValue(), r.value());
        } finally {
          printWallTime(t0);
        }
      default :
        throw CellError.of("UnknownMagic", "%" + name + " is not a known magic; the magics are " + MAGICS);
    }
  }

  private static void printWallTime(long t0) {
    double ms = (System.nanoTime() - t0) / 1e6;
    System.out.println(ms < 1000 ? String.format(Locale.ROOT, "Wall time: %.1f ms", ms)
        : String.format(Locale.ROOT, "Wall time: %.2f s", ms / 1000));
  }

  private void addJars(String magic, String args) throws CellError {
    if (args.isBlank()) {
      throw CellError.of("MagicError", "%" + magic + " needs at least one jar, folder or glob, e.g. %" + magic
          + " lib/*.jar");
    }
    List<Path> added = new ArrayList<>();
    for (String arg : args.split("[\\s" + java.io.File.pathSeparator + "]+")) {
      if (arg.isBlank()) {
        continue;
      }
      List<Path> matches = glob(arg);
      if (matches.isEmpty()) {
        throw CellError.of("MagicError", "%" + magic + ": no file matches '" + arg + "'");
      }
      for (Path p : matches) {
        session.addToClasspath(p.toAbsolutePath().toString());
        added.add(p);
      }
    }
    classpathListener.accept(added);
  }

  private static List<Path> glob(String arg) throws CellError {
    Path p = Path.of(arg.startsWith("~/") ? System.getProperty("user.home") + arg.substring(1) : arg);
    String name = p.getFileName() == null ? "" : p.getFileName().toString();
    if (!name.contains("*") && !name.contains("?")) {
      return Files.exists(p) ? List.of(p) : List.of();
    }
    Path dir = p.getParent() == null ? Path.of(".") : p.getParent();
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, name)) {
      ds.forEach(out::add);
    } catch (IOException e) {
      throw CellError.of("MagicError", "cannot list " + dir + ": " + e.getMessage());
    }
    out.sort(null);
    return out;
  }

  private MagicResult load(String args) throws CellError {
    if (args.isBlank()) {
      throw CellError.of("MagicError", "%load needs a file, e.g. %load helpers.jsh");
    }
    Path file = Path.of(args);
    if (!Files.isRegularFile(file)) {
      throw CellError.of("MagicError", "%load: no such file: " + file.toAbsolutePath());
    }
    String code;
    try {
      code = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CellError.of("MagicError", "%load: cannot read " + file + ": " + e.getMessage());
    }
    // JShell has no packages: a .java file's package line would be a syntax error.
    code = code.replaceFirst("(?m)^\\s*package\\s+[\\w.]+\\s*;", "");
    JShellSession.Result r = session.eval(code);
    return new MagicResult(r.hasValue(), r.value());
  }

  private void maven(String args) throws CellError {
    if (args.isBlank()) {
      throw CellError.of("MavenError", "%maven needs coordinates, e.g. %maven org.apache.commons:commons-math3:3.6.1");
    }
    List<Path> added = new ArrayList<>();
    for (String coords : args.split("\\s+")) {
      List<Path> jars = MavenResolver.resolve(coords);
      for (Path jar : jars) {
        session.addToClasspath(jar.toString());
        added.add(jar);
      }
      System.out.println("%maven " + coords + ": added " + jars.size() + " jar(s) to the class path");
    }
    classpathListener.accept(added);
  }

  @Override
  public void close() {
    session.close();
  }
}
