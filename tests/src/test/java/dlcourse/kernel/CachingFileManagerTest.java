package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JShell's compiler file manager keeps the class path's listings while the class path is jars only. */
class CachingFileManagerTest {

  private static final Set<JavaFileObject.Kind> CLASSES = EnumSet.of(JavaFileObject.Kind.CLASS);

  /** A jar with one (empty) class file per name, e.g. {@code kept/A.class}. */
  private static Path jar(Path dir, String name, String... classFiles) throws IOException {
    Path jar = dir.resolve(name);
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      for (String f : classFiles) {
        j.putNextEntry(new JarEntry(f));
        j.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE});
        j.closeEntry();
      }
    }
    return jar;
  }

  private static List<String> names(Iterable<JavaFileObject> files) {
    List<String> out = new ArrayList<>();
    files.forEach(f -> out.add(Path.of(f.getName()).getFileName().toString().replaceAll("\\W+$", "")));
    return out;
  }

  private static CachingFileManager manager() {
    return new CachingFileManager(ToolProvider.getSystemJavaCompiler().getStandardFileManager(null, null, null));
  }

  @Test
  void listingsOfAJarClassPathAreKeptUntilTheClassPathChanges(@TempDir Path dir) throws Exception {
    Path a = jar(dir, "a.jar", "kept/A.class");
    Path b = jar(dir, "b.jar", "kept/B.class", "other/C.class");
    try (CachingFileManager fm = manager()) {
      fm.setLocationFromPaths(StandardLocation.CLASS_PATH, List.of(a));
      Iterable<JavaFileObject> first = fm.list(StandardLocation.CLASS_PATH, "kept", CLASSES, false);
      assertEquals(List.of("A.class"), names(first));
      assertSame(first, fm.list(StandardLocation.CLASS_PATH, "kept", CLASSES, false), "the second listing is kept");
      assertEquals(1, fm.listingsKept());
      // javac sets --multi-release on the file manager for every compilation: the listings stay
      fm.handleOption("--multi-release", List.of("17").iterator());
      assertEquals(1, fm.listingsKept());
      // JShell's addToClasspath (%classpath, %maven): the listings are made again and see the new jar
      Iterator<String> cp = List.of(a + java.io.File.pathSeparator + b).iterator();
      assertTrue(fm.handleOption("-classpath", cp));
      assertEquals(0, fm.listingsKept());
      List<String> both = names(fm.list(StandardLocation.CLASS_PATH, "kept", CLASSES, false));
      both.sort(null);
      assertEquals(List.of("A.class", "B.class"), both);
      assertEquals(List.of("C.class"), names(fm.list(StandardLocation.CLASS_PATH, "other", CLASSES, false)));
    }
  }

  @Test
  void aFolderOnTheClassPathIsListedAfreshEachTime(@TempDir Path dir) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("classes/kept"));
    Files.write(folder.resolve("A.class"), new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE});
    try (CachingFileManager fm = manager()) {
      fm.setLocationFromPaths(StandardLocation.CLASS_PATH, List.of(dir.resolve("classes"), jar(dir, "a.jar")));
      assertEquals(List.of("A.class"), names(fm.list(StandardLocation.CLASS_PATH, "kept", CLASSES, false)));
      Files.write(folder.resolve("B.class"), new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE});
      fm.flush(); // javac's own index of the folder is dropped between compilations
      List<String> now = names(fm.list(StandardLocation.CLASS_PATH, "kept", CLASSES, false));
      now.sort(null);
      assertEquals(List.of("A.class", "B.class"), now);
      assertEquals(0, fm.listingsKept());
    }
  }
}
