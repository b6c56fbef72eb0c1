package dlcourse.sweep;

import dlcourse.train.Experiments;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Runs one {@link SweepTask} where Spark placed it (an executor, or the driver's JVM in local mode).
 *
 * <p>A notebook task starts the notebook runner ({@code dlcourse.kernel.Main run}) in a child JVM with the task's
 * parameters and {@code -p journal=WORK/journal.tsv}, so each task has its own kernel, memory and OpenMP threads, and
 * a crash of one training takes nothing else down. Its work folder keeps the runner's log, the executed notebook and
 * the task's journal; a retry of the task on the same machine resumes from that journal.
 *
 * <p>Failures: a cell that throws (the runner's exit 1) or bad parameters (exit 2) are the notebook's own and would
 * fail again, so they come back as a failed {@link TaskResult} at once. A runner that dies (killed, out of memory,
 * crashed JVM: any other exit) throws, and Spark runs the task again, up to {@code spark.task.maxFailures} attempts;
 * the last attempt reports instead of throwing, so one lost task does not abort the others.
 */
public final class TaskRunner {
  private TaskRunner() {}

  /** Runner processes of this JVM, ended when it exits (a killed executor or driver leaves no training behind). */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(TaskRunner::destroyTree),
        "dlcourse-sweep-reaper"));
  }

  /**
   * Runs the task; {@code attemptNumber} counts from 0 as Spark's {@code TaskContext.attemptNumber()}.
   *
   * @throws RetryableException when the runner died and another attempt is left
   */
  public static TaskResult run(SweepTask task, int attemptNumber, String executorId) {
    long t0 = System.nanoTime();
    Path work = workDir(task);
    boolean last = attemptNumber + 1 >= task.spec().maxAttempts();
    try {
      return task.spec().isNotebook()
          ? runNotebook(task, work, attemptNumber + 1, last, executorId, t0)
          : runClass(task, work, attemptNumber + 1, executorId, t0);
    } catch (RetryableException e) {
      throw e;
    } catch (RuntimeException | IOException e) {
      return failed(task, work, attemptNumber + 1, executorId, t0, e.toString());
    }
  }

  /** Thrown for a runner that died; Spark retries the task. */
  public static final class RetryableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RetryableException(String message) {
      super(message);
    }
  }

  static Path workDir(SweepTask task) {
    Path dir = Path.of(task.spec().tasksDir(), task.spec().baseHash(), task.folderName());
    try {
      Files.createDirectories(dir);
      return dir;
    } catch (IOException | SecurityException e) {
      // a worker without the driver's folder: its own temporary folder
      Path tmp = Path.of(System.getProperty("java.io.tmpdir"), "dlcourse-sweep", task.spec().baseHash(), task
          .folderName());
      try {
        Files.createDirectories(tmp);
      } catch (IOException e2) {
        throw new UncheckedIOException("cannot create a work folder for task " + task.id() + ": " + e2.getMessage(),
            e2);
      }
      return tmp;
    }
  }

  private static TaskResult runNotebook(SweepTask task, Path work, int attempt, boolean last, String executorId,
      long t0)
      throws IOException {
    SweepTask.Spec spec = task.spec();
    Path nb = work.resolve(spec.name());
    Files.writeString(nb, spec.notebookText(), StandardCharsets.UTF_8);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String opt : spec.javaOptions().trim().split("\\s+")) {
      if (!opt.isEmpty()) {
        cmd.add(opt);
      }
    }
    cmd.addAll(List.of("-Djava.awt.headless=true", "-cp", spec.runnerClasspath(), "dlcourse.kernel.Main", "run",
        nb.toString()));
    if (spec.quick()) {
      cmd.add("--quick");
    }
    task.parameters().forEach((k, v) -> cmd.addAll(List.of("-p", k + "=" + v)));
    cmd.addAll(List.of("-p", "journal=" + work.resolve("journal.tsv"), "--out", work.toString()));
    if (spec.cellTimeoutSeconds() > 0) {
      cmd.addAll(List.of("--timeout", Long.toString(spec.cellTimeoutSeconds())));
    }
    try (CpuSlot slot = spec.pin() ? CpuSlot.acquire(spec.threads()) : CpuSlot.NONE) {
      if (slot.cpus() != null) {
        cmd.addAll(0, List.of("/usr/bin/taskset", "-c", slot.cpus()));
      }
      return launch(task, work, cmd, attempt, last, executorId, t0);
    }
  }

  private static TaskResult launch(SweepTask task, Path work, List<String> cmd, int attempt, boolean last,
      String executorId, long t0) throws IOException {
    SweepTask.Spec spec = task.spec();
    Path log = work.resolve("runner.log");
    Files.writeString(log, String.format(Locale.ROOT, "== attempt %d on %s (executor %s): %s%n", attempt, host(),
        executorId, String.join(" ", cmd).replace(spec.runnerClasspath(), "RUNNER_CLASSPATH")), StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("OMP_NUM_THREADS", Integer.toString(spec.threads()));
    if (System.getenv("DLCOURSE_DATA") == null && spec.dataDir() != null) {
      pb.environment().put("DLCOURSE_DATA", spec.dataDir());
    }
    Process p = pb.start();
    LIVE.add(p);
    int exit;
    try {
      exit = p.waitFor();
    } catch (InterruptedException e) {
      destroyTree(p); // the sweep was cancelled
      Thread.currentThread().interrupt();
      throw new IllegalStateException("task " + task.id() + " was cancelled");
    } finally {
      LIVE.remove(p);
    }
    String where = " (work folder " + work + " on " + host() + ")";
    if (exit == 0) {
      List<TaskResult.Row> rows = journaledRows(work);
      if (rows.isEmpty()) {
        return failed(task, work, attempt, executorId, t0, spec.name()
            + " ran but journaled no runs: a swept notebook passes"
            + " its String parameter 'journal' to Experiments.journal(Path.of(journal))" + where);
      }
      return new TaskResult(task.index(), task.id(), true, rows, null, host(), executorId, seconds(t0), attempt,
          work.toString());
    }
    String failure = failureLine(log);
    if (exit == 1 || exit == 2) {
      return failed(task, work, attempt, executorId, t0, (failure == null ? "the runner exited with " + exit : failure)
          + where);
    }
    String died = "the runner died (exit " + exit + (exit > 128 ? ", signal " + (exit - 128) : "") + ") on attempt "
        + attempt + where;
    if (!last) {
      throw new RetryableException(task.id() + ": " + died);
    }
    return failed(task, work, attempt, executorId, t0, died);
  }

  /** The runner's FAILED line (notebook, cell and error) or its first error line; null if none. */
  static String failureLine(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    String error = null;
    for (String l : lines) {
      if (l.startsWith("== attempt ")) {
        error = null; // only this attempt's lines
      } else if (l.startsWith("FAILED ")) {
        error = l.substring("FAILED ".length()).replaceFirst(" -> .*$", ""); // the outputs are in the work folder
      } else if (l.startsWith("error: ") && error == null) {
        error = l;
      }
    }
    return error;
  }

  /** Every line the notebook journaled in {@code work}: files journal.tsv and journal&lt;suffix&gt;.tsv. */
  static List<TaskResult.Row> journaledRows(Path work) throws IOException {
    List<TaskResult.Row> rows = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(work)) {
      files = s.filter(f -> {
        String n = f.getFileName().toString();
        return n.startsWith("journal") && n.endsWith(".tsv") && SweepJournal.isSuffix(n.substring(7, n.length() - 4));
      }).sorted().toList();
    }
    for (Path f : files) {
      String n = f.getFileName().toString();
      String suffix = n.substring(7, n.length() - 4);
      List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String l = lines.get(i);
        if (l.isBlank()) {
          continue;
        }
        try {
          Experiments.JournalRow.parse(l);
        } catch (IllegalArgumentException e) {
          if (i == lines.size() - 1) {
            continue; // a run killed while writing, which the notebook would repeat
          }
          throw new IllegalArgumentException(f + " line " + (i + 1) + " is damaged: " + l, e);
        }
        rows.add(new TaskResult.Row(suffix, l));
      }
    }
    return rows;
  }

  private static TaskResult runClass(SweepTask task, Path work, int attempt, String executorId, long t0) {
    Function<Experiments.Run, Map<String, Double>> experiment = instantiate(task.spec().name());
    Experiments.Run run = run(task);
    Map<String, Double> metrics;
    try {
      metrics = experiment.apply(run);
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError vme) {
        throw vme;
      }
      return failed(task, work, attempt, executorId, t0, task.spec().name() + " failed on " + run + ": " + e);
    }
    if (metrics == null || metrics.isEmpty()) {
      return failed(task, work, attempt, executorId, t0, task.spec().name() + " returned no metrics for " + run);
    }
    String line = new Experiments.JournalRow(Experiments.key(run), metrics, Map.of()).line();
    return new TaskResult(task.index(), task.id(), true, List.of(new TaskResult.Row("", line)), null, host(),
        executorId,
        seconds(t0), attempt, work.toString());
  }

  /** The Experiments run of a class task: seed from the {@code seed} parameter (0 without), the rest typed. */
  static Experiments.Run run(SweepTask task) {
    int seed = 0;
    Map<String, Object> params = new LinkedHashMap<>();
    for (var e : task.parameters().entrySet()) {
      if (e.getKey().equals("seed")) {
        try {
          seed = Integer.parseInt(e.getValue().strip());
        } catch (NumberFormatException ex) {
          throw new IllegalArgumentException("seed must be a whole number, got '" + e.getValue() + "'");
        }
      } else {
        params.put(e.getKey(), typed(e.getValue()));
      }
    }
    return new Experiments.Run(seed, java.util.Collections.unmodifiableMap(params));
  }

  /** A value as the runner's -p would declare it without a type: int, long, double, boolean, else String. */
  static Object typed(String value) {
    String v = value.strip();
    if (v.matches("[-+]?\\d{1,9}")) {
      return Integer.parseInt(v);
    }
    if (v.matches("[-+]?\\d+")) {
      return Long.parseLong(v);
    }
    if (v.matches("[-+]?(\\d+\\.\\d*|\\.\\d+|\\d+)([eE][-+]?\\d+)?")) {
      return Double.parseDouble(v);
    }
    if (v.equals("true") || v.equals("false")) {
      return Boolean.parseBoolean(v);
    }
    return value;
  }

  /** Loads an experiment class: public, with a public no-argument constructor, a Function from Run to metrics. */
  @SuppressWarnings("unchecked")
  static Function<Experiments.Run, Map<String, Double>> instantiate(String className) {
    Class<?> c;
    try {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      c = Class.forName(className, true, cl == null ? TaskRunner.class.getClassLoader() : cl);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalArgumentException("no notebook file or experiment class '" + className + "' (" + e + ")");
    }
    if (!Function.class.isAssignableFrom(c)) {
      throw new IllegalArgumentException(className + " is not an experiment: it must implement "
          + "java.util.function.Function<dlcourse.train.Experiments.Run, Map<String, Double>>");
    }
    try {
      Constructor<?> k = c.getConstructor();
      return (Function<Experiments.Run, Map<String, Double>>) k.newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(className + " needs a public no-argument constructor (" + e + ")");
    }
  }

  private static TaskResult failed(SweepTask task, Path work, int attempt, String executorId, long t0, String error) {
    return new TaskResult(task.index(), task.id(), false, List.of(), error, host(), executorId, seconds(t0), attempt,
        work == null ? null : work.toString());
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      String h = System.getenv("HOSTNAME");
      return h == null ? "unknown" : h;
    }
  }

  private static void destroyTree(Process p) {
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
  }

  /** The class path for the runner: property dlcourse.sweep.runnerClasspath, else this JVM's. */
  static String defaultRunnerClasspath() {
    String cp = System.getProperty("dlcourse.sweep.runnerClasspath");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }
}
