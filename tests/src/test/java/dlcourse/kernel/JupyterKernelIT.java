package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel as Jupyter starts it, from a kernelspec written by install-kernel: the standard conformance
 * suite (jupyter_kernel_test), interrupt over the protocol, and nbclient giving the runner's outputs.
 */
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
        assertTrue(spec.getAsJsonArray("argv").toString().contains("-Xmx768m"), spec.toString());
        assertTrue(spec.getAsJsonArray("argv").toString().contains("-Xmn8m"), spec.toString());
        // C1 only: javac runs for every cell, and C2 compiling it cost more CPU than the cells (README, Benchmarks)
        assertTrue(spec.getAsJsonArray("argv").toString().contains("-XX:TieredStopAtLevel=1"), spec.toString());
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
        ItSupport.Run viaNbclient = python("nbclient_compare.py", smoke.toString(), out.resolve("nbclient.ipynb").toString());
        assertEquals(0, viaNbclient.exit, viaNbclient.toString());
        ItSupport.Run viaRunner = ItSupport.main(ItSupport.root(), 300, "run", smoke.toString(), "--out", out.toString());
        assertEquals(0, viaRunner.exit, viaRunner.toString());
        List<String> expected = ItSupport.signature(JsonParser.parseString(Files.readString(out.resolve("nbclient.ipynb"))).getAsJsonObject(), true);
        List<String> actual = ItSupport.signature(JsonParser.parseString(Files.readString(out.resolve("smoke.ipynb"))).getAsJsonObject(), true);
        assertTrue(expected.size() >= 6, expected.toString());
        assertEquals(expected, actual);
    }
}
