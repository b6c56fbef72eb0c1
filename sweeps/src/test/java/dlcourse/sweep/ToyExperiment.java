package dlcourse.sweep;

import dlcourse.train.Experiments;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** A tiny experiment class for the sweep tests: score = 10 a + seed; fails for a == failOn; sleeps sleepMs. Counts its calls. */
public class ToyExperiment implements Function<Experiments.Run, Map<String, Double>> {
  /** Calls per run key, in this JVM (local mode runs tasks here). */
  static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();

  @Override
  public Map<String, Double> apply(Experiments.Run r) {
    CALLS.computeIfAbsent(Experiments.key(r), k -> new AtomicInteger()).incrementAndGet();
    int a = r.intParam("a");
    if (r.params().containsKey("sleepMs")) {
      try {
        Thread.sleep(r.intParam("sleepMs"));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    if (r.params().containsKey("failOn") && a == r.intParam("failOn")) {
      throw new IllegalStateException("a=" + a + " fails on purpose");
    }
    return Map.of("score", a * 10.0 + r.seed());
  }

  static int totalCalls() {
    return CALLS.values().stream().mapToInt(AtomicInteger::get).sum();
  }
}
