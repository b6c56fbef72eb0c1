package dlcourse.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad command lines: exit 2 with a clear message, and nothing runs (no journal, no work folder, no Spark). */
class SweepCommandTest {
  static final String TINY = "src/test/resources/notebooks/sweep-tiny.ipynb";
  /** A notebook with a parameters cell but no String journal parameter. */
  static final String SMOKE = "../tests/src/test/resources/notebooks/smoke.ipynb";

  @TempDir
  Path dir;

  private void assertUsageError(String expected, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = java.util.stream.Stream.concat(java.util.stream.Stream.of("--out", dir.resolve("out").toString()),
        java.util.Arrays.stream(args)).toArray(String[]::new);
    int status = SweepCommand.main(all, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertEquals(2, status, "exit status for " + String.join(" ", args) + "; stderr: " + e);
    assertTrue(e.contains("error: ") && e.contains(expected), "stderr should say '" + expected + "', got: " + e);
    assertTrue(e.contains("usage: dlcourse sweep"), e);
    assertFalse(Files.exists(dir.resolve("out")), "nothing may run or be written");
  }

  @Test
  void badFlagsAndGridsExitWith2() {
    assertUsageError("no notebook or experiment class given", "--grid", "lrs=0.1");
    assertUsageError("unknown option '--bogus'", TINY, "--bogus", "--grid", "lrs=0.1");
    assertUsageError("--grid needs a value", TINY, "--grid");
    assertUsageError("the grid is empty", TINY, "-p", "seeds=3");
    assertUsageError("'lrs' has no values", TINY, "--grid", "lrs=");
    assertUsageError("range 3..1 is empty", TINY, "--grid", "seeds=3..1");
    assertUsageError("-p needs name=value, got 'seeds'", TINY, "-p", "seeds", "--grid", "lrs=0.1");
    assertUsageError("--threads must be >= 1, got 0", TINY, "--threads", "0", "--grid", "lrs=0.1");
    assertUsageError("'lrs' is given both as -p and as --grid", TINY, "-p", "lrs=0.1", "--grid", "lrs=0.2");
    assertUsageError("-p journal is set by the sweep", TINY, "-p", "journal=x.tsv", "--grid", "lrs=0.1");
    assertUsageError("--journal must name a .tsv file", TINY, "--journal", dir.resolve("runs.txt").toString(),
        "--grid", "lrs=0.1");
  }

  @Test
  void parametersAreCheckedAgainstTheNotebookBeforeAnythingRuns() {
    assertUsageError(
        "has no parameter 'lr'; its parameters cell declares [QUICK, lrs, seeds, failOn, dieOnceOn, journal]",
        TINY, "--grid", "lr=0.1,0.2");
    assertUsageError("-p seeds=two: the parameters cell declares int seeds, and 'two' is not an int", TINY,
        "--grid", "seeds=2,two");
    assertUsageError("declares no String journal parameter", SMOKE, "--grid", "NAME=a,b");
    assertUsageError("missing.ipynb: no such notebook", "missing.ipynb", "--grid", "a=1");
    assertUsageError("no notebook file or experiment class 'dlcourse.NoSuchClass'", "dlcourse.NoSuchClass", "--grid",
        "a=1");
    assertUsageError("is not an experiment: it must implement", "java.lang.Object", "--grid", "a=1");
  }

  @Test
  void aBadOrUnreachableMasterIsAnErrorBeforeAnythingRuns() {
    assertUsageError("cannot reach the Spark master spark://127.0.0.1:1 (127.0.0.1:1:", TINY, "--master",
        "spark://127.0.0.1:1", "--grid", "lrs=0.1");
    assertUsageError("--master must be local, local[N], local[*] or spark://HOST:PORT, got 'yarn'", TINY, "--master",
        "yarn", "--grid", "lrs=0.1");
    assertUsageError("--threads 4 per task does not fit local[2] (2 cores)", TINY, "--master", "local[2]", "--threads",
        "4", "--grid", "lrs=0.1");
  }
}
