package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dlcourse.kernel.ItSupport;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every course notebook in quick mode under Jupyter's own executor (nbclient, the dlcourse-java kernelspec as
 * {@code ./dlcourse install-kernel} writes it) gives the outputs {@code ./dlcourse run --quick} gives: the same
 * cells with the same kinds of output, and identical tables, because every random source is seeded.
 *
 * <p>The two executions overlap: each is mostly one busy thread (JShell compiles, the nbclient kernel has
 * {@code OMP_NUM_THREADS=1}), so on two cores they run side by side instead of one after the other. The runner's
 * executions of all the notebooks run one after another on a thread of their own, started before the first test,
 * while each test executes its notebook under nbclient; at most two notebooks run at any moment here (the kernel's
 * own ITs and TourIT run beside this class on a thread of their own: junit-platform.properties). The lane then runs
 * the course ITs' runs with parameters of their own, in the time the lane is ahead of the tests (a run not started
 * when this class ends is left to its test). This class runs first among the others (see junit-platform.properties),
 * and the course ITs assert on the runner's executions made here
 * ({@link ExecutedNotebook#runQuick(String)} keeps them), so CI executes each notebook once with each executor.
 * {@code -Ddlcourse.notebooks=vu-dl-a3/,ist-dl-hw2/q1} limits the list to the notebooks whose path starts with one of
 * those prefixes.
 */
@Order(1) // before the course ITs: see junit-platform.properties
class NbclientIT {

  @TempDir
  static Path jupyterData;

  /** The runner's executions, in the order of the tests. */
  private static ThreadPoolExecutor runnerLane;

  @BeforeAll
  static void installKernelspecAndStartTheRunnerLane() throws Exception {
    ItSupport.installKernel(jupyterData);
    // The runner's executions below map the class archive the kernel maps (ItSupport.classArchiveOptions): the
    // kernelspec names it only when it was written and maps, so CI would notice an archive that silently went away
    // (unless the environment turns it off: DLCOURSE_KERNEL_CDS=off).
    if (!"off".equals(System.getenv("DLCOURSE_KERNEL_CDS"))) {
      String spec = Files.readString(jupyterData.resolve("kernels/dlcourse-java/kernel.json"));
      Path archive = ItSupport.classArchive(Path.of(System.getProperty("java.home"), "bin", "java"));
      assertTrue(spec.contains("-XX:SharedArchiveFile=" + archive), "the kernel maps " + archive + ": " + spec);
    }
    if (!Arrays.asList(System.getProperty("dlcourse.without", "").split(",")).contains("kernel-tests")
        && ItSupport.python("nbclient")) {
      runnerLane = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "runner lane");
        t.setDaemon(true);
        return t;
      });
      notebooks().forEach(nb -> runnerLane.submit(() -> ExecutedNotebook.runQuick(nb)));
      // then the runs with parameters of their own that course ITs use: in the time the lane is ahead of the nbclient
      // runs, instead of running alone after this class (TourIT's notebooks run on the kernel ITs' thread, beside
      // this class: see junit-platform.properties)
      if (filtered(List.of(IstCaptioningIT.NOTEBOOK)).findAny().isPresent()) {
        runnerLane.submit(IstCaptioningIT::sydneyRun);
      }
      if (filtered(List.of("rdfia-basics/ch3_vit_large.ipynb")).findAny().isPresent()) {
        runnerLane.submit(RdfiaTransformersIT::timmCheckpointRun);
      }
    }
  }

  @AfterAll
  static void stopTheRunnerLane() {
    if (runnerLane != null) {
      runnerLane.getQueue().clear(); // runs not started (tests filtered out): the course ITs make them if they need them
      runnerLane.shutdown(); // a run in progress finishes, and a course IT waits for it
    }
  }

  private static ItSupport.Run exec(List<String> cmd, long timeoutSeconds) throws Exception {
    Map<String, String> env = QuickRun.dataEnv();
    env.putAll(Map.of("JUPYTER_DATA_DIR", jupyterData.toString(), "OMP_NUM_THREADS", "1"));
    return ItSupport.run(cmd, env, QuickRun.root(), timeoutSeconds);
  }

  private static final List<String> NOTEBOOKS = List.of("vu-dl-a3/q1_6_conv_unfold.ipynb", "vu-dl-a3/q7_9_mnist.ipynb",
      "vu-dl-a3/q12_17_varres.ipynb",
      "uva-dl1-hw2/q1_2_rotation.ipynb", "uva-dl1-hw2/q1_1_padding.ipynb",
      "uva-dl1-hw2/q2_7_char_gpt.ipynb", "uva-dl1-hw2/q2_8_generation.ipynb",
      "rdfia-basics/ch2_cnn_theory.ipynb", "rdfia-basics/ch2_cifar_improvements.ipynb",
      "ist-dl-hw2/q3_captioning.ipynb",
      "ist-dl-hw2/q1_counts_attention.ipynb", "ist-dl-hw2/q2_1_equivariance.ipynb", "ist-dl-hw2/q2_2_fashion_cnn.ipynb",
      "uva-dl1-hw2/q2_1_attention_theory.ipynb", "uva-dl1-hw2/q2_3_4_mlp_positions.ipynb",
      "uva-dl1-hw2/q2_9_flash_attention.ipynb", "uva-dl1-hw2/q3_graphs.ipynb",
      "rdfia-basics/ch1_theory.ipynb", "rdfia-basics/ch1_backprop.ipynb", "rdfia-basics/ch1_mlp.ipynb",
      "rdfia-basics/ch1_svm.ipynb",
      "rdfia-basics/ch3_vit.ipynb", "rdfia-basics/ch3_vit_sweeps.ipynb", "rdfia-basics/ch3_vit_large.ipynb");

  static Stream<String> notebooks() {
    return filtered(NOTEBOOKS);
  }

  private static Stream<String> filtered(List<String> notebooks) {
    String only = System.getProperty("dlcourse.notebooks", "");
    return notebooks.stream().filter(nb -> only.isBlank() || Arrays.stream(only.split(",")).map(String::strip)
        .anyMatch(prefix -> !prefix.isEmpty() && nb.startsWith(prefix)));
  }

  @ParameterizedTest
  @MethodSource("notebooks")
  void notebookUnderNbclientGivesTheRunnersOutputs(String relative, @TempDir Path tmp) throws Exception {
    ItSupport.requirePython("kernel-tests", "nbclient", "python3-nbclient");
    Path notebook = QuickRun.root().resolve("notebooks").resolve(relative);
    Path viaNbclient = tmp.resolve("nbclient.ipynb");
    ItSupport.Run r = exec(List.of("/usr/bin/python3", QuickRun.root().resolve(
        "tests/src/test/python/nbclient_compare.py").toString(), notebook.toString(), viaNbclient.toString(), "--quick",
        "--timeout", "900"), 1800);
    ExecutedNotebook runner = ExecutedNotebook.runQuick(relative); // the runner lane's, or run now
    JsonObject executed = JsonParser.parseString(Files.readString(viaNbclient)).getAsJsonObject();
    List<String> actual = ItSupport.signature(executed, false);
    assertEquals(0, r.exit, relative + " under nbclient:\n" + r.output + "\n" + String.join("\n", actual));
    List<String> expected = ItSupport.signature(runner.notebook, false);
    assertTrue(expected.stream().anyMatch(s -> s.contains("text/html")), "no table in " + expected);
    assertEquals(String.join("\n", expected), String.join("\n", actual), relative
        + ": nbclient and dlcourse run differ");
  }
}
