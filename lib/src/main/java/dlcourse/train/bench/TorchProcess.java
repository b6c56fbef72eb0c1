package dlcourse.train.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A PyTorch process running {@code torch_models.py}, driven line by line so that its rounds interleave with
 * ours. Started with the same {@code OMP_NUM_THREADS} and {@code torch.set_num_threads} count as ND4J.
 */
final class TorchProcess implements AutoCloseable {
  private final Process process;
  private final PrintWriter in;
  private final BufferedReader out;

  TorchProcess(String python, Path script, int threads) throws IOException {
    if (!Files.isRegularFile(script)) {
      throw new IllegalArgumentException("PyTorch model script not found: " + script);
    }
    ProcessBuilder pb = new ProcessBuilder(python, script.toString(), String.valueOf(threads))
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IOException("cannot start " + python + " (Debian: apt-get install python3-torch): " + e.getMessage(),
          e);
    }
    in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  /** Sends one command and returns its one-line answer; a line starting with "error" becomes an exception. */
  String ask(String command) throws IOException {
    in.println(command);
    String line = out.readLine();
    if (line == null) {
      throw new IOException("PyTorch process exited (code " + waitExit() + ") after command '" + command
          + "'; is torch installed for " + process.info().command().orElse("python") + "?");
    }
    if (line.startsWith("error")) {
      throw new IOException("PyTorch process: " + line);
    }
    return line;
  }

  /** Builds model {@code name} with a random batch of {@code batch} samples. */
  void build(String name, int batch, long seed) throws IOException {
    ask("build " + name + " " + batch + " " + seed);
  }

  /** Runs {@code steps} training steps of model {@code name}; returns their times in milliseconds. */
  List<Double> run(String name, int steps) throws IOException {
    List<Double> times = new ArrayList<>();
    for (String t : ask("run " + name + " " + steps).trim().split("\\s+")) {
      times.add(Double.parseDouble(t));
    }
    return times;
  }

  private int waitExit() {
    try {
      return process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Override
  public void close() {
    in.println("quit");
    in.close();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroy();
      }
    } catch (InterruptedException e) {
      process.destroy();
      Thread.currentThread().interrupt();
    }
  }
}
