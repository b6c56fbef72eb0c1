package dlcourse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's row/column-vector methods ({@code addiRowVector}, {@code subColumnVector}, ...) run a legacy broadcast op
 * that can be garbage-collected during its own native call (SIGSEGV in {@code sd::DataBuffer::special()}, seen in
 * CI); the library broadcasts with plain arithmetic on broadcastable shapes instead (README, "Threads and memory").
 */
class LegacyBroadcastGuardTest {
  private static final Pattern LEGACY_BROADCAST =
      Pattern.compile(
          "\\.\\w+(RowVector|ColumnVector)\\s*\\(|new\\s+Broadcast\\w*Op\\s*\\(|\\bBroadcast\\.\\w+\\s*\\(");

  /** The library, its tests, the kernel and the notebooks (whose cells run in a kernel started with -Xmn8m). */
  @Test
  void nothingWeShipCallsTheLegacyBroadcastOps() throws IOException {
    Path root = Path.of("..");
    assertTrue(Files.isDirectory(root.resolve("notebooks")), "run from the lib module: " + root.toAbsolutePath());
    List<String> hits = new ArrayList<>();
    for (String dir : List.of("lib/src", "kernel-ext/src", "notebooks")) {
      try (Stream<Path> files = Files.walk(root.resolve(dir))) {
        for (Path f : (Iterable<Path>) files.filter(LegacyBroadcastGuardTest::isSource)::iterator) {
          List<String> lines = Files.readAllLines(f);
          for (int i = 0; i < lines.size(); i++) {
            String code = lines.get(i).replaceAll("//.*", "");
            if (!code.trim().startsWith("*") && LEGACY_BROADCAST.matcher(code).find()) {
              hits.add(root.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).trim());
            }
          }
        }
      }
    }
    assertEquals(List.of(), hits, "use broadcasting arithmetic (addi/sub/divi on (N, C) and (1, C)) instead");
  }

  private static boolean isSource(Path p) {
    String name = p.getFileName().toString();
    return (name.endsWith(".java") || name.endsWith(".ipynb") || name.endsWith(".jsh"))
        && !name.equals(LegacyBroadcastGuardTest.class.getSimpleName() + ".java");
  }

  @Test
  void thePatternCatchesTheCallsItBans() {
    for (String banned : List.of("y.addiRowVector(b)", "x.subColumnVector(m)", "e.diviColumnVector(s)",
        "new BroadcastAddOp(x, y, z, 1)", "Broadcast.add(x, y, z, 1)")) {
      assertTrue(LEGACY_BROADCAST.matcher(banned).find(), banned);
    }
    assertTrue(!LEGACY_BROADCAST.matcher("y.addi(b.reshape(1, n))").find());
  }

  @Test
  void broadcastingArithmeticEqualsTheRowAndColumnVectorOps() {
    Nd4j.getRandom().setSeed(7);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 5, 3);
    INDArray row = Nd4j.rand(DataType.DOUBLE, 1, 3);
    INDArray column = Nd4j.rand(DataType.DOUBLE, 5, 1);
    assertEquals(x.addRowVector(row), x.dup().addi(row));
    assertEquals(x.subColumnVector(column), x.sub(column));
    assertEquals(x.divColumnVector(column), x.dup().divi(column));
  }
}
