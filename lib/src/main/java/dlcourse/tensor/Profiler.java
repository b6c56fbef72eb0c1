package dlcourse.tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of eager tensor code goes, per operation, like a minimal {@code torch.profiler}: while a profiler is
 * open on a thread, every recorded operation adds its forward time (the time since the previous operation on the
 * thread ended, so Java code between two operations counts towards the second) and every backward function its own
 * time, by operation name.
 *
 * <pre>{@code
 * try (var prof = Profiler.start()) {
 *   for (int i = 0; i < 20; i++) { ...training step... }
 *   System.out.println(prof);          // the table, slowest first
 * }
 * }</pre>
 */
public final class Profiler implements AutoCloseable {
  /** Total time and count of one operation in one direction. */
  public record Entry(String op, String pass, long calls, double millis) {}

  private static final ThreadLocal<Profiler> ACTIVE = new ThreadLocal<>();

  private final Map<String, long[]> forward = new LinkedHashMap<>();
  private final Map<String, long[]> backward = new LinkedHashMap<>();
  private long last = System.nanoTime();
  private boolean open = true;

  private Profiler() {}

  /** Starts profiling this thread's operations until {@link #close()}. */
  public static Profiler start() {
    if (ACTIVE.get() != null) {
      throw new IllegalStateException("a profiler is already open on this thread");
    }
    Profiler p = new Profiler();
    ACTIVE.set(p);
    return p;
  }

  static void forward(String op) {
    Profiler p = ACTIVE.get();
    if (p != null) {
      long now = System.nanoTime();
      add(p.forward, op, now - p.last);
      p.last = now;
    }
  }

  static long backwardStart() {
    return ACTIVE.get() == null ? 0 : System.nanoTime();
  }

  static void backward(String op, long started) {
    if (started == 0) {
      return; // no profiler was open when the backward function started
    }
    Profiler p = ACTIVE.get();
    if (p != null) {
      long now = System.nanoTime();
      add(p.backward, op, now - started);
      p.last = now;
    }
  }

  private static void add(Map<String, long[]> map, String op, long nanos) {
    long[] e = map.computeIfAbsent(op, k -> new long[2]);
    e[0]++;
    e[1] += nanos;
  }

  /** Every operation and pass, slowest first. */
  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    forward.forEach((op, e) -> out.add(new Entry(op, "forward", e[0], e[1] / 1e6)));
    backward.forEach((op, e) -> out.add(new Entry(op, "backward", e[0], e[1] / 1e6)));
    out.sort((a, b) -> Double.compare(b.millis(), a.millis()));
    return out;
  }

  /** Stops profiling; the numbers stay readable. */
  @Override
  public void close() {
    if (open) {
      open = false;
      ACTIVE.remove();
    }
  }

  @Override
  public String toString() {
    List<Entry> entries = entries();
    double total = entries.stream().mapToDouble(Entry::millis).sum();
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-24s %-9s %8s %10s %7s%n", "op", "pass", "calls",
        "ms", "%"));
    for (Entry e : entries) {
      b.append(String.format(Locale.ROOT, "%-24s %-9s %8d %10.2f %6.1f%%%n", e.op(), e.pass(), e.calls(), e.millis(),
          100 * e.millis() / total));
    }
    return b.toString();
  }
}
