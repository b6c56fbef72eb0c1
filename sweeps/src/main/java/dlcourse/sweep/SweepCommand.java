package dlcourse.sweep;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code ./dlcourse sweep}: the command line of {@link Sweep}.
 *
 * <pre>{@value #USAGE}</pre>
 *
 * <p>Exit status: 0 every task is journaled and the final run succeeded; 1 a task or the final run failed (run the
 * same command again: only the missing tasks run); 2 bad arguments (nothing ran).
 */
public final class SweepCommand {
  static final String USAGE =
      "usage: dlcourse sweep NOTEBOOK|EXPERIMENT_CLASS [-p name=value]... --grid name=v1,v2|A..B..."
          + " [--master local[N]|spark://HOST:PORT] [--journal FILE.tsv] [--out DIR] [--threads N] [--retries N] [--quick]"
          + " [--timeout SECONDS] [--no-report] [--no-pin] [--conf key=value]...";

  private SweepCommand() {}

  public static void main(String[] args) {
    // Spark logs through slf4j; its INFO lines would bury the progress lines.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
        System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.hadoop",
        System.getProperty("org.slf4j.simpleLogger.log.org.apache.hadoop", "error"));
    System.exit(main(args, System.out, System.err));
  }

  /** Runs the command line and returns the exit status. */
  public static int main(String[] args, PrintStream out, PrintStream err) {
    Sweep sweep;
    try {
      sweep = parse(args).log(out);
      sweep.tasks(); // every check that needs no Spark: notebook, parameters, grid
      sweep.sparkMaster(1); // a bad or unreachable master is an error before anything runs
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("error: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    try {
      return sweep.run().ok() ? 0 : 1;
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 2;
    } catch (RuntimeException e) {
      err.println("FAILED sweep: " + e);
      return 1;
    }
  }

  static Sweep parse(String[] args) {
    String target = null;
    java.util.List<String[]> params = new java.util.ArrayList<>();
    java.util.List<String> grids = new java.util.ArrayList<>();
    java.util.List<String[]> confs = new java.util.ArrayList<>();
    String master = null;
    Path journal = null;
    Path out = null;
    Integer threads = null;
    Integer retries = null;
    boolean quick = false;
    boolean report = true;
    boolean pin = true;
    long timeout = 0;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "-p", "--parameter" -> params.add(pair(a, value(args, ++i, a)));
        case "--grid" -> grids.add(value(args, ++i, a));
        case "--master" -> master = value(args, ++i, a);
        case "--journal" -> journal = Path.of(value(args, ++i, a));
        case "--out" -> out = Path.of(value(args, ++i, a));
        case "--threads" -> threads = positive(a, value(args, ++i, a), 1);
        case "--retries" -> retries = positive(a, value(args, ++i, a), 0);
        case "--timeout" -> timeout = positive(a, value(args, ++i, a), 1);
        case "--quick" -> quick = true;
        case "--no-report" -> report = false;
        case "--no-pin" -> pin = false;
        case "--conf" -> confs.add(pair(a, value(args, ++i, a)));
        default -> {
          if (a.startsWith("-")) {
            throw new IllegalArgumentException("unknown option '" + a + "'");
          }
          if (target != null) {
            throw new IllegalArgumentException("one notebook or experiment class per sweep, got '" + target + "' and '"
                + a + "'");
          }
          target = a;
        }
      }
    }
    if (target == null) {
      throw new IllegalArgumentException("no notebook or experiment class given");
    }
    if (grids.isEmpty()) {
      throw new IllegalArgumentException("the grid is empty: give at least one --grid name=v1,v2,...");
    }
    Sweep s = target.endsWith(".ipynb") || target.contains("/") ? Sweep.notebook(Path.of(target)) : Sweep.experiment(
        target);
    for (String[] p : params) {
      if (!p[0].matches("[A-Za-z_$][A-Za-z0-9_$]*")) {
        throw new IllegalArgumentException("parameter name '" + p[0] + "' is not a Java identifier");
      }
      s.param(p[0], p[1]);
    }
    grids.forEach(s::grid);
    confs.forEach(c -> s.conf(c[0], c[1]));
    if (master != null) {
      s.master(master);
    }
    if (journal != null) {
      s.journal(journal);
    }
    if (out != null) {
      s.out(out);
    }
    if (threads != null) {
      s.threadsPerTask(threads);
    }
    if (retries != null) {
      s.retries(retries);
    }
    return s.quick(quick).report(report).pin(pin).cellTimeout(timeout);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  private static String[] pair(String option, String kv) {
    int eq = kv.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException(option + " needs name=value, got '" + kv + "'");
    }
    return new String[] {kv.substring(0, eq), kv.substring(eq + 1)};
  }

  private static int positive(String option, String v, int min) {
    try {
      int n = Integer.parseInt(v.strip());
      if (n < min) {
        throw new IllegalArgumentException(option + " must be >= " + min + ", got " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a whole number, got '" + v + "'");
    }
  }
}
