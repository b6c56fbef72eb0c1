package dlcourse.kernel;

import dlcourse.io.AtomicFiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * Writes the {@code dlcourse-java} kernelspec where Jupyter looks for kernels.
 *
 * <p>Locations: {@code --user} (default): {@code $JUPYTER_DATA_DIR/kernels}, else {@code ~/.local/share/jupyter/kernels}
 * ({@code ~/Library/Jupyter/kernels} on macOS); {@code --sys-prefix}: {@code $CONDA_PREFIX}, {@code $VIRTUAL_ENV}
 * or the prefix of {@code python3} ({@code /usr} or {@code /usr/local}), plus {@code share/jupyter/kernels}.
 */
public final class KernelSpec {

  /** The name shown in Jupyter's kernel list. */
  public static final String DISPLAY_NAME = "Java (dlcourse)";
  /**
   * The JVM heap when {@code DLCOURSE_KERNEL_HEAP} is unset: the runner's, since the off-heap cap (4/3 of it) is
   * enforced and the RDFIA ViT sweeps need more than 1 GiB even in quick mode. Binder installs 640m
   * (binder/postBuild): with both memories full that kernel peaks at 1.62 GiB, leaving room for the Jupyter server.
   */
  public static final String DEFAULT_HEAP = "2g";

  /** {@code DLCOURSE_KERNEL_CDS=off} at install: no class data sharing archive ({@link ClassArchive}). */
  static final String CDS_VARIABLE = "DLCOURSE_KERNEL_CDS";

  private KernelSpec() {}

  /** The values {@code DLCOURSE_KERNEL_JIT} may take: unset (both JITs) or {@code c1}. */
  static final String JIT_VARIABLE = "DLCOURSE_KERNEL_JIT";

  /**
   * Returns the kernel JVM's options for {@code heap} (everything before {@code -cp}); {@code jit} is the value of
   * {@code DLCOURSE_KERNEL_JIT} (null or {@code c1}, see {@link #checkJit}).
   */
  static List<String> jvmOptions(String heap, String jit) {
    List<String> argv = new ArrayList<>();
    argv.add("-Xmx" + heap);
    // Native buffers are freed when the GC collects their arrays: a small young generation collects often,
    // so freed buffers are reused instead of fresh pages (the launcher's DEFAULT_JAVA_OPTS explain the gain).
    argv.add("-Xmn8m");
    // ND4J keeps arrays off-heap; cap them so heap + arrays stay inside a small machine's memory.
    argv.add("-Dorg.bytedeco.javacpp.maxbytes=" + offHeap(heap));
    argv.add("-XX:+UseSerialGC");
    // Both JITs by default. C1 alone (DLCOURSE_KERNEL_JIT=c1) makes trivial cells cheaper (javac runs for each cell
    // and C2 compiling it cost ~37 ms of CPU per cell early on) but the library's Java loops (fused softmax,
    // dropout, RMSNorm, Adam, the autograd tape) run without C2's loop optimisations: the char-GPT step measured
    // 1.90-2.60x PyTorch with C1 alone against 1.30-1.43x with C2 (bench/library/run --models gpt-nano, same hour).
    if ("c1".equals(jit)) {
      argv.add("-XX:TieredStopAtLevel=1");
    }
    argv.add("-Xshare:auto");
    argv.add("-Djava.awt.headless=true");
    return argv;
  }

  /** Returns null if {@code jit} is a valid {@code DLCOURSE_KERNEL_JIT} (unset, empty or c1), else the error. */
  static String checkJit(String jit) {
    if (jit == null || jit.isEmpty() || jit.equals("c1")) {
      return null;
    }
    return JIT_VARIABLE + " must be unset (both JITs, the default) or c1 (the C1 JIT alone: quicker trivial cells,"
        + " slower training), got '" + jit + "'";
  }

  /** Returns null if {@code cds} is a valid {@code DLCOURSE_KERNEL_CDS} (unset, empty or off), else the error. */
  static String checkCds(String cds) {
    if (cds == null || cds.isEmpty() || cds.equals("off")) {
      return null;
    }
    return CDS_VARIABLE + " must be unset (a class data sharing archive, the default) or off (no archive: slower"
        + " kernel start), got '" + cds + "'";
  }

