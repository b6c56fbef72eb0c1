package dlcourse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One engine, laid out so that it shows at a glance (issue 13): {@code kernels} at the bottom, {@code tensor}
 * (autograd) on it, the layers of {@code nn} on both, the captured step of {@code compile} on the layers, and
 * {@code train} on top; the old separate engines are gone, and notebooks import none of the internals.
 */
class LayoutTest {
  private static final List<String> ABOVE_THE_ENGINE = List.of("dlcourse.compile", "dlcourse.train",
      "dlcourse.models", "dlcourse.data", "dlcourse.plot", "dlcourse.graph");

  @Test
  void dependenciesPointDownFromLayersToAutogradToKernels() throws Exception {
    Map<String, Set<String>> g = PackageCyclesTest.graph(Path.of("src/main/java"));
    for (String gone : List.of("dlcourse.nn.dnnl", "dlcourse.nn.internal", "dlcourse.nn.autograd")) {
      assertFalse(g.containsKey(gone), gone + " was a separate engine; the graph: " + g);
    }
    assertEquals(Set.of(), g.get("dlcourse.kernels"), "the kernels work on arrays and know no tensor or layer");
    for (String pkg : List.of("dlcourse.tensor", "dlcourse.nn")) {
      for (String up : ABOVE_THE_ENGINE) {
        assertFalse(g.get(pkg).contains(up), pkg + " must not depend on " + up + ": " + g.get(pkg));
      }
    }
    assertFalse(g.get("dlcourse.tensor").contains("dlcourse.nn"), "autograd below the layers: " + g);
    assertTrue(Set.of("dlcourse.kernels", "dlcourse.nn", "dlcourse.tensor", "dlcourse.util").containsAll(g.get(
        "dlcourse.compile")), "the captured step is built from the layers and kernels only: " + g.get(
            "dlcourse.compile"));
  }

  @Test
  void theLibraryNeitherUsesNorExposesSameDiff() throws Exception {
    List<String> found = new ArrayList<>();
    try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
      for (Path f : s.filter(p -> p.toString().endsWith(".java")).toList()) {
        if (Files.readString(f).contains("org.nd4j.autodiff")) {
          found.add(f.toString());
        }
      }
    }
    assertEquals(List.of(), found, "SameDiff (org.nd4j.autodiff) left the library; tests may use it as an oracle");
  }

  @Test
  void notebooksImportNoEngineInternals() throws Exception {
    Path notebooks = Path.of("..", "notebooks");
    List<Path> files;
    try (Stream<Path> s = Files.walk(notebooks)) {
      files = s.filter(p -> p.toString().endsWith(".ipynb")).toList();
    }
    assertTrue(files.size() > 10, "read the notebooks: " + files);
    List<String> found = new ArrayList<>();
    for (Path f : files) {
      String text = Files.readString(f);
      for (String internal : List.of("dlcourse.kernels.", "dlcourse.compile.", "dlcourse.nn.dnnl",
          "dlcourse.nn.internal", "org.nd4j.autodiff")) {
        if (text.contains(internal)) {
          found.add(notebooks.relativize(f) + ": " + internal);
        }
      }
    }
    assertEquals(List.of(), found, "notebooks use the public packages (Trainer.stepKind says which step runs)");
  }
}
