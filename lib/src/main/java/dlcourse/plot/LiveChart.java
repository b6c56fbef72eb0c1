package dlcourse.plot;

import dlcourse.display.Display;
import dlcourse.display.Rich;
import dlcourse.train.TrainingMonitor;
import dlcourse.util.Check;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A chart of training metrics that updates in place while the model trains: one panel per metric, x = step.
 *
 * <p>In a notebook the chart is one output, redrawn at most every {@link #every(double) 0.5 s} and once more at
 * {@link #close()}; when a redraw is slow (long series, ~50 ms for two panels of 500 points) the next one waits 20
 * times as long, so drawing costs at most about 5% of the training time. Headless (the runner, JShell, plain Java) nothing is shown while it trains; {@link #close()}
 * shows the final chart once. {@link dlcourse.train.Trainer#monitor Trainer.monitor} feeds it from {@code fit}; a hand-written loop calls
 * {@link #add(long, double...)} once per step:
 *
 * <pre>{@code
 * Trainer.of(model).optimizer(opt).monitor(LiveChart.of("loss", "accuracy")).fit(train, val);
 *
 * try (LiveChart chart = LiveChart.of("loss")) {
 *     for (int step = 1; step <= steps; step++) {
 *         double loss = ...;          // one training step
 *         chart.add(step, loss);
 *     }
 * }
 * }</pre>
 *
 * <p>Series: {@link #add(long, double...)} draws {@code "train"} (a line); {@link #add(String, long, double...)}
 * any other, e.g. {@code "val"} (a line with markers, as {@code fit} draws the validation metrics of each epoch).
 * A NaN value is skipped. Long series are thinned to at most {@value #MAX_POINTS} drawn points.
 *
 * @see dlcourse.train.Trainer#monitor(TrainingMonitor)
 */
public final class LiveChart implements TrainingMonitor, Rich, AutoCloseable {

  /** Most points drawn per series; longer series are thinned evenly (the last point is always drawn). */
  public static final int MAX_POINTS = 500;

  /** The series {@link #add(long, double...)} adds to. */
  public static final String TRAIN = "train";

  private static final double DEFAULT_INTERVAL_SECONDS = 0.5;
  /** Redraws wait at least this many times the last redraw's duration: drawing takes at most ~1/20 of training. */
  private static final long RENDER_SHARE = 20;

  private final List<String> metrics;
  private final LongSupplier clock;
  /** metric -> series name -> points (x, y). */
  private final Map<String, Map<String, Points>> data = new LinkedHashMap<>();
  private long intervalNanos = (long) (DEFAULT_INTERVAL_SECONDS * 1e9);
  private String displayId;
  private long lastShownNanos;
  private long lastRenderNanos;
  private boolean changed;
  private long points;

  LiveChart(List<String> metrics, LongSupplier clock) {
    if (metrics.isEmpty()) {
      throw new IllegalArgumentException("LiveChart.of needs at least one metric name, e.g. LiveChart.of(\"loss\")");
    }
    for (String m : metrics) {
      if (m == null || m.isBlank()) {
        throw new IllegalArgumentException("LiveChart.of: metric names must not be null or blank, got " + metrics);
      }
      if (data.put(m, new LinkedHashMap<>()) != null) {
        throw new IllegalArgumentException("LiveChart.of: metric '" + m + "' is named twice in " + metrics);
      }
    }
    this.metrics = List.copyOf(metrics);
    this.clock = clock;
  }

  /**
   * Creates a chart with one panel per metric, in this order, e.g. {@code LiveChart.of("loss", "accuracy")}.
   *
   * @throws IllegalArgumentException if no metric is given, a name is blank or named twice
   */
  public static LiveChart of(String... metrics) {
    return new LiveChart(metrics == null ? List.of() : List.of(metrics), System::nanoTime);
  }

  /**
   * Redraws the notebook output at most every {@code seconds} (default 0.5), or 20 times the last redraw's
   * duration if that is longer; 0 redraws after every step.
   *
   * @throws IllegalArgumentException if {@code seconds} is negative or NaN
   */
  public LiveChart every(double seconds) {
    intervalNanos = (long) (Check.nonNegative(seconds, "seconds") * 1e9);
    return this;
  }

  /** Returns the metric names, one panel each. */
  public List<String> metrics() {
    return metrics;
  }

  /** Returns how many values were added, over all metrics and series. */
  public long size() {
    return points;
  }

  /**
   * Adds one value per metric (in the order of {@link #of}) at {@code step} to the {@value #TRAIN} series.
   *
   * @throws IllegalArgumentException if the number of values differs from the number of metrics
   */
  public LiveChart add(long step, double... values) {
    return add(TRAIN, step, values);
  }

  /**
   * Adds one value per metric at {@code step} to the series {@code series} (e.g. {@code "val"}).
   *
   * @throws IllegalArgumentException if {@code series} is blank or the number of values differs from the number of
   *     metrics
   */
  public LiveChart add(String series, long step, double... values) {
    if (values == null || values.length != metrics.size()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "add: %d value(s) for %d metric(s) %s; give one value per metric, in this order",
          values == null ? 0 : values.length, metrics.size(), metrics));
    }
    Map<String, Double> byName = new LinkedHashMap<>();
    for (int i = 0; i < values.length; i++) {
      byName.put(metrics.get(i), values[i]);
    }
    return add(series, step, byName);
  }

  /**
   * Adds the values of the chart's metrics found in {@code values} (others are ignored) at {@code step} to the
   * series {@code series}.
   *
   * @throws IllegalArgumentException if {@code series} is blank or {@code values} is null
   */
  public LiveChart add(String series, long step, Map<String, Double> values) {
    if (series == null || series.isBlank()) {
      throw new IllegalArgumentException("add: the series name must not be null or blank");
    }
    if (values == null) {
      throw new IllegalArgumentException("add: values is null");
    }
    for (String m : metrics) {
      Double v = values.get(m);
      if (v != null && !v.isNaN()) {
        data.get(m).computeIfAbsent(series, k -> new Points()).add(step, v);
        points++;
        changed = true;
      }
    }
    refresh(false);
    return this;
  }

  /** From {@code Trainer.fit}: the step's metrics go to the {@value #TRAIN} series. */
  @Override
  public void step(int step, Map<String, Double> stepMetrics) {
    add(TRAIN, step, stepMetrics);
  }

  /** From {@code Trainer.fit}: the epoch's validation metrics go to the {@code "val"} series. */
  @Override
  public void epoch(int epoch, int step, Map<String, Double> train, Map<String, Double> val) {
    if (val != null) {
      add("val", step, val);
    }
  }

  /** From {@code Trainer.fit}: shows the final chart, as {@link #close()}. */
  @Override
  public void end() {
    close();
  }

  /**
   * Shows the chart as it is now: updates the notebook output, or (headless) shows the chart once. Nothing
   * happens when nothing was added since the chart was last shown. Adding afterwards goes on updating it.
   */
  @Override
  public void close() {
    refresh(true);
  }

  private void refresh(boolean last) {
    if (!changed || points == 0) {
      return;
    }
    boolean interactive = Display.interactive();
    if (!interactive && !last) {
      return; // headless: only the final chart
    }
    long now = clock.getAsLong();
    if (displayId == null || !interactive) {
      String id = Display.display(snapshot());
      displayId = interactive ? id : null;
    } else if (last || now - lastShownNanos >= redrawWait()) {
      Display.updateDisplay(displayId, snapshot());
    } else {
      return;
    }
    lastShownNanos = now;
    lastRenderNanos = clock.getAsLong() - now;
    changed = false;
  }

  /** How long after the last redraw began the next may start: the interval, or 20 redraws if longer; 0 for every(0). */
  private long redrawWait() {
    return intervalNanos == 0 ? 0 : Math.max(intervalNanos, RENDER_SHARE * lastRenderNanos);
  }

  /** Returns the chart as it is now: an image with one panel per metric that has values, side by side. */
  public BufferedImage image() {
    List<BufferedImage> panels = new ArrayList<>();
    for (String m : metrics) {
      if (!data.get(m).isEmpty()) {
        panels.add(Plot.image(panel(m)));
      }
    }
    if (panels.isEmpty()) {
      throw new IllegalStateException("LiveChart " + metrics + " has no values yet; add(step, values) first");
    }
    int width = panels.stream().mapToInt(BufferedImage::getWidth).sum();
    int height = panels.stream().mapToInt(BufferedImage::getHeight).max().orElse(0);
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    int x = 0;
    for (BufferedImage p : panels) {
      g.drawImage(p, x, 0, null);
      x += p.getWidth();
    }
    g.dispose();
    return out;
  }

  /** Returns the panel of {@code metric} ({@link Plot#WIDTH} x {@link Plot#HEIGHT}): its series against the step. */
  public XYChart panel(String metric) {
    Map<String, Points> series = data.get(metric);
    if (series == null) {
      throw new IllegalArgumentException("LiveChart has no metric '" + metric + "'; its metrics are " + metrics);
    }
    if (series.isEmpty()) {
      throw new IllegalStateException("LiveChart has no values of '" + metric + "' yet");
    }
    XYChart chart = null;
    int i = 0;
    for (Map.Entry<String, Points> e : series.entrySet()) {
      double[][] xy = e.getValue().thinned(MAX_POINTS);
      Color color = ChartStyle.PALETTE[i++ % ChartStyle.PALETTE.length];
      XYSeries s;
      if (chart == null) {
        chart = Plot.lines(xy[0], Map.of(e.getKey(), xy[1]), "step", metric);
        chart.setTitle(metric);
        s = chart.getSeries(e.getKey());
      } else {
        s = chart.addSeries(e.getKey(), xy[0], xy[1]);
      }
      s.setLineColor(color);
      s.setMarkerColor(color);
      s.setMarker(e.getKey().equals(TRAIN) || xy[0].length > 50 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
    }
    chart.getStyler().setLegendVisible(series.size() > 1);
    chart.getStyler().setChartTitleVisible(true);
    return chart;
  }

  /** What {@link Display} shows: the image and a line of text with the latest values. */
  private Rich snapshot() {
    return new Frame(mimeBundle());
  }

  /** The chart as it was when shown; its text is the text/plain of the bundle. */
  private record Frame(Map<String, Object> bundle) implements Rich {
    @Override
    public Map<String, Object> mimeBundle() {
      return bundle;
    }

    @Override
    public String toString() {
      return String.valueOf(bundle.get("text/plain"));
    }
  }

  @Override
  public Map<String, Object> mimeBundle() {
    Map<String, Object> bundle = new LinkedHashMap<>();
    bundle.put("text/plain", toString());
    if (points > 0) {
      bundle.put("image/png", png(image()));
    }
    return bundle;
  }

  private static String png(BufferedImage img) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException("could not encode the live chart as PNG", e);
    }
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  /** E.g. {@code LiveChart [loss, accuracy]: 120 steps, last train loss 0.3121, accuracy 0.9100}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("LiveChart ").append(metrics);
    long steps = data.values().stream().mapToLong(s -> s.containsKey(TRAIN) ? s.get(TRAIN).size : 0).max().orElse(0);
    sb.append(": ").append(steps).append(steps == 1 ? " step" : " steps");
    List<String> last = new ArrayList<>();
    for (String m : metrics) {
      Points p = data.get(m).get(TRAIN);
      if (p != null) {
        last.add(String.format(Locale.ROOT, "%s %.4f", m, p.y[p.size - 1]));
      }
    }
    if (!last.isEmpty()) {
      sb.append(", last train ").append(String.join(", ", last));
    }
    return sb.toString();
  }

  /** A growing series of points. */
  private static final class Points {
    double[] x = new double[64];
    double[] y = new double[64];
    int size;

    void add(double px, double py) {
      if (size == x.length) {
        x = java.util.Arrays.copyOf(x, size * 2);
        y = java.util.Arrays.copyOf(y, size * 2);
      }
      x[size] = px;
      y[size] = py;
      size++;
    }

    /** At most {@code max} points, evenly spaced over the series, the last one included. */
    double[][] thinned(int max) {
      int n = Math.min(size, max);
      double[][] out = new double[2][n];
      for (int i = 0; i < n; i++) {
        int j = n == size ? i : (int) Math.round((double) i * (size - 1) / (n - 1));
        out[0][i] = x[j];
        out[1][i] = y[j];
      }
      return out;
    }
  }
}
