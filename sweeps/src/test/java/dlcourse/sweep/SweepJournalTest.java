package dlcourse.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepJournalTest {
  private static TaskResult result(String id, String suffix, String... lines) {
    return new TaskResult(0, id, true, java.util.Arrays.stream(lines).map(l -> new TaskResult.Row(suffix, l)).toList(),
        null, "node1", "3", 12.34, 1, "/w");
  }

  @Test
  void aTasksRowsAreAppendedTogetherWithTaskHostAndWallTime(@TempDir Path dir) throws Exception {
    try (SweepJournal j = new SweepJournal(dir.resolve("runs.tsv"))) {
      j.append(result("lrs:0.1", "", "seed=0 lr=0.1\tscore=1.0", "seed=1 lr=0.1\tscore=2.0"), "b1");
      j.append(result("lrs:0.2", "-e2", "seed=0 lr=0.2\tscore=2.0"), "b1");
      List<String> lines = Files.readAllLines(dir.resolve("runs.tsv"));
      assertEquals(List.of(
          "seed=0 lr=0.1\tscore=1.0\ttask=lrs:0.1 base=b1 rows=2 host=node1 executor=3 wall_s=12.3 attempt=1",
          "seed=1 lr=0.1\tscore=2.0\ttask=lrs:0.1 base=b1 rows=2 host=node1 executor=3 wall_s=12.3 attempt=1"), lines);
      assertEquals(1, Files.readAllLines(dir.resolve("runs-e2.tsv")).size(),
          "a notebook's suffix goes to the same file name");
      assertEquals(Set.of("lrs:0.1", "lrs:0.2"), j.completed("b1"));
      assertEquals(Set.of(), j.completed("other-setting"), "rows of another base setting do not count");
    }
  }

  @Test
  void aCutLastLineAndTheRestOfItsTaskAreRemovedSoThatTaskRunsAgain(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("runs.tsv");
    try (SweepJournal j = new SweepJournal(file)) {
      j.append(result("a:1", "", "seed=0 a=1\tscore=1.0"), "b");
      j.append(result("a:2", "", "seed=0 a=2\tscore=2.0", "seed=1 a=2\tscore=3.0"), "b");
    }
    List<String> lines = Files.readAllLines(file);
    // killed while the second task's lines were written: its second line is cut in the middle
    Files.writeString(file, lines.get(0) + "\n" + lines.get(1) + "\n" + lines.get(2).substring(0, 10));
    try (SweepJournal j = new SweepJournal(file)) {
      assertEquals(Set.of("a:1"), j.completed("b"));
      assertEquals(List.of(lines.get(0)), Files.readAllLines(file),
          "the partial task's rows are gone, the others stay");
    }
  }

  @Test
  void aDamagedLineBeforeTheEndIsAnErrorNamingFileAndLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("runs.tsv");
    Files.writeString(file, "seed=0\tscore=oops\nseed=1\tscore=1.0\n");
    try (SweepJournal j = new SweepJournal(file)) {
      var e = assertThrows(IllegalArgumentException.class, () -> j.completed("b"));
      assertTrue(e.getMessage().contains(file + " line 1 is damaged"), e.getMessage());
    }
  }

  @Test
  void twoSweepsCannotWriteOneJournal(@TempDir Path dir) {
    try (SweepJournal j = new SweepJournal(dir.resolve("runs.tsv"))) {
      var e = assertThrows(IllegalStateException.class, () -> new SweepJournal(dir.resolve("runs.tsv")));
      assertTrue(e.getMessage().contains("another sweep is writing"), e.getMessage());
    }
    new SweepJournal(dir.resolve("runs.tsv")).close(); // free again
    var e = assertThrows(IllegalArgumentException.class, () -> new SweepJournal(dir.resolve("runs.txt")));
    assertTrue(e.getMessage().contains("must name a .tsv file"), e.getMessage());
  }
}
