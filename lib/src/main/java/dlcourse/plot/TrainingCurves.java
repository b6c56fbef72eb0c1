package dlcourse.plot;

import static dlcourse.plot.ChartStyle.PALETTE;
import static dlcourse.plot.ChartStyle.columns;
import static dlcourse.plot.ChartStyle.finishLegend;
import static dlcourse.plot.ChartStyle.lighten;
import static dlcourse.plot.ChartStyle.numeric;
import static dlcourse.plot.ChartStyle.requireColumns;
import static dlcourse.plot.ChartStyle.xyChart;

import dlcourse.util.Check;
import java.awt.BasicStroke;
import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/** Training curves behind {@link Plot#curves} and {@link Plot#stepCurves}: one line per run and phase. */
final class TrainingCurves {
  private TrainingCurves() {}

  static final List<String> PHASES = List.of("train", "val", "test");

  static XYChart curves(Table history, String metric) {
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
          .computeIfAbsent(run.getString(i), k -> new TreeMap<>(TrainingCurves::comparePhases))
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

  static XYChart stepCurves(Table history, String metric, double smoothing) {
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

  static double[] ema(double[] y, double weight) {
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

  static BasicStroke phaseStroke(String phase) {
    return switch (phase) {
      case "val" -> new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 4f}, 0f);
      case "test" -> new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {2f, 3f}, 0f);
      default -> new BasicStroke(2f);
    };
  }

  static int comparePhases(String a, String b) {
    int ia = PHASES.indexOf(a);
    int ib = PHASES.indexOf(b);
    ia = ia < 0 ? PHASES.size() : ia;
    ib = ib < 0 ? PHASES.size() : ib;
    return ia != ib ? Integer.compare(ia, ib) : a.compareTo(b);
  }
}
