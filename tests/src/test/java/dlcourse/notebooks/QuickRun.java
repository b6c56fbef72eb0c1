package dlcourse.notebooks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the notebook integration tests write their quick runs: {@code out/test/<course>/}. {@code ./dlcourse test}
 * looks there before its notebook step and runs again only notebooks without a fresh executed copy, so no
 * notebook runs twice in CI.
 */
final class QuickRun {
  private QuickRun() {}

  static Path root() {
    return Path.of(System.getProperty("dlcourse.root", "..")).toAbsolutePath().normalize();
  }

  /**
   * The environment a notebook run needs for its data: {@code DLCOURSE_DATA} pointing at the offline mirror
   * {@code ../shared/data} beside the project (as {@code .ci/run} sets it) unless the caller's environment names one.
   */
  static Map<String, String> dataEnv() {
    Map<String, String> env = new HashMap<>();
    Path mirror = root().resolve("../shared/data").normalize();
    if (System.getenv("DLCOURSE_DATA") == null && Files.isDirectory(mirror)) {
      env.put("DLCOURSE_DATA", mirror.toString());
    }
    return env;
  }

  /** {@code out/test/<course>} (course "" for the top-level notebooks), created if missing. */
  static Path outDir(String course) throws IOException {
    Path dir = course.isEmpty() ? root().resolve("out/test") : root().resolve("out/test").resolve(course);
    return Files.createDirectories(dir);
  }
}
