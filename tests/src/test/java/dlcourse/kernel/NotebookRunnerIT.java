package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.io.TempDir;

/** The runner end to end, in a fresh JVM per run as ./dlcourse run starts it. */
@Execution(ExecutionMode.CONCURRENT) // beside NbclientIT, one such class at a time (junit-platform.properties)
@ResourceLock(ItSupport.KERNEL_IT_LANE)
class NotebookRunnerIT {

  private static JsonObject read(Path p) throws Exception {
    return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
  }

  private static JsonArray outputs(JsonObject nb, int cell) {
    return nb.getAsJsonArray("cells").get(cell).getAsJsonObject().getAsJsonArray("outputs");
  }

  /**
   * {@code java ... dlcourse.kernel.Main run NOTEBOOK args...} as the launcher starts it, for {@code notebook} of the
   * test notebooks, with {@code jvmOptions} (such as a heap) before the class path.
   */
  private static List<String> runnerCommand(List<String> jvmOptions, String notebook, String... args)
      throws Exception {
    List<String> cmd = ItSupport.mainCommand(jvmOptions, "run", ItSupport.notebooks().resolve(notebook).toString());
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs the runner on {@code notebook} of the test notebooks to its end (300 s at most), in the project root. */
  private static ItSupport.Run runner(String notebook, String... args) throws Exception {
    return ItSupport.run(runnerCommand(List.of(), notebook, args), Map.of(), ItSupport.root(), 300);
  }

  /**
   * Starts {@code command} (a runner, see {@link #runnerCommand}) with its output in {@code out/log.txt}, and waits
   * until {@code started} holds, failing if the runner ends first or 120 s pass ({@code what} names the wait).
   */
  private static Process startAndAwait(List<String> command, Path out, String what,
      java.util.concurrent.Callable<Boolean> started) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.resolve("log.txt").toFile())
        .start();
    try {
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (!started.call()) {
        assertTrue(p.isAlive(), "the runner ended early: " + Files.readString(out.resolve("log.txt")));
        assertTrue(System.nanoTime() < deadline, what + " within 120 s");
        Thread.sleep(100);
      }
    } catch (Throwable t) {
      p.destroyForcibly().waitFor();
      throw t;
    }
    return p;
  }

  @Test
  void smokeNotebookRunsWithParametersAndWritesNotebookHtmlAndCsv(@TempDir Path out) throws Exception {
    ItSupport.Run r = runner("smoke.ipynb", "--quick", "-p", "EPOCHS=3", "-p", "NAME=hello world", "--out", out
        .toString());
    assertEquals(0, r.exit, r.toString());
    assertTrue(r.output.lines().anyMatch(l -> l.startsWith("ok ") && l.contains("smoke.ipynb")), r.output);
    JsonObject nb = read(out.resolve("smoke.ipynb"));
    // --quick's cell precedes the parameters cell (index 1 in the file), the injected parameters follow it; this
    // parameters cell declares QUICK itself (the older convention), so the injected cell sets it too
    JsonObject quickCell = nb.getAsJsonArray("cells").get(1).getAsJsonObject();
    assertTrue(Notebook.hasTag(quickCell, "injected-quick"), quickCell.toString());
    assertTrue(Notebook.hasTag(nb.getAsJsonArray("cells").get(2).getAsJsonObject(), "parameters"));
    JsonObject injected = nb.getAsJsonArray("cells").get(3).getAsJsonObject();
    assertTrue(Notebook.hasTag(injected, "injected-parameters"), injected.toString());
    assertEquals("epochs=3 quick=true name=hello world\n",
        outputs(nb, 4).get(0).getAsJsonObject().get("text").getAsString());
    JsonObject table = outputs(nb, 5).get(0).getAsJsonObject();
    assertEquals("execute_result", table.get("output_type").getAsString());
    assertTrue(table.getAsJsonObject("data").has("text/html"));
    assertTrue(outputs(nb, 6).get(0).getAsJsonObject().getAsJsonObject("data").has("image/png"));
    assertEquals("epoch,loss\n1,0.9\n2,0.5\n3,0.25\n", Files.readString(out.resolve("smoke/scores.csv")));
    assertTrue(Files.exists(out.resolve("smoke/shown.csv")));
    String html = Files.readString(out.resolve("smoke.html"));
    assertTrue(html.contains("<img src=\"data:image/png;base64,"), "HTML has the chart inline");
    assertTrue(html.contains("<h1>Smoke test</h1>"));
    ItSupport.requirePython("kernel-tests", "nbformat", "python3-nbformat");
    ItSupport.Run v = ItSupport.run(List.of("/usr/bin/python3", "-c",
        "import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')",
        out.resolve("smoke.ipynb").toString()), Map.of(), out, 60);
    assertEquals(0, v.exit, v.toString());
  }

  /** The text the last code cell of {@code quick.ipynb} printed. */
  private static String quickLine(Path out, String... args) throws Exception {
    List<String> all = new java.util.ArrayList<>(List.of("--out", out.toString()));
    all.addAll(List.of(args));
    ItSupport.Run r = runner("quick.ipynb", all.toArray(String[]::new));
    assertEquals(0, r.exit, r.toString());
    JsonArray cells = read(out.resolve("quick.ipynb")).getAsJsonArray("cells");
    return cells.get(cells.size() - 1).getAsJsonObject().getAsJsonArray("outputs").get(0).getAsJsonObject()
        .get("text").getAsString().strip();
  }

  @Test
  void quickPicksTheQuickSizesAndAnExplicitParameterStillWins(@TempDir Path out) throws Exception {
    assertEquals("quick=false epochs=15 lrs=[0.001, 0.01, 0.1]", quickLine(out.resolve("full")));
    assertEquals("quick=true epochs=2 lrs=[0.1]", quickLine(out.resolve("quick"), "--quick"));
    assertEquals("quick=true epochs=5 lrs=[0.1]", quickLine(out.resolve("both"), "--quick", "-p", "epochs=5"));
    assertEquals("quick=false epochs=5 lrs=[0.001, 0.01, 0.1]", quickLine(out.resolve("p"), "-p", "epochs=5"));
  }

  @Test
  void failingCellExitsOneNamesCellAndKeepsEarlierOutputs(@TempDir Path out) throws Exception {
    ItSupport.Run r = runner("fails.ipynb", "--out", out.toString());
    assertEquals(1, r.exit, r.toString());
    assertTrue(r.output.contains("FAILED") && r.output.contains(
        "fails.ipynb: cell 2: java.lang.ArithmeticException: / by zero"),
        r.output);
    JsonObject nb = read(out.resolve("fails.ipynb"));
    assertEquals("before 1\n", outputs(nb, 1).get(0).getAsJsonObject().get("text").getAsString());
    JsonArray failing = outputs(nb, 2);
    assertEquals("partial\n", failing.get(0).getAsJsonObject().get("text").getAsString());
    assertEquals("error", failing.get(1).getAsJsonObject().get("output_type").getAsString());
    // "cell 2" in the message is the failing cell's In [2], though a markdown cell comes first
    assertEquals(2, nb.getAsJsonArray("cells").get(2).getAsJsonObject().get("execution_count").getAsInt());
    assertEquals(0, outputs(nb, 3).size(), "cells after the failure do not run");
    assertTrue(Files.exists(out.resolve("fails.html")));
  }

  @Test
  void killedRunKeepsTheCheckpointOfEveryFinishedCell(@TempDir Path out) throws Exception {
    Path saved = out.resolve("checkpoint.ipynb");
    Process p = startAndAwait(runnerCommand(List.of(), "checkpoint.ipynb", "-p", "OUT=" + out, "--out",
        out.toString()), out, "no checkpoint after cell 2", () -> Files.exists(saved) && outputs(read(saved), 3)
            .size() > 0);
    p.destroyForcibly().waitFor();
    JsonObject nb = read(saved);
    assertEquals("first output\n", outputs(nb, 2).get(0).getAsJsonObject().get("text").getAsString());
    assertEquals("checkpoint has cell 1\n", outputs(nb, 3).get(0).getAsJsonObject().get("text").getAsString());
    assertEquals(0, outputs(nb, 4).size(), "the cell still running has no outputs yet");
    assertTrue(Files.exists(out.resolve("checkpoint.html")));
  }

  @Test
  void terminatedRunWritesEveryFinishedCellAndMarksTheRunningOne(@TempDir Path out) throws Exception {
    // SIGTERM (what Ctrl-C's SIGINT does too): shutdown hooks run; the periodic checkpoint (60 s) never came.
    Process p = startAndAwait(runnerCommand(List.of(), "signal.ipynb", "-p", "OUT=" + out, "--out", out.toString()),
        out, "cell 3 did not start", () -> Files.exists(out.resolve("running")));
    assertTrue(Files.notExists(out.resolve("signal.ipynb")), "no checkpoint yet: the hook must write it");
    p.destroy();
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the runner did not end after SIGTERM");
    String log = Files.readString(out.resolve("log.txt"));
    assertEquals(143, p.exitValue(), log);
    assertTrue(log.contains("INTERRUPTED ") && log.contains("finished cells written"), log);
    JsonObject nb = read(out.resolve("signal.ipynb"));
    // cell 1 is the one -p injects after the parameters cell
    assertEquals("one\n", outputs(nb, 2).get(0).getAsJsonObject().get("text").getAsString());
    assertEquals("two\n", outputs(nb, 3).get(0).getAsJsonObject().get("text").getAsString());
    JsonArray running = outputs(nb, 4);
    assertEquals("three started\n", running.get(0).getAsJsonObject().get("text").getAsString());
    assertEquals("Interrupted", running.get(1).getAsJsonObject().get("ename").getAsString());
    assertEquals(0, outputs(nb, 5).size());
    assertTrue(Files.exists(out.resolve("signal.html")));
  }

  @Test
  void compileErrorReportsLineAndColumn(@TempDir Path out) throws Exception {
    ItSupport.Run r = runner("compile-error.ipynb", "--out", out.toString());
    assertEquals(1, r.exit, r.toString());
    assertTrue(r.output.contains("cell 1: CompilationError: cannot find symbol"), r.output);
    String tb = outputs(read(out.resolve("compile-error.ipynb")), 0).get(0).getAsJsonObject()
        .getAsJsonArray("traceback").toString();
    assertTrue(tb.contains("line 2, column 9"), tb);
  }

  @Test
  void cellPastTimeoutIsStoppedAndReported(@TempDir Path out) throws Exception {
    long t0 = System.nanoTime();
    ItSupport.Run r = runner("slow.ipynb", "--timeout", "3", "--out", out.toString());
    assertEquals(1, r.exit, r.toString());
    assertTrue(r.output.contains("cell 2: Timeout: cell exceeded the timeout of 3 s"), r.output);
    assertTrue((System.nanoTime() - t0) / 1e9 < 120);
    JsonObject nb = read(out.resolve("slow.ipynb"));
    assertEquals("start\n", outputs(nb, 0).get(0).getAsJsonObject().get("text").getAsString());
  }

  @Test
  void badInputsExitTwoWithAClearMessage(@TempDir Path out) throws Exception {
    Path nbs = ItSupport.notebooks();
    ItSupport.Run missing = ItSupport.main(out, 120, "run", "no/such/notebook.ipynb");
    assertEquals(2, missing.exit, missing.toString());
    assertTrue(missing.output.contains("no/such/notebook.ipynb: no such file"), missing.output);
    ItSupport.Run notJson = ItSupport.main(out, 120, "run", nbs.resolve("not-json.ipynb").toString());
    assertEquals(2, notJson.exit, notJson.toString());
    assertTrue(notJson.output.contains("not-json.ipynb: not a notebook: the file is not valid JSON"), notJson.output);
    ItSupport.Run v3 = ItSupport.main(out, 120, "run", nbs.resolve("nbformat3.ipynb").toString());
    assertEquals(2, v3.exit, v3.toString());
    assertTrue(v3.output.contains("nbformat 3 is not supported"), v3.output);
    ItSupport.Run none = ItSupport.main(out, 120, "run");
    assertEquals(2, none.exit);
    assertTrue(none.output.contains("no notebook given") && none.output.contains("usage: dlcourse run"), none.output);
    ItSupport.Run badTimeout = ItSupport.main(out, 120, "run", nbs.resolve("smoke.ipynb").toString(), "--timeout",
        "soon");
    assertEquals(2, badTimeout.exit);
    assertTrue(badTimeout.output.contains("--timeout needs a whole number of seconds, got 'soon'"), badTimeout.output);
    ItSupport.Run typo = ItSupport.main(out, 120, "run", nbs.resolve("smoke.ipynb").toString(), "-p", "EPOCH=3");
    assertEquals(2, typo.exit, typo.toString());
    assertTrue(typo.output.contains("has no parameter 'EPOCH'; its parameters cell declares [EPOCHS, QUICK, NAME]"),
        typo.output);
    ItSupport.Run wrongType = ItSupport.main(out, 120, "run", nbs.resolve("smoke.ipynb").toString(), "-p",
        "EPOCHS=1.5");
    assertEquals(2, wrongType.exit, wrongType.toString());
    assertTrue(wrongType.output.contains("declares int EPOCHS, and '1.5' is not an int"), wrongType.output);
    Path aFile = Files.writeString(out.resolve("a-file"), "x");
    ItSupport.Run outIsFile = ItSupport.main(out, 120, "run", nbs.resolve("smoke.ipynb").toString(), "--out",
        aFile.resolve("below").toString());
    assertEquals(2, outIsFile.exit, outIsFile.toString());
    assertTrue(outIsFile.output.contains("cannot hold the outputs: Not a directory"), outIsFile.output);
    assertFalse(outIsFile.output.contains("ok "), "no cell may run: " + outIsFile.output);
    ItSupport.Run outExists = ItSupport.main(out, 120, "run", nbs.resolve("smoke.ipynb").toString(), "--out",
        aFile.toString());
    assertEquals(2, outExists.exit, outExists.toString());
    assertTrue(outExists.output.contains("cannot hold the outputs: a file of that name exists"), outExists.output);
    assertFalse(Files.exists(out.resolve("out")), "nothing is written for bad arguments");
  }

  @Test
  void errorsGoToStandardErrorAndProgressToStandardOutput(@TempDir Path out) throws Exception {
    Path nbs = ItSupport.notebooks();
    ProcessBuilder pb = new ProcessBuilder(runnerCommand(List.of(), "fails.ipynb", "--out", out.resolve("o")
        .toString()))
        .redirectOutput(out.resolve("stdout").toFile()).redirectError(out.resolve("stderr").toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), "runner did not finish");
    assertEquals(1, p.exitValue());
    String stdout = Files.readString(out.resolve("stdout"));
    String stderr = Files.readString(out.resolve("stderr"));
    assertTrue(stderr.contains("FAILED ") && stderr.contains("fails.ipynb"), "stderr: " + stderr);
    assertFalse(stdout.contains("FAILED"), "stdout: " + stdout);
  }

  @Test
  void arraysPastTheOffHeapCapFailAtOnceWithTheCapAndKeepEarlierOutputs(@TempDir Path out) throws Exception {
    // The launcher's options with a 300 MB cap; the cell keeps 100 MB arrays. Before the cap bound ND4J, a 1 GB
    // cap let the runner grow to 3 GB and then fail on a 16-byte LongPointer with a message about JavaCPP.
    List<String> cmd = runnerCommand(List.of("-Xmx512m", "-Xmn8m", "-Dorg.bytedeco.javacpp.maxbytes=300m"),
        "offheap.ipynb", "--out", out.toString());
    long t0 = System.nanoTime();
    ItSupport.Run r = ItSupport.run(cmd, Map.of(), out, 300);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(1, r.exit, r.toString()); // a failing cell: exit 1, as for any exception (README)
    assertTrue(r.output.contains("offheap.ipynb: cell 2: OffHeapLimitExceeded: ND4J's off-heap memory cap"
        + " (-Dorg.bytedeco.javacpp.maxbytes) of 300.0 MiB is reached: an array of 95.4 MiB was requested"), r.output);
    assertTrue(r.output.contains("DLCOURSE_JAVA_OPTS=") && r.output.contains("DLCOURSE_KERNEL_HEAP="), r.output);
    assertTrue(seconds < 120, "took " + seconds + " s");
    JsonObject nb = read(out.resolve("offheap.ipynb"));
    assertEquals("before 10.0\n", outputs(nb, 1).get(0).getAsJsonObject().get("text").getAsString());
    JsonArray failing = outputs(nb, 2);
    // three 100 MB arrays fit under 300 MiB; the fourth is refused at once
    assertEquals("allocated 100 MB\nallocated 200 MB\nallocated 300 MB\n",
        failing.get(0).getAsJsonObject().get("text").getAsString());
    assertEquals("OffHeapLimitExceeded", failing.get(1).getAsJsonObject().get("ename").getAsString());
    assertEquals(0, outputs(nb, 3).size(), "cells after the failure do not run");
  }

  @Test
  void interruptedRunExits130AndWritesEveryFinishedCell(@TempDir Path out) throws Exception {
    // Ctrl-C sends SIGINT. A process started in the background may inherit SIGINT as ignored (and the JVM then
    // keeps it ignored): python resets it to the default before it becomes the runner, as a terminal would have it.
    List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/python3", "-c",
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"));
    cmd.addAll(runnerCommand(List.of(), "signal.ipynb", "-p", "OUT=" + out, "--out", out.toString()));
    Process p = startAndAwait(cmd, out, "cell 3 did not start", () -> Files.exists(out.resolve("running")));
    assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor());
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the runner did not end after SIGINT");
    String log = Files.readString(out.resolve("log.txt"));
    assertEquals(130, p.exitValue(), log);
    assertTrue(log.contains("INTERRUPTED ") && log.contains("finished cells written"), log);
    JsonObject nb = read(out.resolve("signal.ipynb"));
    assertEquals("one\n", outputs(nb, 2).get(0).getAsJsonObject().get("text").getAsString());
    assertEquals("two\n", outputs(nb, 3).get(0).getAsJsonObject().get("text").getAsString());
    assertEquals("Interrupted", outputs(nb, 4).get(1).getAsJsonObject().get("ename").getAsString());
  }
}
