package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class JournalFileTest {
  @Test
  void journalFileNamesEverySettingInOrder() {
    assertEquals(Path.of("/tmp/runs-e15-n50000-b8-d0.3-s42.tsv"),
        Experiments.journalFile("/tmp/runs.tsv", "e", 15, "n", 50_000, "b", 8, "d", 0.3, "s", 42L));
    // the names q2_2_fashion_cnn built by hand before
    assertEquals(Path.of("j" + String.format("-e%d-n%d-b%d-d%s-s%d.tsv", 2, 3000, 8, 0.3, 42L)),
        Experiments.journalFile("j.tsv", "e", 2, "n", 3000, "b", 8, "d", 0.3, "s", 42L));
    assertEquals(Path.of("sweep-e1.tsv"), Experiments.journalFile("sweep", "e", 1)); // no .tsv given: added
    assertEquals(Path.of("plain.tsv"), Experiments.journalFile("plain.tsv"));
    assertNull(Experiments.journalFile("", "e", 1));
    assertThrows(IllegalArgumentException.class, () -> Experiments.journalFile("x.tsv", "e"));
  }

  @Test
  void besideJournalReplacesTheExtension() {
    assertEquals(Path.of("/a/b/runs-e15-lr0.01.zip"), Experiments.besideJournal(Path.of("/a/b/runs-e15.tsv"),
        "-lr0.01.zip"));
    assertEquals(Path.of("/x.tsv.d/runs-w.zip"), Experiments.besideJournal(Path.of("/x.tsv.d/runs.tsv"), "-w.zip"));
    assertEquals(Path.of("runs-w.zip"), Experiments.besideJournal(Path.of("runs"), "-w.zip"));
  }
}
