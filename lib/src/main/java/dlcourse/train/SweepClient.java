package dlcourse.train;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.stream.Collectors;
import tech.tablesaw.api.Table;

/**
 * Submits a sweep from a notebook cell: runs {@code ./dlcourse sweep} (the {@code sweeps} module, Apache Spark) as a
 * child process, prints its progress into the cell, and reads the journal back into a table. The kernel itself
 * carries no Spark; {@link Experiments#run} keeps running on local threads.
 *
 * <pre>{@code
 * // a notebook's grid, on a cluster
 * Table runs = SweepClient.run(Path.of("runs.tsv"), "notebooks/uva-dl1-hw2/q1_1_padding.ipynb",
 *     "-p", "seeds=10", "--grid", "nets=net1,net2", "--master", "spark://head:7077", "--no-report");
 * // the grid of an Experiments, on an experiment class from the project's jars (not a lambda from a cell)
 * var exp = new Experiments().seeds(0, 1, 2).param("lr", 0.1, 0.01);
 * Table same = SweepClient.run(exp, "my.pkg.LrExperiment", "local[2]", Path.of("lr.tsv"));
 * Table again = exp.journal(Path.of("lr.tsv")).run(new my.pkg.LrExperiment());   // everything from the journal
 * }</pre>
 *
 * <p>The launcher is found from property {@code dlcourse.home}, else environment variable {@code DLCOURSE_HOME},
 * else the checkout this class was loaded from (the folder above {@code lib/}).
 */
public final class SweepClient {
  private SweepClient() {}

  /**
   * Runs {@code ./dlcourse sweep ARGS --journal JOURNAL} and returns {@link Experiments#readJournal} of the journal.
   *
   * @throws IllegalArgumentException for a bad command line (the sweep's exit 2), with its message
   * @throws IllegalStateException when a task (or the final notebook run) failed, naming them; the journal keeps
   *     every finished task, and the same call again runs only the missing ones
   */
  public static Table run(Path journal, String... args) {
    List<String> cmd = new ArrayList<>(List.of(launcher().toString(), "sweep"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--journal", journal.toAbsolutePath().toString()));
    LinkedList<String> problems = new LinkedList<>();
    int exit;
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          System.out.println(line);
          if (line.startsWith("error: ") || line.startsWith("FAILED ")) {
            problems.add(line);
          }
        }
      }
      exit = p.waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + cmd.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the sweep ran", e);
    }
    if (exit == 2) {
      throw new IllegalArgumentException(problems.isEmpty() ? "the sweep's command line was refused" : problems
          .getFirst());
    }
    if (exit != 0) {
      throw new IllegalStateException("the sweep failed (exit " + exit + "): " + String.join("; ", problems)
          + "; the journal " + journal + " keeps the finished tasks: Experiments.readJournal(Path.of(\"" + journal
          + "\"))");
    }
    return Experiments.readJournal(journal);
  }

  /**
   * Runs the grid of {@code grid} (its seeds and parameters) as a sweep of {@code experimentClass}, a class from
   * the project's jars implementing {@code Function<Experiments.Run, Map<String, Double>>}. The journal's keys are
   * the ones {@code grid.journal(journal).run(...)} uses, so either can finish what the other started.
   */
  public static Table run(Experiments grid, String experimentClass, String master, Path journal) {
    List<String> args = new ArrayList<>(List.of(experimentClass, "--master", master, "--grid", "seed="
        + java.util.Arrays.stream(grid.seedValues()).mapToObj(Integer::toString).collect(Collectors.joining(","))));
    grid.gridValues().forEach((name, values) -> {
      List<String> text = values.stream().map(String::valueOf).toList();
      text.forEach(v -> {
        if (v.contains(",") || v.isBlank()) {
          throw new IllegalArgumentException("parameter '" + name + "': the value '" + v
              + "' cannot be swept (no commas)");
        }
      });
      args.addAll(List.of("--grid", name + "=" + String.join(",", text)));
    });
    return run(journal, args.toArray(new String[0]));
  }

  /** The {@code dlcourse} launcher script. */
  static Path launcher() {
    String home = System.getProperty("dlcourse.home", System.getenv("DLCOURSE_HOME"));
    if (home != null && !home.isBlank()) {
      Path l = Path.of(home, "dlcourse");
      if (!Files.isExecutable(l)) {
        throw new IllegalStateException("no executable launcher " + l + " (dlcourse.home / DLCOURSE_HOME)");
      }
      return l;
    }
    try {
      Path code = Path.of(SweepClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path d = code; d != null; d = d.getParent()) {
        if (Files.isExecutable(d.resolve("dlcourse")) && Files.isRegularFile(d.resolve("pom.xml"))) {
          return d.resolve("dlcourse");
        }
      }
    } catch (URISyntaxException | RuntimeException e) {
      // fall through to the message below
    }
    throw new IllegalStateException("cannot find the dlcourse launcher: set DLCOURSE_HOME to the checkout ("
        + File.separator + "path" + File.separator + "to" + File.separator + "dlcourse)");
  }
}
