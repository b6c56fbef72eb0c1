package dlcourse.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  private static List<String> listing(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void replacesTheTargetAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("sub/out.txt");
    AtomicFiles.writeString(f, "one");
    AtomicFiles.writeLines(f, List.of("a", "b"));
    assertEquals("a\nb\n", Files.readString(f));
    assertEquals(List.of("out.txt"), listing(f.getParent()));
  }

  @Test
  void aFailingWriterKeepsTheOldFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("journal.tsv");
    AtomicFiles.writeString(f, "kept");
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
      out.write("half".getBytes());
      throw new IOException("disk full");
    }));
    assertEquals("disk full", e.getMessage());
    assertEquals("kept", Files.readString(f));
    assertEquals(List.of("journal.tsv"), listing(dir));
  }

  @Test
  void theFileGetsTheUmasksPermissionsLikeAnyOtherFile(@TempDir Path dir) throws Exception {
    Path plain = Files.writeString(dir.resolve("plain.txt"), "x");
    Path atomic = dir.resolve("atomic.txt");
    AtomicFiles.writeString(atomic, "x");
    // Files.createTempFile would give rw------- whatever the umask
    assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
        PosixFilePermissions.toString(Files.getPosixFilePermissions(atomic)));
  }
}
