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
}
