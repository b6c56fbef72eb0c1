package dlcourse.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.train.Experiments;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/** Sweeps of an experiment class on one local[2] Spark context (tasks run in this JVM, so calls can be counted). */
class LocalSweepTest {
  private static JavaSparkContext spark;

  @BeforeAll
  static void start() {
    spark = new JavaSparkContext(new SparkConf().setMaster("local[2,3]").setAppName("LocalSweepTest")
        .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1"));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @BeforeEach
  void resetCalls() {
    ToyExperiment.CALLS.clear();
  }

  @TempDir
  Path dir;
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();

  private Sweep toy(Path journal) {
    return Sweep.experiment(ToyExperiment.class.getName()).grid("a=1..3").grid("seed=0..1").journal(journal)
        .out(dir.resolve("out")).log(new PrintStream(log, true, StandardCharsets.UTF_8));
  }

  private static List<String> keys(Path journal) throws Exception {
    return Files.readAllLines(journal).stream().map(l -> Experiments.JournalRow.parse(l).key()).toList();
  }

  @Test
  void everyTaskIsJournaledOnceAndASecondRunDoesNothing() throws Exception {
    Path journal = dir.resolve("runs.tsv");
    Sweep.Result r = toy(journal).run(spark);
    assertTrue(r.ok(), log.toString());
    assertEquals(6, r.total());
    assertEquals(6, ToyExperiment.totalCalls());
    List<String> keys = keys(journal);
    assertEquals(6, keys.size());
    assertEquals(6, new HashSet<>(keys).size(), "each run once: " + keys);
    Table t = r.table();
    assertEquals(List.of("a", "seed", "score", "task", "base", "rows", "host", "executor", "wall_s", "attempt"),
        t.columnNames());
    for (int i = 0; i < 6; i++) {
      assertEquals(Double.parseDouble(t.stringColumn("a").get(i)) * 10 + t.intColumn("seed").get(i),
          t.doubleColumn("score").get(i), 0.0);
      assertEquals("a:" + t.stringColumn("a").get(i) + ",seed:" + t.intColumn("seed").get(i), t.stringColumn("task")
          .get(i));
    }
    String out = log.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("6 to run on local[2,3]"), out);
    assertTrue(out.contains("[6/6] ok") && out.contains("| 0 failed | done"), out);

    Sweep.Result again = toy(journal).run(spark);
    assertEquals(6, ToyExperiment.totalCalls(), "no task may run twice");
    assertEquals(0, again.ran());
    assertEquals(6, again.alreadyDone());
    assertEquals(keys, keys(journal));
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("all 6 tasks are in " + journal + "; nothing to run"));
  }

  @Test
  void afterAKilledSweepOnlyTheMissingTasksRun() throws Exception {
    Path full = dir.resolve("full.tsv");
    toy(full).run(spark);
    List<String> lines = Files.readAllLines(full);
    // the sweep was killed after two tasks and while the third task's line was being written
    Path journal = dir.resolve("runs.tsv");
    Files.writeString(journal, lines.get(0) + "\n" + lines.get(1) + "\n" + lines.get(2).substring(0, 15));
    ToyExperiment.CALLS.clear();
    Sweep.Result r = toy(journal).run(spark);
    assertTrue(r.ok(), log.toString());
    assertEquals(2, r.alreadyDone());
    assertEquals(4, r.ran());
    assertEquals(4, ToyExperiment.totalCalls(), "only the four missing tasks run: " + ToyExperiment.CALLS);
    Set<String> done = Set.of(Experiments.JournalRow.parse(lines.get(0)).key(), Experiments.JournalRow.parse(lines.get(
        1)).key());
    done.forEach(k -> assertFalse(ToyExperiment.CALLS.containsKey(k), k + " was journaled and must not run again"));
    List<String> keys = keys(journal);
    assertEquals(6, keys.size());
    assertEquals(new HashSet<>(keys(full)), new HashSet<>(keys), "the same six runs, each once");
  }

  @Test
  void aFailingTaskIsReportedTheOthersFinishAndARerunTriesOnlyIt() throws Exception {
    Path journal = dir.resolve("runs.tsv");
    Sweep.Result r = toy(journal).param("failOn", "2").run(spark);
    assertFalse(r.ok());
    assertEquals(2, r.failed().size());
    assertEquals(4, keys(journal).size());
    TaskResult f = r.failed().get(0);
    assertEquals("a:2,seed:0", f.id());
    assertTrue(f.error().contains(ToyExperiment.class.getName() + " failed on Run[seed=0, params={failOn=2, a=2}]")
        && f.error().contains("a=2 fails on purpose"), f.error());
    assertEquals(1, f.attempt(), "an experiment's own exception is not retried");
    String out = log.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("FAILED task a:2,seed:1: "), out);
    assertTrue(out.contains("2 task(s) failed; run the same command again"), out);

    ToyExperiment.CALLS.clear();
    Sweep.Result again = toy(journal).param("failOn", "2").run(spark);
    assertEquals(2, again.ran(), "only the two failed tasks run again");
    assertEquals(2, ToyExperiment.totalCalls());
    assertEquals(4, keys(journal).size());
  }
}
