package dlcourse.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TimingTest {

  @Test
  void warmsUpOnceThenTimesEachRun() {
    AtomicInteger calls = new AtomicInteger();
    Timing.bestMillis(calls::incrementAndGet, 5);
    assertEquals(6, calls.get());
    assertThrows(IllegalArgumentException.class, () -> Timing.bestMillis(() -> {}, 0));
  }

  @Test
  void cpuTimeCountsWorkNotSleep() {
    double sleeping = Timing.bestCpuMillis(() -> {
      try {
        Thread.sleep(30);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, 3);
    assertTrue(sleeping < 10, "a sleeping thread uses no CPU: " + sleeping + " ms");
    assertTrue(Timing.bestMillis(() -> {
      try {
        Thread.sleep(30);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, 3) >= 29, "wall-clock time includes the sleep");
    double[] sink = new double[1];
    Runnable work = () -> { // a fixed amount of computation: tens of milliseconds of CPU
      for (int i = 0; i < 20_000_000; i++) {
        sink[0] += Math.sqrt(sink[0] + i);
      }
    };
    double cpu = Timing.bestCpuMillis(work, 3);
    assertTrue(cpu > 1, "a loop of 20M square roots uses CPU: " + cpu + " ms");
  }

  @Test
  void logLogSlopeIsTheExponentOfAPowerLaw() {
    double[] n = {64, 128, 256, 512};
    double[] quadratic = new double[n.length];
    double[] linear = new double[n.length];
    for (int i = 0; i < n.length; i++) {
      quadratic[i] = 3e-6 * n[i] * n[i];
      linear[i] = 0.5 * n[i] * (1 + 0.01 * (i % 2)); // a little noise: the fit, not an exact ratio
    }
    assertEquals(2.0, Timing.logLogSlope(n, quadratic), 1e-12);
    assertEquals(1.0, Timing.logLogSlope(n, linear), 0.02);
    assertThrows(IllegalArgumentException.class, () -> Timing.logLogSlope(n, new double[3]));
    // a fixed cost hides the growth at small sizes: fitting from n = 256 sees more of it
    double[] withFixedCost = new double[n.length];
    for (int i = 0; i < n.length; i++) {
      withFixedCost[i] = 100 + 1e-3 * n[i] * n[i]; // 104, 116, 166, 362
    }
    assertTrue(Timing.logLogSlope(n, withFixedCost) < Timing.logLogSlope(n, withFixedCost, 256));
    assertEquals(Timing.logLogSlope(new double[] {256, 512}, new double[] {withFixedCost[2], withFixedCost[3]}),
        Timing.logLogSlope(n, withFixedCost, 256), 0);
    var e = assertThrows(IllegalArgumentException.class, () -> Timing.logLogSlope(n, new double[] {1, 2, 0, 4}));
    assertTrue(e.getMessage().contains("index 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Timing.logLogSlope(new double[] {5, 5}, new double[] {1, 2}));
  }

  @Test
  void medianMillisIsTheMiddleRunAfterAWarmUp() {
    AtomicInteger calls = new AtomicInteger();
    // runs sleep 0, 1, ..., 4 ms after a warm-up of 30 ms: the median is the third, about 2 ms, far from warm-up
    Runnable task = () -> {
      int c = calls.getAndIncrement();
      try {
        Thread.sleep(c == 0 ? 30 : c - 1);
      } catch (InterruptedException ex) {
        throw new IllegalStateException(ex);
      }
    };
    double ms = Timing.medianMillis(task, 5);
    assertEquals(6, calls.get());
    assertTrue(ms >= 2 && ms < 20, "median of sleeps of 0..4 ms: " + ms);
    assertThrows(IllegalArgumentException.class, () -> Timing.medianMillis(task, 0));
  }
}
