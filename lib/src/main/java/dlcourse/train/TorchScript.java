package dlcourse.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a PyTorch program that ships with the library, so that a notebook's cross-check shows its table, not the
 * program. The programs are the {@code .py} files under {@code lib/src/main/resources/dlcourse/torch/}; they run with
 * {@code $PYTHON}, else {@code /usr/bin/python3} (Debian: {@code apt-get install python3-torch}).
 *
 * <pre>{@code
 * if (TorchScript.available()) {
 *   List<String> out = TorchScript.run("net1_fconv.py", dir.toString(), "0", "50", "4000", "ours");
 *   String[] last = out.get(out.size() - 1).split(" ");
 * }
 * }</pre>
 */
public final class TorchScript {
  private static final String FOLDER = "/dlcourse/torch/";

  private TorchScript() {}

  /** The interpreter: {@code $PYTHON}, else {@code /usr/bin/python3}. */
  public static String python() {
    return System.getenv().getOrDefault("PYTHON", "/usr/bin/python3");
  }

  /** True when {@link #python()} starts and imports {@code torch}. */
  public static boolean available() {
    try {
      Process p = new ProcessBuilder(python(), "-c", "import torch").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The text of program {@code name}, e.g. to print it in a notebook. */
  public static String source(String name) {
    try (InputStream in = open(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs program {@code name} with {@code args} and returns its output lines (stdout and stderr together).
   *
   * @throws IllegalStateException with the whole output if the program exits non-zero
   */
  public static List<String> run(String name, String... args) {
    Path script = null;
    try (InputStream in = open(name)) {
      script = Files.createTempFile("dlcourse-", "-" + name);
      Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
      List<String> cmd = new ArrayList<>(List.of(python(), script.toString()));
      cmd.addAll(List.of(args));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int exit = p.waitFor();
      if (exit != 0) {
        throw new IllegalStateException(name + " exited with " + exit + ":\n" + out.strip());
      }
      return out.strip().lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + name + " with " + python() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(name + " was interrupted", e);
    } finally {
      if (script != null) {
        try {
          Files.deleteIfExists(script);
        } catch (IOException ignored) {
          // a temporary file
        }
      }
    }
  }

  private static InputStream open(String name) {
    InputStream in = TorchScript.class.getResourceAsStream(FOLDER + name);
    if (in == null) {
      throw new IllegalArgumentException("no PyTorch program " + name + " under " + FOLDER.substring(1));
    }
    return in;
  }
}
