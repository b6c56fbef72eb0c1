package dlcourse.plot;

import static dlcourse.plot.ChartStyle.backgroundColor;
import static dlcourse.plot.ChartStyle.classColor;
import static dlcourse.plot.ChartStyle.columns;
import static dlcourse.plot.ChartStyle.formatTick;
import static dlcourse.plot.ChartStyle.hide;
import static dlcourse.plot.ChartStyle.style;
import static dlcourse.plot.ChartStyle.toFloats;
import static dlcourse.plot.Plot.HEIGHT;
import static dlcourse.plot.Plot.WIDTH;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import dlcourse.train.ConfusionMatrix;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Raster charts behind {@link Plot}: heatmaps, confusion matrices and decision boundaries. */
final class Heatmaps {
  private Heatmaps() {}

  static RasterChart heatmap(INDArray matrix, Colormap colormap) {
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
    chart.setCustomXAxisTickLabelsFormatter(ChartStyle::formatTick);
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

  static RasterChart confusionMatrix(ConfusionMatrix cm, boolean normalize) {
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

  static String className(List<String> names, long index) {
    return index >= 0 && index < names.size() ? names.get((int) index) : "";
  }

  static RasterChart decisionBoundary(
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

  static long[] classesOf(INDArray out, int m) {
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

  /** An invisible series over the raster's corners: XChart draws no axes without a series. */
  static void addFrameSeries(RasterChart chart) {
    XYSeries s =
        chart.addSeries(
            " frame",
            new double[] {chart.xMin(), chart.xMax()},
            new double[] {chart.yMin(), chart.yMax()});
    hide(s);
  }
}
