package dlcourse.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.Identity;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RegionFeaturesTest {
  @TempDir
  Path dir;

  /** A .npy file as numpy.save writes it (version 1.0, little-endian float32, C order unless fortran). */
  static byte[] npy(float[] data, long[] shape, boolean fortran) {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(d).append(", ");
    }
    String shapeText = shape.length == 1 ? "(" + shape[0] + ",)" : "(" + dims.substring(0, dims.length() - 2) + ")";
    String header = "{'descr': '<f4', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shapeText
        + ", }";
    int total = 10 + header.length() + 1;
    header = header + " ".repeat((64 - total % 64) % 64) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    for (float f : data) {
      b.putFloat(f);
    }
    return b.array();
  }

  private static float[] range(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return v;
  }

  @Test
  void regionsAreTheMapsCellsRowByRow() {
    INDArray map = Nd4j.create(range(12), new long[] {1, 3, 2, 2}, 'c'); // (N, E=3, h=2, w=2)
    INDArray r = RegionFeatures.regions(map);
    assertArrayEquals(new long[] {1, 4, 3}, r.shape());
    for (int row = 0; row < 2; row++) {
      for (int col = 0; col < 2; col++) {
        for (int e = 0; e < 3; e++) {
          assertEquals(map.getFloat(0, e, row, col), r.getFloat(0, row * 2 + col, e));
        }
      }
    }
  }

  @Test
  void positionsAreAOneHotPerRegionWhoseMeanIsConstant() {
    INDArray f = Nd4j.rand(DataType.FLOAT, 2, 4, 3);
    INDArray p = RegionFeatures.withPositions(f);
    assertArrayEquals(new long[] {2, 4, 7}, p.shape());
    for (int n = 0; n < 2; n++) {
      for (int r = 0; r < 4; r++) {
        for (int e = 0; e < 3; e++) {
          assertEquals(f.getFloat(n, r, e), p.getFloat(n, r, e));
        }
        for (int q = 0; q < 4; q++) {
          assertEquals(r == q ? 1f : 0f, p.getFloat(n, r, 3 + q));
          assertEquals(0.25f, p.mean(1).getFloat(n, 3 + q), 1e-7);
        }
      }
    }
  }

  @Test
  void extractPoolsTheEncodersMapToTheGridInBatches() {
    INDArray images = Nd4j.rand(DataType.FLOAT, 3, 2, 6, 6);
    INDArray f = RegionFeatures.extract(new Identity(), images, 3, 2); // (3, 9, 2): 2x2 block means
    assertArrayEquals(new long[] {3, 9, 2}, f.shape());
    for (int n = 0; n < 3; n++) {
      for (int r = 0; r < 9; r++) {
        for (int c = 0; c < 2; c++) {
          int y = (r / 3) * 2;
          int x = (r % 3) * 2;
          double mean = (images.getDouble(n, c, y, x) + images.getDouble(n, c, y, x + 1)
              + images.getDouble(n, c, y + 1, x) + images.getDouble(n, c, y + 1, x + 1)) / 4;
          assertEquals(mean, f.getDouble(n, r, c), 1e-6);
        }
      }
    }
    assertEquals(f, RegionFeatures.extract(new Identity(), images, 3, 1));
    var e = assertThrows(IllegalArgumentException.class,
        () -> RegionFeatures.extract(new Identity(), images, 7, 2));
    assertTrue(e.getMessage().contains("h, w >= 7"), e.getMessage());
  }

  @Test
  void readsNpyOfAllImagesInOrderAsRegionsOrMaps() throws Exception {
    Path regions = dir.resolve("feats.npy");
    Files.write(regions, npy(range(2 * 4 * 3), new long[] {2, 4, 3}, false));
    INDArray a = RegionFeatures.read(regions, List.of("a.tif", "b.tif"));
    assertEquals(Nd4j.create(range(24), new long[] {2, 4, 3}, 'c'), a);
    // A CNN's maps (N, E, h, w), written in Fortran order: the same regions once laid out.
    INDArray maps = Nd4j.create(range(2 * 3 * 2 * 2), new long[] {2, 3, 2, 2}, 'c');
    float[] fortran = maps.dup('f').data().asFloat();
    Path mapFile = dir.resolve("maps.npy");
    Files.write(mapFile, npy(fortran, new long[] {2, 3, 2, 2}, true));
    assertEquals(RegionFeatures.regions(maps), RegionFeatures.read(mapFile, List.of("a", "b")));
    var e = assertThrows(IllegalArgumentException.class, () -> RegionFeatures.read(regions, List.of("a")));
    assertTrue(e.getMessage().contains("2 images, expected 1"), e.getMessage());
  }

  @Test
  void readsNpzKeyedByFileNameInTheDatasetsOrder() throws Exception {
    Path file = dir.resolve("feats.npz");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (String name : List.of("1.tif", "2.tif", "3.tif")) {
        float v = Float.parseFloat(name.substring(0, 1));
        float[] data = new float[4 * 2];
        java.util.Arrays.fill(data, v);
        zip.putNextEntry(new ZipEntry(name + ".npy"));
        zip.write(npy(data, new long[] {4, 2}, false));
        zip.closeEntry();
      }
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      bytes.writeTo(out);
    }
    INDArray f = RegionFeatures.read(file, List.of("3.tif", "1.tif"));
    assertArrayEquals(new long[] {2, 4, 2}, f.shape());
    assertEquals(3f, f.getFloat(0, 3, 1));
    assertEquals(1f, f.getFloat(1, 0, 0));
    var e = assertThrows(IllegalArgumentException.class, () -> RegionFeatures.read(file, List.of("9.tif")));
    assertTrue(e.getMessage().contains("no features for image '9.tif'"), e.getMessage());
  }
}
