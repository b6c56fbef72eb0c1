package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

class ExperimentsTest {
  @Test
  void overSeedsGivesOneRowPerSeed() {
    Table t = Experiments.overSeeds(new int[] {3, 1, 2}, s -> Map.of("acc", s * 10.0));
    assertEquals(List.of("seed", "acc"), t.columnNames());
    assertArrayEquals(new int[] {3, 1, 2}, t.intColumn("seed").asIntArray());
    assertArrayEquals(new double[] {30, 10, 20}, t.doubleColumn("acc").asDoubleArray());
  }

  @Test
  void gridIsCartesianProductWithSeedsInnermost() {
    var e = new Experiments().seeds(0, 1).param("lr", 0.1, 0.01).param("opt", "sgd", "adam");
    Table t = e.run(r -> Map.of("score", r.doubleParam("lr") + r.seed() + (r.stringParam("opt").equals("adam") ? 100
        : 0)));
    assertEquals(8, t.rowCount());
    assertEquals(List.of("lr", "opt", "seed", "score"), t.columnNames());
    assertEquals("0.1", t.stringColumn("lr").get(0));
    assertEquals("adam", t.stringColumn("opt").get(2));
    assertEquals(101.1, t.doubleColumn("score").get(3), 1e-12);
  }

  @Test
  void summaryUsesPopulationStdByDefault() {
    Table t = new Experiments().seeds(0, 1, 2, 3).param("g", "a", "b")
        .run(r -> Map.of("x", r.stringParam("g").equals("a") ? (double) r.seed() : 5.0));
    Table s = Experiments.summary(t, "g");
    assertEquals(List.of("g", "n", "x_mean", "x_std"), s.columnNames());
    assertEquals(1.5, s.doubleColumn("x_mean").get(0), 1e-15);
    assertEquals(Math.sqrt(1.25), s.doubleColumn("x_std").get(0), 1e-15); // np.std([0,1,2,3])
    assertEquals(0.0, s.doubleColumn("x_std").get(1), 0.0);
    assertEquals(Math.sqrt(5.0 / 3), Experiments.summary(t, 1, "g").doubleColumn("x_std").get(0), 1e-15);
    assertEquals(4, s.intColumn("n").get(0));
  }

