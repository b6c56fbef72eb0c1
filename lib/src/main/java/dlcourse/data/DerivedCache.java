package dlcourse.data;

import dlcourse.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Files the library derives from a data set and keeps in the user cache (CIFAR-10 decoded from the JPEG mirror,
 * MNIST recovered from mnist-varres). Each is written atomically with its SHA-256 beside it ({@code NAME.sha256}, in
 * {@code sha256sum}'s format) and checked on every load: a truncated, edited or half-written cache is reported on
 * standard error and rebuilt from its source, never loaded. The data sets' own files are checked against the
 * manifest instead ({@link DataRegistry}).
 */
final class DerivedCache {
  private DerivedCache() {}

  /** The checksum file of {@code file}. */
  static Path checksumFile(Path file) {
    return file.resolveSibling(file.getFileName() + ".sha256");
  }

  /**
   * Writes {@code file} with {@code writer} (which writes it atomically) and then its checksum. The old checksum is
   * removed first, so a crash in between leaves a cache without one, which is rebuilt.
   */
  static void write(Path file, Runnable writer) {
    try {
      Files.deleteIfExists(checksumFile(file));
      writer.run();
      AtomicFiles.writeString(checksumFile(file), sha256(Files.readAllBytes(file)) + "  " + file.getFileName() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the cache " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The bytes of {@code file} if it exists and matches its checksum; empty if it does not exist, or (reported on
   * standard error, naming {@code source}) if it does not match, in which case the caller rebuilds it.
   */
  static Optional<byte[]> read(Path file, String source) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    String problem;
    byte[] bytes = null;
    try {
      bytes = Files.readAllBytes(file);
      Path sum = checksumFile(file);
      if (!Files.isRegularFile(sum)) {
        problem = "it has no checksum file " + sum.getFileName() + " (an interrupted write, or an older version's cache)";
      } else {
        String expected = Files.readString(sum, StandardCharsets.UTF_8).strip().split("\\s+")[0];
        String actual = sha256(bytes);
        problem = actual.equalsIgnoreCase(expected) ? null
            : "its SHA-256 is " + actual + ", its checksum file says " + expected + " (" + bytes.length
                + " bytes: truncated or edited)";
      }
    } catch (IOException e) {
      problem = "it cannot be read (" + e.getMessage() + ")";
    }
    if (problem == null) {
      return Optional.of(bytes);
    }
    System.err.println("dlcourse: the cached " + file + " is not used: " + problem + "; rebuilding it from " + source);
    return Optional.empty();
  }

  /** Whether {@code file} exists and matches its checksum (a mismatch is reported as by {@link #read}). */
  static boolean intact(Path file, String source) {
    return read(file, source).isPresent();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
