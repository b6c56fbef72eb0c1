package dlcourse.display;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shows objects in the notebook the code runs in, or prints them when there is none.
 *
 * <p>The Jupyter kernel and the notebook runner install a {@link Backend} that renders objects
 * (Tablesaw tables, XChart charts, images, {@code INDArray}s, {@link Rich} values) as display
 * outputs. Without one (plain Java, unit tests), the headless default prints each object's text to
 * {@code System.out}. This class has no dependency on the kernel.
 *
 * <p>Long loops call {@link #checkInterrupted()} regularly so that the kernel's interrupt button stops
 * them cleanly, leaving the kernel's state intact.
 */
public final class Display {

  /** Where displayed objects go: implemented by the kernel and the runner. */
  public interface Backend {

    /** Shows {@code value} as a new output and returns its display id. */
    String display(Object value);

    /** Replaces the output with display id {@code id} by {@code value}. */
    void updateDisplay(String id, Object value);

    /** Clears the current cell's outputs. */
    void clearOutput();

    /** Returns true when outputs can be updated in place (a notebook), false when they are printed. */
    boolean interactive();
  }

  private static final Backend HEADLESS = new Headless();
  private static volatile Backend backend = HEADLESS;
  private static volatile boolean interruptRequested;

  private Display() {}

  /** Installs {@code b} as the display backend; {@code null} restores the headless default. */
  public static void backend(Backend b) {
    backend = b == null ? HEADLESS : b;
  }

  /** Returns the installed backend (the headless default when none was installed). */
  public static Backend backend() {
    return backend;
  }

  /**
   * Shows {@code value} as a new output and returns its display id, for {@link #updateDisplay}.
   *
   * @throws IllegalArgumentException if {@code value} is null
   */
  public static String display(Object value) {
    if (value == null) {
      throw new IllegalArgumentException(
          "display(null): there is nothing to show; pass an object such as a Table, a chart, an image or an INDArray");
    }
    return backend.display(value);
  }

  /**
   * Replaces the output shown under display id {@code id} by {@code value}.
   *
   * @throws IllegalArgumentException if {@code id} or {@code value} is null
   */
  public static void updateDisplay(String id, Object value) {
    if (id == null) {
      throw new IllegalArgumentException("updateDisplay: id is null; use the id returned by display(...)");
    }
    if (value == null) {
      throw new IllegalArgumentException("updateDisplay(\"" + id + "\", null): there is nothing to show");
    }
    backend.updateDisplay(id, value);
  }

  /** Clears the outputs of the running cell (no-op when headless). */
  public static void clearOutput() {
    backend.clearOutput();
  }

  /** Returns true in a notebook, where outputs update in place; false when outputs are printed. */
  public static boolean interactive() {
    return backend.interactive();
  }

  /**
   * Throws if the kernel asked the running cell to stop; long loops call this every iteration.
   *
   * @throws CancellationException when an interrupt was requested
   */
  public static void checkInterrupted() {
    if (interruptRequested) {
      throw new CancellationException("Interrupted: the kernel asked the running cell to stop");
    }
  }

  /** Asks the running code to stop at its next {@link #checkInterrupted()} (called by the kernel). */
  public static void requestInterrupt() {
    interruptRequested = true;
  }

  /** Clears a pending interrupt request (called by the kernel before each cell). */
  public static void clearInterrupt() {
    interruptRequested = false;
  }

  /** Returns true while an interrupt request is pending. */
  public static boolean interruptRequested() {
    return interruptRequested;
  }

  /** Returns the plain-text form the headless backend prints for {@code value}. */
  public static String plainText(Object value) {
    if (value instanceof Rich) {
      Map<String, Object> bundle = ((Rich) value).mimeBundle();
      Object text = bundle == null ? null : bundle.get("text/plain");
      if (text != null) {
        return text.toString();
      }
    }
    return String.valueOf(value);
  }

  private static final class Headless implements Backend {
    private final AtomicLong ids = new AtomicLong();

    @Override
    public String display(Object value) {
      System.out.println(plainText(value));
      return "headless-" + ids.incrementAndGet();
    }

    @Override
    public void updateDisplay(String id, Object value) {
      Objects.requireNonNull(id);
      System.out.println(plainText(value));
    }

    @Override
    public void clearOutput() {
      // Printed lines cannot be taken back.
    }

    @Override
    public boolean interactive() {
      return false;
    }
  }
}
