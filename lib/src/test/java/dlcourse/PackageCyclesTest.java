package dlcourse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The library's packages depend on each other without cycles (references in code, not in comments). */
class PackageCyclesTest {
  private static final Pattern REFERENCE = Pattern.compile("\\b(dlcourse(?:\\.[a-z]+)+)\\.[A-Z]\\w*");

  static Map<String, Set<String>> graph(Path sources) throws Exception {
    Map<String, Set<String>> g = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(sources)) {
      files = s.filter(p -> p.toString().endsWith(".java")).toList();
    }
    for (Path f : files) {
      String code = Files.readString(f).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
      Matcher pkg = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE).matcher(code);
      if (!pkg.find()) {
        continue;
      }
      Set<String> deps = g.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
      Matcher m = REFERENCE.matcher(code);
      while (m.find()) {
        if (!m.group(1).equals(pkg.group(1))) {
          deps.add(m.group(1));
        }
      }
    }
    return g;
  }

  static List<String> cycles(Map<String, Set<String>> g) {
    List<String> found = new ArrayList<>();
    for (var e : g.entrySet()) {
      for (String dep : e.getValue()) {
        // is there a path back from dep to e.getKey()?
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(dep));
        Set<String> seen = new TreeSet<>();
        while (!todo.isEmpty()) {
          String n = todo.pop();
          if (n.equals(e.getKey())) {
            found.add(e.getKey() + " <-> " + dep);
            break;
          }
          if (seen.add(n)) {
            todo.addAll(g.getOrDefault(n, Set.of()));
          }
        }
      }
    }
    return found;
  }

  @Test
  void noPackageOfTheLibraryDependsOnItselfThroughAnother() throws Exception {
    Map<String, Set<String>> g = graph(Path.of("src/main/java"));
    assertTrue(g.size() > 8, "read the library's packages: " + g.keySet());
    assertEquals(List.of(), cycles(g), "package cycles; the graph: " + g);
    assertEquals(Set.of(), g.get("dlcourse.display"), "display is at the bottom of the graph");
    assertEquals(Set.of(), g.get("dlcourse.util"), "util (argument checks) is at the bottom of the graph");
  }

  @Test
  void theCheckFindsACycle() {
    assertEquals(List.of("a <-> b", "b <-> a"), cycles(Map.of("a", Set.of("b"), "b", Set.of("a"))).stream().sorted()
        .toList());
  }
}
