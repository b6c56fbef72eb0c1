package dlcourse.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.AxesChart;
import org.knowm.xchart.style.XYStyler;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class PaddedTest {

  /** Ten points from (0, 2.15) down to (9, 0.02): 0 lies in the margin below the data. */
  private static XYChart decay() {
    double[] x = new double[10];
    double[] y = new double[10];
    for (int i = 0; i < 10; i++) {
      x[i] = i;
      y[i] = 0.02 + 2.13 * Math.exp(-i / 2.0) * (1 - i / 9.0);
    }
    Map<String, double[]> m = new LinkedHashMap<>();
    m.put("loss", y);
    return Plot.lines(x, m, "epoch", "loss");
  }

  /** Whether the strip left of the plot has dark (text) pixels within 3 rows of screen row {@code y}. */
  private static boolean hasLabelAt(BufferedImage img, int y, int right) {
    for (int r = Math.max(0, y - 3); r <= Math.min(img.getHeight() - 1, y + 3); r++) {
      for (int c = 20; c < right; c++) {
        int rgb = img.getRGB(c, r);
        int lum = ((rgb >> 16) & 0xFF) + ((rgb >> 8) & 0xFF) + (rgb & 0xFF);
        if (lum < 3 * 120) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void lineChartsLabelTheValueAxisInTheMarginBelowTheData() {
    XYChart chart = decay();
    BufferedImage img = Plot.image(chart);
    // After a paint the chart maps values to pixels as in that paint.
    int zero = (int) Math.round(chart.getScreenYFromChart(0));
    int mid = (int) Math.round(chart.getScreenYFromChart(1));
    // The plot frame lies 4% of the data width left of x = 0 (XChart's margin, 0.04 / 0.92 of 9);
    // tick marks and padding take the next pixels, labels lie further left.
    double perUnit = chart.getScreenXFromChart(1) - chart.getScreenXFromChart(0);
    int axisRight = (int) Math.floor(chart.getScreenXFromChart(0) - 9 * 0.04 / 0.92 * perUnit) - 8;
    assertTrue(hasLabelAt(img, mid, axisRight), "the '1' tick label is drawn (sanity check of the probe)");
    assertTrue(hasLabelAt(img, zero, axisRight), "the '0' tick label below the lowest point is drawn");
  }

  @Test
  void paddingKeepsTheDataWhereXChartsDefaultMarginPutsIt() {
    XYChart padded = decay();
    Plot.image(padded);
    XYChart plain = new XYChart(Plot.WIDTH, Plot.HEIGHT);
    XYChart ref = decay();
    ref.getSeriesCollection()
        .forEach(s -> plain.addSeries(s.getName(), s.getXData(), s.getYData()));
    plain.setTitle(ref.getTitle());
    plain.setXAxisTitle("epoch");
    plain.setYAxisTitle("loss");
    copyStyle(ref.getStyler(), plain.getStyler());
    Plot.image(plain);
    for (double y : new double[] {0.02, 1.0, 2.15}) {
      assertEquals(plain.getScreenYFromChart(y), padded.getScreenYFromChart(y), 1.0, "y = " + y);
    }
    for (double x : new double[] {0, 4.5, 9}) {
      assertEquals(plain.getScreenXFromChart(x), padded.getScreenXFromChart(x), 1.0, "x = " + x);
    }
  }

  private static void copyStyle(XYStyler from, XYStyler to) {
    to.setChartTitleFont(from.getChartTitleFont());
    to.setAxisTitleFont(from.getAxisTitleFont());
    to.setAxisTickLabelsFont(from.getAxisTickLabelsFont());
    to.setLegendFont(from.getLegendFont());
    to.setLegendPosition(from.getLegendPosition());
    to.setLegendVisible(from.isLegendVisible());
    to.setMarkerSize(from.getMarkerSize());
  }

  /** The plot area's height in pixels, from the padded automatic range of {@link #decay()}. */
  private static double plotHeight(XYChart chart) {
    double m = Padded.MARGIN * (2.15 - 0.02);
    return chart.getScreenYFromChart(0.02 - m) - chart.getScreenYFromChart(2.15 + m);
  }

  @Test
  void paintingLeavesTheRangesAutomaticSoLaterSeriesWidenThem() {
    XYChart chart = decay();
    Plot.image(chart);
    double before = plotHeight(chart);
    assertNull(chart.getStyler().getYAxisMin());
    assertNull(chart.getStyler().getXAxisMax());
    chart.addSeries("later", new double[] {20}, new double[] {5});
    Plot.image(chart);
    // The y range grew from [0.02, 2.15] to [0.02, 5]: the old range now takes less than half.
    assertTrue(plotHeight(chart) < 0.5 * before, plotHeight(chart) + " vs " + before);
  }

  @Test
  void axisRangesSetByTheUserAreKeptAndDrawnEdgeToEdge() {
    XYChart auto = decay();
    Plot.image(auto);
    XYChart chart = decay();
    chart.getStyler().setYAxisMin(-1.0).setYAxisMax(3.0);
    Plot.image(chart);
    assertEquals(-1.0, chart.getStyler().getYAxisMin());
    assertEquals(3.0, chart.getStyler().getYAxisMax());
    double userHeight = chart.getScreenYFromChart(-1.0) - chart.getScreenYFromChart(3.0);
    assertEquals(plotHeight(auto), userHeight, 1.0, "[-1, 3] fills the plot area");
  }

  @Test
  void marginOfASingleValueIsATenthOfIt() {
    assertEquals(0.5, Padded.margin(5, 5), 1e-12);
    assertEquals(0.1, Padded.margin(0, 0), 1e-12);
    assertEquals(Padded.MARGIN * 4, Padded.margin(-1, 3), 1e-12);
  }

  @Test
  void barChartsKeepZeroAndRoomAboveTheTallestErrorBar() {
    Table t =
        Table.create(
            "t",
            StringColumn.create("conv", "zeros", "reflect"),
            DoubleColumn.create("mean", 0.81, 0.88),
            DoubleColumn.create("std", 0.01, 0.01));
    CategoryChart chart = Plot.bars(t, "conv", "mean", "std");
    Plot.image(chart);
    double bottom = ((AxesChart<?, ?>) chart).getScreenYFromChart(0);
    double top = chart.getScreenYFromChart(0.89);
    double above = chart.getScreenYFromChart(0.9);
    assertTrue(bottom > top && top > above, "0 below the bars, 0.9 above the error bar");
    assertNull(chart.getStyler().getYAxisMax(), "styler restored");
  }

  @Test
  void extentSpansEnabledSeriesWithErrorBars() {
    XYChart chart = new XYChart(100, 100);
    chart.addSeries("a", new double[] {0, 1}, new double[] {1, 2}, new double[] {0.5, 0.5});
    chart.addSeries("b", new double[] {-3, 2}, new double[] {0, 0});
    chart.addSeries("off", new double[] {100}, new double[] {100}).setEnabled(false);
    assertArrayEquals(new double[] {-3, 2, 0, 2.5}, Padded.extent(chart.getSeriesCollection(), true));
    assertNull(Padded.extent(List.of(), true), "no series, no extent");
  }
}
