package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10BinaryTest {
  @TempDir
  Path dir;

  /** Record i: label i % 10, red plane filled with i, green with 100 + i, blue with 200. */
  private static byte[] records(int n, int first) {
    byte[] b = new byte[n * Cifar10Binary.RECORD];
    for (int i = 0; i < n; i++) {
      int o = i * Cifar10Binary.RECORD;
      b[o] = (byte) ((first + i) % 10);
      for (int j = 0; j < 1024; j++) {
        b[o + 1 + j] = (byte) (first + i);
        b[o + 1 + 1024 + j] = (byte) (100 + first + i);
        b[o + 1 + 2048 + j] = (byte) 200;
      }
    }
    return b;
  }

  private Path writeFolder() throws Exception {
    Path d = dir.resolve("cifar-10-batches-bin");
    Files.createDirectories(d);
    for (int k = 1; k <= 5; k++) {
      Files.write(d.resolve("data_batch_" + k + ".bin"), records(3, (k - 1) * 3));
    }
    Files.write(d.resolve("test_batch.bin"), records(2, 50));
    return d;
  }

  @Test
  void readsTheBatchFolderInChannelPlaneOrder() throws Exception {
    writeFolder();
    var train = Cifar10Binary.read(dir, Split.TRAIN);
    assertArrayEquals(new long[] {15, 3, 32, 32}, train.features().shape());
    assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4}, train.labels().toLongVector());
    assertEquals(7 / 255f, train.features().getFloat(7, 0, 31, 5), 1e-7);
    assertEquals(107 / 255f, train.features().getFloat(7, 1, 0, 0), 1e-7);
    assertEquals(200 / 255f, train.features().getFloat(14, 2, 16, 16), 1e-7);
    assertEquals("truck", train.classes().get(9));
    var test = Cifar10Binary.read(dir.resolve("cifar-10-batches-bin"), Split.TEST);
    assertArrayEquals(new long[] {0, 1}, test.labels().toLongVector());
  }

  @Test
  void readsStraightFromTheTarGz() throws Exception {
    Path folder = writeFolder();
    Path tgz = dir.resolve("cifar-10-binary.tar.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tgz));
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      for (String name : new String[] {"test_batch.bin", "data_batch_1.bin"}) {
        byte[] b = Files.readAllBytes(folder.resolve(name));
        TarArchiveEntry e = new TarArchiveEntry("cifar-10-batches-bin/" + name);
        e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
      }
    }
    var test = Cifar10Binary.read(tgz, Split.TEST);
    assertEquals(2, test.size());
    assertEquals(151 / 255f, test.features().getFloat(1, 1, 3, 3), 1e-7);
    var e = assertThrows(IllegalArgumentException.class, () -> Cifar10Binary.read(tgz, Split.TRAIN));
    assertTrue(e.getMessage().contains("data_batch_2.bin"), e.getMessage());
  }

  @Test
  void truncatedBatchIsAnErrorNamingTheFile() throws Exception {
    Path d = writeFolder();
    byte[] b = Files.readAllBytes(d.resolve("test_batch.bin"));
    Files.write(d.resolve("test_batch.bin"), java.util.Arrays.copyOf(b, b.length - 1));
    var e = assertThrows(IllegalArgumentException.class, () -> Cifar10Binary.read(d, Split.TEST));
    assertTrue(e.getMessage().contains("test_batch.bin") && e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void writeThenReadRoundTrips() throws Exception {
    writeFolder();
    var train = Cifar10Binary.read(dir, Split.TRAIN);
    Path f = dir.resolve("copy/test_batch.bin");
    Cifar10Binary.write(train, f);
    var back = Cifar10Binary.read(f.getParent(), Split.TEST);
    assertEquals(train.features(), back.features());
    assertEquals(train.labels(), back.labels());
  }
}
