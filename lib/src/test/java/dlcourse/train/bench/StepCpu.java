package dlcourse.train.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Median thread CPU, process CPU and wall time per training step of a bench case in this JVM, for A/B across
 * separate JVMs (two worktrees, alternated): a switch that changes memory state (the buffer pool) biases
 * {@link InJvmAB}, whose two sides share one JVM (session 11 of bench/library/README.md). Not a test; run after
 * {@code mvn -o -q -pl lib test-compile}:
 *
 * <pre>{@code
 * OMP_NUM_THREADS=1 taskset -c 0 java -Xmx4g -Xmn8m \
 *   -cp lib/target/test-classes:lib/target/classes:$(cat lib/target-bench/classpath.txt) \
 *   dlcourse.train.bench.StepCpu gpt-nano 8 16   # case, warm-up steps, measured steps
 * }</pre>
 */
public class StepCpu {
  public static void main(String[] args) throws Exception {
    String name = args[0];
    int warm = Integer.parseInt(args[1]);
    int steps = Integer.parseInt(args[2]);
    Bench.EagerTraining step = name.startsWith("gpt") ? new SequenceModels.Step(SequenceModels.create(name), 42)
        : SequenceCases.create(name, 42);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    for (int i = 0; i < warm; i++) {
      step.step();
    }
    List<Double> cpu = new ArrayList<>();
    List<Double> proc = new ArrayList<>();
    List<Double> wall = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      long c0 = mx.getCurrentThreadCpuTime();
      long p0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      step.step();
      wall.add((System.nanoTime() - t0) / 1e6);
      cpu.add((mx.getCurrentThreadCpuTime() - c0) / 1e6);
      proc.add((os.getProcessCpuTime() - p0) / 1e6);
    }
    System.out.printf(Locale.ROOT,
        "%s: median per step over %d: thread cpu %.1f ms, process cpu %.1f ms, wall %.1f ms%n", name, steps,
        InJvmAB.med(cpu), InJvmAB.med(proc), InJvmAB.med(wall));
  }
}
