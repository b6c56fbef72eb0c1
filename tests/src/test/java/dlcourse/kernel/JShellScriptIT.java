package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.io.TempDir;

/** The training loop a student writes, as the README shows it, runs as a {@code ./dlcourse jshell} script. */
@Execution(ExecutionMode.CONCURRENT) // beside NbclientIT, one such class at a time (junit-platform.properties)
@ResourceLock(ItSupport.KERNEL_IT_LANE)
class JShellScriptIT {
  @Test
  void studentTrainingLoopRunsAsAScript(@TempDir Path dir) throws Exception {
    Path script = dir.resolve("loop.jsh");
    Files.writeString(script,
        """
            Init.manualSeed(0);
            // two blobs: class 0 around (-1.5, 0), class 1 around (1.5, 0)
            INDArray xs = Init.normal(Nd4j.create(DataType.FLOAT, 200, 2), 0, 0.7);
            INDArray ys = Nd4j.zeros(DataType.LONG, 200);
            for (int i = 0; i < 200; i++) { xs.putScalar(i, 0, xs.getDouble(i, 0) + (i < 100 ? -1.5 : 1.5)); ys.putScalar(i, i < 100 ? 0 : 1); }
            var train = new TensorDataset(xs, ys);
            var model = new Sequential(new Linear(2, 10), new Tanh(), new Linear(10, 2));
            var opt = new SGD(model.parameters(), 0.03);
            for (int epoch = 0; epoch < 5; epoch++) {
            for (Batch b : DataLoader.of(train).batchSize(10).shuffle(true).seed(0)) {
                Tensor loss = F.crossEntropy(model.forward(b.x()), b.y());
                opt.zeroGrad();
                loss.backward();
                opt.step();
            }
            }
            try (var g = Tensor.noGrad()) {
                System.out.println("accuracy " + Metrics.accuracy(model.forward(Tensor.of(xs)), Tensor.of(ys)));
            }
            /exit
            """);
    ItSupport.Run run = ItSupport.main(dir, 300, "jshell", script.toString());
    assertEquals(0, run.exit, run.output);
    String line = run.output.lines().filter(l -> l.startsWith("accuracy ")).findFirst().orElse(null);
    assertTrue(line != null, "no accuracy printed: " + run.output);
    double accuracy = Double.parseDouble(line.substring("accuracy ".length()));
    assertTrue(accuracy > 0.9, "the loop should separate two blobs: " + run.output);
  }

  @Test
  void readmeQuickstartRunsAsAScript(@TempDir Path dir) throws Exception {
    String readme = Files.readString(ItSupport.root().resolve("README.md"));
    int marker = readme.indexOf("<!-- quickstart");
    assertTrue(marker >= 0, "the README's quickstart block is marked");
    int start = readme.indexOf("```java\n", marker) + "```java\n".length();
    String code = readme.substring(start, readme.indexOf("```", start));
    Path script = dir.resolve("quickstart.jsh");
    Files.writeString(script, code + "/exit\n");
    ItSupport.Run run = ItSupport.main(dir, 300, "jshell", script.toString());
    assertEquals(0, run.exit, run.output);
    assertTrue(!run.output.contains("Error:") && !run.output.contains("Exception"), run.output);
    String line = run.output.lines().filter(l -> l.startsWith("test accuracy ")).findFirst().orElse(null);
    assertTrue(line != null, "no accuracy printed: " + run.output);
    double accuracy = Double.parseDouble(line.substring("test accuracy ".length()));
    assertTrue(accuracy > 0.6 && accuracy <= 1, "3 epochs on 2,000 Fashion-MNIST images: " + run.output);
    assertTrue(Files.size(dir.resolve("loss.png")) > 1000, "the chart was saved");
  }

  @Test
  void snippetsRunWithTheLaunchersHeapAndHaveTheStartupImports(@TempDir Path dir) throws Exception {
    Path script = dir.resolve("heap.jsh");
    Files.writeString(script, """
        System.out.println("heap MB " + Runtime.getRuntime().maxMemory() / (1 << 20));
        System.out.println("display " + (display("x") != null));
        /exit
        """);
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx700m", "-Djava.awt.headless=true",
        "-cp", ItSupport.kernelClasspath(), Main.class.getName(), "jshell", script.toString()));
    ItSupport.Run run = ItSupport.run(cmd, java.util.Map.of(), dir, 300);
    assertEquals(0, run.exit, run.output);
    String heap = run.output.lines().filter(l -> l.startsWith("heap MB ")).findFirst().orElse("heap MB -1");
    long mb = Long.parseLong(heap.substring("heap MB ".length()).strip());
    // -Xmx700m reaches the snippets' JVM (without it JShell's remote JVM takes a quarter of RAM)
    assertTrue(mb > 300 && mb <= 700, run.output);
    assertTrue(run.output.contains("display true"), run.output);
  }
}
