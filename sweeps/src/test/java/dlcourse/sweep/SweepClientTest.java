package dlcourse.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.train.Experiments;
import dlcourse.train.SweepClient;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/**
 * A notebook cell's view: SweepClient runs the launcher's sweep command as a child process (here a launcher that
 * starts SweepCommand with this JVM's class path) and reads the journal back; Experiments with the same journal
 * then finds every run there.
 */
class SweepClientTest {
  @TempDir
  Path dir;
  private String before;

  @BeforeEach
  void fakeLauncher() throws Exception {
    String opens = String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("-XX:+Ignore")).toList());
    Path launcher = dir.resolve("dlcourse");
    Files.writeString(launcher, "#!/bin/sh\n[ \"$1\" = sweep ] || exit 9\nshift\nexec '"
        + Path.of(System.getProperty("java.home"), "bin", "java") + "' -Xmx512m " + opens
        + " -Ddlcourse.sweep.javaOpts='-Xmx256m' -cp '" + System.getProperty("java.class.path")
        + "' dlcourse.sweep.SweepCommand \"$@\"\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    before = System.getProperty("dlcourse.home");
    System.setProperty("dlcourse.home", dir.toString());
  }

  @AfterEach
  void restore() {
    if (before == null) {
      System.clearProperty("dlcourse.home");
    } else {
      System.setProperty("dlcourse.home", before);
    }
  }

  @Test
  void anExperimentsGridRunsAsASweepAndItsJournalServesExperimentsToo() {
    Path journal = dir.resolve("toy.tsv");
    var exp = new Experiments().seeds(0, 1).param("a", 1, 2);
    Table swept = SweepClient.run(exp, ToyExperiment.class.getName(), "local[2]", journal);
    assertEquals(4, swept.rowCount());
    ToyExperiment.CALLS.clear();
    Table local = exp.journal(journal).run(new ToyExperiment());
    assertEquals(0, ToyExperiment.totalCalls(), "every run of the same grid is in the sweep's journal");
    assertArrayEquals(new double[] {10, 11, 20, 21}, local.doubleColumn("score").asDoubleArray(), 0.0);
    assertEquals(4, swept.stringColumn("host").size());

    var bad = assertThrows(IllegalArgumentException.class,
        () -> SweepClient.run(dir.resolve("x.tsv"), ToyExperiment.class.getName(), "--grid", "a=3..1"));
    assertTrue(bad.getMessage().contains("range 3..1 is empty"), bad.getMessage());
    var failed = assertThrows(IllegalStateException.class,
        () -> SweepClient.run(dir.resolve("f.tsv"), ToyExperiment.class.getName(), "--master", "local[1]",
            "-p", "failOn=1", "--grid", "a=1"));
    assertTrue(failed.getMessage().contains("a=1 fails on purpose") && failed.getMessage().contains("f.tsv"),
        failed.getMessage());
  }
}
