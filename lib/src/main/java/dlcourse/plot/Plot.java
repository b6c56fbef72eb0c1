package dlcourse.plot;

import java.awt.image.BufferedImage;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.Chart;
import dlcourse.train.ConfusionMatrix;
import dlcourse.train.History;
import org.nd4j.linalg.api.ndarray.INDArray;
import tech.tablesaw.api.Table;

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

  static {
    // Charts are drawn off-screen; without this AWT tries to reach a display server.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private Plot() {}

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
    return TrainingCurves.curves(history, metric);
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
    return TrainingCurves.stepCurves(history, metric, smoothing);
  }

  /**
   * Returns the debiased exponential moving average of {@code y}; see {@link #stepCurves(Table,
   * String, double)}.
   *
   * @param y values, NaN-free
   * @param weight EMA weight in [0, 1); 0 returns a copy of y
   */
  public static double[] ema(double[] y, double weight) {
    return TrainingCurves.ema(y, weight);
  }

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
    return LineCharts.bars(table, categoryCol, meanCol, stdCol);
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
    return LineCharts.groupedBars(table, categoryCol, groupCol, meanCol, stdCol);
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
    return LineCharts.lines(x, series, xLabel, yLabel);
  }

  /**
   * Like {@link #lines(double[], Map, String, String)} with both axes logarithmic: for costs that grow as a power
   * of a size (a straight line of slope k is a cost proportional to size^k).
   *
   * @throws IllegalArgumentException if a value is not positive, or as {@link #lines}
   */
  public static XYChart logLog(double[] x, Map<String, double[]> series, String xLabel, String yLabel) {
    return LineCharts.logLog(x, series, xLabel, yLabel);
  }

  /** Plots a learning-rate schedule, one value per step (or epoch), x = index. */
  public static XYChart lr(double[] lrs) {
    return LineCharts.lr(lrs);
  }

  /**
   * Plots {@code steps} values of a schedule given as a function of the step (0-based).
   *
   * @throws IllegalArgumentException if steps is not positive
   */
  public static XYChart lr(IntToDoubleFunction lrAtStep, int steps) {
    return LineCharts.lr(lrAtStep, steps);
  }

  /**
   * Plots several learning-rate schedules on one chart, to compare them (step, cosine, warm-up...).
   *
   * @param schedules name to one value per step; schedules may differ in length
   */
  public static XYChart lr(Map<String, double[]> schedules) {
    return LineCharts.lr(schedules);
  }

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
    return Heatmaps.heatmap(matrix, colormap);
  }

  /**
   * A confusion matrix as a heatmap, like scikit-learn's {@code ConfusionMatrixDisplay}: true classes down, predicted
   * classes across, both labelled with the class names; the colour is the count, or with {@code normalize} the
   * fraction of each true class (its row sums to 1, the diagonal is the per-class accuracy).
   */
  public static RasterChart confusionMatrix(ConfusionMatrix cm, boolean normalize) {
    return Heatmaps.confusionMatrix(cm, normalize);
  }

  /** {@link #confusionMatrix(ConfusionMatrix, boolean)} with counts. */
  public static RasterChart confusionMatrix(ConfusionMatrix cm) {
    return confusionMatrix(cm, false);
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
    return Heatmaps.decisionBoundary(predictClass, points, labels, resolution);
  }

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
    return Filters.filters(weight);
  }

  /** Renders a chart to an image of its own size. */
  public static BufferedImage image(Chart<?, ?> chart) {
    return BitmapEncoder.getBufferedImage(chart);
  }

  /**
   * Writes a chart as PNG, atomically (a temp file in the same folder, then a rename).
   *
   * @throws UncheckedIOException if the file cannot be written
   */
  public static void savePng(Chart<?, ?> chart, Path file) {
    ChartFiles.savePng(chart, file);
  }

  /** Writes an image as PNG, atomically. */
  public static void savePng(BufferedImage image, Path file) {
    ChartFiles.savePng(image, file);
  }

  /** Writes a chart as SVG (lines and text as vector paths, raster parts embedded), atomically. */
  public static void saveSvg(Chart<?, ?> chart, Path file) {
    ChartFiles.saveSvg(chart, file);
  }

  /** Writes an image as SVG with the PNG embedded (base64), atomically. */
  public static void saveSvg(BufferedImage image, Path file) {
    ChartFiles.saveSvg(image, file);
  }

  /** Returns an SVG document showing {@code image} at its pixel size, the PNG embedded as base64. */
  public static String svgOf(BufferedImage image) {
    return ChartFiles.svgOf(image);
  }
}
