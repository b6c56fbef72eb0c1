package dlcourse.notebooks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

  /** {@code out/test/<course>} (course "" for the top-level notebooks), created if missing. */
  static Path outDir(String course) throws IOException {
    Path dir = course.isEmpty() ? root().resolve("out/test") : root().resolve("out/test").resolve(course);
    return Files.createDirectories(dir);
  }
}
