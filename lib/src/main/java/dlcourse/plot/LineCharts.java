package dlcourse.plot;

import static dlcourse.plot.ChartStyle.PALETTE;
import static dlcourse.plot.ChartStyle.categoryChart;
import static dlcourse.plot.ChartStyle.finishLegend;
import static dlcourse.plot.ChartStyle.numeric;
import static dlcourse.plot.ChartStyle.requireColumns;
import static dlcourse.plot.ChartStyle.xyChart;
import static dlcourse.plot.ChartStyle.zeroIfNaN;

import dlcourse.util.Check;
import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;

/** Bar charts, line charts and learning-rate schedules behind {@link Plot}. */
final class LineCharts {
  private LineCharts() {}

  static CategoryChart bars(Table table, String categoryCol, String meanCol, String stdCol) {
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

  static CategoryChart groupedBars(
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

  static XYChart lines(double[] x, Map<String, double[]> series, String xLabel, String yLabel) {
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

  static XYChart logLog(double[] x, Map<String, double[]> series, String xLabel, String yLabel) {
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

  static XYChart lr(double[] lrs) {
    Map<String, double[]> m = new LinkedHashMap<>();
    m.put("lr", lrs);
    return lr(m);
  }

  static XYChart lr(IntToDoubleFunction lrAtStep, int steps) {
    Check.positive(steps, "steps");
    double[] v = new double[steps];
    for (int i = 0; i < steps; i++) {
      v[i] = lrAtStep.applyAsDouble(i);
    }
    return lr(v);
  }

  static XYChart lr(Map<String, double[]> schedules) {
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
}
