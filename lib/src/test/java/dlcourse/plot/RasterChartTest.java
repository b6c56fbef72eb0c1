package dlcourse.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYSeries;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RasterChartTest {

  private static int px(BufferedImage img, double sx, double sy) {
    return img.getRGB((int) Math.round(sx), (int) Math.round(sy)) & 0xFFFFFF;
  }

  @Test
  void heatmapCellsGetLighterAsValuesGrow() {
    // 3 x 5 values increasing in row-major order, in no particular scale.
    float[] v = new float[15];
    for (int i = 0; i < 15; i++) {
      v[i] = -7 + 0.3f * i * i;
    }
    RasterChart chart = Plot.heatmap(Nd4j.createFromArray(v).reshape(3, 5));
    BufferedImage raster = chart.raster();
    assertEquals(5, raster.getWidth());
    assertEquals(3, raster.getHeight());
    assertEquals(Colormap.VIRIDIS.rgb(0), raster.getRGB(0, 0) & 0xFFFFFF);
    assertEquals(Colormap.VIRIDIS.rgb(1), raster.getRGB(4, 2) & 0xFFFFFF);

    BufferedImage img = Plot.image(chart);
    double prev = -1;
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 5; c++) {
        // Row r is drawn at y = -r so that row 0 is on top.
        int rgb = px(img, chart.getScreenXFromChart(c), chart.getScreenYFromChart(-r));
        assertEquals(raster.getRGB(c, r) & 0xFFFFFF, rgb, "cell (" + r + ", " + c + ")");
        double l = ColormapTest.luminance(rgb);
        assertTrue(l > prev, "cell (" + r + ", " + c + ") not lighter than the one before");
        prev = l;
      }
    }
    assertTrue(
        chart.getScreenYFromChart(0) < chart.getScreenYFromChart(-2), "row 0 above row 2 on screen");
  }

  @Test
  void heatmapDrawsAColourBarRightOfThePlot() {
    RasterChart chart = Plot.heatmap(Nd4j.createFromArray(new float[][] {{0, 1}, {2, 3}}));
    BufferedImage img = Plot.image(chart);
    double top = chart.getScreenYFromChart(chart.yMax());
    double bottom = chart.getScreenYFromChart(chart.yMin());
    // The bar is 16 px wide, 8 px into the 90 px strip at the right edge.
    int x = chart.getWidth() - 90 + 16;
    int high = px(img, x, top + 3);
    int low = px(img, x, bottom - 3);
    assertTrue(ColormapTest.luminance(high) > ColormapTest.luminance(Colormap.VIRIDIS.rgb(0.95)));
    assertTrue(ColormapTest.luminance(low) < ColormapTest.luminance(Colormap.VIRIDIS.rgb(0.05)));
  }

  @Test
  void heatmapRejectsNon2dInput() {
    var e = assertThrows(IllegalArgumentException.class, () -> Plot.heatmap(Nd4j.zeros(2, 2, 2)));
    assertTrue(e.getMessage().contains("2-D matrix (rows, cols), got shape [2, 2, 2]"), e.getMessage());
  }

  private static final INDArray POINTS =
      Nd4j.createFromArray(new float[][] {{-1, -1}, {1, 1}, {-1, 1}, {1, -1}});
  private static final INDArray LABELS = Nd4j.createFromArray(0L, 1L, 0L, 1L);

  @Test
  void decisionBoundaryColoursTheGridByPredictedClass() {
    List<INDArray> calls = new ArrayList<>();
    RasterChart chart =
        Plot.decisionBoundary(
            x -> {
              calls.add(x);
              return x.getColumn(0).gt(0).castTo(DataType.LONG);
            },
            POINTS,
            LABELS,
            40);
    assertEquals(1, calls.size(), "one call for the whole grid");
    assertArrayEquals(new long[] {1600, 2}, calls.get(0).shape());
    assertEquals(DataType.FLOAT, calls.get(0).dataType());
    // Bounding box [-1, 1] plus 10% margin.
    assertEquals(-1.2, chart.xMin(), 1e-9);
    assertEquals(1.2, chart.yMax(), 1e-9);

    BufferedImage raster = chart.raster();
    int c0 = ChartStyle.backgroundColor(0).getRGB() & 0xFFFFFF;
    int c1 = ChartStyle.backgroundColor(1).getRGB() & 0xFFFFFF;
    for (int i = 0; i < 40; i++) {
      for (int j = 0; j < 40; j++) {
        int want = j < 20 ? c0 : c1; // x > 0 exactly for the right half of the columns
        assertEquals(want, raster.getRGB(j, i) & 0xFFFFFF, "grid (" + i + ", " + j + ")");
      }
    }
    BufferedImage img = Plot.image(chart);
    assertEquals(c0, px(img, chart.getScreenXFromChart(-0.5), chart.getScreenYFromChart(0)));
    assertEquals(c1, px(img, chart.getScreenXFromChart(0.5), chart.getScreenYFromChart(0)));
    // Points are drawn on top in their class colour.
    assertEquals(
        ChartStyle.classColor(1).getRGB() & 0xFFFFFF,
        px(img, chart.getScreenXFromChart(1), chart.getScreenYFromChart(1)));
  }

  @Test
  void decisionBoundaryScattersOneSeriesPerClassAndAcceptsScores() {
    // Scores (M, 2): class 1 wins where y > 0.
    RasterChart chart =
        Plot.decisionBoundary(
            x -> Nd4j.hstack(x.getColumn(1).neg().reshape(-1, 1), x.getColumn(1).reshape(-1, 1)),
            POINTS,
            LABELS,
            10);
    XYSeries class1 = chart.getSeries("class 1");
    assertArrayEquals(new double[] {1, 1}, class1.getXData());
    assertArrayEquals(new double[] {1, -1}, class1.getYData());
    assertEquals(XYSeries.XYSeriesRenderStyle.Scatter, class1.getXYSeriesRenderStyle().orElse(null));
    int top = chart.raster().getRGB(0, 0) & 0xFFFFFF;
    int bottom = chart.raster().getRGB(0, 9) & 0xFFFFFF;
    assertEquals(ChartStyle.backgroundColor(1).getRGB() & 0xFFFFFF, top);
    assertEquals(ChartStyle.backgroundColor(0).getRGB() & 0xFFFFFF, bottom);
  }

  @Test
  void decisionBoundaryNamesWrongShapes() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Plot.decisionBoundary(x -> Nd4j.zeros(3), POINTS, LABELS, 10));
    assertTrue(e.getMessage().contains("predictClass returned shape [3]"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Plot.decisionBoundary(x -> x, Nd4j.zeros(4, 3), LABELS));
    assertTrue(e.getMessage().contains("points must have shape (N, 2)"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Plot.decisionBoundary(x -> x, POINTS, Nd4j.zeros(3)));
    assertTrue(e.getMessage().contains("one entry per point (4)"), e.getMessage());
  }
}
