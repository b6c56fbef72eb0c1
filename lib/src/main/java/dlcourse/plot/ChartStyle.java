package dlcourse.plot;

import static dlcourse.plot.Plot.HEIGHT;
import static dlcourse.plot.Plot.WIDTH;

import java.awt.Color;
import java.awt.Font;
import java.util.List;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.AxesChart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/** What the charts of {@link Plot} share: the palette, axes and legend style, tick labels, column checks. */
final class ChartStyle {
  static {
    // Charts are drawn off-screen; without this AWT tries to reach a display server.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private ChartStyle() {}

  /** Series colours (matplotlib's "tab10"), used in this order. */
  static final Color[] PALETTE = {
    new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0xD62728),
    new Color(0x9467BD), new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F),
    new Color(0xBCBD22), new Color(0x17BECF)
  };

  /** The colour of class {@code c} for points and series. */
  static Color classColor(long c) {
    return PALETTE[(int) (c % PALETTE.length)];
  }

  /** The background colour of class {@code c} in decision boundaries: its colour, lightened. */
  static Color backgroundColor(long c) {
    return c < 0 ? Color.LIGHT_GRAY : lighten(classColor(c), 0.6);
  }

  static XYChart xyChart(String title, String xLabel, String yLabel) {
    XYChart chart = new Padded.XY(WIDTH, HEIGHT);
    style(chart, title, xLabel, yLabel);
    chart.getStyler().setMarkerSize(5);
    return chart;
  }

  static CategoryChart categoryChart(String title, String xLabel, String yLabel) {
    CategoryChart chart = new Padded.Category(WIDTH, HEIGHT);
    style(chart, title, xLabel, yLabel);
    chart.getStyler().setErrorBarsColor(Color.BLACK);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    return chart;
  }

  static void style(AxesChart<? extends AxesChartStyler, ?> chart, String title, String x, String y) {
    chart.setTitle(title);
    chart.setXAxisTitle(x);
    chart.setYAxisTitle(y);
    AxesChartStyler s = chart.getStyler();
    s.setChartBackgroundColor(Color.WHITE);
    s.setChartTitleBoxVisible(false);
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setLegendBorderColor(Color.LIGHT_GRAY);
    s.setLegendPosition(Styler.LegendPosition.OutsideE);
    s.setPlotBorderColor(Color.GRAY);
    s.setPlotGridLinesColor(new Color(0xE0E0E0));
    s.setAntiAlias(true);
  }

  static void finishLegend(XYChart chart) {
    long shown = chart.getSeriesCollection().stream().filter(XYSeries::isShowInLegend).count();
    chart.getStyler().setLegendVisible(shown > 1);
    niceXTicks(chart);
  }

  /**
   * Makes XChart choose round x ticks (0, 50, 100) instead of every k-th data value (0, 23, 46).
   *
   * <p>XChart places ticks on the data values whenever all x values are equally spaced, which reads
   * well for 10 epochs but not for 500 steps. One hidden point half-way between two data values breaks
   * the spacing without changing the axis range.
   */
  static void niceXTicks(XYChart chart) {
    java.util.Set<Double> xs = new java.util.TreeSet<>();
    for (XYSeries s : chart.getSeriesCollection()) {
      for (double x : s.getXData()) {
        xs.add(x);
      }
    }
    if (xs.size() <= 12) {
      return;
    }
    var it = xs.iterator();
    double a = it.next();
    double b = it.next();
    XYSeries first = chart.getSeriesCollection().iterator().next();
    hide(chart.addSeries(" ticks", new double[] {(a + b) / 2}, new double[] {first.getYData()[0]}));
  }

  static void hide(XYSeries s) {
    s.setMarker(SeriesMarkers.NONE).setLineStyle(SeriesLines.NONE).setShowInLegend(false);
  }

  static double[][] columns(List<double[]> rows) {
    double[] x = new double[rows.size()];
    double[] y = new double[rows.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rows.get(i)[0];
      y[i] = rows.get(i)[1];
    }
    return new double[][] {x, y};
  }

  static double zeroIfNaN(double v) {
    return Double.isNaN(v) ? 0.0 : v;
  }

  static Color lighten(Color c, double amount) {
    return new Color(
        (int) Math.round(c.getRed() + (255 - c.getRed()) * amount),
        (int) Math.round(c.getGreen() + (255 - c.getGreen()) * amount),
        (int) Math.round(c.getBlue() + (255 - c.getBlue()) * amount));
  }

  static void requireColumns(Table t, String what, String... names) {
    if (t == null) {
      throw new IllegalArgumentException(what + " is null");
    }
    for (String name : names) {
      if (name == null) {
        throw new IllegalArgumentException("column name is null");
      }
      if (!t.columnNames().contains(name)) {
        throw new IllegalArgumentException(
            what + " has no column '" + name + "'; its columns are " + t.columnNames());
      }
    }
  }

  static NumericColumn<?> numeric(Table t, String name) {
    if (!t.columnNames().contains(name)) {
      throw new IllegalArgumentException("table has no column '" + name + "'; its columns are " + t.columnNames());
    }
    Column<?> c = t.column(name);
    if (!(c instanceof NumericColumn<?> nc)) {
      throw new IllegalArgumentException(
          "column '" + name + "' must be numeric, but it is " + c.type().name());
    }
    return nc;
  }

  /** The values of {@code a} in C order as floats. */
  static float[] toFloats(INDArray a) {
    return a.castTo(DataType.FLOAT).dup('c').reshape(a.length()).toFloatVector();
  }

  /** Stretches {@code v[off, off + len)} to [0, 1] by its finite minimum and maximum (constant: 0.5). */
  static void stretch(float[] v, int off, int len) {
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    for (int i = off; i < off + len; i++) {
      if (Float.isFinite(v[i])) {
        lo = Math.min(lo, v[i]);
        hi = Math.max(hi, v[i]);
      }
    }
    for (int i = off; i < off + len; i++) {
      v[i] = hi > lo ? (v[i] - lo) / (hi - lo) : 0.5f;
    }
  }

  /** Formats an axis or colour-bar value: integers without decimals, others with 3 significant digits. */
  static String formatTick(double v) {
    if (v == 0) {
      return "0";
    }
    if (Math.abs(v - Math.rint(v)) < 1e-9 * Math.max(1, Math.abs(v)) && Math.abs(v) < 1e12) {
      return Long.toString(Math.round(v));
    }
    String s = String.format(java.util.Locale.ROOT, "%.3g", v);
    if (s.contains("e")) {
      return s;
    }
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }
}
