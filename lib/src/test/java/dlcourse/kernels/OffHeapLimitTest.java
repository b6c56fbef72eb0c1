package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The messages for the off-heap caps; that the cap binds is NotebookRunnerIT's (it needs the JVM option at start). */
class OffHeapLimitTest {

  @Test
  void nd4jsLimitFailureIsExplainedWithTheCapTheRequestAndHowToRaiseIt() {
    RuntimeException nd4j = new RuntimeException("Allocation failed: [Requested amount exceeds HOST device limits;"
        + " Limit bytes: [1073741824]; Requested bytes: [400000000]]");
    String m = OffHeapLimit.explain(new IllegalStateException("Op [add] execution failed", nd4j));
    assertNotNull(m);
    assertTrue(m.startsWith("ND4J's off-heap memory cap (-Dorg.bytedeco.javacpp.maxbytes) of 1.0 GiB is reached:"
        + " an array of 381.5 MiB was requested."), m);
    assertTrue(m.contains("-Dorg.bytedeco.javacpp.maxbytes=2g"), "twice the cap: " + m);
    assertTrue(m.contains("DLCOURSE_KERNEL_HEAP="), m);
  }

  @Test
  void javacppsOwnLimitsAreExplainedToo() {
    String own = OffHeapLimit.explain(new OutOfMemoryError("Failed to allocate memory within limits: totalBytes"
        + " (1073741800) + size (16) > maxBytes (1073741824)"));
    assertTrue(own.contains("of 1.0 GiB is reached: a native buffer of 16 bytes was requested"), own);
    String physical = OffHeapLimit.explain(new OutOfMemoryError("Physical memory usage is too high: physicalBytes"
        + " (3221225472) > maxPhysicalBytes (2147483648)"));
    assertTrue(physical.startsWith("the process uses 3.0 GiB of memory, past its physical cap of 2.0 GiB"), physical);
  }

  @Test
  void otherFailuresAreNotExplained() {
    assertNull(OffHeapLimit.explain(new RuntimeException("shapes [2, 3] and [4] do not broadcast")));
    assertNull(OffHeapLimit.explain(new OutOfMemoryError("Java heap space")));
  }
}
