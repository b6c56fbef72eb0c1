package dlcourse.sweep;

import dlcourse.kernel.NotebookRunner;
import dlcourse.train.Experiments;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;
import tech.tablesaw.api.Table;

/**
 * A grid of notebook runs (or of an experiment class) executed as Apache Spark tasks, with a journal that makes it
 * resumable. {@code ./dlcourse sweep} is this class's command line ({@link SweepCommand}).
 *
 * <pre>{@code
 * Sweep.Result r = Sweep.notebook(Path.of("notebooks/uva-dl1-hw2/q1_1_padding.ipynb"))
 *     .param("seeds", "10")
 *     .grid("nets=net1,net2").grid("convTypes=valid,replicate,reflect,circular,sconv,fconv")
 *     .journal(Path.of("runs.tsv")).out(Path.of("out/q1_1"))
 *     .run();                          // local[cores] by default; .master("spark://host:7077") for a cluster
 * Table runs = r.table();              // every journaled run, with task, host and wall time
 * }</pre>
 *
 * <h2>How a notebook reports its metrics</h2>
 * A swept notebook declares {@code String journal = "";} in its cell tagged {@code parameters} and passes it to
 * {@code Experiments.journal(Path.of(journal))} when it is not empty, as q1_1 does. Each task runs the whole notebook
 * with its grid values and {@code -p journal=} a file of its own; the rows its Experiments journal there (one per
 * run: seed, grid values, metrics) are the task's result. The driver appends them to the sweep's journal with the
 * task, host and wall time. Once every task is done, one more run of the notebook with {@code -p journal=} the
 * sweep's journal takes every run from it and trains nothing: that run's tables are the sweep's result. In that
 * run each String grid parameter is given all its values joined by commas (q1_1's {@code nets=net1,net2}); other
 * grid parameters keep the notebook's default.
 *
 * <h2>An experiment class</h2>
 * Instead of a notebook, a class from the project's jars that implements {@code Function<Experiments.Run,
 * Map<String, Double>>} (the function {@link Experiments#run} takes) with a public no-argument constructor. Each task
 * calls it once; the {@code seed} parameter is the run's seed, the other values are typed as the runner's {@code -p}
 * types them (int, long, double, boolean, else String). Lambdas from notebook cells cannot be sent: executors
 * have no JShell classes.
 *
 * <h2>Where tasks run</h2>
 * {@code local[N]} by default, N = this machine's cores, with {@code spark.task.cpus} = threads per task, so
 * N / threads tasks run at once. A {@code spark://HOST:PORT} master runs them on a standalone cluster: each worker
 * needs JDK 17 and the project built at the same path (executors get this JVM's class path as
 * {@code spark.executor.extraClassPath}) and its data (DLCOURSE_DATA, or this driver's value). A task that fails
 * because its runner died is run again, up to {@code retries} more times (Spark's task retry); a notebook whose
 * cell throws fails at once, and is reported with its cell and error while the other tasks go on.
 */
public final class Sweep {
  private final Path notebook;
  private final String experimentClass;
  private final LinkedHashMap<String, String> base = new LinkedHashMap<>();
  private final Grid grid = new Grid();
  private String master;
  private Path journal;
  private Path out = Path.of("out");
  private int threads = defaultThreads();
  private int retries = 2;
  private boolean quick;
  private long cellTimeoutSeconds;
  private boolean report = true;
  private boolean pin = true;
  private final Map<String, String> conf = new LinkedHashMap<>();
  private PrintStream log = System.out;
  private String runnerClasspath = TaskRunner.defaultRunnerClasspath();
  private String javaOptions = defaultJavaOptions();

  private Sweep(Path notebook, String experimentClass) {
    this.notebook = notebook;
    this.experimentClass = experimentClass;
  }

  /** A sweep over a notebook. */
  public static Sweep notebook(Path notebook) {
    return new Sweep(notebook, null);
  }

  /** A sweep over an experiment class (a {@code Function<Experiments.Run, Map<String, Double>>}). */
  public static Sweep experiment(String className) {
    return new Sweep(null, className);
  }

