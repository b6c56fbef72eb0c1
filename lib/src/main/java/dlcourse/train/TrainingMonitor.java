package dlcourse.train;

import java.util.Map;

/**
 * Watches a training run as it goes: {@link Trainer#fit} calls it after every step and every epoch, and once at the
 * end. {@code dlcourse.plot.LiveChart} is one: a loss/accuracy chart that updates in place in a notebook.
 */
public interface TrainingMonitor {

  /**
   * Called after optimizer step {@code step} (counted from 1 over the trainer's life) with that step's metrics:
   * {@code loss}, {@code accuracy} for classification, {@code lr}.
   */
  void step(int step, Map<String, Double> metrics);

  /**
   * Called after each epoch with its mean training metrics and the validation metrics ({@code val} is null without
   * validation data); {@code step} is the last step of the epoch.
   */
  default void epoch(int epoch, int step, Map<String, Double> train, Map<String, Double> val) {}

  /** Called once when {@code fit} ends, normally or not. */
  default void end() {}
}
