package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Derived caches carry their own SHA-256: a damaged cache is reported and rebuilt from its source, never loaded. */
class DerivedCacheTest {
  @TempDir
  Path dir;
  private DataRegistry previous;

  @BeforeEach
  void keepRegistry() {
    previous = Datasets.registry();
  }

  @AfterEach
  void restoreRegistry() {
    Datasets.registry(previous);
  }

  /** A tiny JPEG-mirror layout: cifar10-jpg/test/CLASS/k.png, two 32x32 images per class, pixel values from (class, k). */
  private Path miniCifarJpg() throws Exception {
    Path tgz = dir.resolve("data/cifar10-jpg.tgz");
    Files.createDirectories(tgz.getParent());
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tgz));
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      for (int c = 0; c < 10; c++) {
        for (int k = 0; k < 2; k++) {
          BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
          for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
              img.setRGB(x, y, ((c * 20 + k) << 16) | ((x * 8) << 8) | (y * 8));
            }
          }
          ByteArrayOutputStream png = new ByteArrayOutputStream();
          ImageIO.write(img, "png", png);
          byte[] b = png.toByteArray();
          TarArchiveEntry e = new TarArchiveEntry("cifar10-jpg/test/" + Cifar10Binary.CLASSES.get(c) + "/" + k
              + ".png");
          e.setSize(b.length);
          tar.putArchiveEntry(e);
          tar.write(b);
          tar.closeArchiveEntry();
        }
      }
    }
    String manifest = "{\"datasets\": {"
        + "\"cifar10\": {\"files\": [{\"path\": \"cifar-10-binary.tar.gz\"}]},"
        + "\"cifar10-jpg\": {\"files\": [{\"path\": \"cifar10-jpg.tgz\"}]}}}";
    Datasets.registry(new DataRegistry().manifest(manifest).dataRoot(dir.resolve("data")).cacheDir(dir.resolve("cache"))
        .systemRoots(List.of()).download(false));
    return dir.resolve("cache/cifar10-jpg-interleaved/test_batch.bin");
  }

  /** Runs {@code load} and returns what it printed on standard error. */
  private static String stderrOf(Runnable load) {
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      load.run();
    } finally {
      System.setErr(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void cifarCacheWithAFlippedByteOrCutShortIsReportedAndRebuilt() throws Exception {
    Path cache = miniCifarJpg();
    TensorDataset first = Datasets.cifar10(Split.TEST);
    assertEquals(20, first.size());
    Path sum = DerivedCache.checksumFile(cache);
    assertTrue(Files.isRegularFile(cache) && Files.isRegularFile(sum));
    String recorded = Files.readString(sum);
    assertEquals(DerivedCache.sha256(Files.readAllBytes(cache)) + "  test_batch.bin\n", recorded);
    // intact: loaded from the cache, silently
    assertEquals("", stderrOf(() -> assertEquals(first.features(), Datasets.cifar10(Split.TEST).features())));

    // one pixel byte flipped: before the checksum this loaded as a wrong pixel, silently
    byte[] bytes = Files.readAllBytes(cache);
    bytes[3073 + 100] ^= 0x40;
    Files.write(cache, bytes);
    String[] loaded = new String[1];
    String err = stderrOf(() -> {
      TensorDataset again = Datasets.cifar10(Split.TEST);
      assertEquals(first.features(), again.features());
      assertEquals(first.labels(), again.labels());
      loaded[0] = "ok";
    });
    assertEquals("ok", loaded[0]);
    assertTrue(err.contains("the cached " + cache + " is not used: its SHA-256 is")
        && err.contains("rebuilding it from cifar10-jpg.tgz"), err);
    assertEquals(recorded, Files.readString(sum), "rebuilt: the same bytes as the first time");

    // cut short to 19 records: before, it loaded as 19 images
    Files.write(cache, java.util.Arrays.copyOf(Files.readAllBytes(cache), 19 * 3073));
    err = stderrOf(() -> assertEquals(20, Datasets.cifar10(Split.TEST).size()));
    assertTrue(err.contains("truncated or edited"), err);

    // a cache without its checksum file (an older version's, or a crash between the two atomic writes) is kept when
    // its layout checks out, and gets its checksum silently (nothing is wrong: a notebook's outputs stay the same
    // whether or not it was the first to load the cache); cut short as well, it is rebuilt
    Files.delete(sum);
    err = stderrOf(() -> assertEquals(first.features(), Datasets.cifar10(Split.TEST).features()));
    assertEquals("", err);
    assertEquals(recorded, Files.readString(sum));
    Files.delete(sum);
    Files.write(cache, java.util.Arrays.copyOf(Files.readAllBytes(cache), 19 * 3073 + 100));
    err = stderrOf(() -> assertEquals(first.features(), Datasets.cifar10(Split.TEST).features()));
    assertTrue(err.contains("has no checksum file test_batch.bin.sha256 and its 58487 bytes do not fit its layout"),
        err);
    assertEquals(recorded, Files.readString(sum));
  }

  @Test
  void checksumIsWrittenAfterTheFileAndAMissingFileIsNotReported() throws Exception {
    Path f = dir.resolve("c/x.bin");
    DerivedCache.write(f, () -> {
      try {
        dlcourse.io.AtomicFiles.write(f, o -> o.write(new byte[] {1, 2, 3}));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertArrayEquals(new byte[] {1, 2, 3}, DerivedCache.read(f, "src", b -> false).orElseThrow());
    assertEquals("", stderrOf(() -> assertTrue(DerivedCache.read(dir.resolve("c/none.bin"), "src", b -> true)
        .isEmpty())));
    // a writer that fails leaves no checksum: the next load rebuilds
    assertThrows(IllegalStateException.class, () -> DerivedCache.write(f, () -> {
      throw new IllegalStateException("disk full");
    }));
    assertFalse(Files.exists(DerivedCache.checksumFile(f)));
    assertTrue(stderrOf(() -> assertFalse(DerivedCache.intact(f, "src", b -> false))).contains("has no checksum file"));
  }

  @Test
  void idxLayoutMatchesTheHeadersDimensions() throws Exception {
    Path f = dir.resolve("i.idx");
    Idx.write(f, new long[] {2, 3}, new byte[6]);
    byte[] b = Files.readAllBytes(f);
    assertTrue(DerivedCache.idxLayout(b));
    assertFalse(DerivedCache.idxLayout(java.util.Arrays.copyOf(b, b.length - 1)));
    assertFalse(DerivedCache.idxLayout(java.util.Arrays.copyOf(b, b.length + 1)));
  }
}
