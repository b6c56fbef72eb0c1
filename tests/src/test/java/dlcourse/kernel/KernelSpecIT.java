package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.io.TempDir;

/** install-kernel's options: DLCOURSE_KERNEL_JIT, DLCOURSE_KERNEL_CDS, and the class data sharing archive (ClassArchive). */
@Execution(ExecutionMode.CONCURRENT) // beside NbclientIT, one such class at a time (junit-platform.properties)
@ResourceLock(ItSupport.KERNEL_IT_LANE)
class KernelSpecIT {

  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
  private static final String USAGE = "usage: dlcourse.kernel.Main kernel|run|jshell|install-kernel ...";

  private static ItSupport.Run install(Path data, Map<String, String> env) throws Exception {
    List<String> cmd = List.of(JAVA.toString(), "-cp", ItSupport.kernelClasspath(), Main.class.getName(),
        "install-kernel", "--user");
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("JUPYTER_DATA_DIR", data.toString());
    return ItSupport.run(cmd, all, ItSupport.root(), 300);
  }

  @Test
  void kernelJitAcceptsOnlyC1OrUnset(@TempDir Path data) throws Exception {
    ItSupport.Run bad = install(data, Map.of("DLCOURSE_KERNEL_JIT", "c2", "DLCOURSE_KERNEL_CDS", "off"));
    assertEquals(2, bad.exit, bad.toString());
    assertTrue(bad.output.contains("DLCOURSE_KERNEL_JIT must be unset (both JITs, the default) or c1"), bad.output);
    assertTrue(bad.output.contains("got 'c2'"), bad.output);
    assertFalse(Files.exists(data.resolve("kernels/dlcourse-java/kernel.json")), "nothing is installed");

    ItSupport.Run c1 = install(data, Map.of("DLCOURSE_KERNEL_JIT", "c1", "DLCOURSE_KERNEL_CDS", "off"));
    assertEquals(0, c1.exit, c1.toString());
    String spec = Files.readString(data.resolve("kernels/dlcourse-java/kernel.json"));
    assertTrue(spec.contains("-XX:TieredStopAtLevel=1"), spec);
    assertFalse(spec.contains("SharedArchiveFile"), "DLCOURSE_KERNEL_CDS=off: " + spec);
  }

  @Test
  void kernelCdsAcceptsOnlyOffOrUnset(@TempDir Path data) throws Exception {
    for (String value : List.of("on", "OFF", "0")) {
      ItSupport.Run bad = install(data, Map.of("DLCOURSE_KERNEL_CDS", value));
      assertEquals(2, bad.exit, bad.toString());
      assertTrue(bad.output.contains("error: DLCOURSE_KERNEL_CDS must be unset (a class data sharing archive, the"
          + " default) or off (no archive: slower kernel start), got '" + value + "'"), bad.output);
      assertFalse(Files.exists(data.resolve("kernels/dlcourse-java/kernel.json")), "nothing is installed");
    }
  }

  /** A JVM started as a kernelspec starts the kernel (with the archive options), here running Main without a command. */
  private static ItSupport.Run startWith(Path archive, String classpath, String... extra) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(JAVA.toString()));
    cmd.addAll(ClassArchive.useOptions(archive));
    cmd.addAll(List.of(extra));
    cmd.addAll(List.of("-cp", classpath, Main.class.getName()));
    return ItSupport.run(cmd, Map.of(), ItSupport.root(), 120);
  }

  private static List<String> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void classArchiveIsWrittenWholeUsedAndIgnoredSilentlyWhenMissingOrStale(@TempDir Path dir) throws Exception {
    // the kernel's class path with its own jar copied here, so that the test can change it as a rebuild does (the
    // JVM checks only the jars that classes of the archive came from)
    List<String> entries = new ArrayList<>(List.of(ItSupport.kernelClasspath().split(File.pathSeparator)));
    int i = 0;
    Path copy = dir.resolve(Path.of(entries.get(i)).getFileName());
    Files.copy(Path.of(entries.get(i)), copy);
    entries.set(i, copy.toString());
    String cp = String.join(File.pathSeparator, entries);
    List<String> options = KernelSpec.jvmOptions("512m", null);
    Path cache = dir.resolve("cds");
    Path archive = ClassArchive.archiveFor(cache, JAVA, cp);

    // missing: the JVM starts without it and says nothing about it
    ItSupport.Run missing = startWith(archive, cp);
    assertEquals(2, missing.exit, missing.toString());
    assertEquals(USAGE, missing.output.strip());

    // written by the training run, checked, then moved into place: no temporary file is left
    assertTrue(ClassArchive.ensure(JAVA, options, cp, archive));
    assertEquals(List.of(archive.getFileName().toString()), files(cache));
    assertTrue(ClassArchive.usable(JAVA, options, cp, archive));
    // used: the kernel's classes come from it
    ItSupport.Run used = startWith(archive, cp, "-Xlog:class+load=info");
    assertTrue(used.output.contains("dlcourse.kernel.Main source: shared objects file (top)"), used.output);

    // stale: a jar of the class path changed since; the JVM ignores the archive without a word
    Files.setLastModifiedTime(copy, FileTime.fromMillis(Files.getLastModifiedTime(copy).toMillis() + 60_000));
    assertFalse(ClassArchive.usable(JAVA, options, cp, archive));
    ItSupport.Run stale = startWith(archive, cp);
    assertEquals(2, stale.exit, stale.toString());
    assertEquals(USAGE, stale.output.strip());

    // a cut archive (what writing in place could leave; a JVM that maps one crashes) is replaced whole
    archive.toFile().setWritable(true);
    try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
      f.setLength(100_000);
    }
    assertFalse(ClassArchive.usable(JAVA, options, cp, archive));
    assertTrue(ClassArchive.ensure(JAVA, options, cp, archive));
    assertTrue(ClassArchive.usable(JAVA, options, cp, archive));
    assertEquals(List.of(archive.getFileName().toString()), files(cache));
    assertTrue(startWith(archive, cp, "-Xlog:class+load=info").output.contains(
        "dlcourse.kernel.Main source: shared objects file (top)"));
  }
}
