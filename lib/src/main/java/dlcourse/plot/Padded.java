package dlcourse.plot;

import java.awt.Graphics2D;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.series.AxesChartSeries;
import org.knowm.xchart.style.AxesChartStyler;

/**
 * Charts that label the ends of their axes: the line and bar charts made by {@link Plot}.
 *
 * <p>XChart leaves a margin between the data and the plot frame ({@code plotContentSize}, 0.92 by
 * default). Since XChart 4 it draws no tick labels in that margin, so a loss curve that ends at 0.02
 * gets no "0" on its axis and the top label disappears too. These charts widen the automatic axis
 * ranges by that margin while painting, which puts the data where XChart 3 put it, with labels out
 * to the frame. Ranges set by the user and logarithmic axes are left to XChart; the automatic ranges
 * are restored after each paint.
 */
final class Padded {
  private Padded() {}

  /**
   * An {@link XYChart} whose axes are labelled out to the plot frame.
   *
   * <p>It draws its content at full size ({@code plotContentSize} 1) and, while painting, widens each
   * automatic axis range by XChart's default margin. A range the user sets is drawn edge to edge; a
   * user who sets a content size below 1 gets XChart's own behaviour.
   */
  static final class XY extends XYChart {
    XY(int width, int height) {
      super(width, height);
      getStyler().setPlotContentSize(1.0);
    }

    @Override
    public String toString() {
      return ChartFiles.describe(this);
    }

    @Override
    public void paint(Graphics2D g, int width, int height) {
      AxesChartStyler s = getStyler();
      double[] ext = extent(getSeriesCollection(), true);
      boolean padX = s.getXAxisMin() == null && s.getXAxisMax() == null && !s.isXAxisLogarithmic();
      boolean padY = s.getYAxisMin() == null && s.getYAxisMax() == null && !s.isYAxisLogarithmic();
      if (ext == null || s.getPlotContentSize() < 1 || !(padX || padY)) {
        super.paint(g, width, height);
        return;
      }
      if (padX) {
        s.setXAxisMin(ext[0] - margin(ext[0], ext[1])).setXAxisMax(ext[1] + margin(ext[0], ext[1]));
      }
      if (padY) {
        s.setYAxisMin(ext[2] - margin(ext[2], ext[3])).setYAxisMax(ext[3] + margin(ext[2], ext[3]));
      }
      try {
        super.paint(g, width, height);
      } finally {
        // Back to automatic, so that series added later widen the range again.
        if (padX) {
          s.setXAxisMin(null).setXAxisMax(null);
        }
        if (padY) {
          s.setYAxisMin(null).setYAxisMax(null);
        }
      }
    }
  }

  /** A {@link CategoryChart} whose value axis is labelled out to the plot frame. */
  static final class Category extends CategoryChart {
    Category(int width, int height) {
      super(width, height);
    }

    @Override
    public String toString() {
      return ChartFiles.describe(this);
    }

    @Override
    public void paint(Graphics2D g, int width, int height) {
      AxesChartStyler s = getStyler();
      double size = s.getPlotContentSize();
      double[] ext = extent(this.getSeriesCollection(), false);
      if (ext == null
          || !(size > 0 && size < 1)
          || s.getYAxisMin() != null
          || s.getYAxisMax() != null
          || s.isYAxisLogarithmic()) {
        super.paint(g, width, height);
        return;
      }
      // Bars grow from 0, so the value axis always contains it; the category axis keeps its margin.
      double lo = Math.min(0, ext[2]);
      double hi = Math.max(0, ext[3]);
      if (!(hi > lo)) {
        super.paint(g, width, height);
        return;
      }
      double d = (1 - size) / 2 / size * (hi - lo);
      // XChart draws its margin on top of this range, so the bars keep their usual headroom plus d.
      s.setYAxisMin(lo < 0 ? lo - d : 0.0).setYAxisMax(hi > 0 ? hi + d : 0.0);
      try {
        super.paint(g, width, height);
      } finally {
        s.setYAxisMin(null).setYAxisMax(null);
      }
    }
  }

  /** XChart's default margin on each side as a fraction of the data range: 0.04 / 0.92. */
  static final double MARGIN = 0.04 / 0.92;

  /** The margin added on each side of [lo, hi]; a single value gets 10% of its size (at least 0.1). */
  static double margin(double lo, double hi) {
    return hi > lo ? MARGIN * (hi - lo) : 0.1 * Math.max(1, Math.abs(lo));
  }

  /**
   * Returns {xMin, xMax, yMin, yMax} over the enabled series (error bars included), or null if there
   * is none, a value is not finite, or a series uses a second y axis. Without {@code withX} (category
   * axes) the x entries are left infinite.
   */
  static double[] extent(Iterable<? extends AxesChartSeries> series, boolean withX) {
    double[] e = {
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY
    };
    boolean any = false;
    for (AxesChartSeries s : series) {
      if (!s.isEnabled()) {
        continue;
      }
      if (s.getYAxisGroup() != 0) {
        return null;
      }
      double[] v =
          withX
              ? new double[] {s.getXMin(), s.getXMax(), s.getYMin(), s.getYMax()}
              : new double[] {e[0], e[1], s.getYMin(), s.getYMax()};
      for (int i = withX ? 0 : 2; i < 4; i++) {
        double x = v[i];
        if (!Double.isFinite(x)) {
          return null;
        }
      }
      e[0] = Math.min(e[0], v[0]);
      e[1] = Math.max(e[1], v[1]);
      e[2] = Math.min(e[2], v[2]);
      e[3] = Math.max(e[3], v[3]);
      any = true;
    }
    return any ? e : null;
  }
}
