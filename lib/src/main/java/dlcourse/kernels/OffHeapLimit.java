package dlcourse.kernels;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Makes the off-heap cap of the JVM options ({@code -Dorg.bytedeco.javacpp.maxbytes=4g}) bind ND4J's arrays.
 *
 * <p>JavaCPP applies that cap only to the pointers it allocates itself. ND4J allocates each array's data in native
 * code and never asks JavaCPP, so without this class a process with a 1 GB cap grew to 3 GB of arrays and then failed
 * on an unrelated 16-byte {@code LongPointer}. {@link #install()} hands the cap to ND4J's own allocation counter:
 * an array past it fails at once (after ND4J has let the garbage collector free unreachable arrays), and
 * {@link #explain(Throwable)} turns that failure into a message with the cap, the request and how to raise it. The
 * kernel, the headless runner and {@code ./dlcourse jshell} install it at start-up, and {@link NativeMemory} (every
 * tensor operation) when it is first used.
 *
 * <pre>{@code
 * java -Dorg.bytedeco.javacpp.maxbytes=1g ...   then   OffHeapLimit.install();   // ND4J arrays: at most 1 GiB
 * }</pre>
 */
public final class OffHeapLimit {
  /** The JVM option that sets the cap (JavaCPP's, also accepted as {@code maxBytes}). */
  public static final String PROPERTY = "org.bytedeco.javacpp.maxbytes";

  /** ND4J's message: "Requested amount exceeds HOST device limits; Limit bytes: [N]; Requested bytes: [M]". */
  private static final Pattern ND4J_LIMIT =
      Pattern.compile("exceeds HOST device limits; Limit bytes: \\[(\\d+)\\]; Requested bytes: \\[(\\d+)\\]");
  /** JavaCPP's own: "Failed to allocate memory within limits: totalBytes (N) + size (M) > maxBytes (L)". */
  private static final Pattern JAVACPP_LIMIT =
      Pattern.compile("within limits: totalBytes \\((\\d+)\\) \\+ size \\((\\d+)\\) > maxBytes \\((\\d+)\\)");
  /** JavaCPP's physical check: "Physical memory usage is too high: physicalBytes (N) > maxPhysicalBytes (L)". */
  private static final Pattern JAVACPP_PHYSICAL =
      Pattern.compile("physicalBytes \\((\\d+)\\) > maxPhysicalBytes \\((\\d+)\\)");

  private static volatile long installed = -1;

  private OffHeapLimit() {}

  /**
   * Applies the cap set by {@value #PROPERTY} to ND4J's array allocations and returns it in bytes; returns 0 (no cap)
   * when the property is not set. Idempotent; loads ND4J's native backend.
   */
  public static synchronized long install() {
    if (installed >= 0) {
      return installed;
    }
    long cap = configured() ? Pointer.maxBytes() : 0;
    if (cap > 0) {
      // ND4J's CPU backend validates each array against device 0's limit and the host group's.
      Nd4j.getEnvironment().setDeviceLimit(0, cap);
      Nd4j.getEnvironment().setGroupLimit(0, cap);
    }
    installed = cap;
    return cap;
  }

  /** Returns the cap installed, in bytes: 0 when none, -1 before {@link #install()}. */
  public static long installed() {
    return installed;
  }

  private static boolean configured() {
    return System.getProperty(PROPERTY) != null || System.getProperty("org.bytedeco.javacpp.maxBytes") != null;
  }

  /**
   * Returns a message for a failure caused by the off-heap cap (anywhere in {@code t}'s cause chain): the cap, the
   * request and how to raise it; null when {@code t} is something else.
   */
  public static String explain(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = String.valueOf(c.getMessage());
      Matcher nd4j = ND4J_LIMIT.matcher(m);
      if (nd4j.find()) {
        return message(Long.parseLong(nd4j.group(1)), Long.parseLong(nd4j.group(2)), "an array of ");
      }
      Matcher jcpp = JAVACPP_LIMIT.matcher(m);
      if (jcpp.find()) {
        return message(Long.parseLong(jcpp.group(3)), Long.parseLong(jcpp.group(2)), "a native buffer of ");
      }
      Matcher phys = JAVACPP_PHYSICAL.matcher(m);
      if (phys.find()) {
        return String.format(Locale.ROOT,
            "the process uses %s of memory, past its physical cap of %s (-Dorg.bytedeco.javacpp.maxphysicalbytes)."
                + " Free arrays you no longer need (set their variables to null) or raise the caps: %s",
            size(Long.parseLong(phys.group(1))), size(Long.parseLong(phys.group(2))),
            howToRaise(Pointer.maxBytes()));
      }
    }
    return null;
  }

  private static String howToRaise(long cap) {
    long gib = 1L << 30;
    long raised = Math.max(1, (2 * cap + gib - 1) / gib);
    long heap = Math.max(1, (Runtime.getRuntime().maxMemory() + gib - 1) / gib);
    return String.format(Locale.ROOT,
        "for ./dlcourse run and jshell, for example DLCOURSE_JAVA_OPTS=\"-Xmx%dg -Xmn8m -D%s=%dg"
            + " -Dorg.bytedeco.javacpp.maxphysicalbytes=%dg\" (all the JVM options: the variable replaces the"
            + " defaults); for the Jupyter kernel, reinstall it with DLCOURSE_KERNEL_HEAP=2g ./dlcourse install-kernel"
            + " (its cap is 4/3 of its heap).",
        heap, PROPERTY, raised, heap + raised + 1);
  }

  private static String message(long cap, long request, String what) {
    return String.format(Locale.ROOT,
        "ND4J's off-heap memory cap (-D%s) of %s is reached: %s%s was requested. Arrays are freed only when"
            + " nothing refers to them: set variables holding arrays you no longer need to null, or raise the cap: %s",
        PROPERTY, size(cap), what, size(request), howToRaise(cap));
  }

  /** Bytes as "1.0 GiB", "95.4 MiB", "16 bytes". */
  static String size(long bytes) {
    if (bytes >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
    if (bytes >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
    return bytes + " bytes";
  }
}
