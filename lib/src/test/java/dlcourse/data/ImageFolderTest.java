package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
  @TempDir
  Path dir;

  /** A gray image whose pixel (y, x) is {@code (value + x) % 256}. */
  private static BufferedImage gray(int h, int w, int value) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.getRaster().setSample(x, y, 0, (value + x) % 256);
      }
    }
    return img;
  }

  private Path writeGrayFolder() throws Exception {
    Path root = dir.resolve("set/train");
    // Classes "b" and "a" (sorted to a=0, b=1); two sizes.
    write(root.resolve("b/2.png"), gray(4, 4, 20));
    write(root.resolve("b/1.png"), gray(4, 4, 10));
    write(root.resolve("a/1.png"), gray(6, 5, 30));
    write(root.resolve("a/2.png"), gray(4, 4, 40));
    return root;
  }

  private static void write(Path p, BufferedImage img) throws Exception {
    Files.createDirectories(p.getParent());
    assertTrue(ImageIO.write(img, "png", p.toFile()));
  }

  @Test
  void groupsBySizeWithSortedClassesAndExactPixels() throws Exception {
    var f = ImageFolder.read(writeGrayFolder());
    assertEquals(List.of("a", "b"), f.classes());
    assertEquals(List.of("4x4", "6x5"), f.sizes());
    var small = f.group("4x4");
    assertArrayEquals(new long[] {3, 1, 4, 4}, small.features().shape());
    assertArrayEquals(new long[] {0, 1, 1}, small.labels().toLongVector());
    assertEquals(List.of("a/2.png", "b/1.png", "b/2.png"), f.names("4x4"));
    assertEquals(43 / 255f, small.features().getFloat(0, 0, 2, 3), 1e-7);
    assertEquals(11 / 255f, small.features().getFloat(1, 0, 0, 1), 1e-7);
    assertArrayEquals(new long[] {1, 1, 6, 5}, f.group("6x5").features().shape());
    assertEquals(4, f.size());
    var e = assertThrows(IllegalStateException.class, f::single);
    assertTrue(e.getMessage().contains("4x4") && e.getMessage().contains("6x5"), e.getMessage());
  }

  @Test
  void readsTheSameFromATgzWithAPrefixAndLimitsPerClass() throws Exception {
    Path root = writeGrayFolder();
    Path tgz = dir.resolve("set.tgz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tgz));
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      try (var walk = Files.walk(dir.resolve("set"))) {
        for (Path p : walk.filter(Files::isRegularFile).toList()) {
          byte[] b = Files.readAllBytes(p);
          TarArchiveEntry e = new TarArchiveEntry("set/" + dir.resolve("set").relativize(p));
          e.setSize(b.length);
          tar.putArchiveEntry(e);
          tar.write(b);
          tar.closeArchiveEntry();
        }
      }
    }
    var fromDir = ImageFolder.read(root);
    var fromTgz = ImageFolder.reader().prefix("set/train/").read(tgz);
    assertEquals(fromDir.group("4x4").features(), fromTgz.group("4x4").features());
    assertEquals(fromDir.group("6x5").labels(), fromTgz.group("6x5").labels());
    var limited = ImageFolder.reader().prefix("set/train").maxPerClass(1).read(tgz);
    assertEquals(2, limited.size());
    assertEquals(List.of("a/1.png"), limited.names("6x5"));
  }

  @Test
  void convertsBetweenGrayAndRgb() throws Exception {
    BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(0, 0, 0xff0000);
    rgb.setRGB(1, 0, 0x0000ff);
    write(dir.resolve("c/x/0.png"), rgb);
    var colour = ImageFolder.read(dir.resolve("c")).single();
    assertArrayEquals(new long[] {1, 3, 1, 2}, colour.features().shape());
    assertEquals(1f, colour.features().getFloat(0, 0, 0, 0));
    assertEquals(0f, colour.features().getFloat(0, 2, 0, 0));
    assertEquals(1f, colour.features().getFloat(0, 2, 0, 1));
    var asGray = ImageFolder.reader().channels(1).read(dir.resolve("c")).single();
    assertEquals(Math.round(0.299 * 255) / 255f, asGray.features().getFloat(0, 0, 0, 0), 1e-7);
    write(dir.resolve("g/x/0.png"), gray(2, 2, 77));
    var asRgb = ImageFolder.reader().channels(3).read(dir.resolve("g")).single();
    assertEquals(78 / 255f, asRgb.features().getFloat(0, 2, 1, 1), 1e-7);
  }

  @Test
  void corruptImageAndEmptyFolderAreClearErrors() throws Exception {
    Path bad = dir.resolve("bad/cls/broken.png");
    Files.createDirectories(bad.getParent());
    Files.writeString(bad, "not a png");
    var e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.read(dir.resolve("bad")));
    assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
    Files.createDirectories(dir.resolve("empty/cls"));
    var e2 = assertThrows(IllegalArgumentException.class, () -> ImageFolder.read(dir.resolve("empty")));
    assertTrue(e2.getMessage().contains("no images"), e2.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ImageFolder.reader().channels(2));
  }
}
