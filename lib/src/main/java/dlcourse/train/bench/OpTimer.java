package dlcourse.train.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A SameDiff listener that adds up the wall time of every executed op, by op type ({@code conv2d_bp}) and by
 * graph op name, for the benchmark's {@code --profile} mode. The time between two ops (graph bookkeeping in
 * Java) is counted separately as {@code (between ops)}.
 */
final class OpTimer extends BaseListener {
  /** Total time and call count of one key. */
  static final class Entry {
    long nanos;
    long calls;
  }

  private final Map<String, Entry> byType = new LinkedHashMap<>();
  private final Map<String, Entry> byOp = new LinkedHashMap<>();
  private boolean enabled;
  private long start;
  private long lastEnd;

  /** Starts or stops recording; graph-building and warm-up steps are not recorded. */
  void enabled(boolean on) {
    enabled = on;
    lastEnd = 0;
  }

  Map<String, Entry> byType() {
    return byType;
  }

  Map<String, Entry> byOp() {
    return byOp;
  }

  @Override
  public boolean isActive(Operation operation) {
    return true;
  }

  @Override
  public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext ctx) {
    start = System.nanoTime();
    if (enabled && lastEnd != 0) {
      add(byType, "(between ops)", start - lastEnd);
    }
  }

  @Override
  public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx, INDArray[] outputs) {
    long end = System.nanoTime();
    if (enabled) {
      add(byType, op.getOp().opName(), end - start);
      add(byOp, op.getName() + " [" + op.getOp().opName() + "]", end - start);
    }
    lastEnd = end;
  }

  /** Marks the end of a step so that the gap to the next step's first op is not counted. */
  void stepDone() {
    lastEnd = 0;
  }

  private static void add(Map<String, Entry> map, String key, long nanos) {
    Entry e = map.computeIfAbsent(key, k -> new Entry());
    e.nanos += nanos;
    e.calls++;
  }
}
