package dlcourse.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Point;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ImageGridTest {

  /** Asserts that image pixel (x, y) of the source, upscaled by s, fills its block with rgb. */
  private static void assertBlock(BufferedImage img, Point o, int s, int x, int y, int rgb) {
    for (int dy = 0; dy < s; dy++) {
      for (int dx = 0; dx < s; dx++) {
        int got = img.getRGB(o.x + x * s + dx, o.y + y * s + dy) & 0xFFFFFF;
        assertEquals(
            rgb, got, String.format("pixel (%d, %d) block offset (%d, %d): %06x", x, y, dx, dy, got));
      }
    }
  }

  private static int gray(int v) {
    return (v << 16) | (v << 8) | v;
  }

  @Test
  void eachImageAppearsUpscaledAtItsGridPosition() {
    // Three 2x3 gray images whose pixels are k/255 for distinct k.
    float[] v = new float[3 * 2 * 3];
    for (int i = 0; i < v.length; i++) {
      v[i] = (10 * i + 5) / 255f;
    }
    INDArray images = Nd4j.createFromArray(v).reshape(3, 1, 2, 3);
    ImageGrid grid = ImageGrid.of(images).columns(2).scale(4).gap(3);
    BufferedImage img = grid.image();

    assertEquals(new Point(3, 3), grid.tileOrigin(0));
    assertEquals(new Point(3 + 12 + 3, 3), grid.tileOrigin(1));
    assertEquals(new Point(3, 3 + 8 + 3), grid.tileOrigin(2));
    assertEquals(3 + 2 * (12 + 3), img.getWidth());
    assertEquals(3 + 2 * (8 + 3), img.getHeight());
    for (int n = 0; n < 3; n++) {
      for (int y = 0; y < 2; y++) {
        for (int x = 0; x < 3; x++) {
          int k = 10 * (n * 6 + y * 3 + x) + 5;
          assertBlock(img, grid.tileOrigin(n), 4, x, y, gray(k));
        }
      }
    }
    // The empty fourth cell stays background.
    assertEquals(0xFFFFFF, img.getRGB(3 + 15 + 5, 3 + 11 + 5) & 0xFFFFFF);
  }

  @Test
  void defaultScaleMakesDigitsAtLeast84PixelsHigh() {
    ImageGrid grid = ImageGrid.of(Nd4j.zeros(10, 1, 28, 28));
    assertEquals(3, grid.scale());
    assertEquals(8, grid.columns());
    BufferedImage img = grid.image();
    assertEquals(4 + 8 * (84 + 4), img.getWidth());
    assertEquals(4 + 2 * (84 + 4), img.getHeight());
  }

  @Test
  void threeChannelsAreDrawnAsRgb() {
    INDArray rgb = Nd4j.createFromArray(1f, 0f, 0.5f).reshape(1, 3, 1, 1);
    ImageGrid grid = ImageGrid.of(rgb).scale(2);
    assertBlock(grid.image(), grid.tileOrigin(0), 2, 0, 0, 0xFF0080);
  }

  @Test
  void valuesOutside01AreStretchedPerImageByDefault() {
    INDArray images = Nd4j.createFromArray(-2f, 0f, 2f, 0.2f, 0.4f, 0.6f).reshape(2, 1, 1, 3);
    ImageGrid grid = ImageGrid.of(images).scale(1).gap(0);
    BufferedImage img = grid.image();
    assertEquals(0x000000, img.getRGB(0, 0) & 0xFFFFFF);
    assertEquals(gray(128), img.getRGB(1, 0) & 0xFFFFFF);
    assertEquals(0xFFFFFF, img.getRGB(2, 0) & 0xFFFFFF);
    // The second image, stretched on its own, also spans black to white.
    assertEquals(0x000000, img.getRGB(3, 0) & 0xFFFFFF);
    assertEquals(0xFFFFFF, img.getRGB(5, 0) & 0xFFFFFF);
  }

  @Test
  void normalizeNoneClipsAndAllSharesOneStretch() {
    INDArray images = Nd4j.createFromArray(-2f, 0.5f, 2f, 0f, 1f, 0f).reshape(2, 1, 1, 3);
    BufferedImage none =
        ImageGrid.of(images).scale(1).gap(0).normalize(ImageGrid.Normalize.NONE).image();
    assertEquals(0x000000, none.getRGB(0, 0) & 0xFFFFFF);
    assertEquals(gray(128), none.getRGB(1, 0) & 0xFFFFFF);
    assertEquals(0xFFFFFF, none.getRGB(2, 0) & 0xFFFFFF);
    BufferedImage all = ImageGrid.of(images).scale(1).gap(0).normalize(ImageGrid.Normalize.ALL).image();
    // Batch range [-2, 2]: 1.0 maps to 0.75.
    assertEquals(gray(191), all.getRGB(4, 0) & 0xFFFFFF);
  }

  private static boolean hasRedText(BufferedImage img, int x0, int y0, int x1, int y1) {
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        int p = img.getRGB(x, y);
        int r = (p >> 16) & 0xFF;
        int g = (p >> 8) & 0xFF;
        int b = p & 0xFF;
        if (r > 150 && g < 120 && b < 120) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean hasDarkText(BufferedImage img, int x0, int y0, int x1, int y1) {
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        int p = img.getRGB(x, y);
        if (((p >> 16) & 0xFF) < 100 && ((p >> 8) & 0xFF) < 100 && (p & 0xFF) < 100) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void wrongPredictionsAreCaptionedInRed() {
    INDArray images = Nd4j.ones(2, 1, 28, 28);
    INDArray labels = Nd4j.createFromArray(7L, 3L);
    INDArray predicted = Nd4j.createFromArray(1L, 3L);
    ImageGrid grid = ImageGrid.of(images).columns(2).predictions(labels, predicted, null);
    BufferedImage img = grid.image();
    Point wrong = grid.tileOrigin(0);
    Point right = grid.tileOrigin(1);
    int tile = 84;
    // Caption strips: below each tile, as wide as the tile.
    assertTrue(hasRedText(img, wrong.x, wrong.y + tile, wrong.x + tile, img.getHeight()));
    assertTrue(hasDarkText(img, right.x, right.y + tile, right.x + tile, img.getHeight()));
    assertTrue(!hasRedText(img, right.x, right.y + tile, right.x + tile, img.getHeight()));
    assertTrue(img.getHeight() > 4 + tile + 4, "room for captions");
  }

  @Test
  void longCaptionsBreakAtTheSlashInsteadOfWideningTheGrid() {
    INDArray images = Nd4j.ones(2, 1, 28, 28);
    List<String> names = List.of("T-shirt/top", "Coat");
    BufferedImage oneLine =
        ImageGrid.of(images).columns(2).predictions(new long[] {0, 1}, new long[] {0, 1}, null).image();
    BufferedImage twoLines =
        ImageGrid.of(images).columns(2).predictions(new long[] {0, 1}, new long[] {1, 1}, names).image();
    // "T-shirt/top / pred Coat" would need about 140 px; its two halves fit the 84 px tile.
    assertEquals(4 + 2 * (84 + 4), twoLines.getWidth());
    assertTrue(twoLines.getHeight() > oneLine.getHeight() + 10, "a second caption line");
    // A single word wider than the tile widens its cell.
    ImageGrid wide = ImageGrid.of(images).columns(2).captions(List.of("a", "Extraordinarily-long-name"));
    assertTrue(wide.image().getWidth() > 4 + 2 * (84 + 4));
    assertTrue(wide.tileOrigin(1).x - wide.tileOrigin(0).x > 88);
  }

  @Test
  void badArgumentsNameTheProblem() {
    var e =
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.of(Nd4j.zeros(2, 2, 4, 4)));
    assertTrue(e.getMessage().contains("1 or 3 channels"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ImageGrid.of(Nd4j.zeros(2, 1, 4, 4)).captions(List.of("a")));
    assertTrue(e.getMessage().contains("captions has 1 entries but there are 2 images"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ImageGrid.of(Nd4j.zeros(1, 1, 4, 4))
                .predictions(new long[] {5}, new long[] {0}, List.of("a", "b")));
    assertTrue(e.getMessage().contains("class 5 has no name"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ImageGrid.of(Nd4j.zeros(1, 1, 4, 4)).columns(0));
    assertTrue(e.getMessage().contains("columns must be positive, got 0"), e.getMessage());
  }

  @Test
  void filtersAreEachStretchedToBlackAndWhite() {
    // Two 2x2 filters with one input channel: [0, 1, 2, 3] and 5 * [-1, -1, -1, 1].
    INDArray w = Nd4j.createFromArray(0f, 1f, 2f, 3f, -5f, -5f, -5f, 5f).reshape(2, 1, 2, 2);
    BufferedImage img = Plot.filters(w);
    int s = 20; // max(2, ceil(40 / 2))
    Point f0 = new Point(2, 2);
    Point f1 = new Point(2 + 2 * s + 2, 2);
    assertEquals(2 + 2 * (2 * s + 2), img.getWidth());
    assertBlock(img, f0, s, 0, 0, gray(0));
    assertBlock(img, f0, s, 1, 0, gray(85));
    assertBlock(img, f0, s, 0, 1, gray(170));
    assertBlock(img, f0, s, 1, 1, gray(255));
    assertBlock(img, f1, s, 0, 0, gray(0));
    assertBlock(img, f1, s, 1, 1, gray(255));
  }

  @Test
  void filtersWithThreeInputsAreRgbAndOthersOneRowPerOutput() {
    INDArray rgb = Nd4j.createFromArray(4f, 0f, 2f).reshape(1, 3, 1, 1);
    BufferedImage img = Plot.filters(rgb);
    assertEquals(2 + 40 + 2, img.getWidth());
    assertEquals(0xFF0080, img.getRGB(10, 10) & 0xFFFFFF);

    BufferedImage grid = Plot.filters(Nd4j.rand(3, 5, 4, 4));
    int cell = 4 * 10 + 2;
    assertEquals(2 + 5 * cell, grid.getWidth(), "one column per input channel");
    assertEquals(2 + 3 * cell, grid.getHeight(), "one row per output channel");
    var e = assertThrows(IllegalArgumentException.class, () -> Plot.filters(Nd4j.rand(3, 4)));
    assertTrue(e.getMessage().contains("4-D weight (out, in, kH, kW)"), e.getMessage());
  }

  @Test
  void overlayBlendsEachRegionsWeightOverItsBlock() {
    // Two black 4x4 images, 2x2 regions: image 0 weights region 1 (top right) most, image 1 region 2.
    INDArray images = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 3, 4, 4);
    INDArray maps = Nd4j.createFromArray(new float[][] {{0f, 0.8f, 0.2f, 0f}, {0f, 0f, 3f, 0f}});
    ImageGrid grid = ImageGrid.of(images).scale(1).gap(0).overlay(maps);
    BufferedImage img = grid.image();
    int top = Colormap.VIRIDIS.rgb(1.0);
    int none = Colormap.VIRIDIS.rgb(0.0);
    int quarter = Colormap.VIRIDIS.rgb(0.25); // 0.2 / 0.8
    assertEquals(scaled(top), img.getRGB(3, 0) & 0xFFFFFF); // image 0, top right block
    assertEquals(scaled(none), img.getRGB(0, 0) & 0xFFFFFF);
    assertEquals(scaled(quarter), img.getRGB(1, 3) & 0xFFFFFF); // bottom left
    Point o = grid.tileOrigin(1);
    assertEquals(scaled(top), img.getRGB(o.x, o.y + 2) & 0xFFFFFF);
    assertEquals(scaled(none), img.getRGB(o.x + 2, o.y + 2) & 0xFFFFFF);
    // (N, h, w) is the same as (N, R) row by row.
    BufferedImage again = ImageGrid.of(images).scale(1).gap(0).overlay(maps.reshape(2, 2, 2)).image();
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        assertEquals(img.getRGB(x, y), again.getRGB(x, y));
      }
    }
    var e = assertThrows(IllegalArgumentException.class, () -> ImageGrid.of(images).overlay(Nd4j.zeros(2, 5)));
    assertTrue(e.getMessage().contains("R square"), e.getMessage());
  }

  /** 45% of a colour over black. */
  private static int scaled(int rgb) {
    int r = (int) Math.round(0.45 * ((rgb >> 16) & 0xFF));
    int g = (int) Math.round(0.45 * ((rgb >> 8) & 0xFF));
    int b = (int) Math.round(0.45 * (rgb & 0xFF));
    return (r << 16) | (g << 8) | b;
  }
}
