package dlcourse.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Plot_XY;
import org.knowm.xchart.style.XYStyler;

/**
 * An XY chart with an image stretched over its plot area, under the series: heatmaps and decision
 * boundaries.
 *
 * <p>It is an ordinary {@link XYChart} (series, titles and styler work as usual), so the kernel shows it
 * and {@link Plot#savePng}/{@link Plot#saveSvg} write it. The image's top-left pixel lies at
 * ({@link #xMin()}, {@link #yMax()}) and its bottom-right pixel at ({@link #xMax()}, {@link #yMin()}).
 * Heatmaps also draw a colour bar to the right of the plot.
 */
public final class RasterChart extends XYChart {
  private static final int COLOR_BAR_STRIP = 90;

  private final BufferedImage raster;
  private final double xMin;
  private final double xMax;
  private final double yMin;
  private final double yMax;
  private final boolean pixelated;
  private Colormap colorBarMap;
  private double colorBarMin;
  private double colorBarMax;

  RasterChart(
      int width,
      int height,
      BufferedImage raster,
      double xMin,
      double xMax,
      double yMin,
      double yMax,
      boolean pixelated) {
    super(width, height);
    this.raster = raster;
    this.xMin = xMin;
    this.xMax = xMax;
    this.yMin = yMin;
    this.yMax = yMax;
    this.pixelated = pixelated;
    XYStyler s = getStyler();
    s.setXAxisMin(xMin).setXAxisMax(xMax).setYAxisMin(yMin).setYAxisMax(yMax);
    // The raster must fill the plot area exactly and show through it.
    s.setPlotContentSize(1.0);
    s.setPlotBackgroundColor(new Color(0, 0, 0, 0));
    s.setPlotGridLinesVisible(false);
    // XChart paints the plot surface, then the series; the raster goes in between.
    this.plot =
        new Plot_XY<XYStyler, XYSeries>(this) {
          @Override
          public void paint(Graphics2D g) {
            paintRaster(g);
            super.paint(g);
          }
        };
  }

  /** The image drawn over the plot area (row 0 at the top), one pixel per heatmap cell or grid point. */
  public BufferedImage raster() {
    return raster;
  }

  /** The x value of the image's left edge. */
  public double xMin() {
    return xMin;
  }

  /** The x value of the image's right edge. */
  public double xMax() {
    return xMax;
  }

  /** The y value of the image's bottom edge. */
  public double yMin() {
    return yMin;
  }

  /** The y value of the image's top edge. */
  public double yMax() {
    return yMax;
  }

  /** Draws a vertical colour bar for {@code map} from {@code min} (bottom) to {@code max} (top). */
  RasterChart colorBar(Colormap map, double min, double max) {
    this.colorBarMap = map;
    this.colorBarMin = min;
    this.colorBarMax = max;
    return this;
  }

  @Override
  public void paint(Graphics2D g, int width, int height) {
    if (colorBarMap == null) {
      super.paint(g, width, height);
      return;
    }
    super.paint(g, width - COLOR_BAR_STRIP, height);
    setWidth(width);
    paintColorBar(g, width, height);
  }

  private void paintRaster(Graphics2D g) {
    int x0 = (int) Math.round(getScreenXFromChart(xMin));
    int x1 = (int) Math.round(getScreenXFromChart(xMax));
    int y0 = (int) Math.round(getScreenYFromChart(yMax));
    int y1 = (int) Math.round(getScreenYFromChart(yMin));
    if (x1 <= x0 || y1 <= y0) {
      return;
    }
    // Scale here rather than through g's interpolation hint: the SVG encoder (VectorGraphics2D)
    // fails on that hint, and SVG viewers would smooth a small embedded raster anyway.
    BufferedImage scaled = new BufferedImage(x1 - x0, y1 - y0, BufferedImage.TYPE_INT_RGB);
    Graphics2D sg = scaled.createGraphics();
    sg.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION,
        pixelated
            ? RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR
            : RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    sg.drawImage(raster, 0, 0, x1 - x0, y1 - y0, null);
    sg.dispose();
    g.drawImage(scaled, x0, y0, null);
  }

  private void paintColorBar(Graphics2D g, int width, int height) {
    XYStyler s = getStyler();
    int left = width - COLOR_BAR_STRIP;
    g.setColor(s.getChartBackgroundColor());
    g.fillRect(left, 0, COLOR_BAR_STRIP, height);
    int top = (int) Math.round(getScreenYFromChart(yMax));
    int bottom = (int) Math.round(getScreenYFromChart(yMin));
    int barX = left + 8;
    int barW = 16;
    int h = Math.max(1, bottom - top);
    for (int i = 0; i < h; i++) {
      double t = 1.0 - (i + 0.5) / h;
      g.setColor(colorBarMap.color(t));
      g.fillRect(barX, top + i, barW, 1);
    }
    g.setColor(s.getPlotBorderColor());
    g.setStroke(new BasicStroke(1f));
    g.drawRect(barX, top, barW, h);
    g.setFont(s.getAxisTickLabelsFont());
    g.setColor(s.getAxisTickLabelsColor());
    FontMetrics fm = g.getFontMetrics();
    int ticks = 5;
    for (int k = 0; k < ticks; k++) {
      double f = k / (double) (ticks - 1);
      double v = colorBarMin + f * (colorBarMax - colorBarMin);
      int y = (int) Math.round(bottom - f * h);
      g.drawLine(barX + barW, y, barX + barW + 3, y);
      g.drawString(ChartStyle.formatTick(v), barX + barW + 6, y + fm.getAscent() / 2 - 1);
    }
  }

  @Override
  public String toString() {
    return ChartFiles.describe(this);
  }
}
