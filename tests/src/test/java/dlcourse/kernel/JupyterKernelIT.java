package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel as Jupyter starts it, from a kernelspec written by install-kernel: the standard conformance
 * suite (jupyter_kernel_test), interrupt over the protocol, and nbclient giving the runner's outputs.
 */
@Execution(ExecutionMode.CONCURRENT) // beside NbclientIT, one such class at a time (junit-platform.properties)
@ResourceLock(ItSupport.KERNEL_IT_LANE)
class JupyterKernelIT {

  @TempDir
  static Path jupyterData;

  @BeforeAll
  static void installKernelspec() throws Exception {
    ItSupport.installKernel(jupyterData);
    JsonObject spec = JsonParser.parseString(
        Files.readString(jupyterData.resolve("kernels/dlcourse-java/kernel.json"))).getAsJsonObject();
    assertEquals("Java (dlcourse)", spec.get("display_name").getAsString());
    assertEquals("message", spec.get("interrupt_mode").getAsString());
    assertTrue(spec.getAsJsonArray("argv").toString().contains("-Xmx2g"), spec.toString());
    assertTrue(spec.getAsJsonArray("argv").toString().contains("-Xmn8m"), spec.toString());
    // both JITs unless DLCOURSE_KERNEL_JIT=c1: C1 alone slows the library's Java loops (README, kernel section)
    assertFalse(spec.getAsJsonArray("argv").toString().contains("TieredStopAtLevel"), spec.toString());
    // the class data sharing archive install-kernel wrote: every test below runs the kernel with it
    String archive = null;
    for (com.google.gson.JsonElement a : spec.getAsJsonArray("argv")) {
      if (a.getAsString().startsWith("-XX:SharedArchiveFile=")) {
        archive = a.getAsString().substring("-XX:SharedArchiveFile=".length());
      }
    }
    assertTrue(archive != null && Files.isRegularFile(Path.of(archive)), spec.toString());
  }

  private static ItSupport.Run python(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3"));
    cmd.addAll(List.of(args));
    return ItSupport.run(cmd, Map.of("JUPYTER_DATA_DIR", jupyterData.toString()),
        ItSupport.root().resolve("tests/src/test/python"), 900);
  }

  @Test
  void conformanceSuitePassesWithOnlyThePagerSkipped() throws Exception {
    ItSupport.requirePython("kernel-tests", "jupyter_kernel_test", "python3-jupyter-kernel-test");
    ItSupport.Run r = python("-m", "unittest", "-v", "test_conformance");
    assertEquals(0, r.exit, r.toString());
    assertTrue(r.output.contains("OK (skipped=1)"), r.output);
    assertTrue(r.output.contains("test_pager (test_conformance.DlcourseKernelTests.test_pager) ... skipped"), r.output);
  }

  @Test
  void interruptStopsLoopsAndKeepsState() throws Exception {
    ItSupport.requirePython("kernel-tests", "jupyter_client", "jupyter-client");
    ItSupport.Run r = python("-m", "unittest", "-v", "test_interrupt");
    assertEquals(0, r.exit, r.toString());
  }

  @Test
  void liveChartOfAFitUpdatesOneDisplayInPlace() throws Exception {
    ItSupport.requirePython("kernel-tests", "jupyter_client", "jupyter-client");
    ItSupport.Run r = python("-m", "unittest", "-v", "test_live_chart");
    assertEquals(0, r.exit, r.toString());
  }

  @Test
  void nbclientAndTheRunnerGiveTheSameOutputs(@TempDir Path out) throws Exception {
    ItSupport.requirePython("kernel-tests", "nbclient", "python3-nbclient");
    Path smoke = ItSupport.notebooks().resolve("smoke.ipynb");
    ItSupport.Run viaNbclient = python("nbclient_compare.py", smoke.toString(), out.resolve("nbclient.ipynb")
        .toString());
    assertEquals(0, viaNbclient.exit, viaNbclient.toString());
    ItSupport.Run viaRunner = ItSupport.main(ItSupport.root(), 300, "run", smoke.toString(), "--out", out.toString());
    assertEquals(0, viaRunner.exit, viaRunner.toString());
    List<String> expected = ItSupport.signature(JsonParser.parseString(Files.readString(out.resolve("nbclient.ipynb")))
        .getAsJsonObject(), true);
    List<String> actual = ItSupport.signature(JsonParser.parseString(Files.readString(out.resolve("smoke.ipynb")))
        .getAsJsonObject(), true);
    assertTrue(expected.size() >= 6, expected.toString());
    assertEquals(expected, actual);
  }

  @Test
  void cellThatFillsTheHeapOrPassesTheOffHeapCapFailsAloneAndTheKernelGoesOn(@TempDir Path small) throws Exception {
    ItSupport.requirePython("kernel-tests", "jupyter_client", "jupyter-client");
    // heap 384 MiB, off-heap cap 512 MiB: the cells fill them in seconds
    ItSupport.installKernel(small, Map.of("DLCOURSE_KERNEL_HEAP", "384m"));
    ItSupport.Run r = ItSupport.run(List.of("/usr/bin/python3", "-m", "unittest", "-v", "test_memory"),
        Map.of("JUPYTER_DATA_DIR", small.toString()), ItSupport.root().resolve("tests/src/test/python"), 600);
    assertEquals(0, r.exit, r.toString());
    assertTrue(r.output.contains("Ran 2 tests") && r.output.contains("\nOK"), r.output);
  }

  @Test
  void binderKernelspecFitsTwoGibWithBothMemoriesFull(@TempDir Path binder) throws Exception {
    ItSupport.requirePython("kernel-tests", "jupyter_client", "jupyter-client");
    // the heap binder/postBuild installs the kernel with
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("DLCOURSE_KERNEL_HEAP:-(\\w+)")
        .matcher(Files.readString(ItSupport.root().resolve("binder/postBuild")));
    assertTrue(m.find(), "binder/postBuild names no DLCOURSE_KERNEL_HEAP default");
    ItSupport.installKernel(binder, Map.of("DLCOURSE_KERNEL_HEAP", m.group(1)));
    ItSupport.Run r = ItSupport.run(List.of("/usr/bin/python3", "-m", "unittest", "-v", "test_binder_fit"),
        Map.of("JUPYTER_DATA_DIR", binder.toString()), ItSupport.root().resolve("tests/src/test/python"), 600);
    assertEquals(0, r.exit, r.toString());
    java.util.regex.Matcher peak = java.util.regex.Pattern.compile("kernel peak resident memory: (\\d+) MiB").matcher(
        r.output);
    assertTrue(peak.find(), r.output);
    // Binder's machine has 2 GiB for the kernel and the Jupyter server together: keep 256 MiB for the server
    assertTrue(Integer.parseInt(peak.group(1)) < 2048 - 256, "heap " + m.group(1) + ": kernel peak " + peak.group(1)
        + " MiB");
  }
}
