package dlcourse.train;

import dlcourse.display.Rich;
import dlcourse.util.Check;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * The record of a training run: a Tablesaw {@link Table} in long format, one row per logged step or epoch.
 *
 * <p>Columns, in order: {@code run} (String, "" unless set), {@code phase} (String: "step" for per-step rows,
 * "train", "val" or "test" for per-epoch rows), {@code epoch} (int, 1-based), {@code step} (int, the global step
 * count), then one double column per metric name in the order first logged ({@code loss}, {@code accuracy},
 * {@code lr}, ...); a metric not logged in a row is NaN. Use Tablesaw on it directly:
 *
 * <pre>{@code
 * history.table().where(history.table().stringColumn("phase").isEqualTo("val"))
 * History.concat(runs).table().summarize("accuracy", max).by("run", "phase")
 * }</pre>
 */
public final class History implements Rich {
  private static final List<String> KEYS = List.of("run", "phase", "epoch", "step");
  private final Table table;
  private String run = "";

  /** An empty history. */
  public History() {
    table = Table.create("history", StringColumn.create("run"), StringColumn.create("phase"),
        IntColumn.create("epoch"), IntColumn.create("step"));
  }

  private History(Table table, String run) {
    this.table = table;
    this.run = run;
  }

  /**
   * Appends a row.
   *
   * @param phase "step", "train", "val", "test" or another label, not empty
   * @param epoch the epoch, 1-based ({@code >= 0}; 0 may mark a row before training)
   * @param step the global step count, {@code >= 0}
   * @param metrics metric values by name; new names add a column, NaN in earlier rows
   * @return this history
   */
  public History log(String phase, int epoch, int step, Map<String, Double> metrics) {
    if (phase == null || phase.isEmpty()) {
      throw new IllegalArgumentException("phase must not be empty");
    }
    Check.nonNegative(epoch, "epoch");
    Check.nonNegative(step, "step");
    for (String name : metrics.keySet()) {
      if (KEYS.contains(name)) {
        throw new IllegalArgumentException("metric name '" + name + "' is reserved for a key column");
      }
      if (!table.containsColumn(name)) {
        DoubleColumn c = DoubleColumn.create(name, table.rowCount());
        for (int i = 0; i < table.rowCount(); i++) {
          c.set(i, Double.NaN);
        }
        table.addColumns(c);
      }
    }
    table.stringColumn("run").append(run);
    table.stringColumn("phase").append(phase);
    table.intColumn("epoch").append(epoch);
    table.intColumn("step").append(step);
    for (String name : metricNames()) {
      Double v = metrics.get(name);
      table.doubleColumn(name).append(v == null ? Double.NaN : v);
    }
    return this;
  }

  /** The underlying table (live: read it, but add rows only through {@link #log}). */
  public Table table() {
    return table;
  }

  /** The metric column names, in the order first logged. */
  public List<String> metricNames() {
    List<String> out = new ArrayList<>();
    for (String n : table.columnNames()) {
      if (!KEYS.contains(n)) {
        out.add(n);
      }
    }
    return out;
  }

  /** Number of rows. */
  public int size() {
    return table.rowCount();
  }

  /** The largest epoch of any per-epoch row (phase other than "step"), 0 if none. */
  public int epochs() {
    int max = 0;
    StringColumn ph = table.stringColumn("phase");
    IntColumn ep = table.intColumn("epoch");
    for (int i = 0; i < table.rowCount(); i++) {
      if (!ph.get(i).equals("step")) {
        max = Math.max(max, ep.getInt(i));
      }
    }
    return max;
  }

  /**
   * The values of a metric over the rows of a phase, in logged order, NaN where the row lacks it; pair with
   * {@link #epochs(String)} or {@link #steps(String)} for the x axis.
   */
  public double[] series(String phase, String metric) {
    DoubleColumn c = metric(metric);
    List<Integer> rows = rows(phase);
    double[] out = new double[rows.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = c.getDouble(rows.get(i));
    }
    return out;
  }

  /** The epoch of each row of a phase, in logged order. */
  public int[] epochs(String phase) {
    return ints(phase, "epoch");
  }

  /** The global step of each row of a phase, in logged order. */
  public int[] steps(String phase) {
    return ints(phase, "step");
  }

  /** The last value of a metric in a phase that is not NaN, or NaN if there is none. */
  public double last(String phase, String metric) {
    double[] s = series(phase, metric);
    for (int i = s.length - 1; i >= 0; i--) {
      if (!Double.isNaN(s[i])) {
        return s[i];
      }
    }
    return Double.NaN;
  }

  /**
   * The best value of a metric in a phase, ignoring NaN.
   *
   * @param max true when higher is better (accuracy), false for losses
   * @return the best value, or NaN if there is none
   */
  public double best(String phase, String metric, boolean max) {
    int r = bestRow(phase, metric, max);
    return r < 0 ? Double.NaN : table.doubleColumn(metric).getDouble(r);
  }

