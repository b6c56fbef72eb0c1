package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dlcourse.display.Display;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CellExecutorTest {

  static CellExecutor executor;
  static final List<Map<String, Object>> displayed = new ArrayList<>();

  @BeforeAll
  static void start() {
    executor = new CellExecutor(JShellSession.start(), Renderers.create(), false);
    executor.sink(new CellExecutor.Sink() {
      @Override
      public void display(DisplayData data, Object source) {
        displayed.add(Renderers.data(data));
      }

      @Override
      public void updateDisplay(String id, DisplayData data, Object source) {}

      @Override
      public void clearOutput() {
        displayed.clear();
      }
    });
    Display.backend(executor.backend());
  }

  @AfterAll
  static void stop() {
    Display.backend(null);
    executor.close();
  }

  private static String stdout(ThrowingRunnable r) throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void lastExpressionIsTheRealObject() throws Exception {
    executor.execute("var sb = new StringBuilder(\"abc\");");
    Object first = executor.execute("sb").value();
    Object second = executor.execute("sb.append(\"d\")").value();
    assertTrue(first instanceof StringBuilder);
    assertSame(first, second);
    assertEquals("abcd", second.toString());
  }

  @Test
  void printfAtTheEndOfACellShowsNoPrintStream() throws Exception {
    String out = stdout(() -> assertNull(executor.execute("System.out.printf(\"x=%d%n\", 3)").data()));
    assertEquals("x=3", out.strip());
  }

  @Test
  void moduleMeansTheLibraryModule() throws Exception {
    executor.execute("class Twice extends Module { public Tensor forward(Tensor x) { return x.mul(2); } }");
    assertEquals("Twice()", executor.execute("new Twice().toString()").value());
  }

  @Test
  void statementsHaveNoResultAndStateSurvivesErrors() throws Exception {
    assertNull(executor.execute("int kept = 41;").data());
    assertThrows(CellError.class, () -> executor.execute("int boom = 1 / 0;"));
    assertEquals("42", Renderers.data(executor.execute("kept + 1").data()).get("text/plain"));
  }

  @Test
  void compileErrorNamesLineColumnAndSource() {
    CellError e = assertThrows(CellError.class, () -> executor.execute("int a = 1;\nint b = nosuchName + 1;"));
    assertEquals("CompilationError", e.ename());
    assertTrue(e.traceback().get(0).startsWith("Compile error at line 2, column 9"), e.traceback().toString());
    assertTrue(e.traceback().get(1).contains("int b = nosuchName + 1;"));
    assertTrue(e.traceback().get(2).endsWith("^^^^^^^^^^"), e.traceback().toString());
  }

  @Test
  void runtimeErrorShowsExceptionAndCellLine() {
    CellError e = assertThrows(CellError.class, () -> executor.execute(
        "int divide(int a, int b) { return a / b; }\n\nint r = divide(1, 0);"));
    assertEquals("java.lang.ArithmeticException", e.ename());
    assertEquals("/ by zero", e.evalue());
    String trace = String.join("\n", e.traceback());
    assertTrue(trace.contains("at divide (cell line 1)"), trace);
    assertTrue(trace.contains("(cell line 3)"), trace);
    assertFalse(trace.contains("KeepingExecutionControl"), trace);
  }

  @Test
  void displayNullFailsWithTheLibraryMessage() {
    CellError e = assertThrows(CellError.class, () -> executor.execute("Display.display(null);"));
    assertEquals("java.lang.IllegalArgumentException", e.ename());
    assertTrue(e.evalue().startsWith("display(null)"), e.evalue());
  }

  @Test
  void timeMagicsPrintWallTimeAndKeepTheValue() throws Exception {
    String out = stdout(() -> assertEquals(7, executor.execute("%time 3 + 4").value()));
    assertTrue(out.startsWith("Wall time: "), out);
    out = stdout(() -> assertEquals(9, executor.execute("%%time\nint q = 4;\nq + 5").value()));
    assertTrue(out.startsWith("Wall time: "), out);
  }

  @Test
  void loadMagicRunsAFileAndStripsPackage(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("Helper.java");
    Files.writeString(file, "package some.pkg;\nclass Helper { static int twice(int x) { return 2 * x; } }\n");
    executor.execute("%load " + file);
    assertEquals(10, executor.execute("Helper.twice(5)").value());
  }

  @Test
  void classpathMagicOfAMissingJarNamesIt() {
    CellError e = assertThrows(CellError.class, () -> executor.execute("%classpath /no/such/lib.jar"));
    assertTrue(e.evalue().contains("/no/such/lib.jar"), e.evalue());
  }

  @Test
  void mavenMagicOfAMissingArtifactFailsClearly() {
    CellError e = assertThrows(CellError.class,
        () -> executor.execute("%maven dlcourse.nonexistent:no-such-artifact:0.0.1"));
    assertEquals("MavenError", e.ename());
    assertTrue(e.evalue().contains("could not resolve dlcourse.nonexistent:no-such-artifact:0.0.1"), e.evalue());
    e = assertThrows(CellError.class, () -> executor.execute("%maven not-coordinates"));
    assertTrue(e.evalue().contains("is not group:artifact:version"), e.evalue());
  }

  @Test
  void unknownMagicListsTheKnownOnes() {
    CellError e = assertThrows(CellError.class, () -> executor.execute("%nosuch x"));
    assertTrue(e.evalue().contains("%maven"), e.evalue());
  }

  @Test
  void interruptStopsACooperativeLoopWithinTwoSecondsAndKeepsState() throws Exception {
    executor.execute("int before = 5;");
    Future<?> f = Executors.newSingleThreadExecutor().submit(() -> executor.execute(
        "long n = 0; while (true) { Display.checkInterrupted(); n++; }"));
    Thread.sleep(500);
    long t0 = System.nanoTime();
    executor.session().interrupt();
    java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> f.get(2, TimeUnit.SECONDS));
    assertTrue((System.nanoTime() - t0) / 1e9 < 2.0);
    assertTrue(e.getCause() instanceof CellError);
    assertEquals(5, executor.execute("before").value());
  }

  @Test
  void interruptStopsABusyLoopThatNeverChecks() throws Exception {
    Future<?> f = Executors.newSingleThreadExecutor().submit(() -> executor.execute(
        "long spin = 0; while (true) { spin++; }"));
    Thread.sleep(500);
    executor.session().interrupt();
    java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> f.get(5, TimeUnit.SECONDS));
    assertEquals("Interrupted", ((CellError) e.getCause()).ename());
    assertEquals(2, executor.execute("1 + 1").value());
  }

  @Test
  void completenessCompletionAndInspection() {
    JShellSession s = executor.session();
    assertEquals("complete", s.isComplete("int x = 1;"));
    assertEquals("invalid", s.isComplete("}"));
    // JShell's own analysis calls these complete; they do not parse as any snippet form
    for (String bad : List.of("1 +* 2", "1 2", "int x = ;", "a b c")) {
      assertEquals("invalid", s.isComplete(bad), bad);
    }
    // parses even though nothing named x exists yet: names are for evaluation to judge
    for (String good : List.of("display(x)", "int f() { return 1; }", "class A {}", "import java.util.*",
        "x ++", "var y = 2; y + 1", "1 + 1")) {
      assertEquals("complete", s.isComplete(good), good);
    }
    assertTrue(s.isComplete("for (int i = 0; i < 3; i++) {").isBlank());
    JShellSession.Completion c = s.complete("Math.absE", 9);
    assertEquals(List.of("absExact("), c.matches());
    assertEquals(5, c.start());
    String doc = s.inspect("Math.abs", 8);
    assertNotNull(doc);
    assertTrue(doc.contains("abs(int"), doc);
  }

  @Test
  void declarationsAfterASwitchExpressionThatThrowsAreNotLost() throws Exception {
    // JShell's completeness analysis gives up on "default -> throw"; the cell's later declarations must still run
    executor.execute("int f(String n) { return switch (n) { case \"a\" -> 1; default -> throw new "
        + "IllegalArgumentException(n); }; }\nint g() { return 2; }\nint h = g() + f(\"a\");");
    assertEquals(3, executor.execute("h").value());
    assertEquals(2, executor.execute("g()").value());
  }

  @Test
  void systemExitInACellFailsTheCellAndTheSessionGoesOn() throws Exception {
    executor.execute("int kept = 41;");
    for (String exit : List.of("System.exit(3);", "Runtime.getRuntime().halt(4);", "Runtime.getRuntime().exit(6);",
        "Runnable r = () -> System.exit(5); r.run();",
        "java.util.function.IntConsumer q = System::exit; q.accept(7);")) {
      CellError e = assertThrows(CellError.class, () -> executor.execute(exit), exit);
      assertTrue(e.evalue().contains("was refused") && e.evalue().contains("lose every variable"), e.evalue());
    }
    assertEquals(42, executor.execute("kept + 1").value());
  }

  @Test
  void aCellCannotCatchAFullHeapAndGoOnButCatchesEverythingElse() throws Exception {
    // thrown here, not by filling the heap: the rewritten catch blocks see the same error object either way
    for (String type : List.of("OutOfMemoryError", "VirtualMachineError", "Error", "Throwable")) {
      String cell = "int reached = 0;\ntry { reached = 1; throw new OutOfMemoryError(\"Java heap space\"); }"
          + " catch (" + type + " e) { reached = 2; } finally { reached += 10; }";
      CellError e = assertThrows(CellError.class, () -> executor.execute(cell), cell);
      assertEquals("java.lang.OutOfMemoryError", e.ename(), cell);
      assertTrue(e.evalue().contains("the cell filled the JVM heap"), e.evalue());
      assertEquals(11, executor.execute("reached").value(), "the catch block did not run, the finally block did");
    }
    // in a lambda and a method declared in a cell too
    executor.execute("int caughtIn(Runnable r) { try { r.run(); return 0; } catch (Throwable t) { return 1; } }");
    CellError e = assertThrows(CellError.class, () -> executor.execute(
        "caughtIn(() -> { throw new OutOfMemoryError(\"Java heap space\"); })"));
    assertEquals("java.lang.OutOfMemoryError", e.ename());
    // ND4J's off-heap cap, an array larger than the JVM allows, and other throwables are the cell's to catch
    assertEquals(1, executor.execute("caughtIn(() -> { throw new OutOfMemoryError(\"Failed to allocate memory within"
        + " limits\"); })").value());
    assertEquals(1, executor.execute("caughtIn(() -> { throw new OutOfMemoryError(\"Requested array size exceeds VM"
        + " limit\"); })").value());
    assertEquals(1, executor.execute("caughtIn(() -> { throw new IllegalStateException(); })").value());
    assertEquals(2, executor.execute("int k = 0;\ntry { throw new Error(\"x\"); } catch (Error x) { k = 2; }\nk")
        .value());
  }

  @Test
  void ijavasTopLevelDisplayAndUpdateDisplayAreDefined() throws Exception {
    // without a kernel backend the library's Display falls back to printing; the call must compile and run
    Object id = executor.execute("String id = display(\"first\"); id").value();
    assertNotNull(id);
    executor.execute("updateDisplay(id, \"second\");");
  }

  @Test
  void startupImportsAreTolerant() {
    List<String> imports = executor.session().imports();
    assertTrue(imports.contains("tech.tablesaw.api.*"), imports.toString());
    assertTrue(imports.contains("dlcourse.plot.*"), imports.toString());
  }

  @Test
  void aCellThatNamesAVariableShowsItsObjectWithoutCompiling() throws Exception {
    executor.execute("var named = new StringBuilder(\"x\");\nint count = 7;");
    Object sb = executor.execute("named.append(\"y\")").value();
    int snippets = executor.session().sources().size();
    assertSame(sb, executor.execute("named").value());
    assertSame(sb, executor.execute("  named\n").value());
    assertEquals(7, executor.execute("count").value());
    assertEquals("7", Renderers.data(executor.execute("count").data()).get("text/plain"));
    assertEquals(snippets, executor.session().sources().size(), "a variable's name is read, not compiled");
    executor.execute("String named = \"redeclared\";");
    assertEquals("redeclared", executor.execute("named").value());
    // not a variable: compiled as before, with javac's errors
    assertThrows(CellError.class, () -> executor.execute("noSuchVariable"));
    assertEquals(List.class, executor.execute("List.class").value());
  }
}
