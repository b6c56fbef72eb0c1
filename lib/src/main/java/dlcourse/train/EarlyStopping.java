package dlcourse.train;

import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Stops training when a monitored metric has not improved for {@code patience} epochs, and keeps a copy of the
 * weights of the best epoch so they can be restored.
 *
 * <pre>{@code
 * var stop = new EarlyStopping(5).monitor("val", "loss");
 * for (int epoch = 1; ...; epoch++) {
 *   ...
 *   if (stop.update(epoch, valLoss, model.parameters())) break;
 * }
 * stop.restoreBest(model.parameters());
 * }</pre>
 *
 * <p>An epoch improves when the value is below {@code best - minDelta} (mode MIN) or above
 * {@code best + minDelta} (mode MAX); NaN never improves.
 */
public class EarlyStopping {
  /** Whether lower or higher values are better. */
  public enum Mode {
    MIN,
    MAX
  }

  private final int patience;
  private Mode mode = Mode.MIN;
  private double minDelta;
  private String phase = "val";
  private String metric = "loss";
  private double best = Double.NaN;
  private int bestEpoch = -1;
  private int wait;
  private List<INDArray> bestWeights;

  /** @param patience epochs without improvement before stopping, {@code >= 1} */
  public EarlyStopping(int patience) {
    Check.positive(patience, "patience");
    this.patience = patience;
  }

  public int patience() {
    return patience;
  }

  public Mode mode() {
    return mode;
  }

  /** MIN for losses (default), MAX for accuracies. */
  public EarlyStopping mode(Mode mode) {
    this.mode = mode;
    return this;
  }

  public double minDelta() {
    return minDelta;
  }

  /** The smallest change that counts as an improvement; default 0. */
  public EarlyStopping minDelta(double minDelta) {
    Check.nonNegative(minDelta, "minDelta");
    this.minDelta = minDelta;
    return this;
  }

  /** The {@link History} phase and metric a trainer should feed in; default ("val", "loss"). */
  public EarlyStopping monitor(String phase, String metric) {
    this.phase = phase;
    this.metric = metric;
    return this;
  }

  public String phase() {
    return phase;
  }

  public String metric() {
    return metric;
  }

  /**
   * Records the monitored value of an epoch; on improvement copies every parameter's value.
   *
   * @param epoch the epoch number (1-based)
   * @param value the monitored metric for that epoch
   * @param params the model's parameters, whose values are copied when the epoch is the best so far
   * @return true when training should stop
   */
  public boolean update(int epoch, double value, List<Parameter> params) {
    if (improves(value)) {
      best = value;
      bestEpoch = epoch;
      wait = 0;
      bestWeights = new ArrayList<>(params.size());
      for (Parameter p : params) {
        bestWeights.add(p.data().dup());
      }
    } else {
      wait++;
    }
    return shouldStop();
  }

  /**
   * Reads the last value of the monitored metric from {@code history} and records it for its last epoch.
   *
   * @return true when training should stop
   */
  public boolean update(History history, List<Parameter> params) {
    double v = history.last(phase, metric);
    return update(history.epochs(), v, params);
  }

  private boolean improves(double value) {
    if (Double.isNaN(value)) {
      return false;
    }
    if (bestEpoch < 0) {
      return true;
    }
    return mode == Mode.MIN ? value < best - minDelta : value > best + minDelta;
  }

  /** Whether {@code patience} epochs in a row did not improve. */
  public boolean shouldStop() {
    return wait >= patience;
  }

  /** The best value seen, NaN before the first finite one. */
  public double bestValue() {
    return best;
  }

  /** The epoch of the best value, -1 before the first. */
  public int bestEpoch() {
    return bestEpoch;
  }

  /** Epochs since the last improvement. */
  public int epochsWithoutImprovement() {
    return wait;
  }

  /**
   * Copies the saved best values back into the parameters, in place.
   *
   * @throws IllegalStateException if no epoch was recorded, or the parameters differ from those recorded
   */
  public void restoreBest(List<Parameter> params) {
    if (bestWeights == null) {
      throw new IllegalStateException("no best weights: update() was never called with a finite value");
    }
    if (bestWeights.size() != params.size()) {
      throw new IllegalStateException(
          "saved " + bestWeights.size() + " parameters but got " + params.size() + " to restore");
    }
    for (int i = 0; i < params.size(); i++) {
      INDArray dst = params.get(i).data();
      INDArray src = bestWeights.get(i);
      if (!java.util.Arrays.equals(dst.shape(), src.shape())) {
        throw new IllegalStateException("parameter " + params.get(i).name() + " has shape "
            + java.util.Arrays.toString(dst.shape()) + ", saved " + java.util.Arrays.toString(src.shape()));
      }
      dst.assign(src);
    }
  }

  @Override
  public String toString() {
    return "EarlyStopping(patience=" + patience + ", mode=" + mode + ", minDelta=" + minDelta + ", monitor="
        + phase + "/" + metric + ")";
  }
}