  /** The epoch of the {@link #best} value (the first one on ties), or -1 if there is none. */
  public int bestEpoch(String phase, String metric, boolean max) {
    int r = bestRow(phase, metric, max);
    return r < 0 ? -1 : table.intColumn("epoch").getInt(r);
  }

  private int bestRow(String phase, String metric, boolean max) {
    DoubleColumn c = metric(metric);
    int best = -1;
    for (int r : rows(phase)) {
      double v = c.getDouble(r);
      if (Double.isNaN(v)) {
        continue;
      }
      if (best < 0 || (max ? v > c.getDouble(best) : v < c.getDouble(best))) {
        best = r;
      }
    }
    return best;
  }

  /**
   * The epoch of the first row of a phase whose metric reaches {@code level} ({@code >= level}, or {@code <= level}
   * when {@code max} is false, for losses), or -1 if none does: "in which epoch did training accuracy reach 60%?"
   */
  public int firstEpochReaching(String phase, String metric, double level, boolean max) {
    double[] s = series(phase, metric);
    int[] e = epochs(phase);
    for (int i = 0; i < s.length; i++) {
      if (max ? s[i] >= level : s[i] <= level) {
        return e[i];
      }
    }
    return -1;
  }

  /**
   * The mean absolute change of a metric from one row of a phase to the next (how jumpy its curve is), NaN with
   * fewer than two rows.
   */
  public double meanAbsChange(String phase, String metric) {
    double[] s = series(phase, metric);
    if (s.length < 2) {
      return Double.NaN;
    }
    double sum = 0;
    for (int i = 1; i < s.length; i++) {
      sum += Math.abs(s[i] - s[i - 1]);
    }
    return sum / (s.length - 1);
  }

  /**
   * {@code runs} sorted by their {@link #best} value of a metric in a phase, best first (ties keep the given order).
   *
   * @param max true when higher is better (accuracy), false for losses
   */
  public List<String> rankRuns(String phase, String metric, boolean max, String... runs) {
    Map<String, Double> best = new LinkedHashMap<>();
    for (String r : runs) {
      best.put(r, ofRun(r).best(phase, metric, max));
    }
    Comparator<String> byBest = Comparator.comparingDouble(best::get);
    return Arrays.stream(runs).sorted(max ? byBest.reversed() : byBest).toList();
  }

  /** The run label written into new rows. */
  public String run() {
    return run;
  }

  /** Sets the run label written into rows logged from now on. */
  public History run(String run) {
    this.run = run == null ? "" : run;
    return this;
  }

  /** A copy whose every row, and future row, carries the run label {@code run}. */
  public History withRun(String run) {
    Table copy = table.copy();
    StringColumn c = copy.stringColumn("run");
    for (int i = 0; i < c.size(); i++) {
      c.set(i, run);
    }
    return new History(copy, run);
  }

  /** A copy of this history. */
  public History copy() {
    return new History(table.copy(), run);
  }

