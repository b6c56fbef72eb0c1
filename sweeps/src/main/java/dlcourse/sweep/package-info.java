/**
 * {@code ./dlcourse sweep}: a grid of notebook runs (or of an experiment class) as Apache Spark tasks, on local cores
 * by default or on a standalone cluster, with a resumable journal in the {@code Experiments} format. Entry points:
 * {@link dlcourse.sweep.Sweep} (API) and {@link dlcourse.sweep.SweepCommand} (command line).
 */
package dlcourse.sweep;
