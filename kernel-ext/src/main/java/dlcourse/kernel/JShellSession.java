package dlcourse.kernel;

import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dlcourse.display.Display;
import dlcourse.kernels.OffHeapLimit;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

/**
 * One JShell running in this JVM: evaluates cells, completes, inspects and checks completeness.
 *
 * <p>The class path of this JVM is visible to snippets, and the start-up imports bring the course
 * library's packages into scope. Snippet results are the real objects (see {@link KeepingExecutionControl}).
 */
public final class JShellSession implements AutoCloseable {

  /** Imports made at start-up; one that does not resolve (a package with no class yet) is skipped. */
  public static final List<String> STARTUP_IMPORTS = List.of(
      "java.util.*", "java.util.function.*", "java.util.stream.*", "java.io.*", "java.nio.file.*",
      "dlcourse.data.*", "dlcourse.tensor.*", "dlcourse.nn.*", "dlcourse.train.*", "dlcourse.plot.*",
      "dlcourse.display.*",
      "org.nd4j.linalg.factory.Nd4j", "org.nd4j.linalg.api.ndarray.INDArray",
      "org.nd4j.linalg.api.buffer.DataType", "tech.tablesaw.api.*",
      // IJava's top-level display(obj) and updateDisplay(id, obj)
      "static dlcourse.display.Display.display", "static dlcourse.display.Display.updateDisplay",
      // java.lang.Module would otherwise shadow dlcourse.nn.Module in "class Net extends Module".
      "dlcourse.nn.Module");

  private static final long STOP_GRACE_MILLIS = 1000;

  /**
   * The outcome of evaluating a cell.
   *
   * @param hasValue true if the cell ended with an expression whose value should be shown
   * @param value the value of the cell's last expression (may be null)
   */
  public record Result(boolean hasValue, Object value) {
    static final Result NONE = new Result(false, null);
  }

  /**
   * Completion candidates.
   *
   * @param matches the candidates
   * @param start the start of the text they replace
   * @param end the end (exclusive) of the text they replace
   */
  public record Completion(List<String> matches, int start, int end) {}

  private final JShell shell;
  private final KeepingExecutionControl control;
  private final SourceCodeAnalysis analysis;
  private final List<String> imports = new ArrayList<>();
  private volatile long cellGeneration;
  private volatile boolean evaluating;

  private final CachingFileManager files;

  private JShellSession(JShell shell, KeepingExecutionControl control, CachingFileManager files) {
    this.shell = shell;
    this.control = control;
    this.files = files;
    this.analysis = shell.sourceCodeAnalysis();
  }

