package dlcourse.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.train.Experiments;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command end to end on local[2] over a tiny notebook: each task is a runner JVM; one runner is killed
 * (SIGKILL, as the OOM killer would) and Spark runs its task again; one notebook cell throws and is reported with
 * its cell and error while the others finish; a second run of the finished grid trains nothing and writes the tables.
 */
class NotebookSweepTest {
  @TempDir
  Path dir;

  private int sweep(ByteArrayOutputStream out, String... grid) {
    String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of(SweepCommandTest.TINY,
        "-p", "failOn=0.3", "-p", "dieOnceOn=0.2", "--master", "local[2]", "--out", dir.toString(),
        "--journal", dir.resolve("runs.tsv").toString()), java.util.Arrays.stream(grid)).toArray(String[]::new);
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    return SweepCommand.main(args, ps, ps);
  }

  @Test
  void killedRunnerIsRetriedFailingCellIsReportedAndTheFinalRunReadsTheJournal() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    int status = sweep(out, "--grid", "lrs=0.1,0.2,0.3");
    String log = out.toString(StandardCharsets.UTF_8);
    System.out.printf("first sweep (3 tasks, one retried) in %.1f s%n%s", (System.nanoTime() - t0) / 1e9, log);
    assertEquals(1, status, log);
    assertTrue(log.contains("3 tasks (lrs=0.1,0.2,0.3), 0 in " + dir.resolve("runs.tsv") + ", 3 to run on local[2,3]"),
        log);
    assertTrue(log.contains("[3/3] "), log);
    // the failing cell: notebook, cell and error (cell 4: the parameters cell, the injected one, then the notebook's)
    assertTrue(log.contains("FAILED task lrs:0.3: " + dir.resolve("sweep-tiny-tasks")), log);
    assertTrue(log.contains("sweep-tiny.ipynb: cell 4: java.lang.IllegalStateException: lr 0.3 fails on purpose"), log);
    List<Experiments.JournalRow> rows = Files.readAllLines(dir.resolve("runs.tsv")).stream()
        .map(Experiments.JournalRow::parse).toList();
    assertEquals(List.of("seed=0 lr=0.1", "seed=0 lr=0.2", "seed=1 lr=0.1", "seed=1 lr=0.2"),
        rows.stream().map(Experiments.JournalRow::key).sorted().toList(), "each run of the two good tasks once");
    Map<String, String> attempts = rows.stream().collect(Collectors.toMap(Experiments.JournalRow::key,
        r -> r.info().get("attempt")));
    assertEquals("2", attempts.get("seed=1 lr=0.2"), "the killed runner's task ran again: " + attempts);
    assertEquals("1", attempts.get("seed=0 lr=0.1"));
    assertEquals(1.0, rows.stream().filter(r -> r.key().equals("seed=0 lr=0.1")).findFirst().orElseThrow()
        .metrics().get("score"), 0.0);
    Path died = Files.list(dir.resolve("sweep-tiny-tasks")).findFirst().orElseThrow().resolve("0001-lrs_0.2");
    String runnerLog = Files.readString(died.resolve("runner.log"));
    assertEquals(2, runnerLog.split("== attempt ", -1).length - 1, runnerLog);
    assertTrue(runnerLog.contains(": /usr/bin/taskset -c "), "each runner has CPUs of its own: " + runnerLog);
    assertTrue(Files.readString(died.resolve("sweep-tiny.ipynb")).contains("1 of 2 runs taken from the journal"),
        "the second attempt resumes from the task's own journal");

    ByteArrayOutputStream out2 = new ByteArrayOutputStream();
    status = sweep(out2, "--grid", "lrs=0.1,0.2");
    String log2 = out2.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, log2);
    assertTrue(log2.contains("all 2 tasks are in " + dir.resolve("runs.tsv") + "; nothing to run"), log2);
    assertTrue(log2.contains("ok     " + SweepCommandTest.TINY), log2);
    assertEquals(4, Files.readAllLines(dir.resolve("runs.tsv")).size(), "the final run trains nothing");
    List<String> csv = Files.readAllLines(dir.resolve("sweep-tiny").resolve("runs.csv"));
    assertEquals(List.of("lr,seed,score", "0.1,0,1.0", "0.1,1,2.0", "0.2,0,2.0", "0.2,1,3.0"), csv);
    String executed = Files.readString(dir.resolve("sweep-tiny.ipynb"));
    assertTrue(executed.contains("4 of 4 runs taken from the journal"),
        "the final run takes every run from the journal");
    assertEquals(4, new HashSet<>(csv).size() - 1);
  }
}