  /** A parameter every task gets ({@code -p name=value}). */
  public Sweep param(String name, String value) {
    if (name.equals("journal")) {
      throw new IllegalArgumentException("-p journal is set by the sweep for each task; use --journal FILE");
    }
    base.put(name, value);
    return this;
  }

  /** A swept parameter, {@code name=v1,v2,...} or {@code name=A..B}. */
  public Sweep grid(String spec) {
    grid.add(spec);
    return this;
  }

  /** A swept parameter with its values. */
  public Sweep grid(String name, String... values) {
    grid.add(name, List.of(values));
    return this;
  }

  /** {@code local[N]}, {@code local[*]} or {@code spark://HOST:PORT}; default local[cores]. */
  public Sweep master(String master) {
    this.master = master;
    return this;
  }

  /** The sweep's journal (a .tsv file); default OUT/NAME-journal.tsv. */
  public Sweep journal(Path journal) {
    this.journal = journal;
    return this;
  }

  /** Where the final notebook run writes (NAME.ipynb, NAME.html, NAME/*.csv) and the tasks' work folders go. */
  public Sweep out(Path out) {
    this.out = out;
    return this;
  }

  /** Cores per task: spark.task.cpus and the runner's OMP_NUM_THREADS; default OMP_NUM_THREADS or 1. */
  public Sweep threadsPerTask(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads per task must be >= 1, got " + threads);
    }
    this.threads = threads;
    return this;
  }

  /** How often a task whose runner died is run again; default 2 (3 attempts). */
  public Sweep retries(int retries) {
    if (retries < 0) {
      throw new IllegalArgumentException("retries must be >= 0, got " + retries);
    }
    this.retries = retries;
    return this;
  }

  /** Runs every task (and the final run) with --quick. */
  public Sweep quick(boolean quick) {
    this.quick = quick;
    return this;
  }

  /** The runner's --timeout per cell, in seconds; 0 (default) for none. */
  public Sweep cellTimeout(long seconds) {
    this.cellTimeoutSeconds = seconds;
    return this;
  }

  /** Whether to run the notebook once more over the complete journal at the end (default true). */
  public Sweep report(boolean report) {
    this.report = report;
    return this;
  }

  /**
   * Whether each notebook task's runner is pinned to CPUs of its own with taskset (default true, where taskset
   * exists): oneDNN's threads use every CPU a process may run on, so unpinned CNN trainings side by side
   * oversubscribe the cores.
   */
  public Sweep pin(boolean pin) {
    this.pin = pin;
    return this;
  }

  /** Any Spark setting (e.g. spark.executor.memory). */
  public Sweep conf(String key, String value) {
    conf.put(key, value);
    return this;
  }

  /** Where progress goes; default System.out. */
  public Sweep log(PrintStream log) {
    this.log = log;
    return this;
  }

  /** The notebook runner's class path (default: property dlcourse.sweep.runnerClasspath, else this JVM's). */
  public Sweep runnerClasspath(String classpath) {
    this.runnerClasspath = classpath;
    return this;
  }

  /** The runner's JVM options (default: property dlcourse.sweep.javaOpts, DLCOURSE_JAVA_OPTS, else -Xmx2g ...). */
  public Sweep javaOptions(String options) {
    this.javaOptions = options;
    return this;
  }

  static int defaultThreads() {
    try {
      return Math.max(1, Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS", "1").strip()));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  static String defaultJavaOptions() {
    String p = System.getProperty("dlcourse.sweep.javaOpts");
    if (p != null) {
      return p;
    }
    String env = System.getenv("DLCOURSE_JAVA_OPTS");
    return env != null ? env
        : "-Xmx2g -Xmn8m -Dorg.bytedeco.javacpp.maxbytes=4g -Dorg.bytedeco.javacpp.maxphysicalbytes=7g";
  }

  /** What a sweep did. */
  public record Result(int total, int alreadyDone, int ran, List<TaskResult> finished, List<TaskResult> failed,
      Path journal, Path reportNotebook, boolean reportOk, double seconds) {
    /** True when every task is in the journal and the final run (if any) succeeded. */
    public boolean ok() {
      return failed.isEmpty() && reportOk;
    }

    /** Every run in the journal (Experiments.readJournal): parameters, seed, metrics, task, host, wall time. */
    public Table table() {
      return Experiments.readJournal(journal);
    }
  }

  /** The tasks of this sweep, in grid order (checked as {@link #run} checks them). */
  public List<SweepTask> tasks() {
    return plan(retries + 1).tasks;
  }

  private record Plan(List<SweepTask> tasks, SweepTask.Spec spec, Map<String, String> declared, Path journal,
      String name) {}

  /** Checks everything that can be checked before Spark starts; every problem is an IllegalArgumentException. */
  private Plan plan(int attempts) {
    if (grid.isEmpty()) {
      throw new IllegalArgumentException("the grid is empty: give at least one --grid name=v1,v2,...");
    }
    for (String n : grid.names()) {
      if (base.containsKey(n)) {
        throw new IllegalArgumentException("'" + n + "' is given both as -p and as --grid");
      }
      if (n.equals("journal")) {
        throw new IllegalArgumentException("'journal' cannot be swept: the sweep sets it for each task");
      }
    }
    String name;
    String text = null;
    Map<String, String> declared = Map.of();
    if (notebook != null) {
      if (!Files.isRegularFile(notebook)) {
        throw new IllegalArgumentException(notebook + ": no such notebook");
      }
      name = notebook.getFileName().toString();
      // every value of every parameter must be one the notebook declares and that converts to its type
      declared = NotebookRunner.checkParameters(notebook, base);
      for (String n : grid.names()) {
        for (String v : grid.values(n)) {
          Map<String, String> one = new LinkedHashMap<>(base);
          one.put(n, v);
          NotebookRunner.checkParameters(notebook, one);
        }
      }
      if (!"String".equals(declared.get("journal"))) {
        throw new IllegalArgumentException(notebook
            + " declares no String journal parameter: a swept notebook reports its "
            + "runs by passing 'String journal = \"\";' from its parameters cell to Experiments.journal(Path.of(journal))");
      }
      try {
        text = Files.readString(notebook, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(notebook + ": cannot read: " + e.getMessage(), e);
      }
    } else {
      name = experimentClass;
      Function<Experiments.Run, Map<String, Double>> check = TaskRunner.instantiate(experimentClass);
      if (check == null) {
        throw new IllegalArgumentException("cannot load " + experimentClass);
      }
      if (quick) {
        throw new IllegalArgumentException("--quick applies to notebooks, not to the experiment class "
            + experimentClass);
      }
    }
    String stem = name.replaceFirst("\\.ipynb$", "");
    Path absOut = out.toAbsolutePath().normalize();
    Path j = (journal != null ? journal : absOut.resolve(stem + "-journal.tsv")).toAbsolutePath().normalize();
    if (!j.getFileName().toString().endsWith(".tsv")) {
      throw new IllegalArgumentException("--journal must name a .tsv file, got " + j);
    }
    SweepTask.Spec spec = new SweepTask.Spec(name, text, new LinkedHashMap<>(base), baseHash(name, base, quick), quick,
        cellTimeoutSeconds, runnerClasspath, javaOptions, System.getenv("DLCOURSE_DATA"), threads, attempts, pin,
        absOut.resolve(stem + "-tasks").toString());
    List<SweepTask> tasks = new ArrayList<>();
    List<Map<String, String>> points = grid.points();
    for (int i = 0; i < points.size(); i++) {
      tasks.add(new SweepTask(i, SweepJournal.taskId(points.get(i)), new LinkedHashMap<>(points.get(i)), spec));
    }
    return new Plan(tasks, spec, declared, j, stem);
  }

  static String baseHash(String name, Map<String, String> base, boolean quick) {
    StringBuilder s = new StringBuilder(name).append('\n').append(quick).append('\n');
    base.forEach((k, v) -> s.append(k).append('=').append(v).append('\n'));
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,(\\d+))?])?");

  /** The master Spark gets: local[N] becomes local[N,attempts], since local mode reads its retries from there. */
  String sparkMaster(int attempts) {
    String m = master == null ? "local[" + Runtime.getRuntime().availableProcessors() + "]" : master.strip();
    Matcher lm = LOCAL.matcher(m);
    if (lm.matches()) {
      String n = lm.group(1) == null ? "1" : lm.group(1);
      if (!n.equals("*") && Integer.parseInt(n) < 1) {
        throw new IllegalArgumentException("--master " + m + ": needs at least one core");
      }
      int cores = n.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
      if (threads > cores) {
        throw new IllegalArgumentException("--threads " + threads + " per task does not fit " + m + " (" + cores
            + " cores)");
      }
      return "local[" + n + "," + (lm.group(2) != null ? lm.group(2) : Integer.toString(attempts)) + "]";
    }
    if (m.startsWith("spark://")) {
      checkReachable(m);
      return m;
    }
    throw new IllegalArgumentException("--master must be local, local[N], local[*] or spark://HOST:PORT, got '" + m
        + "'");
  }

  /** Fails now, with a clear message, when no master of a spark:// URL accepts a connection. */
  static void checkReachable(String url) {
    String hosts = url.substring("spark://".length());
    List<String> errors = new ArrayList<>();
    for (String hp : hosts.split(",")) {
      int colon = hp.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("--master " + url + ": expected spark://HOST:PORT");
      }
      int port;
      try {
        port = Integer.parseInt(hp.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--master " + url + ": '" + hp.substring(colon + 1) + "' is not a port");
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(hp.substring(0, colon), port), 3000);
        return;
      } catch (IOException e) {
        errors.add(hp + ": " + e.getMessage());
      }
    }
    throw new IllegalArgumentException("cannot reach the Spark master " + url + " (" + String.join("; ", errors)
        + "): start it (sbin/start-master.sh) or check --master");
  }

  /** Starts Spark (local[cores] unless a master was given), runs the missing tasks, stops Spark. */
  public Result run() {
    plan(retries + 1); // the notebook, parameters and grid are checked before the master
    String sparkMaster = sparkMaster(retries + 1);
    Matcher lm = LOCAL.matcher(sparkMaster);
    Plan plan = plan(lm.matches() && lm.group(2) != null ? Integer.parseInt(lm.group(2)) : retries + 1);
    try (SweepJournal j = new SweepJournal(plan.journal)) {
      Set<String> done = j.completed(plan.spec.baseHash());
      List<SweepTask> todo = plan.tasks.stream().filter(t -> !done.contains(t.id())).toList();
      if (todo.isEmpty()) {
        log.printf("sweep %s: all %d tasks are in %s; nothing to run%n", plan.name, plan.tasks.size(), plan.journal);
        return finish(plan, j, plan.tasks.size(), List.of(), List.of(), System.nanoTime());
      }
      SparkConf sc = new SparkConf().setAppName("dlcourse sweep " + plan.name).setMaster(sparkMaster)
          .set("spark.task.cpus", Integer.toString(threads))
          .set("spark.task.maxFailures", Integer.toString(plan.spec.maxAttempts()))
          .set("spark.ui.enabled", "false")
          .set("spark.executor.extraClassPath", System.getProperty("java.class.path"));
      if (sparkMaster.startsWith("local")) {
        sc.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
      }
      conf.forEach(sc::set);
      JavaSparkContext jsc = new JavaSparkContext(sc);
      try {
        return execute(jsc, plan, j, done, todo);
      } finally {
        jsc.stop();
      }
    }
  }

  /**
   * How many attempts a task gets on {@code jsc}: local[N,F] gives F (local[N]: 1), a cluster spark.task.maxFailures.
   * A task's last attempt reports a dead runner instead of throwing, so the job goes on.
   */
  static int attempts(JavaSparkContext jsc) {
    Matcher lm = LOCAL.matcher(jsc.master());
    if (lm.matches()) {
      return lm.group(2) == null ? 1 : Integer.parseInt(lm.group(2));
    }
    return jsc.getConf().getInt("spark.task.maxFailures", 4);
  }

  /**
   * Runs the missing tasks on a Spark context the caller owns (and stops); its retries are the context's
   * ({@link #retries} does not apply).
   */
  public Result run(JavaSparkContext jsc) {
    Plan plan = plan(attempts(jsc));
    try (SweepJournal j = new SweepJournal(plan.journal)) {
      Set<String> done = j.completed(plan.spec.baseHash());
      List<SweepTask> todo = plan.tasks.stream().filter(t -> !done.contains(t.id())).toList();
      if (todo.isEmpty()) {
        log.printf("sweep %s: all %d tasks are in %s; nothing to run%n", plan.name, plan.tasks.size(), plan.journal);
        return finish(plan, j, plan.tasks.size(), List.of(), List.of(), System.nanoTime());
      }
      return execute(jsc, plan, j, done, todo);
    }
  }

  private Result execute(JavaSparkContext jsc, Plan plan, SweepJournal j, Set<String> done, List<SweepTask> todo) {
    long t0 = System.nanoTime();
    int slots = Math.max(1, jsc.sc().defaultParallelism() / Math.max(1, threads));
    log.printf(Locale.ROOT,
        "sweep %s: %d tasks (%s), %d in %s, %d to run on %s (spark.task.cpus=%d, up to %d attempts)%n",
        plan.name, plan.tasks.size(), grid, plan.tasks.size() - todo.size(), plan.journal, todo.size(), jsc.master(),
        threads, plan.spec.maxAttempts());
    List<TaskResult> finished = new ArrayList<>();
    List<TaskResult> failed = new ArrayList<>();
    boolean[] journaled = new boolean[todo.size()];
    AbstractFunction2<Object, TaskResult, BoxedUnit> handler = new AbstractFunction2<>() {
      @Override
      public BoxedUnit apply(Object partition, TaskResult r) {
        int p = (Integer) partition;
        synchronized (journaled) {
          if (journaled[p]) {
            return BoxedUnit.UNIT; // never twice, whatever the scheduler does
          }
          journaled[p] = true;
          try {
            if (r.ok()) {
              j.append(r, plan.spec.baseHash());
              finished.add(r);
            } else {
              failed.add(r);
            }
          } catch (RuntimeException e) {
            failed.add(new TaskResult(r.index(), r.id(), false, List.of(), "could not journal: " + e, r.host(),
                r.executor(), r.wallSeconds(), r.attempt(), r.workDir()));
          }
          progress(r, finished.size() + failed.size(), todo.size(), failed.size(), t0, slots);
        }
        return BoxedUnit.UNIT;
      }
    };
    jsc.setJobGroup("dlcourse-sweep", "sweep " + plan.name, true);
    jsc.sc().runJob(jsc.parallelize(todo, todo.size()).rdd(), new RunPartition(), handler,
        ClassTag$.MODULE$.apply(TaskResult.class));
    return finish(plan, j, plan.tasks.size() - todo.size(), finished, failed, t0);
  }

  private long firstResult;

  private void progress(TaskResult r, int completed, int total, int failures, long t0, int slots) {
    long now = System.nanoTime();
    if (completed == 1) {
      firstResult = now;
    }
    int left = total - completed;
    // from the second result on, the rate since the first one: Spark's and the executors' start-up do not count
    double perTask = completed >= 2 ? (now - firstResult) / 1e9 / (completed - 1) : (now - t0) / 1e9 / slots;
    String eta = left == 0 ? "done" : "ETA " + duration(perTask * left);
    String what = r.ok()
        ? String.format(Locale.ROOT, "ok     %s: %d run(s) in %.1f s on %s (executor %s%s)", r.id(), r.rows().size(),
            r.wallSeconds(), r.host(), r.executor(), r.attempt() > 1 ? ", attempt " + r.attempt() : "")
        : String.format(Locale.ROOT, "FAILED %s: %s", r.id(), r.error());
    log.printf(Locale.ROOT, "[%d/%d] %s | %d failed | %s%n", completed, total, what, failures, eta);
    log.flush();
  }

  static String duration(double s) {
    long t = Math.round(s);
    return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t % 3600 / 60)
        : t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + "s";
  }

  private Result finish(Plan plan, SweepJournal j, int alreadyDone, List<TaskResult> finished, List<TaskResult> failed,
      long t0) {
    double seconds = (System.nanoTime() - t0) / 1e9;
    List<TaskResult> failedSorted = failed.stream().sorted((a, b) -> Integer.compare(a.index(), b.index())).toList();
    if (!finished.isEmpty() || !failed.isEmpty()) {
      log.printf(Locale.ROOT, "sweep %s: %d of %d tasks in the journal, %d failed, in %s -> %s%n", plan.name,
          alreadyDone + finished.size(), plan.tasks.size(), failed.size(), duration(seconds), plan.journal);
    }
    for (TaskResult f : failedSorted) {
      log.printf("FAILED task %s: %s%n", f.id(), f.error());
    }
    for (String shared : j.sharedKeys(plan.spec.baseHash())) {
      log.println(
          "warning: the same run came from two tasks (the notebook's Experiments grid lacks a swept parameter): "
              + shared);
    }
    Path reportNotebook = null;
    boolean reportOk = true;
    if (failed.isEmpty() && report && notebook != null) {
      reportNotebook = out.toAbsolutePath().normalize().resolve(plan.name + ".ipynb");
      reportOk = runReport(plan) == 0;
    } else if (!failed.isEmpty()) {
      log.printf("sweep %s: %d task(s) failed; run the same command again to retry them (the others are journaled)%n",
          plan.name, failed.size());
    }
    return new Result(plan.tasks.size(), alreadyDone, finished.size() + failed.size(), List.copyOf(finished),
        failedSorted, plan.journal, reportNotebook, reportOk, seconds);
  }

  /** The final run over the complete journal: String grid parameters get all their values, comma-joined. */
  private int runReport(Plan plan) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String opt : javaOptions.trim().split("\\s+")) {
      if (!opt.isEmpty()) {
        cmd.add(opt);
      }
    }
    cmd.addAll(List.of("-Djava.awt.headless=true", "-cp", runnerClasspath, "dlcourse.kernel.Main", "run",
        notebook.toString()));
    if (quick) {
      cmd.add("--quick");
    }
    base.forEach((k, v) -> cmd.addAll(List.of("-p", k + "=" + v)));
    List<String> kept = new ArrayList<>();
    for (String n : grid.names()) {
      if ("String".equals(plan.declared.get(n))) {
        cmd.addAll(List.of("-p", n + "=" + String.join(",", grid.values(n))));
      } else {
        kept.add(plan.declared.getOrDefault(n, "?") + " " + n);
      }
    }
    cmd.addAll(List.of("-p", "journal=" + plan.journal, "--out", out.toString()));
    if (cellTimeoutSeconds > 0) {
      cmd.addAll(List.of("--timeout", Long.toString(cellTimeoutSeconds)));
    }
    log.printf("sweep %s: final run over the journal%s%n", plan.name,
        kept.isEmpty() ? "" : " (" + String.join(", ", kept) + " keep the notebook's default)");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
    try {
      Process p = pb.start();
      try (var in = p.getInputStream()) {
        in.transferTo(log);
      }
      int exit = p.waitFor();
      log.flush();
      return exit;
    } catch (IOException e) {
      log.println("FAILED final run of " + notebook + ": " + e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  /** The code executors run: one task per partition, from the project's jars. */
  static final class RunPartition
      extends
        AbstractFunction2<TaskContext, scala.collection.Iterator<SweepTask>, TaskResult>
      implements
        Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public TaskResult apply(TaskContext ctx, scala.collection.Iterator<SweepTask> tasks) {
      SweepTask task = tasks.next();
      SparkEnv env = SparkEnv.get();
      return TaskRunner.run(task, ctx.attemptNumber(), env == null ? "?" : env.executorId());
    }
  }
}
