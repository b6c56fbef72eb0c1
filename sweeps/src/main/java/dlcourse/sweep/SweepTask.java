package dlcourse.sweep;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One task of a sweep as it travels to an executor: plain data (which notebook or experiment class, its
 * parameters, where to work), never code. The code that runs it ({@link TaskRunner}) comes from the project's jars.
 *
 * @param index position in the grid, from 0
 * @param id the task's grid values, as written in the journal ({@code nets:net1,convTypes:valid})
 * @param point the task's grid values
 * @param spec what every task of the sweep shares
 */
public record SweepTask(int index, String id, LinkedHashMap<String, String> point, Spec spec) implements Serializable {

  /** What to run, shared by all tasks of a sweep. */
  public record Spec(
      /** notebook file name (e.g. q1_1_padding.ipynb) or experiment class name */
      String name,
      /** the notebook's JSON, sent with the task so workers need no copy of the notebooks; null for a class */
      String notebookText,
      /** the {@code -p} parameters every task gets */
      LinkedHashMap<String, String> base,
      /** short hash of name, base parameters and quick: rows of another setting do not count as done */
      String baseHash,
      boolean quick,
      /** runner's --timeout per cell in seconds, 0 for none */
      long cellTimeoutSeconds,
      /** class path of the notebook runner (the kernel's jars) */
      String runnerClasspath,
      /** JVM options of the runner */
      String javaOptions,
      /** the driver's DLCOURSE_DATA, used where the executor has none; may be null */
      String dataDir,
      /** cores reserved per task (spark.task.cpus): the runner's OMP_NUM_THREADS */
      int threads,
      /** attempts per task (spark.task.maxFailures) */
      int maxAttempts,
      /** pin each runner to its own CPUs (taskset), so oneDNN's threads of two tasks do not share cores */
      boolean pin,
      /** absolute folder for the tasks' work folders (journal of the task, executed notebook, runner log) */
      String tasksDir) implements Serializable {

    public boolean isNotebook() {
      return notebookText != null;
    }
  }

  /** The parameters the task runs with: the base ones, then its grid values. */
  public Map<String, String> parameters() {
    Map<String, String> all = new LinkedHashMap<>(spec.base());
    all.putAll(point);
    return all;
  }

  /** The task's work folder name: index and grid values, safe for any file system. */
  public String folderName() {
    String slug = id.replaceAll("[^A-Za-z0-9._-]+", "_");
    if (slug.length() > 80) {
      slug = slug.substring(0, 80);
    }
    return String.format("%04d-%s", index, slug);
  }
}
