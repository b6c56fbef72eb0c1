package dlcourse.display;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A progress bar for loops: bar, count, rate, time left and the latest metrics.
 *
 * <p>In a notebook it is one output updated in place. Headless (runner logs, plain Java) it prints a
 * plain line at most every {@value #HEADLESS_INTERVAL_SECONDS} seconds and one at the end, so logs stay short.
 *
 * <pre>{@code
 * try (ProgressBar bar = ProgressBar.of("epoch 1", batches)) {
 *     for (int b = 0; b < batches; b++) {
 *         ...
 *         bar.update(b + 1, Map.of("loss", loss));
 *     }
 * }
 * }</pre>
 */
public final class ProgressBar implements AutoCloseable {

  /** Minimum seconds between two headless lines. */
  public static final int HEADLESS_INTERVAL_SECONDS = 5;
  private static final long INTERACTIVE_INTERVAL_NANOS = 100_000_000L;
  private static final int WIDTH = 30;

  private final String description;
  private final long total;
  private final LongSupplier clock;
  private final long startNanos;
  private final Map<String, Double> metrics = new LinkedHashMap<>();
  private long done;
  private String displayId;
  private long lastShownNanos = Long.MIN_VALUE;
  private long lastShownDone = -1;
  private boolean closed;

  ProgressBar(String description, long total, LongSupplier clock) {
    if (total < 0) {
      throw new IllegalArgumentException("total must be non-negative, got " + total);
    }
    this.description = description == null ? "" : description;
    this.total = total;
    this.clock = clock;
    this.startNanos = clock.getAsLong();
  }

  /**
   * Creates a bar for {@code total} steps (0 when unknown).
   *
   * @throws IllegalArgumentException if {@code total} is negative
   */
  public static ProgressBar of(String description, long total) {
    return new ProgressBar(description, total, System::nanoTime);
  }

  /** Returns the number of steps done so far. */
  public long done() {
    return done;
  }

  /** Returns the number of steps expected (0 when unknown). */
  public long total() {
    return total;
  }

  /**
   * Records that {@code done} steps are finished and the latest metric values (may be null or empty).
   *
   * @throws IllegalArgumentException if {@code done} is negative or larger than a known total
   * @throws IllegalStateException if the bar was closed
   */
  public ProgressBar update(long done, Map<String, Double> latestMetrics) {
    if (closed) {
      throw new IllegalStateException("ProgressBar '" + description + "' is closed");
    }
    if (done < 0 || (total > 0 && done > total)) {
      throw new IllegalArgumentException("done must be in [0, " + (total > 0 ? total : "inf") + "], got " + done);
    }
    this.done = done;
    if (latestMetrics != null) {
      metrics.putAll(latestMetrics);
    }
    long now = clock.getAsLong();
    boolean finished = total > 0 && done == total;
    if (Display.interactive()) {
      if (displayId == null) {
        displayId = Display.display(snapshot());
        mark(now);
      } else if (finished || now - lastShownNanos >= INTERACTIVE_INTERVAL_NANOS) {
        Display.updateDisplay(displayId, snapshot());
        mark(now);
      }
    } else if (finished ? lastShownDone != done
        : lastShownNanos == Long.MIN_VALUE
            ? now - startNanos >= HEADLESS_INTERVAL_SECONDS * 1_000_000_000L
        : now - lastShownNanos >= HEADLESS_INTERVAL_SECONDS * 1_000_000_000L) {
      System.out.println(line());
      mark(now);
    }
    return this;
  }

  /** Shows the final state (once) and ends the bar. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (lastShownDone == done && lastShownNanos != Long.MIN_VALUE) {
      return;
    }
    if (Display.interactive()) {
      if (displayId == null) {
        Display.display(snapshot());
      } else {
        Display.updateDisplay(displayId, snapshot());
      }
    } else {
      System.out.println(line());
    }
  }

  private void mark(long now) {
    lastShownNanos = now;
    lastShownDone = done;
  }

  /** Returns the bar as one line of text, e.g. {@code epoch 1 [#####.....] 50/100 50% 12.0 it/s ETA 0:04 loss=0.5}. */
  public String line() {
    double seconds = Math.max(1e-9, (clock.getAsLong() - startNanos) / 1e9);
    double rate = done / seconds;
    StringBuilder sb = new StringBuilder();
    if (!description.isEmpty()) {
      sb.append(description).append(' ');
    }
    if (total > 0) {
      int filled = (int) (WIDTH * done / total);
      sb.append('[').append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ");
      sb.append(done).append('/').append(total);
      sb.append(String.format(Locale.ROOT, " %3d%%", (int) (100 * done / total)));
    } else {
      sb.append(done);
    }
    sb.append(String.format(Locale.ROOT, " %.1f it/s", rate));
    if (total > 0 && done < total && done > 0) {
      sb.append(" ETA ").append(clock((long) Math.ceil((total - done) / rate)));
    } else {
      sb.append(" in ").append(clock((long) Math.round(seconds)));
    }
    for (Map.Entry<String, Double> m : metrics.entrySet()) {
      sb.append(' ').append(m.getKey()).append('=').append(String.format(Locale.ROOT, "%.4f", m.getValue()));
    }
    return sb.toString();
  }

  private static String clock(long seconds) {
    return seconds >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
        : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }

  private Rich snapshot() {
    String text = line();
    double fraction = total > 0 ? (double) done / total : 0;
    String html = String.format(Locale.ROOT,
        "<div style=\"font-family:monospace\"><progress value=\"%.4f\" max=\"1\" style=\"width:20em\"></progress> %s</div>",
        fraction, escape(text));
    Map<String, Object> bundle = new LinkedHashMap<>();
    bundle.put("text/plain", text);
    bundle.put("text/html", html);
    return () -> bundle;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  @Override
  public String toString() {
    return line();
  }
}
