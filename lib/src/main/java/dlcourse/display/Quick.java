package dlcourse.display;

/**
 * Quick mode: a course notebook's smoke-run sizes, declared once beside the full ones.
 *
 * <p>A notebook's cell tagged {@code parameters} gives each size with its full and its quick value:
 *
 * <pre>{@code
 * int epochs = Quick.pick(15, 2);          // full run: 15; quick run: 2
 * int trainSize = Quick.pick(50_000, 3_000);
 * double[] lrs = Quick.pick(new double[] {0.001, 0.01, 0.1}, new double[] {0.1});
 * }</pre>
 *
 * <p>{@code dlcourse run --quick} (and {@code dlcourse sweep --quick}) turns quick mode on in a cell of its own,
 * {@code Quick.set(true);}, placed before the parameters cell, so every {@code pick} takes its quick value. A
 * {@code -p epochs=5} still wins over both values: its cell comes after the parameters cell, papermill style. In
 * Jupyter, run {@code Quick.set(true);} above the parameters cell for the same smoke run. Code that behaves
 * differently in a quick run (not just smaller) asks {@link #on()}.
 *
 * <p>The mode belongs to the JVM: one kernel, one notebook.
 */
public final class Quick {

  private static volatile boolean on;

  private Quick() {}

  /** True in a quick run: after {@code Quick.set(true)} (which {@code dlcourse run --quick} injects). */
  public static boolean on() {
    return on;
  }

  /** Turns quick mode on or off for the cells that follow. */
  public static void set(boolean quick) {
    on = quick;
  }

  /** {@code quick} in a quick run, else {@code full}. */
  public static int pick(int full, int quick) {
    return on ? quick : full;
  }

  /** {@code quick} in a quick run, else {@code full}. */
  public static long pick(long full, long quick) {
    return on ? quick : full;
  }

  /** {@code quick} in a quick run, else {@code full}. */
  public static double pick(double full, double quick) {
    return on ? quick : full;
  }

  /** {@code quick} in a quick run, else {@code full}: strings, arrays, lists. */
  public static <T> T pick(T full, T quick) {
    return on ? quick : full;
  }
}
