package dlcourse.train;

import dlcourse.io.AtomicFiles;
import dlcourse.util.Check;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.IntFunction;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Runs one experiment over several seeds or a grid of settings and collects one row per run.
 *
 * <pre>{@code
 * Table runs = Experiments.overSeeds(new int[] {0, 1, 2}, seed -> Map.of("val_acc", train(seed)));
 * Table grid = new Experiments().seeds(0, 1).param("lr", 0.1, 0.01).param("batch", 32, 64).parallelism(2)
 *     .run(r -> Map.of("val_acc", train(r.seed(), r.doubleParam("lr"), r.intParam("batch"))));
 * Table stats = Experiments.summary(grid, "lr", "batch");   // mean and std of every metric per setting
 * }</pre>
 *
 * <p>Instead of a grid, runs can be named: each named run is a set of {@link #defaults} with a few of them changed,
 * and {@link #only} keeps the runs whose names match, so a user (or one of several processes sharing a journal)
 * trains a subset. {@link #histories} returns every run's training curves instead of a row of numbers:
 *
 * <pre>{@code
 * var sweep = new Experiments().defaults(Map.of("lr", 0.01, "batch", 128, "optimizer", "sgd"))
 *     .named("baseline").named("lr-0.1", Map.of("lr", 0.1)).named("adam", Map.of("optimizer", "adam", "lr", 1e-3))
 *     .only("baseline,lr-*");                          // comma-separated names or globs; "" or "all": every run
 * History curves = sweep.histories(r -> train(r.doubleParam("lr"), r.intParam("batch"), r.stringParam("optimizer")));
 * Plot.curves(curves.ofRun("lr-0.1"), "accuracy");
 * }</pre>
 *
 * <p>Result table: one String column per grid parameter (values written with {@code String.valueOf}), an int
 * column {@code seed}, then one double column per metric, NaN where a run did not report it. With
 * {@code parallelism(n)} up to n runs execute at once on their own threads; each run must build everything it
 * uses (model, loader, random generators) from its own seed and share no mutable state. Rows keep the grid order
 * whatever the parallelism. Beyond one machine's threads, {@link SweepClient} runs the same grid as Apache Spark tasks
 * ({@code ./dlcourse sweep}), locally or on a cluster, into a journal this class reads.
 */
public final class Experiments {
  /**
   * One run's settings: its seed and one value per grid parameter (for a named run: {@code run}, its name, then
   * every default with the run's changes).
   */
  public record Run(int seed, Map<String, Object> params) {
    /**
     * The run's name: the {@code run} parameter of a {@link Experiments#named named} run, else its grid values as
     * {@code name=value} pairs separated by spaces ({@code "lr=0.1 batch=32"}; "" without grid parameters).
     */
    public String name() {
      if (params.containsKey(RUN)) {
        return String.valueOf(params.get(RUN));
      }
      StringBuilder b = new StringBuilder();
      params.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v));
      return b.toString();
    }

    /** A parameter value as given to {@link Experiments#param}. */
    public Object param(String name) {
      if (!params.containsKey(name)) {
        throw new IllegalArgumentException("no parameter '" + name + "'; parameters: " + params.keySet());
      }
      return params.get(name);
    }

    /** A numeric parameter as a double. */
    public double doubleParam(String name) {
      return ((Number) param(name)).doubleValue();
    }

    /** A numeric parameter as an int. */
    public int intParam(String name) {
      return ((Number) param(name)).intValue();
    }

    /** A parameter as a String. */
    public String stringParam(String name) {
      return String.valueOf(param(name));
    }
  }

  /**
   * One line of a journal: the run's key ({@code seed=0 net=net1}), its metrics and, optionally, a third
   * tab-separated field of information that is not a metric ({@code task=... host=... wall_s=...}, written by the
   * sweep command of the {@code sweeps} module; {@link #run} ignores it).
   *
   * <p>Names have no spaces, tabs or '='; metric values are doubles; information values have no spaces or tabs.
   */
  public record JournalRow(String key, Map<String, Double> metrics, Map<String, String> info) {
    public JournalRow {
      key = java.util.Objects.requireNonNull(key, "key");
      metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
      info = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(info));
    }

    /** Parses a journal line; throws IllegalArgumentException saying what is wrong. */
    public static JournalRow parse(String line) {
      String[] parts = line.split("\t", -1);
      if (parts.length < 2 || parts.length > 3 || !parts[0].startsWith("seed=")) {
        throw new IllegalArgumentException("expected 'seed=..<TAB>metric=value ...[<TAB>name=value ...]'");
      }
      Map<String, Double> metrics = new LinkedHashMap<>();
      for (String kv : parts[1].trim().split(" ")) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("bad metric '" + kv + "'");
        }
        metrics.put(kv.substring(0, eq), Double.parseDouble(kv.substring(eq + 1)));
      }
      Map<String, String> info = new LinkedHashMap<>();
      if (parts.length == 3) {
        for (String kv : parts[2].trim().split(" ")) {
          int eq = kv.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("bad field '" + kv + "'");
          }
          info.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
      return new JournalRow(parts[0], metrics, info);
    }

    /** The seed and grid values of the key, in order ({@code seed} first), as written. */
    public Map<String, String> params() {
      Map<String, String> out = new LinkedHashMap<>();
      String last = null;
      for (String kv : key.split(" ")) {
        int eq = kv.indexOf('=');
        if (eq <= 0 && last != null) {
          out.put(last, out.get(last) + " " + kv); // a value that had a space in it
        } else if (eq > 0) {
          last = kv.substring(0, eq);
          out.put(last, kv.substring(eq + 1));
        }
      }
      return out;
    }

    /** The line as written to a journal, without its newline. */
    public String line() {
      StringBuilder line = new StringBuilder(key).append('\t');
      metrics.forEach((name, v) -> {
        checkName(name, "metric");
        line.append(name).append('=').append(v).append(' ');
      });
      String s = line.toString().strip();
      if (!info.isEmpty()) {
        StringBuilder extra = new StringBuilder();
        info.forEach((name, v) -> {
          checkName(name, "field");
          if (v.isEmpty() || v.contains(" ") || v.contains("\t") || v.contains("\n")) {
            throw new IllegalArgumentException("a journal field's value is not empty and has no spaces, got " + name
                + "='" + v + "'");
          }
          extra.append(' ').append(name).append('=').append(v);
        });
        s += "\t" + extra.toString().strip();
      }
      return s;
    }

    private static void checkName(String name, String what) {
      if (name.isEmpty() || name.contains(" ") || name.contains("=") || name.contains("\t")) {
        throw new IllegalArgumentException("a journaled " + what + " name has no spaces or '=', got '" + name + "'");
      }
    }
  }

  /**
   * Reads a journal (written by {@link #journal} runs or by a sweep) into a table: one String column per key
   * part but {@code seed} (an int column), one double column per metric (NaN where a row lacks it), then one
   * String column per information field ({@code task}, {@code host}, ...). A damaged last line is skipped.
   */
  public static Table readJournal(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read experiment journal " + file + ": " + e.getMessage(), e);
    }
    List<JournalRow> rows = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      try {
        rows.add(JournalRow.parse(lines.get(i)));
      } catch (RuntimeException e) {
        if (i < lines.size() - 1) {
          throw new IllegalArgumentException(file + " line " + (i + 1) + " is damaged (" + e.getMessage() + "): "
              + lines.get(i), e);
        }
      }
    }
    Set<String> params = new LinkedHashSet<>();
    Set<String> metrics = new LinkedHashSet<>();
    Set<String> info = new LinkedHashSet<>();
    for (JournalRow r : rows) {
      params.addAll(r.params().keySet());
      metrics.addAll(r.metrics().keySet());
      info.addAll(r.info().keySet());
    }
    params.remove("seed");
    Table t = Table.create(file.getFileName().toString());
    for (String p : params) {
      StringColumn c = StringColumn.create(p);
      rows.forEach(r -> c.append(r.params().getOrDefault(p, "")));
      t.addColumns(c);
    }
    IntColumn seed = IntColumn.create("seed");
    rows.forEach(r -> seed.append(Integer.parseInt(r.params().get("seed"))));
    t.addColumns(seed);
    for (String m : metrics) {
      DoubleColumn c = DoubleColumn.create(m);
      rows.forEach(r -> c.append(r.metrics().getOrDefault(m, Double.NaN)));
      t.addColumns(c);
    }
    for (String f : info) {
      StringColumn c = StringColumn.create(t.containsColumn(f) ? "info_" + f : f);
      rows.forEach(r -> c.append(r.info().getOrDefault(f, "")));
      t.addColumns(c);
    }
    return t;
  }

  private static final String RUN = "run";
  private final Map<String, List<Object>> grid = new LinkedHashMap<>();
  private final Map<String, Object> defaults = new LinkedHashMap<>();
  private final Map<String, Map<String, Object>> named = new LinkedHashMap<>();
  private List<String> only;
  private int[] seeds = {0};
  private int parallelism = 1;
  private Path journal;

  /** An experiment with seed 0, no grid parameters and parallelism 1. */
  public Experiments() {}

  /** The seeds each grid point runs with; default {0}. */
  public Experiments seeds(int... seeds) {
    if (seeds.length == 0) {
      throw new IllegalArgumentException("seeds must not be empty");
    }
    this.seeds = seeds.clone();
    return this;
  }

  /** Adds a grid parameter with its values; the grid is the Cartesian product, first parameter outermost. */
  public Experiments param(String name, Object... values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("parameter '" + name + "' needs at least one value");
    }
    if (name.equals("seed")) {
      throw new IllegalArgumentException("'seed' is reserved; use seeds(...)");
    }
    if (!named.isEmpty()) {
      throw new IllegalStateException("an experiment has either grid parameters or named runs; it has named runs "
          + named.keySet());
    }
    grid.put(name, List.of(values));
    return this;
  }

  /** The seeds each grid point runs with. */
  public int[] seedValues() {
    return seeds.clone();
  }

  /** The grid parameters and their values, in order (first parameter outermost). */
  public Map<String, List<Object>> gridValues() {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(grid));
  }

  /**
   * The parameters every {@link #named} run starts from; replaces earlier defaults. Values as for {@link #param}:
   * numbers, strings, booleans. The result table and the journal keys list them in the map's order when it has one
   * (a {@code LinkedHashMap} or a sorted map), else sorted by name, so that a {@code Map.of(...)}, whose order
   * changes from one JVM to the next, still finds its runs in a journal.
   */
  public Experiments defaults(Map<String, ?> defaults) {
    for (String k : defaults.keySet()) {
      if (k.equals("seed") || k.equals(RUN)) {
        throw new IllegalArgumentException("'" + k + "' is reserved and cannot be a default");
      }
    }
    if (!named.isEmpty()) {
      throw new IllegalStateException("set the defaults before the first named run; runs " + named.keySet()
          + " already copied them");
    }
    this.defaults.clear();
    this.defaults.putAll(defaults instanceof LinkedHashMap || defaults instanceof java.util.SortedMap
        ? defaults : new java.util.TreeMap<>(defaults));
    return this;
  }

  /** The defaults of the named runs (a copy). */
  public Map<String, Object> defaults() {
    return new LinkedHashMap<>(defaults);
  }

  /** Adds a run called {@code name} with every {@link #defaults default} unchanged. */
  public Experiments named(String name) {
    return named(name, Map.of());
  }

  /**
   * Adds a run called {@code name} whose parameters are the {@link #defaults} with {@code changes} applied. Runs
   * execute in the order they are added. Its journal key holds the name and every parameter, so a run whose
   * settings change trains again.
   *
   * @param name a name without spaces, '=' or ',' (used in {@link #only} and in the journal)
   * @param changes parameters that differ from the defaults; each must be a default (a misspelt name is an error)
   * @throws IllegalArgumentException for a duplicate or malformed name or a change that is not a default
   */
  public Experiments named(String name, Map<String, ?> changes) {
    if (name.isEmpty() || name.chars().anyMatch(c -> c == '=' || c == ',' || c == '*' || Character.isWhitespace(c))) {
      throw new IllegalArgumentException("a run name is not empty and has no spaces, '=', ',' or '*', got '" + name
          + "'");
    }
    if (named.containsKey(name)) {
      throw new IllegalArgumentException("run '" + name + "' is already defined");
    }
    if (!grid.isEmpty()) {
      throw new IllegalStateException("an experiment has either grid parameters or named runs; it has grid parameters "
          + grid.keySet());
    }
    for (String k : changes.keySet()) {
      if (!defaults.containsKey(k)) {
        throw new IllegalArgumentException("run '" + name + "' changes '" + k + "', which is not a default; defaults: "
            + defaults.keySet());
      }
    }
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(RUN, name);
    defaults.forEach((k, v) -> p.put(k, changes.containsKey(k) ? changes.get(k) : v));
    named.put(name, p);
    return this;
  }

  /** The names of every named run, in order (whatever {@link #only} keeps). */
  public List<String> names() {
    return List.copyOf(named.keySet());
  }

  /**
   * Keeps only the named runs whose names match {@code patterns}: names or globs ({@code *} matches any text)
   * separated by commas, e.g. {@code "baseline,sched-*"}. An empty string or {@code "all"} keeps every run.
   *
   * @throws IllegalArgumentException naming the pattern and the known runs when a pattern matches no run
   */
  public Experiments only(String patterns) {
    String spec = patterns.strip();
    if (spec.isEmpty() || spec.equals("all")) {
      only = null;
      return this;
    }
    Set<String> keep = new LinkedHashSet<>();
    for (String raw : spec.split(",")) {
      String pattern = raw.strip();
      if (pattern.isEmpty()) {
        continue;
      }
      java.util.regex.Pattern glob = java.util.regex.Pattern.compile(
          java.util.Arrays.stream(pattern.split("\\*", -1)).map(java.util.regex.Pattern::quote)
              .collect(java.util.stream.Collectors.joining(".*")));
      List<String> hits = named.keySet().stream().filter(n -> glob.matcher(n).matches()).toList();
      if (hits.isEmpty()) {
        throw new IllegalArgumentException("no run matches '" + pattern + "'; runs: " + String.join(",", named
            .keySet()));
      }
      keep.addAll(hits);
    }
    only = List.copyOf(keep);
    return this;
  }

  /** How many runs execute at once; default 1. */
  public Experiments parallelism(int n) {
    Check.positive(n, "parallelism");
    this.parallelism = n;
    return this;
  }

  public int parallelism() {
    return parallelism;
  }

  /**
   * Records every finished run in {@code file} and, on the next {@link #run}, takes the runs found there instead of
   * running them again, so a sweep of hours survives an interrupt, a crash or a closed session.
   *
   * <p>One line per run: {@code seed=0 net=net1 conv=fconv<TAB>val_acc=99.5 test_acc=88.2}, appended and flushed when
   * the run ends. A run is identified by its seed and grid values only: put every setting that changes results
   * (epochs, data size) in the file name or delete the file when they change. A damaged last line (a run killed
   * while writing) is removed from the file and that run repeats; a damaged line elsewhere is an error naming the
   * file and line.
   */
  public Experiments journal(Path file) {
    this.journal = java.util.Objects.requireNonNull(file, "file");
    return this;
  }

  /** How many of this experiment's runs the journal already holds (0 without a journal or file). */
  public int journaled() {
    Map<String, Map<String, Double>> done = readJournal();
    return (int) runs().stream().filter(r -> done.containsKey(key(r))).count();
  }

  /** The journal's name of a run: {@code seed=0 net=net1 conv=fconv} (seed, then the grid values in grid order). */
  public static String key(Run r) {
    StringBuilder k = new StringBuilder("seed=" + r.seed());
    r.params().forEach((name, v) -> k.append(' ').append(name).append('=').append(v));
    return k.toString();
  }

  private Map<String, Map<String, Double>> readJournal() {
    Map<String, Map<String, Double>> done = new LinkedHashMap<>();
    if (journal == null || !Files.exists(journal)) {
      return done;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(journal);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read experiment journal " + journal + ": " + e.getMessage(), e);
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      try {
        JournalRow row = JournalRow.parse(line);
        done.put(row.key(), row.metrics());
      } catch (RuntimeException e) {
        if (i == lines.size() - 1) {
          dropLastLine(lines); // a run killed while its line was written: it runs again
          break;
        }
        throw new IllegalArgumentException(journal + " line " + (i + 1) + " is damaged (" + e.getMessage() + "): "
            + line, e);
      }
    }
    return done;
  }

  /** Rewrites the journal without its damaged last line (temp file, then rename), so later lines stay readable. */
  private void dropLastLine(List<String> lines) {
    try {
      AtomicFiles.writeLines(journal, lines.subList(0, lines.size() - 1));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot repair experiment journal " + journal + ": " + e.getMessage(), e);
    }
  }

  private synchronized void record(Run r, Map<String, Double> metrics) {
    String line = new JournalRow(key(r), metrics, Map.of()).line();
    try {
      if (journal.getParent() != null) {
        Files.createDirectories(journal.getParent());
      }
      Files.writeString(journal, line + "\n", StandardOpenOption.CREATE,
          StandardOpenOption.APPEND, StandardOpenOption.SYNC);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to experiment journal " + journal + ": " + e.getMessage(), e);
    }
  }

  /** Every run's settings in execution order: the grid (first parameter outermost), seeds innermost. */
  public List<Run> runs() {
    if (!named.isEmpty()) {
      List<Run> out = new ArrayList<>();
      for (var e : named.entrySet()) {
        if (only == null || only.contains(e.getKey())) {
          for (int s : seeds) {
            out.add(new Run(s, java.util.Collections.unmodifiableMap(e.getValue())));
          }
        }
      }
      return out;
    }
    List<Map<String, Object>> points = new ArrayList<>();
    points.add(new LinkedHashMap<>());
    for (var e : grid.entrySet()) {
      List<Map<String, Object>> next = new ArrayList<>();
      for (Map<String, Object> p : points) {
        for (Object v : e.getValue()) {
          Map<String, Object> q = new LinkedHashMap<>(p);
          q.put(e.getKey(), v);
          next.add(q);
        }
      }
      points = next;
    }
    List<Run> out = new ArrayList<>();
    for (Map<String, Object> p : points) {
      for (int s : seeds) {
        out.add(new Run(s, java.util.Collections.unmodifiableMap(p)));
      }
    }
    return out;
  }

  /**
   * Runs every setting and returns one row per run.
   *
   * @param experiment returns the metrics of one run, e.g. {@code Map.of("val_acc", 0.91)}
   * @throws IllegalStateException naming the run if one fails
   */
  public Table run(Function<Run, Map<String, Double>> experiment) {
    List<Run> runs = runs();
    return table(runs, execute(runs, experiment));
  }

  /**
   * Runs every setting, each returning its training {@link History}, and stacks their per-epoch rows into one
   * history whose {@code run} column holds {@link Run#name()} (with {@code " seed=N"} appended when there are several
   * seeds). The journal records a run's per-epoch rows (every phase but "step") as {@code phase:metric@epoch=value}
   * pairs, so a resumed sweep gives the same curves; per-step rows are dropped whether or not a journal is used.
   *
   * @param experiment trains one run and returns its history (phases such as "train" and "val"; metric names
   *     without ':', '@', '=' or spaces)
   * @throws IllegalStateException naming the run if one fails
   */
  public History histories(Function<Run, History> experiment) {
    List<Run> runs = runs();
    List<Map<String, Double>> flat = execute(runs, r -> {
      History h = experiment.apply(r);
      return h == null ? null : h.epochMetrics();
    });
    List<History> out = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      Run r = runs.get(i);
      out.add(History.fromEpochMetrics(flat.get(i)).withRun(r.name() + (seeds.length > 1 ? " seed=" + r.seed() : "")));
    }
    return History.concat(out);
  }

  private List<Map<String, Double>> execute(List<Run> runs, Function<Run, Map<String, Double>> experiment) {
    Map<String, Map<String, Double>> done = readJournal();
    Function<Run, Map<String, Double>> journaled = journal == null ? experiment : r -> {
      Map<String, Double> m = done.get(key(r));
      if (m == null) {
        m = experiment.apply(r);
        if (m != null) {
          record(r, m);
        }
      }
      return m;
    };
    List<Map<String, Double>> results = new ArrayList<>();
    if (parallelism == 1) {
      for (Run r : runs) {
        results.add(call(journaled, r));
      }
    } else {
      ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, runs.size()), task -> {
        Thread t = new Thread(task, "experiment");
        t.setDaemon(true);
        return t;
      });
      try {
        List<Future<Map<String, Double>>> futures = new ArrayList<>();
        for (Run r : runs) {
          futures.add(pool.submit(() -> call(journaled, r)));
        }
        for (Future<Map<String, Double>> f : futures) {
          results.add(f.get());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for runs", e);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
      } finally {
        pool.shutdownNow();
      }
    }
    return results;
  }

  private static Map<String, Double> call(Function<Run, Map<String, Double>> experiment, Run r) {
    try {
      Map<String, Double> m = experiment.apply(r);
      if (m == null) {
        throw new IllegalStateException("run " + r + " returned null metrics");
      }
      return m;
    } catch (RuntimeException e) {
      throw new IllegalStateException("run " + r + " failed: " + e, e);
    }
  }

  private Table table(List<Run> runs, List<Map<String, Double>> results) {
    Table t = Table.create("experiments");
    List<String> columns = new ArrayList<>(grid.keySet());
    if (!named.isEmpty()) {
      columns.add(RUN);
      columns.addAll(defaults.keySet());
    }
    for (String p : columns) {
      StringColumn c = StringColumn.create(p);
      runs.forEach(r -> c.append(String.valueOf(r.params().get(p))));
      t.addColumns(c);
    }
    IntColumn seed = IntColumn.create("seed");
    runs.forEach(r -> seed.append(r.seed()));
    t.addColumns(seed);
    Set<String> metrics = new LinkedHashSet<>();
    results.forEach(m -> metrics.addAll(m.keySet()));
    for (String m : metrics) {
      DoubleColumn c = DoubleColumn.create(m);
      results.forEach(r -> c.append(r.getOrDefault(m, Double.NaN)));
      t.addColumns(c);
    }
    return t;
  }

  /** Runs {@code experiment} once per seed, in order, one row per seed (columns {@code seed} and the metrics). */
  public static Table overSeeds(int[] seeds, IntFunction<Map<String, Double>> experiment) {
    return new Experiments().seeds(seeds).run(r -> experiment.apply(r.seed()));
  }

  /**
   * Mean and standard deviation of every metric per group.
   *
   * <p>The standard deviation is the population one (divide by n, numpy's default {@code np.std}, ddof=0); use
   * {@link #summary(Table, int, String...)} with ddof 1 for the sample standard deviation.
   *
   * @param results a table from {@link #run} or {@link #overSeeds}
   * @param groupBy grid columns to group by; none for one row over all runs
   * @return columns: the group columns, {@code n}, then {@code <metric>_mean} and {@code <metric>_std} per metric
   */
  public static Table summary(Table results, String... groupBy) {
    return summary(results, 0, groupBy);
  }

  /** As {@link #summary(Table, String...)}, with the given delta degrees of freedom (0 or 1) for the std. */
  public static Table summary(Table results, int ddof, String... groupBy) {
    if (ddof != 0 && ddof != 1) {
      throw new IllegalArgumentException("ddof must be 0 or 1, got " + ddof);
    }
    for (String g : groupBy) {
      if (!results.containsColumn(g)) {
        throw new IllegalArgumentException("no column '" + g + "' to group by; columns: " + results.columnNames());
      }
    }
    List<String> metrics = new ArrayList<>();
    for (Column<?> c : results.columns()) {
      if (c instanceof DoubleColumn && !List.of(groupBy).contains(c.name())) {
        metrics.add(c.name());
      }
    }
    Map<List<String>, List<Integer>> groups = new LinkedHashMap<>();
    for (int r = 0; r < results.rowCount(); r++) {
      List<String> key = new ArrayList<>();
      for (String g : groupBy) {
        key.add(results.column(g).getString(r));
      }
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
    }
    Table out = Table.create("summary");
    for (int i = 0; i < groupBy.length; i++) {
      StringColumn c = StringColumn.create(groupBy[i]);
      for (List<String> key : groups.keySet()) {
        c.append(key.get(i));
      }
      out.addColumns(c);
    }
    IntColumn n = IntColumn.create("n");
    groups.values().forEach(rows -> n.append(rows.size()));
    out.addColumns(n);
    for (String m : metrics) {
      DoubleColumn mean = DoubleColumn.create(m + "_mean");
      DoubleColumn std = DoubleColumn.create(m + "_std");
      DoubleColumn col = results.doubleColumn(m);
      for (List<Integer> rows : groups.values()) {
        double[] v = rows.stream().mapToDouble(col::getDouble).filter(x -> !Double.isNaN(x)).toArray();
        double mu = 0;
        for (double x : v) {
          mu += x;
        }
        mu /= v.length;
        double ss = 0;
        for (double x : v) {
          ss += (x - mu) * (x - mu);
        }
        mean.append(v.length == 0 ? Double.NaN : mu);
        std.append(v.length - ddof <= 0 ? Double.NaN : Math.sqrt(ss / (v.length - ddof)));
      }
      out.addColumns(mean, std);
    }
    return out;
  }
  /**
   * The journal file for one setting of what the grid leaves out (epochs, data size...), since a journal knows its
   * runs by seed and grid values only: {@code base} without its {@code .tsv}, then {@code -name value} for each pair,
   * then {@code .tsv}; {@code null} when {@code base} is empty (no journal).
   *
   * <pre>{@code
   * Experiments.journalFile("runs.tsv", "e", 15, "n", 50000, "d", 0.3)   // runs-e15-n50000-d0.3.tsv
   * }</pre>
   *
   * @param settings names and values, alternating
   */
  public static Path journalFile(String base, Object... settings) {
    if (settings.length % 2 != 0) {
      throw new IllegalArgumentException("settings must alternate names and values, got " + settings.length + " items");
    }
    if (base.isEmpty()) {
      return null;
    }
    StringBuilder name = new StringBuilder(base.endsWith(".tsv") ? base.substring(0, base.length() - 4) : base);
    for (int i = 0; i < settings.length; i += 2) {
      name.append('-').append(settings[i]).append(settings[i + 1]);
    }
    return Path.of(name.append(".tsv").toString());
  }

  /**
   * A file beside {@code journal} for what a run leaves besides its metrics (weights, say): the journal's name
   * with its {@code .tsv} replaced by {@code suffix}, e.g. {@code runs-e15.tsv} and {@code "-lr0.01.zip"} give
   * {@code runs-e15-lr0.01.zip}.
   */
  public static Path besideJournal(Path journal, String suffix) {
    String name = journal.getFileName().toString();
    return journal.resolveSibling((name.endsWith(".tsv") ? name.substring(0, name.length() - 4) : name) + suffix);
  }
}
