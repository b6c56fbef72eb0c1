package dlcourse.kernel;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import jdk.jshell.tool.JavaShellToolBuilder;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;

/**
 * Entry point of the {@code dlcourse} launcher.
 *
 * <pre>
 * kernel CONNECTION_FILE        the Jupyter kernel (started by Jupyter through kernel.json)
 * run NOTEBOOK... [options]     execute notebooks headless (see {@link NotebookRunner})
 * jshell [SCRIPT.jsh]           JShell with the library and the start-up imports
 * install-kernel [--user|--sys-prefix]
 * </pre>
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: dlcourse.kernel.Main kernel|run|jshell|install-kernel ...");
      System.exit(2);
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "kernel" :
        kernel(rest);
        break;
      case "run" :
        System.exit(NotebookRunner.main(rest, System.out, System.err));
        break;
      case "jshell" :
        System.exit(jshell(rest));
        break;
      case "install-kernel" :
        System.exit(KernelSpec.install(rest));
        break;
      case "cds-training" : // install-kernel's training run for the class archive (ClassArchive)
        ClassArchive.train();
        break;
      default :
        System.err.println("error: unknown command '" + args[0] + "'");
        System.exit(2);
    }
  }

  static void kernel(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: dlcourse kernel CONNECTION_FILE");
      System.exit(2);
    }
    String json = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
    KernelConnectionProperties props = KernelConnectionProperties.parse(json);
    JupyterConnection connection = new JupyterConnection(props);
    PromptShellChannel.install(connection);
    DlKernel kernel = DlKernel.create();
    kernel.onStartup();
    kernel.becomeHandlerForConnection(connection);
    connection.connect();
    kernel.startEvaluatorLater(); // at the latest; the first kernel_info reply starts it sooner
    connection.waitUntilClose();
    // ND4J and AWT leave non-daemon threads behind.
    System.exit(0);
  }

  private static int jshell(String[] args) throws Exception {
    Path startup = Files.createTempFile("dlcourse-startup", ".jsh");
    startup.toFile().deleteOnExit();
    StringBuilder imports = new StringBuilder();
    for (String imp : JShellSession.STARTUP_IMPORTS) {
      if (resolvable(imp)) {
        imports.append("import ").append(imp).append(";\n");
      }
    }
    // The snippets' JVM gets the off-heap cap of DLCOURSE_JAVA_OPTS (below); ND4J's arrays must respect it.
    imports.append("dlcourse.kernels.OffHeapLimit.install();\n");
    Files.writeString(startup, imports.toString());
    List<String> toolArgs = new ArrayList<>(List.of("--class-path", System.getProperty("java.class.path"),
        "--startup", "DEFAULT", "--startup", startup.toString()));
    // Snippets run in a second JVM that JShell starts; give it this JVM's heap and ND4J bounds (the launcher's
    // DLCOURSE_JAVA_OPTS), not the default quarter of RAM.
    for (String option : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (option.startsWith("-Xmx") || option.startsWith("-Xms") || option.startsWith("-Xmn")
          || option.startsWith("-Xss") || option.startsWith("-D")) {
        toolArgs.add("-R" + option);
      }
    }
    toolArgs.addAll(List.of(args));
    JavaShellToolBuilder.builder().start(toolArgs.toArray(new String[0]));
    return 0;
  }

  /** Returns true if the import's package (for {@code p.*}) or class exists on the class path. */
  static boolean resolvable(String imp) {
    ClassLoader cl = Main.class.getClassLoader();
    if (imp.startsWith("static ")) { // a static member: its class must exist
      String member = imp.substring("static ".length());
      return cl.getResource(member.substring(0, member.lastIndexOf('.')).replace('.', '/') + ".class") != null;
    }
    if (imp.endsWith(".*")) {
      String pkg = imp.substring(0, imp.length() - 2);
      if (pkg.startsWith("java.")) {
        return true;
      }
      return cl.getResource(pkg.replace('.', '/') + "/") != null || cl.getResource(pkg.replace('.', '/')) != null;
    }
    return cl.getResource(imp.replace('.', '/') + ".class") != null;
  }

}
