package dlcourse.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files that readers see whole or not at all: every write goes to a temporary file in the target's folder, which
 * is then renamed over the target (atomically where the file system allows). A crash or a failing writer leaves the
 * old file, if any, and no partial one. The temporary file is created like any file the user writes, so the result
 * gets the permissions of the user's umask (not {@code Files.createTempFile}'s owner-only ones).
 *
 * <pre>{@code
 * AtomicFiles.writeString(Path.of("runs.tsv"), text);
 * AtomicFiles.write(file, out -> ImageIO.write(image, "png", out));
 * }</pre>
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Fills an output stream; may throw, in which case nothing replaces the target. */
  @FunctionalInterface
  public interface Body {
    void write(OutputStream out) throws IOException;
  }

  /** Writes {@code target} from {@code body}, creating its folder if needed. */
  public static void write(Path target, Body body) throws IOException {
    Path tmp = tempSibling(target);
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        body.write(out);
      }
      moveIntoPlace(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes {@code text} as UTF-8. */
  public static void writeString(Path target, String text) throws IOException {
    write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** Writes {@code lines}, each ended by a newline, as UTF-8. */
  public static void writeLines(Path target, List<String> lines) throws IOException {
    StringBuilder s = new StringBuilder();
    lines.forEach(l -> s.append(l).append('\n'));
    writeString(target, s.toString());
  }

  /**
   * A new empty hidden file beside {@code target} ({@code .NAME.RANDOM.tmp}), for writers that need a path (a
   * download, a library that writes files); finish with {@link #moveIntoPlace} and delete it in a finally block.
   */
  public static Path tempSibling(Path target) throws IOException {
    Path abs = target.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    while (true) {
      Path tmp = abs.resolveSibling("." + abs.getFileName() + "."
          + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + ".tmp");
      try {
        return Files.write(tmp, new byte[0], StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (java.nio.file.FileAlreadyExistsException taken) {
        // another writer drew the same name: draw again
      }
    }
  }

  /** Renames a finished temporary file over {@code target}. */
  public static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
