package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
  @TempDir
  Path dir;

  @Test
  void writesAndReadsImagesPlainAndGzipped() throws Exception {
    byte[] px = new byte[2 * 3 * 4];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (i * 10);
    }
    Path plain = dir.resolve("img-idx3-ubyte");
    Idx.write(plain, new long[] {2, 3, 4}, px);
    Path gz = dir.resolve("img-idx3-ubyte.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(Files.readAllBytes(plain));
    }
    for (Path p : new Path[] {plain, gz}) {
      var x = Idx.readImages(p);
      assertArrayEquals(new long[] {2, 1, 3, 4}, x.shape());
      assertEquals(230 / 255f, x.getFloat(1, 0, 2, 3), 1e-7);
      assertEquals(50 / 255f, x.getFloat(0, 0, 1, 1), 1e-7);
    }
  }

  @Test
  void labelsAreUnsignedInt64() {
    Path p = dir.resolve("lab");
    Idx.write(p, new long[] {3}, new byte[] {7, 0, (byte) 200});
    assertArrayEquals(new long[] {7, 0, 200}, Idx.readLabels(p).toLongVector());
  }

  @Test
  void truncatedFileIsAnErrorNamingTheFile() throws Exception {
    Path p = dir.resolve("full");
    Idx.write(p, new long[] {10, 28, 28}, new byte[10 * 784]);
    byte[] all = Files.readAllBytes(p);
    Path cut = dir.resolve("cut-idx3-ubyte");
    Files.write(cut, java.util.Arrays.copyOf(all, all.length - 100));
    var e = assertThrows(IllegalArgumentException.class, () -> Idx.readImages(cut));
    assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    Path junk = dir.resolve("junk");
    Files.writeString(junk, "hello world, not idx");
    var e2 = assertThrows(IllegalArgumentException.class, () -> Idx.read(junk));
    assertTrue(e2.getMessage().contains("not an IDX file"), e2.getMessage());
  }

  @Test
  void imagesAndLabelsWithDifferentCountsAreRejected() {
    Path x = dir.resolve("x");
    Path y = dir.resolve("y");
    Idx.write(x, new long[] {2, 2, 2}, new byte[8]);
    Idx.write(y, new long[] {3}, new byte[3]);
    var e = assertThrows(IllegalArgumentException.class, () -> Idx.readDataset(x, y, Datasets.DIGITS));
    assertTrue(e.getMessage().contains("2 images") && e.getMessage().contains("3 labels"), e.getMessage());
  }
}
