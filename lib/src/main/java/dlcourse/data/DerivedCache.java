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
import java.util.function.Predicate;

/**
 * Files the library derives from a data set and keeps in the user cache (CIFAR-10 decoded from the JPEG mirror,
 * MNIST recovered from mnist-varres). Each is written atomically with its SHA-256 beside it ({@code NAME.sha256}, in
 * {@code sha256sum}'s format) and checked on every load: a truncated or edited cache is reported on standard error and
 * rebuilt from its source, never loaded. A cache without a checksum file (one an older version wrote, or a crash
 * between the two atomic writes: the file itself is whole either way) is adopted when its layout checks out (its
 * length matches its header or record size), and gets its checksum then; otherwise it is rebuilt. The data sets' own
 * files are checked against the manifest instead ({@link DataRegistry}).
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
   * standard error, naming {@code source}) if it does not match, in which case the caller rebuilds it. A file without
   * a checksum file is adopted when {@code layoutOk} accepts its bytes.
   */
  static Optional<byte[]> read(Path file, String source, Predicate<byte[]> layoutOk) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    String problem;
    byte[] bytes = null;
    Path sum = checksumFile(file);
    try {
      bytes = Files.readAllBytes(file);
      if (!Files.isRegularFile(sum)) {
        if (layoutOk.test(bytes)) {
          // an older version's cache, or a crash between the two writes: kept, silently, so that a notebook's outputs
          // do not depend on whether it was the first to load the cache
          AtomicFiles.writeString(sum, sha256(bytes) + "  " + file.getFileName() + "\n");
          return Optional.of(bytes);
        }
        problem = "it has no checksum file " + sum.getFileName() + " and its " + bytes.length
            + " bytes do not fit its layout (truncated or edited)";
      } else {
        String expected = Files.readString(sum, StandardCharsets.UTF_8).strip().split("\\s+")[0];
        String actual = sha256(bytes);
        problem = actual.equalsIgnoreCase(expected) ? null
            : "its SHA-256 is " + actual + ", its checksum file says " + expected + " (" + bytes.length
                + " bytes: truncated or edited)";
      }
    } catch (IOException e) {
      problem = "it cannot be read or its checksum cannot be written (" + e.getMessage() + ")";
    }
    if (problem == null) {
      return Optional.of(bytes);
    }
    System.err.println("dlcourse: the cached " + file + " is not used: " + problem + "; rebuilding it from " + source);
    return Optional.empty();
  }

  /** Whether {@code file} exists and matches its checksum (see {@link #read}). */
  static boolean intact(Path file, String source, Predicate<byte[]> layoutOk) {
    return read(file, source, layoutOk).isPresent();
  }

  /** The layout of an uncompressed IDX file: its header's dimensions times one byte equal its length. */
  static boolean idxLayout(byte[] b) {
    if (b.length < 4 || b[0] != 0 || b[1] != 0 || b[2] != 0x08 || b[3] < 1 || b[3] > 4) {
      return false;
    }
    int dims = b[3];
    long n = 1;
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
    if (b.length < 4 + 4 * dims) {
      return false;
    }
    for (int i = 0; i < dims; i++) {
      n *= bb.getInt(4 + 4 * i);
    }
    return b.length == 4 + 4L * dims + n;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