  /**
   * Stacks histories (for example one per run or seed) into one; metric columns are the union, NaN where a history
   * lacks one.
   */
  public static History concat(List<History> histories) {
    History out = new History();
    for (History h : histories) {
      for (int r = 0; r < h.size(); r++) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String name : h.metricNames()) {
          m.put(name, h.table.doubleColumn(name).getDouble(r));
        }
        out.run = h.table.stringColumn("run").get(r);
        out.log(h.table.stringColumn("phase").get(r), h.table.intColumn("epoch").getInt(r),
            h.table.intColumn("step").getInt(r), m);
      }
    }
    out.run = "";
    return out;
  }

  /**
   * A copy with phase {@code from} renamed {@code to}, e.g. {@code renamePhase("val", "test")} when the data the
   * trainer validated on each epoch is the test set.
   */
  public History renamePhase(String from, String to) {
    if (to == null || to.isEmpty() || to.equals("step") || from.equals("step")) {
      throw new IllegalArgumentException("phases other than \"step\" are renamed to a non-empty name other than "
          + "\"step\", got " + from + " -> " + to);
    }
    Table copy = table.copy();
    StringColumn ph = copy.stringColumn("phase");
    for (int i = 0; i < ph.size(); i++) {
      if (ph.get(i).equals(from)) {
        ph.set(i, to);
      }
    }
    return new History(copy, run);
  }

  /** A copy of the rows whose run label is {@code run} (every row when it is the only label), keeping that label. */
  public History ofRun(String run) {
    Table rows = table.where(table.stringColumn("run").isEqualTo(run));
    return new History(rows, run);
  }

  /** The distinct run labels, in order of first appearance. */
  public List<String> runs() {
    return new ArrayList<>(new java.util.LinkedHashSet<>(table.stringColumn("run").asList()));
  }

  /**
   * The per-epoch rows (every phase but "step") as one flat map, the form {@link Experiments} journals: keys
   * {@code phase:metric@epoch} and {@code phase:step@epoch}, NaN values left out. {@link #fromEpochMetrics} reads
   * it back.
   */
  Map<String, Double> epochMetrics() {
    Map<String, Double> out = new LinkedHashMap<>();
    StringColumn ph = table.stringColumn("phase");
    for (int r = 0; r < table.rowCount(); r++) {
      String phase = ph.get(r);
      if (phase.equals("step")) {
        continue;
      }
      checkFlatName(phase, "phase");
      int epoch = table.intColumn("epoch").getInt(r);
      out.put(phase + ":step@" + epoch, (double) table.intColumn("step").getInt(r));
      for (String name : metricNames()) {
        checkFlatName(name, "metric");
        double v = table.doubleColumn(name).getDouble(r);
        if (!Double.isNaN(v)) {
          out.put(phase + ":" + name + "@" + epoch, v);
        }
      }
    }
    return out;
  }

  private static void checkFlatName(String name, String what) {
    if (name.isEmpty() || name.chars().anyMatch(c -> c == ':' || c == '@' || c == '=' || Character.isWhitespace(c))) {
      throw new IllegalArgumentException("a journaled " + what + " name has no ':', '@', '=' or spaces, got '"
          + name + "'");
    }
  }

  /** The history that {@link #epochMetrics} flattened: one row per (phase, epoch), in the map's order. */
  static History fromEpochMetrics(Map<String, Double> flat) {
    Map<String, Map<String, Double>> rows = new LinkedHashMap<>(); // "phase@epoch" -> metrics, "step" included
    for (var e : flat.entrySet()) {
      String key = e.getKey();
      int colon = key.indexOf(':');
      int at = key.lastIndexOf('@');
      if (colon <= 0 || at < colon + 2) {
        throw new IllegalArgumentException("not a phase:metric@epoch key: '" + key + "'");
      }
      String phase = key.substring(0, colon);
      rows.computeIfAbsent(phase + "@" + key.substring(at + 1), k -> new LinkedHashMap<>())
          .put(key.substring(colon + 1, at), e.getValue());
    }
    History h = new History();
    for (var e : rows.entrySet()) {
      String phase = e.getKey().substring(0, e.getKey().lastIndexOf('@'));
      int epoch = Integer.parseInt(e.getKey().substring(e.getKey().lastIndexOf('@') + 1));
      Map<String, Double> m = new LinkedHashMap<>(e.getValue());
      Double step = m.remove("step");
      h.log(phase, epoch, step == null ? 0 : step.intValue(), m);
    }
    return h;
  }

  private DoubleColumn metric(String metric) {
    if (!table.containsColumn(metric) || KEYS.contains(metric)) {
      throw new IllegalArgumentException("no metric '" + metric + "' in history; metrics: " + metricNames());
    }
    return table.doubleColumn(metric);
  }

  private List<Integer> rows(String phase) {
    List<Integer> out = new ArrayList<>();
    StringColumn ph = table.stringColumn("phase");
    for (int i = 0; i < table.rowCount(); i++) {
      if (ph.get(i).equals(phase)) {
        out.add(i);
      }
    }
    return out;
  }

  private int[] ints(String phase, String column) {
    IntColumn c = table.intColumn(column);
    return rows(phase).stream().mapToInt(c::getInt).toArray();
  }

  /** The per-epoch rows (phase other than "step") as an HTML table, plus a plain-text fallback. */
  @Override
  public Map<String, Object> mimeBundle() {
    StringBuilder html = new StringBuilder("<table class=\"dlcourse-history\"><thead><tr>");
    boolean anyRun = table.stringColumn("run").asSet().stream().anyMatch(s -> !s.isEmpty());
    List<Column<?>> cols = new ArrayList<>();
    for (Column<?> c : table.columns()) {
      if ((c.name().equals("run") && !anyRun) || c.name().equals("step")) {
        continue;
      }
      cols.add(c);
      html.append("<th>").append(escape(c.name())).append("</th>");
    }
    html.append("</tr></thead><tbody>");
    StringColumn ph = table.stringColumn("phase");
    int shown = 0;
    for (int r = 0; r < table.rowCount(); r++) {
      if (ph.get(r).equals("step")) {
        continue;
      }
      shown++;
      html.append("<tr>");
      for (Column<?> c : cols) {
        String cell;
        if (c instanceof DoubleColumn d) {
          double v = d.getDouble(r);
          cell = Double.isNaN(v) ? "" : String.format(java.util.Locale.ROOT, "%.4g", v);
        } else {
          cell = c.getString(r);
        }
        html.append("<td>").append(escape(cell)).append("</td>");
      }
      html.append("</tr>");
    }
    html.append("</tbody></table>");
    Map<String, Object> bundle = new LinkedHashMap<>();
    bundle.put("text/plain", toString());
    bundle.put("text/html", shown == 0 ? "<p>History: " + size() + " step rows, no epoch rows</p>" : html.toString());
    return bundle;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  @Override
  public String toString() {
    return "History(" + size() + " rows, " + epochs() + " epochs, metrics " + metricNames() + ")";
  }
}