  /** Starts a session with this JVM's class path and the {@link #STARTUP_IMPORTS}. */
  public static JShellSession start() {
    prepareNativeMemory();
    KeepingExecutionControl.Provider provider = new KeepingExecutionControl.Provider();
    java.util.concurrent.atomic.AtomicReference<CachingFileManager> files =
        new java.util.concurrent.atomic.AtomicReference<>();
    JShell shell = JShell.builder()
        .executionEngine(provider, Map.of())
        .compilerOptions("-Xlint:none")
        .fileManager(standard -> {
          files.set(new CachingFileManager(standard));
          return files.get();
        })
        .build();
    JShellSession session = new JShellSession(shell, provider.last(), files.get());
    for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        shell.addToClasspath(entry);
      }
    }
    for (String imp : STARTUP_IMPORTS) {
      List<SnippetEvent> events = shell.eval("import " + imp + ";");
      if (events.stream().allMatch(e -> e.status().isDefined())) {
        session.imports.add(imp);
      } else {
        events.forEach(e -> shell.drop(e.snippet()));
      }
    }
    HeapReserve.acquire();
    return session;
  }

  private static java.util.concurrent.CompletableFuture<Void> nativeMemory;

  /**
   * Starts loading ND4J's native backend in the background and binds the off-heap cap to it ({@link OffHeapLimit}),
   * once per JVM; the first cell waits for it. The kernel calls this first thing, so the load overlaps its start-up.
   */
  static synchronized java.util.concurrent.CompletableFuture<Void> prepareNativeMemory() {
    if (nativeMemory == null) {
      nativeMemory = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          OffHeapLimit.install();
        } catch (Throwable t) {
          System.err.println("dlcourse: warning: the off-heap cap (" + OffHeapLimit.PROPERTY + ") could not"
              + " be applied to ND4J: " + t);
        }
      });
    }
    return nativeMemory;
  }

  /** Waits until the cap binds ND4J (only the first cell waits), or until the user interrupts. */
  private static void awaitNativeMemory() throws CellError {
    java.util.concurrent.CompletableFuture<Void> f = prepareNativeMemory();
    while (!f.isDone()) {
      if (Display.interruptRequested()) {
        throw interrupted();
      }
      try {
        f.get(50, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // poll the interrupt flag again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw interrupted();
      } catch (java.util.concurrent.ExecutionException e) {
        return; // reported by prepareNativeMemory
      }
    }
  }

  /** Returns the compiler's file manager (null if JShell did not ask for one). */
  CachingFileManager files() {
    return files;
  }

  /** Returns the start-up imports that resolved. */
  public List<String> imports() {
    return List.copyOf(imports);
  }

  /** Adds a jar or class folder to the class path of the compiler and of the running snippets. */
  public void addToClasspath(String path) {
    shell.addToClasspath(path);
  }

  /**
   * Evaluates every snippet of {@code code} in order and returns the last expression's value.
   *
   * @throws CellError on the first compile error, exception, unresolved reference or interrupt
   */
  public Result eval(String code) throws CellError {
    // dropped by a cell that ran out of heap: taken again once the user has freed memory
    HeapReserve.acquire();
    Result variable = variableValue(code);
    if (variable != null) {
      return variable;
    }
    cellGeneration++;
    evaluating = true;
    try {
      awaitNativeMemory();
      return evalSnippets(code);
    } finally {
      evaluating = false;
    }
  }

  /**
   * The value of a cell that only names a variable ({@code chart}), read from the variable: JShell would compile
   * {@code chart} like any expression (about 20 ms of javac) to return the same object. Null when {@code code} is
   * not the name of a valid variable, or the value cannot be read this way: then the cell is compiled.
   */
  private Result variableValue(String code) {
    String name = code.strip();
    if (!javax.lang.model.SourceVersion.isIdentifier(name) || javax.lang.model.SourceVersion.isKeyword(name)) {
      return null;
    }
    VarSnippet var = shell.variables().filter(v -> v.name().equals(name) && shell.status(v) == Snippet.Status.VALID)
        .reduce((a, b) -> b).orElse(null);
    if (var == null) {
      return null;
    }
    String key;
    try {
      key = control.keepingVarValue(() -> shell.varValue(var));
    } catch (RuntimeException e) {
      return null;
    }
    return KeepingExecutionControl.isKey(key) ? new Result(true, control.take(key)) : null;
  }

  private Result evalSnippets(String code) throws CellError {
    Result last = Result.NONE;
    String remaining = code;
    int consumed = 0;
    Map<String, Integer> snippetOffsets = new HashMap<>();
    while (!remaining.isBlank()) {
      SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
      if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
        break;
      }
      String src;
      String rest;
      if (info.completeness().isComplete()
          && info.completeness() != SourceCodeAnalysis.Completeness.UNKNOWN) {
        src = info.source();
        rest = info.remaining();
      } else {
        // JShell cannot tell where the first snippet ends for some valid code (a switch expression with
        // "default -> throw"), and given the rest of the cell it would run only the first snippet and drop
        // the others without a word: find the end with javac's parser. Unfinished or unparsable code is
        // compiled whole, so the user sees javac's message.
        String first = JavaSyntax.firstSnippet(remaining);
        src = first != null ? first : remaining;
        rest = first != null ? remaining.substring(first.length()) : "";
      }
      int offset = consumed + leadingOffset(remaining, src);
      if (Display.interruptRequested()) {
        throw interrupted();
      }
      List<SnippetEvent> events = shell.eval(src);
      last = Result.NONE;
      for (SnippetEvent event : events) {
        if (event.causeSnippet() != null) {
          continue;
        }
        Snippet snippet = event.snippet();
        // Stack frames count lines from the snippet's first non-blank character.
        snippetOffsets.put(snippet.id(), offset + src.length() - src.stripLeading().length());
        if (event.status() == Snippet.Status.REJECTED) {
          throw compileError(code, offset, snippet);
        }
        if (control.wasStopped()) {
          control.clearResults();
          if (control.wasAbandoned()) {
            throw CellError.of("Interrupted", "the cell caught every stop (it catches Throwable or"
                + " ThreadDeath) and still runs in the background, using a core; the kernel keeps its"
                + " state and runs the next cells; restart the kernel to end that code");
          }
          throw interrupted();
        }
        if (event.exception() != null) {
          control.clearResults();
          throw runtimeError(code, snippetOffsets, event.exception());
        }
        Object value = control.take(event.value());
        if (snippet instanceof ExpressionSnippet || (snippet instanceof VarSnippet
            && snippet.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND)) {
          boolean isVoid = snippet instanceof VarSnippet && "void".equals(((VarSnippet) snippet).typeName());
          last = isVoid ? Result.NONE : new Result(true, value);
        }
      }
      control.clearResults();
      if (Display.interruptRequested()) {
        throw interrupted();
      }
      consumed += remaining.length() - rest.length();
      remaining = rest;
    }
    return last;
  }

  private static int leadingOffset(String remaining, String src) {
    // Diagnostics count from the start of src, which may keep leading blank lines: find src itself first.
    String probe = src.endsWith(";") && !remaining.contains(src) ? src.substring(0, src.length() - 1) : src;
    int exact = probe.isBlank() ? -1 : remaining.indexOf(probe);
    if (exact >= 0) {
      return exact;
    }
    String head = src.strip();
    int newline = head.indexOf('\n');
    if (newline >= 0) {
      head = head.substring(0, newline);
    }
    if (head.endsWith(";")) {
      head = head.substring(0, head.length() - 1);
    }
    int idx = head.isEmpty() ? -1 : remaining.indexOf(head);
    if (idx >= 0) {
      return idx;
    }
    int i = 0;
    while (i < remaining.length() && Character.isWhitespace(remaining.charAt(i))) {
      i++;
    }
    return i;
  }

  private CellError compileError(String code, int offset, Snippet snippet) {
    List<String> lines = new ArrayList<>();
    List<Diag> diags = shell.diagnostics(snippet).filter(Diag::isError).collect(Collectors.toList());
    String first = diags.isEmpty() ? "the snippet was rejected" : diags.get(0).getMessage(Locale.ROOT).split("\\R")[0];
    for (Diag d : diags) {
      int pos = (int) Math.max(0, d.getStartPosition());
      int end = (int) Math.max(pos + 1, d.getEndPosition());
      int abs = Math.min(code.length(), offset + pos);
      int lineStart = code.lastIndexOf('\n', abs - 1) + 1;
      int lineEnd = code.indexOf('\n', abs);
      if (lineEnd < 0) {
        lineEnd = code.length();
      }
      int lineNo = (int) code.substring(0, abs).chars().filter(c -> c == '\n').count() + 1;
      int col = abs - lineStart + 1;
      String[] message = d.getMessage(Locale.ROOT).split("\\R");
      lines.add(String.format(Locale.ROOT, "Compile error at line %d, column %d: %s", lineNo, col, message[0]));
      lines.add("    " + code.substring(lineStart, lineEnd));
      int width = Math.max(1, Math.min(end - pos, lineEnd - abs));
      lines.add("    " + " ".repeat(abs - lineStart) + "^".repeat(width));
      for (int k = 1; k < message.length; k++) {
        if (!message[k].isBlank() && !message[k].strip().equals("location: class")) {
          lines.add("  " + message[k].strip());
        }
      }
    }
    if (diags.isEmpty()) {
      lines.add("Compile error: the snippet was rejected: " + snippet.source().strip());
    }
    return new CellError("CompilationError", first, lines);
  }

  private CellError runtimeError(String code, Map<String, Integer> offsets, JShellException ex) {
    if (ex instanceof UnresolvedReferenceException) {
      DeclarationSnippet decl = ((UnresolvedReferenceException) ex).getSnippet();
      String missing = shell.unresolvedDependencies(decl).collect(Collectors.joining(", "));
      String msg = "'" + decl.name() + "' cannot run: it uses undefined " + missing;
      return CellError.of("UnresolvedReference", msg);
    }
    Throwable real = control.lastUserThrowable();
    String ename = ex instanceof EvalException ? ((EvalException) ex).getExceptionClassName()
        : ex.getClass().getName();
    String evalue = real != null ? String.valueOf(real.getMessage()) : String.valueOf(ex.getMessage());
    if (real != null && real.getMessage() == null) {
      evalue = "";
    }
    // Out of memory: say which memory, what is still held and how to go on.
    String offHeap = real == null ? null : OffHeapLimit.explain(real);
    if (offHeap != null) {
      ename = "OffHeapLimitExceeded";
      evalue = offHeap;
    } else if (real instanceof OutOfMemoryError) {
      evalue = HeapReserve.explain((OutOfMemoryError) real);
    }
    List<String> lines = new ArrayList<>();
    lines.add(ename + (evalue.isEmpty() ? "" : ": " + evalue));
    StackTraceElement[] trace = ex.getStackTrace();
    int lastUser = -1;
    for (int i = 0; i < trace.length; i++) {
      if (isSnippetFrame(trace[i])) {
        lastUser = i;
      }
    }
    int keep = lastUser >= 0 ? lastUser + 1 : Math.min(trace.length, 10);
    for (int i = 0; i < keep; i++) {
      StackTraceElement f = trace[i];
      if (isSnippetFrame(f)) {
        String id = f.getFileName().substring(1);
        Integer off = offsets.get(id);
        String where = off == null ? "snippet " + f.getFileName()
            : "cell line " + (lineOf(code, off) + Math.max(0, f.getLineNumber() - 1));
        String method = f.getMethodName().startsWith("do_it$") ? "" : f.getMethodName() + " ";
        lines.add("\tat " + method + "(" + where + ")");
      } else {
        lines.add("\tat " + f);
      }
    }
    Set<Throwable> seen = new LinkedHashSet<>();
    for (Throwable c = real == null ? null : real.getCause(); c != null && seen.add(c); c = c.getCause()) {
      lines.add("Caused by: " + c);
    }
    return new CellError(ename, evalue, lines);
  }

  private static boolean isSnippetFrame(StackTraceElement f) {
    return f.getFileName() != null && f.getFileName().startsWith("#");
  }

  private static int lineOf(String code, int offset) {
    return (int) code.substring(0, Math.min(offset, code.length())).chars().filter(c -> c == '\n').count() + 1;
  }

  private static CellError interrupted() {
    return CellError.of("Interrupted", "the cell was interrupted; the kernel keeps its state");
  }

  /**
   * Asks the running cell to stop: loops that call {@link Display#checkInterrupted()} stop at once;
   * other code is stopped with JShell's stop after a one-second grace period.
   */
  public void interrupt() {
    Display.requestInterrupt();
    if (!evaluating) {
      return;
    }
    long generation = cellGeneration;
    Thread stopper = new Thread(() -> {
      long graceEnd = System.currentTimeMillis() + STOP_GRACE_MILLIS;
      // Snippets still compiling see the interrupt flag before they run; one already running gets
      // the grace period to reach Display.checkInterrupted(), then JShell's stop.
      while (evaluating && generation == cellGeneration) {
        if (System.currentTimeMillis() >= graceEnd && control.busy()) {
          shell.stop();
          return;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "dlcourse-interrupt");
    stopper.setDaemon(true);
    stopper.start();
  }

  /** Returns true while a snippet runs. */
  public boolean busy() {
    return control.busy();
  }

  /**
   * Returns {@code "complete"}, {@code "invalid"}, or the indent for the next line when {@code code}
   * is unfinished. Magic lines (starting with %) count as complete.
   */
  public String isComplete(String code) {
    String rest = stripMagics(code);
    while (!rest.isBlank()) {
      SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(rest);
      switch (info.completeness()) {
        case COMPLETE :
        case COMPLETE_WITH_SEMI :
          if (!JavaSyntax.parses(info.source())) {
            return "invalid";
          }
          rest = info.remaining();
          break;
        case DEFINITELY_INCOMPLETE :
        case CONSIDERED_INCOMPLETE :
          return "    ".repeat(Math.max(1, depth(rest)));
        case EMPTY :
          return "complete";
        default :
          return "invalid";
      }
    }
    return "complete";
  }

  private static String stripMagics(String code) {
    return code.lines().map(l -> l.stripLeading().startsWith("%") ? "" : l).collect(Collectors.joining("\n"));
  }

  private static int depth(String code) {
    int depth = 0;
    for (char c : code.toCharArray()) {
      if (c == '{' || c == '(') {
        depth++;
      } else if ((c == '}' || c == ')') && depth > 0) {
        depth--;
      }
    }
    return depth;
  }

  /** Returns completions for the identifier before {@code cursor} in {@code code}. */
  public Completion complete(String code, int cursor) {
    int start = snippetStart(code, cursor);
    String segment = code.substring(start, cursor);
    int[] anchor = new int[1];
    List<SourceCodeAnalysis.Suggestion> suggestions = analysis.completionSuggestions(segment, segment.length(), anchor);
    LinkedHashSet<String> matches = new LinkedHashSet<>();
    suggestions.stream().filter(SourceCodeAnalysis.Suggestion::matchesType).forEach(s -> matches.add(s.continuation()));
    suggestions.forEach(s -> matches.add(s.continuation()));
    return new Completion(new ArrayList<>(matches), start + anchor[0], cursor);
  }

  private int snippetStart(String code, int cursor) {
    int start = 0;
    String rest = code.substring(0, cursor);
    while (!rest.isBlank()) {
      SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(rest);
      if (!info.completeness().isComplete() || info.remaining().isBlank()) {
        break;
      }
      start += rest.length() - info.remaining().length();
      rest = info.remaining();
    }
    return start;
  }

  /** Returns the signature and javadoc of what is at {@code cursor}, or null when nothing is known. */
  public String inspect(String code, int cursor) {
    int start = snippetStart(code, Math.min(cursor, code.length()));
    int end = cursor;
    while (end < code.length() && Character.isJavaIdentifierPart(code.charAt(end))) {
      end++;
    }
    String segment = code.substring(start, end);
    List<SourceCodeAnalysis.Documentation> docs = analysis.documentation(segment, segment.length(), true);
    if (docs.isEmpty()) {
      docs = analysis.documentation(segment + "(", segment.length() + 1, true);
    }
    if (docs.isEmpty()) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (SourceCodeAnalysis.Documentation d : docs) {
      sb.append(d.signature()).append('\n');
      if (d.javadoc() != null && !d.javadoc().isBlank()) {
        sb.append(d.javadoc().strip()).append("\n\n");
      }
    }
    return sb.toString().strip();
  }

  /** Returns the code of every active snippet, in order (for history). */
  public List<String> sources() {
    return shell.snippets().map(Snippet::source).collect(Collectors.toList());
  }

  @Override
  public void close() {
    shell.close();
  }
}
