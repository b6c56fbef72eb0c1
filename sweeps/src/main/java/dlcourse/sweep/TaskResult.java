package dlcourse.sweep;

import java.io.Serializable;
import java.util.List;

/**
 * What a task sends back to the driver: the journal lines it produced (or why it failed) and where and how long it
 * ran. Only the driver writes the sweep's journal, so each task's rows are appended once.
 *
 * @param index the task's position in the grid
 * @param id the task's grid values
 * @param ok true when the notebook (or experiment) ran to the end and journaled its runs
 * @param rows the journal lines of its runs, each with the suffix of the journal file it went to
 * @param error for a failed task: notebook (or class), cell and error; null when ok
 * @param host host name of the executor
 * @param executor Spark executor id ("driver" in local mode)
 * @param wallSeconds wall time of the successful (or last) attempt
 * @param attempt attempt number from 1
 * @param workDir the task's work folder on its executor (runner log, executed notebook)
 */
public record TaskResult(int index, String id, boolean ok, List<Row> rows, String error, String host, String executor,
    double wallSeconds, int attempt, String workDir) implements Serializable {

  /**
   * One journaled run.
   *
   * @param suffix what the notebook added to its journal's file name ({@code ""}, or e.g. {@code -e50-n10000-onednn}
   *     when the notebook names its journal after its settings, as q1_1 does); the sweep's journal gets the same
   * @param line the journal line, {@code seed=..<TAB>metric=...}
   */
  public record Row(String suffix, String line) implements Serializable {}
}
