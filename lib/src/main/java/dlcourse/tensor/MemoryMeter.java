package dlcourse.tensor;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures the memory a computation allocates for tensor data, the CPU counterpart of PyTorch's
 * {@code torch.cuda.reset_peak_memory_stats()} followed by {@code torch.cuda.max_memory_allocated()}.
 *
 * <p>Tensor values live in native memory outside the Java heap, freed only when the garbage collector finds their
 * arrays unreachable, and the process's resident set reuses freed memory, so neither Java's memory counters nor the
 * resident set show what one call needs. Instead the task runs inside an ND4J memory workspace that hands out no memory
 * of its own: every array the task creates is allocated as usual, and the workspace counts its bytes. The count is
 * exact and repeatable: the data of every array made (results, intermediates, copies an operation makes internally),
 * not views, not the Java heap. It is the total allocated; for code that keeps its buffers until it returns, that is
 * also its peak.
 *
 * <pre>{@code
 * long bytes = MemoryMeter.allocatedBytes(() -> F.scaledDotProductAttention(q, k, v, null, true, 0, false));
 * }</pre>
 */
public final class MemoryMeter {
  private static final String WORKSPACE = "dlcourse.MemoryMeter";

  private MemoryMeter() {}

  /**
   * Runs {@code task} and returns the bytes of array data it allocated. Arrays made inside the task belong to the
   * measuring workspace and must not be used after it returns: compute and measure, keep nothing.
   */
  public static long allocatedBytes(Runnable task) {
    WorkspaceConfiguration cfg = WorkspaceConfiguration.builder()
        .initialSize(0)
        .policyAllocation(AllocationPolicy.STRICT)
        .policyLearning(LearningPolicy.NONE) // never grows: every allocation spills to ordinary memory and is counted
        .policySpill(SpillPolicy.EXTERNAL)
        .build();
    MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(cfg, WORKSPACE);
    try (ws) {
      task.run();
      return ws.getThisCycleAllocations();
    } finally {
      Nd4j.getWorkspaceManager().destroyWorkspace(ws);
    }
  }
}
