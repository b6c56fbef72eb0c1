package dlcourse.kernel;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.dflib.jjava.jupyter.channels.JupyterSocket;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.messages.HMACGenerator;
import org.dflib.jjava.jupyter.messages.Header;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.MessageType;
import org.dflib.jjava.jupyter.messages.reply.ErrorReply;
import org.dflib.jjava.jupyter.messages.request.ExecuteRequest;
import org.dflib.jjava.jupyter.messages.request.KernelInfoRequest;
import org.dflib.jjava.jupyter.messages.request.ShutdownRequest;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * A class data sharing archive (AppCDS) of the kernel's classes, so that a kernel JVM maps them instead of loading,
 * parsing and verifying each one: about a third less CPU before the first kernel_info reply.
 *
 * <p>{@code install-kernel} writes it once ({@link #ensure}): a training run of the kernel with
 * {@code -XX:ArchiveClassesAtExit} (kernel_info, a few cells, shutdown) writes a temporary file, a second JVM checks
 * that it maps ({@code -Xshare:on}), and only then is it moved over the archive's name in one step; a kernel never
 * sees a half-written archive (a truncated one crashes the JVM that maps it). Archives live in
 * {@code $XDG_CACHE_HOME/dlcourse/kernel-cds} (else {@code ~/.cache/dlcourse/kernel-cds}), one per JDK and class path,
 * so the kernelspecs of several installs share one. The kernel's {@code kernel.json} names the archive with
 * {@link #useOptions}: when it is missing, or stale (a jar its classes came from was rebuilt since, or the JDK changed),
 * the JVM ignores it without a word and loads the classes as before; the next {@code install-kernel} (which
 * {@code ./dlcourse notebook} runs) writes it again. {@code DLCOURSE_KERNEL_CDS=off} at install leaves it out.
 */
final class ClassArchive {

  /** How long the training run may take (it starts JShell and ND4J and renders a chart). */
  static final long TRAINING_TIMEOUT_SECONDS = 180;

  /** The cells of the training run: the kinds of output the kernel renders. */
  static final List<String> TRAINING_CELLS = List.of(
      "1 + 1",
      "int dlcourseCds = 2;\nSystem.out.println(\"cds \" + dlcourseCds);",
      "var dlcourseChart = new org.knowm.xchart.XYChartBuilder().width(300).height(200).title(\"cds\").build();\n"
          + "dlcourseChart.addSeries(\"a\", new double[] {1, 2, 3}, new double[] {3, 1, 2});\ndlcourseChart",
      "Nd4j.ones(2, 3)",
      "tech.tablesaw.api.Table.create(\"cds\", tech.tablesaw.api.IntColumn.create(\"n\", 1, 2))",
      "List.of(1, 2, 3).stream().map(i -> i * 2).toList()");

  private ClassArchive() {}

  /** The JVM options that make a kernel map {@code archive}, and stay silent when it is missing or stale. */
  static List<String> useOptions(Path archive) {
    return List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
  }

  /** The folder of the archives: {@code $XDG_CACHE_HOME/dlcourse/kernel-cds}, else {@code ~/.cache/...}. */
  static Path cacheDir() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("dlcourse").resolve("kernel-cds");
  }

  /** The archive for a kernel started by {@code java} with {@code classpath}: one per JDK build and class path. */
  static Path archiveFor(Path dir, Path java, String classpath) {
    String key = java.toAbsolutePath() + "\n" + System.getProperty("java.vm.version") + "\n" + classpath;
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return dir.resolve("kernel-" + HexFormat.of().formatHex(digest, 0, 8) + ".jsa");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Returns true if {@code java} with {@code options} maps {@code archive} for {@code classpath}: the file exists,
   * was written by this JDK, and no jar that its classes came from changed since.
   */
  static boolean usable(Path java, List<String> options, String classpath, Path archive) {
    if (!Files.isRegularFile(archive)) {
      return false;
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.addAll(options);
    cmd.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:on", "-cp", classpath, "-version"));
    return run(cmd, 60) == 0;
  }

  /**
   * Makes sure {@code archive} is usable by a kernel started with {@code java}, {@code options} and {@code classpath}:
   * keeps a usable one, else writes it by a training run. Returns true if the archive is usable afterwards; a failure
   * leaves no file behind and only costs the kernel its start-up gain.
   */
  static boolean ensure(Path java, List<String> options, String classpath, Path archive) throws IOException {
    if (usable(java, options, classpath, archive)) {
      return true;
    }
    Files.createDirectories(archive.getParent());
    Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
        + UUID.randomUUID());
    try {
      List<String> cmd = new ArrayList<>();
      cmd.add(java.toString());
      cmd.addAll(options);
      // the training run prints nothing: no CDS notes about classes it cannot archive
      cmd.addAll(List.of("-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
          "-Djava.awt.headless=true", "-cp", classpath, Main.class.getName(), "cds-training"));
      if (run(cmd, TRAINING_TIMEOUT_SECONDS) != 0 || !usable(java, options, classpath, tmp)) {
        return false;
      }
      try {
        Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        return false; // the folder of the temporary file is the archive's: this does not happen on one file system
      }
      return true;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Runs {@code cmd} with its output discarded; returns its exit status, or -1 when it timed out or failed. */
  private static int run(List<String> cmd, long timeoutSeconds) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * The training run ({@code Main cds-training}): a kernel on loopback ports, driven by a client thread of this JVM
   * as Jupyter drives it (kernel_info, {@link #TRAINING_CELLS}, shutdown). The kernel exits the JVM with status 0 at
   * the shutdown; a failing client exits it with status 1.
   */
  static void train() throws Exception {
    int[] ports = freePorts(5);
    String key = UUID.randomUUID().toString();
    KernelConnectionProperties props = new KernelConnectionProperties("127.0.0.1", ports[0], ports[1], ports[2],
        ports[3], ports[4], "tcp", "hmac-sha256", key);
    Path file = Files.createTempFile("dlcourse-cds", ".json");
    file.toFile().deleteOnExit();
    Files.writeString(file, props.toJsonString());
    Thread client = new Thread(() -> {
      try {
        drive(props);
      } catch (Throwable t) {
        System.err.println("dlcourse: the class archive's training run failed: " + t);
        Runtime.getRuntime().halt(1);
      }
    }, "dlcourse-cds-client");
    client.setDaemon(true);
    client.start();
    Main.kernel(new String[] {file.toString()});
  }

  private static int[] freePorts(int n) throws IOException {
    int[] ports = new int[n];
    List<ServerSocket> open = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        open.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : open) {
        s.close();
      }
    }
    return ports;
  }

  /** A DEALER socket, as a Jupyter client's shell channel. */
  private static final class ClientSocket extends JupyterSocket {
    ClientSocket(ZMQ.Context ctx, HMACGenerator hmac) {
      super(ctx, SocketType.DEALER, hmac, LoggerFactory.getLogger(ClassArchive.class));
    }

    @Override
    public void bind(KernelConnectionProperties props) {
      connect(formatAddress(props.getTransport(), props.getIp(), props.getShellPort()));
    }
  }

  private static void drive(KernelConnectionProperties props) throws Exception {
    ZMQ.Context ctx = ZMQ.context(1);
    ClientSocket shell = new ClientSocket(ctx, props.createHMACGenerator());
    shell.setReceiveTimeOut((int) TimeUnit.SECONDS.toMillis(TRAINING_TIMEOUT_SECONDS));
    shell.bind(props);
    request(shell, KernelInfoRequest.MESSAGE_TYPE, new KernelInfoRequest(), "kernel_info_reply");
    for (String code : TRAINING_CELLS) {
      Message<?> reply;
      try {
        reply = request(shell, ExecuteRequest.MESSAGE_TYPE, new ExecuteRequest(code, false, true, Map.of(), false,
            true), "execute_reply");
      } catch (ClassCastException e) { // jjava's reading of an error reply as an execute_reply
        throw new IllegalStateException("the training cell failed: " + code, e);
      }
      if (reply.getContent() instanceof ErrorReply) {
        ErrorReply e = (ErrorReply) reply.getContent();
        throw new IllegalStateException("the training cell failed: " + code + ": " + e.getErrorName() + ": "
            + e.getErrorMessage());
      }
    }
    request(shell, ShutdownRequest.MESSAGE_TYPE, ShutdownRequest.SHUTDOWN, "shutdown_reply");
  }

  private static <T> Message<?> request(JupyterSocket shell, MessageType<T> type, T content, String replyType) {
    shell.sendMessage(new Message<>(new Header<>(type), content));
    while (true) {
      Message<?> m = shell.readMessage();
      if (m == null) {
        throw new IllegalStateException("no " + replyType + " in time");
      }
      if (m.getHeader().getType().getName().equals(replyType)) {
        return m;
      }
    }
  }
}
