package dlcourse.plot;

import dlcourse.util.Check;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.IntToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.AxesChart;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import dlcourse.io.AtomicFiles;
import dlcourse.train.ConfusionMatrix;
import dlcourse.train.History;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Static factories for the course's charts and images, and writers for PNG and SVG files.
 *
 * <p>Charts are XChart objects ({@link XYChart}, {@link CategoryChart}, {@link RasterChart}) and image
 * grids are {@link BufferedImage}s; the notebook kernel shows both inline. Change titles, labels and
 * styles with XChart's own methods, e.g. {@code Plot.curves(h, "loss").setTitle("baseline")}.
 *
 * <pre>{@code
 * Plot.curves(history.table(), "accuracy");            // train and val per epoch, one colour per run
 * Plot.savePng(Plot.heatmap(attention), Path.of("attention.png"));
 * }</pre>
 */
public final class Plot {
  /** Default chart width in pixels. */
  public static final int WIDTH = 720;

  /** Default chart height in pixels. */
  public static final int HEIGHT = 440;

  /** Series colours (matplotlib's "tab10"), used in this order. */
  static final Color[] PALETTE = {
    new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0xD62728),
    new Color(0x9467BD), new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F),
    new Color(0xBCBD22), new Color(0x17BECF)
  };

  private static final List<String> PHASES = List.of("train", "val", "test");

  static {
    // Charts are drawn off-screen; without this AWT tries to reach a display server.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private Plot() {}

  // ---------------------------------------------------------------- training curves

  /**
   * Plots a metric per epoch from a training history: one line per run and phase, x = epoch.
   *
   * <p>Each run gets one colour; train is solid, val dashed and test dotted. With a single run the
   * series are named by phase ({@code "train"}, {@code "val"}); with several, {@code "run phase"}
   * ({@code "lr=0.1 val"}). Rows whose metric is NaN are skipped.
   *
   * @param history long-format table with columns {@code run} (text), {@code phase} ({@code "step"},
   *     {@code "train"}, {@code "val"}, {@code "test"}), {@code epoch}, {@code step} and one numeric
   *     column per metric
   * @param metric the metric column, e.g. {@code "loss"}
   * @throws IllegalArgumentException if a column is missing or the metric has no per-epoch values
   */
  public static XYChart curves(Table history, String metric) {
    requireColumns(history, "history", "run", "phase", "epoch", metric);
    Column<?> run = history.column("run");
    Column<?> phase = history.column("phase");
    NumericColumn<?> epoch = numeric(history, "epoch");
    NumericColumn<?> value = numeric(history, metric);
    Map<String, Map<String, List<double[]>>> byRun = new LinkedHashMap<>();
    for (int i = 0; i < history.rowCount(); i++) {
      String ph = phase.getString(i);
      double v = value.getDouble(i);
      if (ph.equals("step") || Double.isNaN(v)) {
        continue;
      }
      byRun
          .computeIfAbsent(run.getString(i), k -> new TreeMap<>(Plot::comparePhases))
          .computeIfAbsent(ph, k -> new ArrayList<>())
          .add(new double[] {epoch.getDouble(i), v});
    }
    if (byRun.isEmpty()) {
      throw new IllegalArgumentException(
          "history has no per-epoch values of '"
              + metric
              + "' (rows with phase train/val/test and a non-NaN value); "
              + "for per-step values use Plot.stepCurves");
    }
    XYChart chart = xyChart(metric, "epoch", metric);
    int r = 0;
    for (var runEntry : byRun.entrySet()) {
      Color color = PALETTE[r++ % PALETTE.length];
      for (var phaseEntry : runEntry.getValue().entrySet()) {
        String name =
            byRun.size() == 1 || runEntry.getKey().isEmpty()
                ? phaseEntry.getKey()
                : runEntry.getKey() + " " + phaseEntry.getKey();
        double[][] xy = columns(phaseEntry.getValue());
        XYSeries s = chart.addSeries(name, xy[0], xy[1]);
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setLineStyle(phaseStroke(phaseEntry.getKey()));
      }
    }
    finishLegend(chart);
    return chart;
  }

  /** Plots a metric per epoch from {@code history.table()}; see {@link #curves(Table, String)}. */
  public static XYChart curves(History history, String metric) {
    return curves(requireHistory(history).table(), metric);
  }

  /** Plots a metric per step from {@code history.table()}; see {@link #stepCurves(Table, String, double)}. */
  public static XYChart stepCurves(History history, String metric, double smoothing) {
    return stepCurves(requireHistory(history).table(), metric, smoothing);
  }

  /** Plots a metric per step from {@code history.table()}, without smoothing. */
  public static XYChart stepCurves(History history, String metric) {
    return stepCurves(requireHistory(history).table(), metric, 0);
  }

  private static History requireHistory(History h) {
    if (h == null) {
      throw new IllegalArgumentException("history is null");
    }
    return h;
  }

  /** Like {@link #stepCurves(Table, String, double)} without smoothing. */
  public static XYChart stepCurves(Table history, String metric) {
    return stepCurves(history, metric, 0);
  }

  /**
   * Plots a metric per training step (rows with phase {@code "step"}), one line per run, x = step.
   *
   * <p>With {@code smoothing > 0} the raw values are drawn faintly and an exponential moving average
   * on top, debiased like TensorBoard's: {@code s_t = w s_(t-1) + (1 - w) y_t}, divided by {@code 1 -
   * w^(t+1)}.
   *
   * @param history long-format history table; see {@link #curves(Table, String)}
   * @param metric the metric column, e.g. {@code "loss"}
   * @param smoothing EMA weight w in [0, 1); 0 draws the raw values only
   * @throws IllegalArgumentException if a column is missing, there are no step rows for the metric, or
   *     smoothing is outside [0, 1)
   */
  public static XYChart stepCurves(Table history, String metric, double smoothing) {
    Check.inRangeExclusive(smoothing, 0, 1, "smoothing");
    requireColumns(history, "history", "run", "phase", "step", metric);
    Column<?> run = history.column("run");
    Column<?> phase = history.column("phase");
    NumericColumn<?> step = numeric(history, "step");
    NumericColumn<?> value = numeric(history, metric);
    Map<String, List<double[]>> byRun = new LinkedHashMap<>();
    for (int i = 0; i < history.rowCount(); i++) {
      double v = value.getDouble(i);
      if (!phase.getString(i).equals("step") || Double.isNaN(v)) {
        continue;
      }
      byRun
          .computeIfAbsent(run.getString(i), k -> new ArrayList<>())
          .add(new double[] {step.getDouble(i), v});
    }
    if (byRun.isEmpty()) {
      throw new IllegalArgumentException(
          "history has no per-step values of '"
              + metric
              + "' (rows with phase 'step' and a non-NaN value); for per-epoch values use Plot.curves");
    }
    XYChart chart = xyChart(metric + " per step", "step", metric);
    int r = 0;
    for (var e : byRun.entrySet()) {
      Color color = PALETTE[r++ % PALETTE.length];
      String name = byRun.size() == 1 || e.getKey().isEmpty() ? metric : e.getKey();
      double[][] xy = columns(e.getValue());
      if (smoothing > 0) {
        XYSeries raw = chart.addSeries(name + " (raw)", xy[0], xy[1]);
        raw.setMarker(SeriesMarkers.NONE);
        raw.setLineColor(lighten(color, 0.65));
        raw.setShowInLegend(false);
        raw.setLineWidth(1f);
        XYSeries s = chart.addSeries(name, xy[0], ema(xy[1], smoothing));
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
      } else {
        XYSeries s = chart.addSeries(name, xy[0], xy[1]);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
      }
    }
    finishLegend(chart);
    return chart;
  }

  /**
   * Returns the debiased exponential moving average of {@code y}; see {@link #stepCurves(Table,
   * String, double)}.
   *
   * @param y values, NaN-free
   * @param weight EMA weight in [0, 1); 0 returns a copy of y
   */
  public static double[] ema(double[] y, double weight) {
    Check.inRangeExclusive(weight, 0, 1, "weight");
    double[] out = new double[y.length];
    double s = 0;
    double w = 1;
    for (int t = 0; t < y.length; t++) {
      s = weight * s + (1 - weight) * y[t];
      w *= weight;
      out[t] = s / (1 - w);
    }
    return out;
  }

  // ---------------------------------------------------------------- bars and lines

  /**
   * Draws one bar per row with an error bar, e.g. mean accuracy and its std over seeds.
   *
   * @param table one row per category
   * @param categoryCol column naming the bars (any type, shown as text)
   * @param meanCol numeric column with the bar heights
   * @param stdCol numeric column with the error-bar half-lengths, or null for no error bars
   * @throws IllegalArgumentException if a column is missing or not numeric
   */
  public static CategoryChart bars(Table table, String categoryCol, String meanCol, String stdCol) {
    requireColumns(table, "table", categoryCol, meanCol);
    List<String> cats = new ArrayList<>();
    List<Double> means = new ArrayList<>();
    List<Double> errs = new ArrayList<>();
    NumericColumn<?> mean = numeric(table, meanCol);
    NumericColumn<?> std = stdCol == null ? null : numeric(table, stdCol);
    for (int i = 0; i < table.rowCount(); i++) {
      cats.add(table.column(categoryCol).getString(i));
      means.add(mean.getDouble(i));
      errs.add(std == null ? 0.0 : zeroIfNaN(std.getDouble(i)));
    }
    CategoryChart chart = categoryChart(meanCol, categoryCol, meanCol);
    CategorySeries s =
        std == null ? chart.addSeries(meanCol, cats, means) : chart.addSeries(meanCol, cats, means, errs);
    s.setFillColor(PALETTE[0]);
    chart.getStyler().setLegendVisible(false);
    return chart;
  }

  /**
   * Draws grouped bars: categories along x, one coloured bar per group value inside each category
   * (e.g. conv type x network), with error bars. Missing combinations leave an empty slot (height 0).
   *
   * @param table one row per (category, group) pair
   * @param categoryCol column giving the x position
   * @param groupCol column giving the bar colour (one legend entry per value)
   * @param meanCol numeric column with the bar heights
   * @param stdCol numeric column with the error-bar half-lengths, or null for no error bars
   * @throws IllegalArgumentException if a column is missing or not numeric
   */
  public static CategoryChart groupedBars(
      Table table, String categoryCol, String groupCol, String meanCol, String stdCol) {
    requireColumns(table, "table", categoryCol, groupCol, meanCol);
    NumericColumn<?> mean = numeric(table, meanCol);
    NumericColumn<?> std = stdCol == null ? null : numeric(table, stdCol);
    List<String> cats = new ArrayList<>();
    Map<String, Map<String, double[]>> byGroup = new LinkedHashMap<>();
    for (int i = 0; i < table.rowCount(); i++) {
      String c = table.column(categoryCol).getString(i);
      if (!cats.contains(c)) {
        cats.add(c);
      }
      double err = std == null ? 0.0 : zeroIfNaN(std.getDouble(i));
      byGroup
          .computeIfAbsent(table.column(groupCol).getString(i), k -> new LinkedHashMap<>())
          .put(c, new double[] {mean.getDouble(i), err});
    }
    CategoryChart chart = categoryChart(meanCol, categoryCol, meanCol);
    int g = 0;
    for (var e : byGroup.entrySet()) {
      List<Double> means = new ArrayList<>();
      List<Double> errs = new ArrayList<>();
      for (String c : cats) {
        double[] v = e.getValue().get(c);
        // XChart's error bars cannot take null, so a missing combination is an empty (zero) slot.
        means.add(v == null ? 0.0 : v[0]);
        errs.add(v == null ? 0.0 : v[1]);
      }
      CategorySeries s =
          std == null
              ? chart.addSeries(e.getKey(), cats, means)
              : chart.addSeries(e.getKey(), cats, means, errs);
      s.setFillColor(PALETTE[g++ % PALETTE.length]);
    }
    return chart;
  }

  /**
   * Draws one line with markers per entry of {@code series} against shared x values, e.g. accuracy
   * against rotation angle for the train and test sets.
   *
   * @param x the shared x values, length n
   * @param series name to y values (each length n), drawn in the map's iteration order
   * @param xLabel x-axis title
   * @param yLabel y-axis title
   * @throws IllegalArgumentException if a series' length differs from x's or series is empty
   */
  public static XYChart lines(double[] x, Map<String, double[]> series, String xLabel, String yLabel) {
    if (x == null || series == null || series.isEmpty()) {
      throw new IllegalArgumentException("x and series must be given and series must not be empty");
    }
    XYChart chart = xyChart(yLabel + " vs " + xLabel, xLabel, yLabel);
    int i = 0;
    for (var e : series.entrySet()) {
      if (e.getValue().length != x.length) {
        throw new IllegalArgumentException(
            "series '"
                + e.getKey()
                + "' has "
                + e.getValue().length
                + " values but x has "
                + x.length);
      }
      Color c = PALETTE[i++ % PALETTE.length];
      XYSeries s = chart.addSeries(e.getKey(), x.clone(), e.getValue().clone());
      s.setMarker(SeriesMarkers.CIRCLE);
      s.setLineColor(c);
      s.setMarkerColor(c);
    }
    finishLegend(chart);
    return chart;
  }

  /**
   * Like {@link #lines(double[], Map, String, String)} with both axes logarithmic: for costs that grow as a power
   * of a size (a straight line of slope k is a cost proportional to size^k).
   *
   * @throws IllegalArgumentException if a value is not positive, or as {@link #lines}
   */
  public static XYChart logLog(double[] x, Map<String, double[]> series, String xLabel, String yLabel) {
    XYChart chart = lines(x, series, xLabel, yLabel);
    for (double v : x) {
      if (!(v > 0)) {
        throw new IllegalArgumentException("a log-log chart needs positive x values, got " + v);
      }
    }
    for (var e : series.entrySet()) {
      for (double v : e.getValue()) {
        if (!(v > 0)) {
          throw new IllegalArgumentException(
              "a log-log chart needs positive values, series '" + e.getKey() + "' has " + v);
        }
      }
    }
    chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
    return chart;
  }

  /** Plots a learning-rate schedule, one value per step (or epoch), x = index. */
  public static XYChart lr(double[] lrs) {
    Map<String, double[]> m = new LinkedHashMap<>();
    m.put("lr", lrs);
    return lr(m);
  }

  /**
   * Plots {@code steps} values of a schedule given as a function of the step (0-based).
   *
   * @throws IllegalArgumentException if steps is not positive
   */
  public static XYChart lr(IntToDoubleFunction lrAtStep, int steps) {
    Check.positive(steps, "steps");
    double[] v = new double[steps];
    for (int i = 0; i < steps; i++) {
      v[i] = lrAtStep.applyAsDouble(i);
    }
    return lr(v);
  }

  /**
   * Plots several learning-rate schedules on one chart, to compare them (step, cosine, warm-up...).
   *
   * @param schedules name to one value per step; schedules may differ in length
   */
  public static XYChart lr(Map<String, double[]> schedules) {
    if (schedules == null || schedules.isEmpty()) {
      throw new IllegalArgumentException("schedules must not be empty");
    }
    XYChart chart = xyChart("learning rate", "step", "learning rate");
    int i = 0;
    for (var e : schedules.entrySet()) {
      double[] y = e.getValue();
      if (y.length == 0) {
        throw new IllegalArgumentException("schedule '" + e.getKey() + "' is empty");
      }
      double[] x = new double[y.length];
      for (int k = 0; k < x.length; k++) {
        x[k] = k;
      }
      XYSeries s = chart.addSeries(e.getKey(), x, y.clone());
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(PALETTE[i++ % PALETTE.length]);
    }
    finishLegend(chart);
    return chart;
  }

  // ---------------------------------------------------------------- heatmaps and boundaries

  /** Like {@link #heatmap(INDArray, Colormap)} with {@link Colormap#VIRIDIS}. */
  public static RasterChart heatmap(INDArray matrix) {
    return heatmap(matrix, Colormap.VIRIDIS);
  }

  /**
   * Draws a matrix as coloured cells with a colour bar: attention weights, positional encodings.
   *
   * <p>Row 0 is at the top (as in matplotlib's {@code imshow}); the y axis counts rows downwards and
   * the x axis counts columns. The colour scale runs from the smallest to the largest finite value;
   * NaN cells are light gray. {@link RasterChart#raster()} holds one pixel per cell.
   *
   * @param matrix shape {@code (rows, cols)}
   * @param colormap colour scale
   * @throws IllegalArgumentException if matrix is not 2-D
   */
  public static RasterChart heatmap(INDArray matrix, Colormap colormap) {
    if (matrix == null || matrix.rank() != 2) {
      throw new IllegalArgumentException(
          "heatmap needs a 2-D matrix (rows, cols), got shape "
              + (matrix == null ? "null" : Arrays.toString(matrix.shape())));
    }
    int rows = (int) matrix.rows();
    int cols = (int) matrix.columns();
    float[] v = toFloats(matrix);
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (float f : v) {
      if (Float.isFinite(f)) {
        lo = Math.min(lo, f);
        hi = Math.max(hi, f);
      }
    }
    if (lo > hi) {
      lo = 0;
      hi = 1;
    }
    BufferedImage raster = new BufferedImage(cols, rows, BufferedImage.TYPE_INT_RGB);
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        float f = v[r * cols + c];
        double t = hi > lo ? (f - lo) / (hi - lo) : 0.5;
        raster.setRGB(c, r, colormap.rgb(Float.isFinite(f) ? t : Double.NaN));
      }
    }
    // Square cells where the shape allows, within sensible chart sizes.
    int plotH = 380;
    int plotW = (int) Math.max(260, Math.min(820, Math.round(plotH * cols / (double) rows)));
    RasterChart chart =
        new RasterChart(
            plotW + 200, plotH + 110, raster, -0.5, cols - 0.5, -(rows - 0.5), 0.5, true);
    style(chart, "heatmap", "column", "row");
    // y runs through -row so that row 0 is at the top; the labels undo the sign.
    chart.setCustomYAxisTickLabelsFormatter(y -> formatTick(-y));
    chart.setCustomXAxisTickLabelsFormatter(Plot::formatTick);
    // With a custom formatter XChart puts ticks at the series' data values: give it every cell index.
    double[] colIdx = new double[cols];
    for (int c = 0; c < cols; c++) {
      colIdx[c] = c;
    }
    double[] rowIdx = new double[rows];
    for (int r = 0; r < rows; r++) {
      rowIdx[r] = -r;
    }
    hide(chart.addSeries(" columns", colIdx, new double[cols]));
    hide(chart.addSeries(" rows", new double[rows], rowIdx));
    chart.getStyler().setLegendVisible(false);
    return chart.colorBar(colormap, lo, hi);
  }

  /**
   * A confusion matrix as a heatmap, like scikit-learn's {@code ConfusionMatrixDisplay}: true classes down, predicted
   * classes across, both labelled with the class names; the colour is the count, or with {@code normalize} the
   * fraction of each true class (its row sums to 1, the diagonal is the per-class accuracy).
   */
  public static RasterChart confusionMatrix(ConfusionMatrix cm, boolean normalize) {
    long[][] counts = cm.counts();
    int k = counts.length;
    double[][] cells = new double[k][k];
    for (int i = 0; i < k; i++) {
      long row = 0;
      for (long c : counts[i]) {
        row += c;
      }
      for (int j = 0; j < k; j++) {
        cells[i][j] = normalize ? (row == 0 ? Double.NaN : counts[i][j] / (double) row) : counts[i][j];
      }
    }
    RasterChart chart = heatmap(Nd4j.createFromArray(cells), Colormap.VIRIDIS);
    List<String> names = cm.classNames();
    chart.setCustomXAxisTickLabelsFormatter(x -> className(names, Math.round(x)));
    chart.setCustomYAxisTickLabelsFormatter(y -> className(names, Math.round(-y)));
    chart.getStyler().setXAxisLabelRotation(45);
    chart.setXAxisTitle("predicted");
    chart.setYAxisTitle("true");
    chart.setTitle(String.format(Locale.ROOT, "confusion matrix%s: %,d samples, accuracy %.3f",
        normalize ? " (fraction of each true class)" : "", cm.total(), cm.accuracy()));
    return chart;
  }

  /** {@link #confusionMatrix(ConfusionMatrix, boolean)} with counts. */
  public static RasterChart confusionMatrix(ConfusionMatrix cm) {
    return confusionMatrix(cm, false);
  }

  private static String className(List<String> names, long index) {
    return index >= 0 && index < names.size() ? names.get((int) index) : "";
  }

  /** Like {@link #decisionBoundary(Function, INDArray, INDArray, int)} on a 200 x 200 grid. */
  public static RasterChart decisionBoundary(
      Function<INDArray, INDArray> predictClass, INDArray points, INDArray labels) {
    return decisionBoundary(predictClass, points, labels, 200);
  }

  /**
   * Colours the plane by the class a model predicts and scatters the data points on top.
   *
   * <p>The grid covers the points' bounding box plus 10% on each side. {@code predictClass} is called
   * once with all grid points; it may return class indices {@code (M)} or {@code (M, 1)}, or scores
   * {@code (M, C)} (the arg-max is taken). Class k is drawn in palette colour k, lightened for the
   * background. {@link RasterChart#raster()} holds the predicted colours, row 0 at the top.
   *
   * @param predictClass maps grid points {@code (M, 2)} (same data type as points) to classes
   * @param points data points, shape {@code (N, 2)}
   * @param labels their classes, shape {@code (N)}, or null to draw all points in black
   * @param resolution grid points per axis, at least 2
   * @throws IllegalArgumentException if a shape is wrong or predictClass returns a wrong shape
   */
  public static RasterChart decisionBoundary(
      Function<INDArray, INDArray> predictClass, INDArray points, INDArray labels, int resolution) {
    if (points == null || points.rank() != 2 || points.size(1) != 2 || points.size(0) == 0) {
      throw new IllegalArgumentException(
          "points must have shape (N, 2) with N > 0, got "
              + (points == null ? "null" : Arrays.toString(points.shape())));
    }
    int n = (int) points.size(0);
    if (labels != null && labels.length() != n) {
      throw new IllegalArgumentException(
          "labels must have one entry per point (" + n + "), got shape " + Arrays.toString(labels.shape()));
    }
    if (resolution < 2) {
      throw new IllegalArgumentException("resolution must be at least 2, got " + resolution);
    }
    double[][] p = points.castTo(DataType.DOUBLE).toDoubleMatrix();
    double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY;
    double y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
    for (double[] q : p) {
      x0 = Math.min(x0, q[0]);
      x1 = Math.max(x1, q[0]);
      y0 = Math.min(y0, q[1]);
      y1 = Math.max(y1, q[1]);
    }
    double mx = x1 > x0 ? 0.1 * (x1 - x0) : 1;
    double my = y1 > y0 ? 0.1 * (y1 - y0) : 1;
    x0 -= mx;
    x1 += mx;
    y0 -= my;
    y1 += my;
    int r = resolution;
    double[] grid = new double[r * r * 2];
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < r; j++) {
        grid[2 * (i * r + j)] = x0 + (j + 0.5) * (x1 - x0) / r;
        grid[2 * (i * r + j) + 1] = y1 - (i + 0.5) * (y1 - y0) / r;
      }
    }
    DataType dt = points.dataType().isFPType() ? points.dataType() : DataType.FLOAT;
    INDArray gridArr = Nd4j.createFromArray(grid).reshape(r * r, 2).castTo(dt);
    long[] cls = classesOf(predictClass.apply(gridArr), r * r);
    BufferedImage raster = new BufferedImage(r, r, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < r; j++) {
        raster.setRGB(j, i, backgroundColor(cls[i * r + j]).getRGB());
      }
    }
    RasterChart chart = new RasterChart(WIDTH, HEIGHT + 40, raster, x0, x1, y0, y1, false);
    style(chart, "decision boundary", "x1", "x2");
    addFrameSeries(chart);
    long[] lab =
        labels == null ? null : labels.castTo(DataType.LONG).reshape(labels.length()).toLongVector();
    Map<Long, List<double[]>> byClass = new TreeMap<>();
    for (int k = 0; k < n; k++) {
      byClass.computeIfAbsent(lab == null ? -1L : lab[k], c -> new ArrayList<>()).add(p[k]);
    }
    for (var e : byClass.entrySet()) {
      double[][] xy = columns(e.getValue());
      long c = e.getKey();
      XYSeries s = chart.addSeries(c < 0 ? "points" : "class " + c, xy[0], xy[1]);
      Color col = c < 0 ? Color.BLACK : classColor(c);
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(col);
    }
    chart.getStyler().setMarkerSize(6);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    return chart;
  }

  /** The colour of class {@code c} for points and series. */
  static Color classColor(long c) {
    return PALETTE[(int) (c % PALETTE.length)];
  }

  /** The background colour of class {@code c} in decision boundaries: its colour, lightened. */
  static Color backgroundColor(long c) {
    return c < 0 ? Color.LIGHT_GRAY : lighten(classColor(c), 0.6);
  }

  private static long[] classesOf(INDArray out, int m) {
    if (out == null) {
      throw new IllegalArgumentException("predictClass returned null");
    }
    long[] s = out.shape();
    INDArray idx;
    if (out.rank() == 2 && s[0] == m && s[1] > 1) {
      idx = out.argMax(1);
    } else if (out.length() == m && (out.rank() == 1 || (out.rank() == 2 && s[1] == 1))) {
      idx = out;
    } else {
      throw new IllegalArgumentException(
          "predictClass returned shape "
              + Arrays.toString(s)
              + " for a grid of shape ("
              + m
              + ", 2); expected ("
              + m
              + ") class indices or ("
              + m
              + ", C) scores");
    }
    double[] d = idx.castTo(DataType.DOUBLE).reshape(m).toDoubleVector();
    long[] c = new long[m];
    for (int i = 0; i < m; i++) {
      c[i] = Math.round(d[i]);
    }
    return c;
  }

  // ---------------------------------------------------------------- images

  /**
   * Lays out images in a grid with one caption each; see {@link ImageGrid} for more options.
   *
   * @param images shape {@code (N, C, H, W)}, C = 1 or 3; values in [0, 1] are drawn as they are,
   *     other ranges are stretched per image
   * @param columns tiles per row
   * @param captions one per image, or null
   */
  public static BufferedImage imageGrid(INDArray images, int columns, List<String> captions) {
    return ImageGrid.of(images).columns(columns).captions(captions).image();
  }

  /**
   * Lays out images captioned {@code "label / pred p"}, in red where the prediction is wrong.
   *
   * @param images shape {@code (N, C, H, W)}, C = 1 or 3
   * @param columns tiles per row
   * @param labels true classes, shape (N)
   * @param predicted predicted classes, shape (N)
   * @param classNames names indexed by class, or null for numbers
   */
  public static BufferedImage imageGrid(
      INDArray images, int columns, INDArray labels, INDArray predicted, List<String> classNames) {
    return ImageGrid.of(images).columns(columns).predictions(labels, predicted, classNames).image();
  }

  /**
   * Draws convolution filters, each stretched to its own minimum (black) and maximum (white).
   *
   * <p>With 3 input channels each filter is one RGB tile, 8 per row. Otherwise each row shows one
   * output channel and each column one input channel, in grayscale (with 1 input channel, 8 filters
   * per row).
   *
   * @param weight shape {@code (out, in, kH, kW)}, PyTorch's layout
   * @throws IllegalArgumentException if weight is not 4-D
   */
  public static BufferedImage filters(INDArray weight) {
    if (weight == null || weight.rank() != 4) {
      throw new IllegalArgumentException(
          "filters needs a 4-D weight (out, in, kH, kW), got shape "
              + (weight == null ? "null" : Arrays.toString(weight.shape())));
    }
    int out = (int) weight.size(0);
    int in = (int) weight.size(1);
    int kh = (int) weight.size(2);
    int kw = (int) weight.size(3);
    float[] d = toFloats(weight).clone();
    int per = in * kh * kw;
    for (int o = 0; o < out; o++) {
      stretch(d, o * per, per);
    }
    int scale = Math.max(2, (40 + kh - 1) / kh);
    ImageGrid grid =
        in == 3
            ? ImageGrid.of(d, out, 3, kh, kw).columns(Math.min(out, 8))
            : ImageGrid.of(d, out * in, 1, kh, kw).columns(in == 1 ? Math.min(out, 8) : in);
    return grid.normalize(ImageGrid.Normalize.NONE).scale(scale).gap(2).image();
  }

  // ---------------------------------------------------------------- files

  /** Renders a chart to an image of its own size. */
  public static BufferedImage image(Chart<?, ?> chart) {
    return BitmapEncoder.getBufferedImage(chart);
  }

  /**
   * What a chart is and how to see it, for places that print it as text (JShell, a log): a notebook shows the chart
   * itself, elsewhere it must be saved.
   */
  static String describe(Chart<?, ?> chart) {
    List<String> series = chart.getSeriesCollection().stream().map(x -> x.getName())
        .filter(n -> !n.startsWith(" ")).toList(); // names starting with a space are the hidden helper series
    String title = chart.getTitle() == null || chart.getTitle().isBlank() ? "" : " \"" + chart.getTitle() + "\"";
    return String.format(Locale.ROOT, "%s%s, %d x %d px, %d series %s: a notebook shows it as an image; elsewhere"
            + " save it with Plot.savePng(chart, Path.of(\"chart.png\")) or Plot.saveSvg(chart, Path.of(\"chart.svg\"))",
        chart instanceof RasterChart ? "RasterChart" : chart instanceof CategoryChart ? "CategoryChart" : "XYChart",
        title, chart.getWidth(), chart.getHeight(), series.size(), series);
  }

  /**
   * Writes a chart as PNG, atomically (a temp file in the same folder, then a rename).
   *
   * @throws UncheckedIOException if the file cannot be written
   */
  public static void savePng(Chart<?, ?> chart, Path file) {
    writeAtomically(file, os -> BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG));
  }

  /** Writes an image as PNG, atomically. */
  public static void savePng(BufferedImage image, Path file) {
    writeAtomically(file, os -> ImageIO.write(image, "png", os));
  }

  /** Writes a chart as SVG (lines and text as vector paths, raster parts embedded), atomically. */
  public static void saveSvg(Chart<?, ?> chart, Path file) {
    writeAtomically(
        file,
        os ->
            VectorGraphicsEncoder.saveVectorGraphic(
                chart, os, VectorGraphicsEncoder.VectorGraphicsFormat.SVG));
  }

  /** Writes an image as SVG with the PNG embedded (base64), atomically. */
  public static void saveSvg(BufferedImage image, Path file) {
    writeAtomically(file, os -> os.write(svgOf(image).getBytes(StandardCharsets.UTF_8)));
  }

  /** Returns an SVG document showing {@code image} at its pixel size, the PNG embedded as base64. */
  public static String svgOf(BufferedImage image) {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int w = image.getWidth();
    int h = image.getHeight();
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\""
        + " width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\">\n"
        + "<image width=\"" + w + "\" height=\"" + h + "\" style=\"image-rendering:pixelated\""
        + " xlink:href=\"data:image/png;base64,"
        + Base64.getEncoder().encodeToString(png.toByteArray())
        + "\"/>\n</svg>\n";
  }

  private static void writeAtomically(Path file, AtomicFiles.Body body) {
    if (file == null) {
      throw new IllegalArgumentException("file is null");
    }
    try {
      AtomicFiles.write(file, body);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }


  // ---------------------------------------------------------------- helpers

  private static XYChart xyChart(String title, String xLabel, String yLabel) {
    XYChart chart = new Padded.XY(WIDTH, HEIGHT);
    style(chart, title, xLabel, yLabel);
    chart.getStyler().setMarkerSize(5);
    return chart;
  }

  private static CategoryChart categoryChart(String title, String xLabel, String yLabel) {
    CategoryChart chart = new Padded.Category(WIDTH, HEIGHT);
    style(chart, title, xLabel, yLabel);
    chart.getStyler().setErrorBarsColor(Color.BLACK);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    return chart;
  }

  private static void style(AxesChart<? extends AxesChartStyler, ?> chart, String title, String x, String y) {
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

  private static void finishLegend(XYChart chart) {
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
  private static void niceXTicks(XYChart chart) {
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

  /** An invisible series over the raster's corners: XChart draws no axes without a series. */
  private static void addFrameSeries(RasterChart chart) {
    XYSeries s =
        chart.addSeries(
            " frame",
            new double[] {chart.xMin(), chart.xMax()},
            new double[] {chart.yMin(), chart.yMax()});
    hide(s);
  }

  private static void hide(XYSeries s) {
    s.setMarker(SeriesMarkers.NONE).setLineStyle(SeriesLines.NONE).setShowInLegend(false);
  }

  private static BasicStroke phaseStroke(String phase) {
    return switch (phase) {
      case "val" -> new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 4f}, 0f);
      case "test" -> new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {2f, 3f}, 0f);
      default -> new BasicStroke(2f);
    };
  }

  private static int comparePhases(String a, String b) {
    int ia = PHASES.indexOf(a);
    int ib = PHASES.indexOf(b);
    ia = ia < 0 ? PHASES.size() : ia;
    ib = ib < 0 ? PHASES.size() : ib;
    return ia != ib ? Integer.compare(ia, ib) : a.compareTo(b);
  }

  private static double[][] columns(List<double[]> rows) {
    double[] x = new double[rows.size()];
    double[] y = new double[rows.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rows.get(i)[0];
      y[i] = rows.get(i)[1];
    }
    return new double[][] {x, y};
  }

  private static double zeroIfNaN(double v) {
    return Double.isNaN(v) ? 0.0 : v;
  }

  static Color lighten(Color c, double amount) {
    return new Color(
        (int) Math.round(c.getRed() + (255 - c.getRed()) * amount),
        (int) Math.round(c.getGreen() + (255 - c.getGreen()) * amount),
        (int) Math.round(c.getBlue() + (255 - c.getBlue()) * amount));
  }

  private static void requireColumns(Table t, String what, String... names) {
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

  private static NumericColumn<?> numeric(Table t, String name) {
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