  @Test
  void parallelRunsOverlapAndKeepOrder() {
    var latch = new CountDownLatch(2);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    Table t = new Experiments().seeds(0, 1).parallelism(2).run(r -> {
      threads.add(Thread.currentThread().getName() + Thread.currentThread().getId());
      latch.countDown();
      try {
        // both runs must be in flight together, or this times out
        assertTrue(latch.await(10, TimeUnit.SECONDS), "runs did not execute concurrently");
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return Map.of("seed2", r.seed() * 2.0);
    });
    assertEquals(2, threads.size());
    assertArrayEquals(new double[] {0, 2}, t.doubleColumn("seed2").asDoubleArray());
  }

  @Test
  void failingRunIsNamed() {
    var e = assertThrows(IllegalStateException.class, () -> new Experiments().seeds(7).run(r -> {
      throw new ArithmeticException("boom");
    }));
    assertTrue(e.getMessage().contains("seed=7") && e.getMessage().contains("boom"), e.getMessage());
  }

  @Test
  void unknownGroupColumnIsNamed() {
    Table t = Experiments.overSeeds(new int[] {0}, s -> Map.of("a", 1.0));
    var e = assertThrows(IllegalArgumentException.class, () -> Experiments.summary(t, "lr"));
    assertTrue(e.getMessage().contains("'lr'"), e.getMessage());
  }

  private static Experiments grid(Path journal) {
    return new Experiments().seeds(0, 1).param("net", "a", "b").parallelism(2).journal(journal);
  }

  private static Map<String, Double> metrics(Experiments.Run r, AtomicInteger calls) {
    calls.incrementAndGet();
    return Map.of("acc", r.seed() + (r.stringParam("net").equals("a") ? 0.1 : 0.2) / 3, "epochs", 7.0);
  }

  @Test
  void journalSkipsFinishedRunsAndGivesTheSameTable(@TempDir Path dir) throws Exception {
    Path journal = dir.resolve("sub/runs.tsv");
    AtomicInteger calls = new AtomicInteger();
    Table first = grid(journal).run(r -> metrics(r, calls));
    assertEquals(4, calls.get());
    assertEquals(4, Files.readAllLines(journal).size());
    assertEquals(4, grid(journal).journaled());
    Table again = grid(journal).run(r -> metrics(r, calls));
    assertEquals(4, calls.get(), "no run may repeat");
    assertEquals(first.print(), again.print());
    assertArrayEquals(first.doubleColumn("acc").asDoubleArray(), again.doubleColumn("acc").asDoubleArray(), 0.0);
  }

  @Test
  void journalResumesAfterARunKilledWhileWritingItsLine(@TempDir Path dir) throws Exception {
    Path journal = dir.resolve("runs.tsv");
    AtomicInteger calls = new AtomicInteger();
    Table full = grid(dir.resolve("full.tsv")).run(r -> metrics(r, calls));
    List<String> lines = Files.readAllLines(dir.resolve("full.tsv"));
    Files.writeString(journal, lines.get(0) + "\n" + lines.get(1) + "\n" + lines.get(2).substring(0, 12));
    calls.set(0);
    assertEquals(2, grid(journal).journaled());
    Table resumed = grid(journal).run(r -> metrics(r, calls));
    assertEquals(2, calls.get(), "only the two missing runs");
    assertEquals(full.print(), resumed.print());
    assertEquals(4, grid(journal).journaled());
  }

  @Test
  void damagedJournalLineBeforeTheEndIsAnErrorNamingFileAndLine(@TempDir Path dir) throws Exception {
    Path journal = dir.resolve("runs.tsv");
    Files.writeString(journal, "seed=0 net=a\tacc=oops\nseed=1 net=a\tacc=1.0\n");
    var e = assertThrows(IllegalArgumentException.class, () -> grid(journal).run(r -> Map.of("acc", 0.0)));
    assertTrue(e.getMessage().contains(journal + " line 1"), e.getMessage());
  }

  @Test
  void journalRowsWithAnInformationFieldAreReadByRunAndIntoATable(@TempDir Path dir) throws Exception {
    Path journal = dir.resolve("runs.tsv");
    var info = new java.util.LinkedHashMap<String, String>();
    info.put("host", "w1");
    info.put("wall_s", "2.5");
    var row = new Experiments.JournalRow("seed=1 net=b", Map.of("acc", 0.5), info);
    assertEquals("seed=1 net=b\tacc=0.5\thost=w1 wall_s=2.5", row.line());
    assertEquals(row, Experiments.JournalRow.parse(row.line()));
    Files.writeString(journal, "seed=0 net=a\tacc=0.25\n" + row.line() + "\n");
    AtomicInteger calls = new AtomicInteger();
    Table t = grid(journal).run(r -> metrics(r, calls));
    assertEquals(2, calls.get(), "the two journaled runs, one of them with an information field, are not repeated");
    assertEquals(0.5, t.doubleColumn("acc").getDouble(3), 0.0); // rows a/0, a/1, b/0, b/1: b/1 from the journal
    Table read = Experiments.readJournal(journal);
    assertEquals(List.of("net", "seed", "acc", "epochs", "host", "wall_s"), read.columnNames().subList(0, 6));
    assertEquals(4, read.rowCount());
    assertEquals("w1", read.stringColumn("host").get(1));
    assertEquals("", read.stringColumn("host").get(0));
    var bad = assertThrows(IllegalArgumentException.class,
        () -> new Experiments.JournalRow("seed=0", Map.of("acc", 1.0), Map.of("host", "two words")).line());
    assertTrue(bad.getMessage().contains("host='two words'"), bad.getMessage());
  }

  private static Experiments namedRuns() {
    Map<String, Object> defaults = new java.util.LinkedHashMap<>();
    defaults.put("lr", 0.01);
    defaults.put("batch", 128);
    return new Experiments().defaults(defaults)
        .named("baseline").named("lr-0.1", Map.of("lr", 0.1)).named("lr-1", Map.of("lr", 1.0))
        .named("big-batch", Map.of("batch", 512));
  }

  @Test
  void namedRunsChangeTheirDefaultsAndTableShowsEverySetting() {
    Table t = namedRuns().run(r -> Map.of("score", r.doubleParam("lr") * r.intParam("batch")));
    assertEquals(List.of("run", "lr", "batch", "seed", "score"), t.columnNames());
    assertEquals(List.of("baseline", "lr-0.1", "lr-1", "big-batch"), t.stringColumn("run").asList());
    assertArrayEquals(new double[] {1.28, 12.8, 128, 5.12}, t.doubleColumn("score").asDoubleArray(), 1e-12);
    assertEquals("lr-0.1", namedRuns().runs().get(1).name());
    assertEquals("lr=0.1 opt=sgd", new Experiments().param("lr", 0.1).param("opt", "sgd").runs().get(0).name());
  }

  @Test
  void defaultsWithoutAnOrderAreSortedByName() {
    var e = new Experiments().defaults(Map.of("lr", 0.01, "batch", 128, "optimizer", "sgd")).named("a");
    assertEquals(List.of("run", "batch", "lr", "optimizer"), List.copyOf(e.runs().get(0).params().keySet()));
  }

  @Test
  void onlyKeepsRunsMatchingNamesAndGlobsInDefinitionOrder() {
    assertEquals(List.of("lr-0.1", "lr-1", "big-batch"),
        namedRuns().only("big-batch, lr-*").runs().stream().map(Experiments.Run::name).toList());
    assertEquals(4, namedRuns().only("all").runs().size());
    assertEquals(4, namedRuns().only(" ").runs().size());
    assertEquals(List.of("baseline", "lr-0.1", "lr-1", "big-batch"), namedRuns().only("lr-1").names());
    var e = assertThrows(IllegalArgumentException.class, () -> namedRuns().only("baseline,sched-*"));
    assertTrue(e.getMessage().contains("'sched-*'") && e.getMessage().contains("baseline,lr-0.1,lr-1,big-batch"),
        e.getMessage());
  }

  @Test
  void namedRunsRejectUnknownChangesDuplicatesAndGridParameters() {
    var typo = assertThrows(IllegalArgumentException.class,
        () -> new Experiments().defaults(Map.of("lr", 0.01)).named("a", Map.of("lrr", 0.1)));
    assertTrue(typo.getMessage().contains("'lrr'") && typo.getMessage().contains("[lr]"), typo.getMessage());
    assertThrows(IllegalArgumentException.class, () -> namedRuns().named("baseline"));
    assertThrows(IllegalArgumentException.class, () -> namedRuns().named("a b"));
    assertThrows(IllegalStateException.class, () -> namedRuns().param("lr", 0.1));
    assertThrows(IllegalStateException.class, () -> new Experiments().param("lr", 0.1).named("a"));
    assertThrows(IllegalStateException.class, () -> namedRuns().defaults(Map.of("lr", 0.1)));
    assertThrows(IllegalArgumentException.class, () -> new Experiments().defaults(Map.of("run", "x")));
  }

  /** A fake training run: two epochs of train and val rows (and per-step rows, which histories drop). */
  private static History curve(Experiments.Run r, AtomicInteger calls) {
    calls.incrementAndGet();
    double lr = r.doubleParam("lr");
    History h = new History();
    for (int epoch = 1; epoch <= 2; epoch++) {
      h.log("step", epoch, epoch * 10, Map.of("loss", 9.0));
      h.log("train", epoch, epoch * 10, Map.of("loss", lr / epoch, "accuracy", 0.5 + lr * epoch, "lr", lr));
      h.log("val", epoch, epoch * 10, Map.of("loss", 2 * lr / epoch, "accuracy", 0.25 + r.seed()));
    }
    return h;
  }

  @Test
  void historiesAreJournaledAndComeBackTheSame(@TempDir Path dir) throws Exception {
    Path journal = dir.resolve("curves.tsv");
    AtomicInteger calls = new AtomicInteger();
    History first = namedRuns().only("lr-*").seeds(0, 1).journal(journal).parallelism(2).histories(r -> curve(r,
        calls));
    assertEquals(4, calls.get());
    assertEquals(List.of("lr-0.1 seed=0", "lr-0.1 seed=1", "lr-1 seed=0", "lr-1 seed=1"), first.runs());
    assertEquals(16, first.size(), "4 runs x 2 epochs x (train, val); no step rows");
    History again = namedRuns().only("lr-*").seeds(0, 1).journal(journal).histories(r -> curve(r, calls));
    assertEquals(4, calls.get(), "every run comes from the journal");
    assertEquals(first.table().print(), again.table().print());
    History run = again.ofRun("lr-1 seed=1");
    assertArrayEquals(new double[] {1.5, 2.5}, run.series("train", "accuracy"), 1e-15);
    assertArrayEquals(new double[] {1.25, 1.25}, run.series("val", "accuracy"), 1e-15);
    assertArrayEquals(new int[] {10, 20}, run.steps("val"));
    assertTrue(Double.isNaN(run.table().doubleColumn("lr").getDouble(1)), "val rows have no lr");
    // the baseline is not in the journal yet: only it trains
    namedRuns().journal(journal).only("baseline,lr-*").histories(r -> curve(r, calls));
    assertEquals(5, calls.get());
  }

  @Test
  void historyMetricNamesThatCannotBeJournaledAreRejected() {
    var e = assertThrows(IllegalStateException.class, () -> namedRuns().only("baseline")
        .histories(r -> new History().log("train", 1, 1, Map.of("top:1", 0.5))));
    assertTrue(e.getMessage().contains("'top:1'"), e.getMessage());
  }
}