  /**
   * Returns kernel.json for a kernel started with {@code classpath}; the heap comes from {@code DLCOURSE_KERNEL_HEAP};
   * {@code archive}, when not null, is the class data sharing archive the kernel maps ({@link ClassArchive}).
   */
  static JsonObject kernelJson(String classpath, String heap, String jit, Path archive) {
    JsonObject spec = new JsonObject();
    JsonArray argv = new JsonArray();
    argv.add(javaPath().toString());
    jvmOptions(heap, jit).forEach(argv::add);
    if (archive != null) {
      ClassArchive.useOptions(archive).forEach(argv::add);
    }
    argv.add("-cp");
    argv.add(classpath);
    argv.add(Main.class.getName());
    argv.add("kernel");
    argv.add("{connection_file}");
    spec.add("argv", argv);
    spec.addProperty("display_name", DISPLAY_NAME);
    spec.addProperty("language", "java");
    spec.addProperty("interrupt_mode", "message");
    // As the launcher does: ND4J on one OpenMP thread unless the user's environment says otherwise at install.
    com.google.gson.JsonObject env = new com.google.gson.JsonObject();
    env.addProperty("OMP_NUM_THREADS", System.getenv().getOrDefault("OMP_NUM_THREADS", "1"));
    spec.add("env", env);
    JsonObject meta = new JsonObject();
    meta.addProperty("debugger", false);
    spec.add("metadata", meta);
    return spec;
  }

  private static Path javaPath() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  private static String offHeap(String heap) {
    String h = heap.toLowerCase();
    long mb;
    try {
      if (h.endsWith("g")) {
        mb = Long.parseLong(h.substring(0, h.length() - 1)) * 1024;
      } else if (h.endsWith("m")) {
        mb = Long.parseLong(h.substring(0, h.length() - 1));
      } else {
        mb = Long.parseLong(h) / (1024 * 1024);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("DLCOURSE_KERNEL_HEAP must look like 768m or 4g, got '" + heap + "'");
    }
    return Math.max(512, mb * 4 / 3) + "m";
  }

  /** Returns the kernels directory for {@code mode} ("--user" or "--sys-prefix"). */
  static Path kernelsDir(String mode) {
    if (mode.equals("--sys-prefix")) {
      String prefix = firstNonBlank(System.getenv("CONDA_PREFIX"), System.getenv("VIRTUAL_ENV"));
      if (prefix == null) {
        prefix = Files.exists(Path.of("/usr/local/share/jupyter")) ? "/usr/local" : "/usr";
      }
      return Path.of(prefix, "share", "jupyter", "kernels");
    }
    String data = System.getenv("JUPYTER_DATA_DIR");
    if (data != null && !data.isBlank()) {
      return Path.of(data, "kernels");
    }
    String home = System.getProperty("user.home");
    if (System.getProperty("os.name", "").toLowerCase().contains("mac")) {
      return Path.of(home, "Library", "Jupyter", "kernels");
    }
    String xdg = System.getenv("XDG_DATA_HOME");
    return xdg != null && !xdg.isBlank() ? Path.of(xdg, "jupyter", "kernels") : Path.of(home, ".local", "share",
        "jupyter", "kernels");
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  /** Installs the kernelspec; {@code args} may hold --user or --sys-prefix. Returns the exit status. */
  static int install(String[] args) throws IOException {
    String mode = "--user";
    List<String> rest = new ArrayList<>(List.of(args));
    for (String a : rest) {
      if (a.equals("--user") || a.equals("--sys-prefix")) {
        mode = a;
      } else {
        System.err.println("error: unknown option '" + a + "'\nusage: dlcourse install-kernel [--user|--sys-prefix]");
        return 2;
      }
    }
    String heap = System.getenv().getOrDefault("DLCOURSE_KERNEL_HEAP", DEFAULT_HEAP);
    String jit = System.getenv(JIT_VARIABLE);
    String jitError = checkJit(jit);
    if (jitError != null) {
      System.err.println("error: " + jitError);
      return 2;
    }
    String cdsError = checkCds(System.getenv(CDS_VARIABLE));
    if (cdsError != null) {
      System.err.println("error: " + cdsError);
      return 2;
    }
    Path dir = kernelsDir(mode).resolve(DlKernel.NAME);
    Files.createDirectories(dir);
    String cp = System.getProperty("java.class.path");
    List<String> absolute = new ArrayList<>();
    for (String entry : cp.split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        absolute.add(Path.of(entry).toAbsolutePath().toString());
      }
    }
    String classpath = String.join(File.pathSeparator, absolute);
    // The class data sharing archive first: kernel.json names it only once it exists and maps.
    Path archive = null;
    String cds = "off";
    if (!"off".equals(System.getenv(CDS_VARIABLE))) {
      Path candidate = ClassArchive.archiveFor(ClassArchive.cacheDir(), javaPath(), classpath);
      if (ClassArchive.ensure(javaPath(), jvmOptions(heap, jit), classpath, candidate)) {
        archive = candidate;
        cds = candidate.toString();
      } else {
        cds = "not written (the kernel starts without it)";
      }
    }
    AtomicFiles.writeString(dir.resolve("kernel.json"),
        Notebook.GSON.toJson(kernelJson(classpath, heap, jit, archive)) + "\n");
    System.out.println("Installed kernelspec " + DlKernel.NAME + " (\"" + DISPLAY_NAME + "\", heap " + heap
        + ", class archive " + cds + ") in " + dir);
    return 0;
  }
}
