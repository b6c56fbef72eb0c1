package dlcourse.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.train.Experiments;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on 127.0.0.1, started from Spark's own classes: a Master and two Workers of one
 * core each, in JVMs of their own. The sweep's tasks spread over both; one worker (and its executor) is killed
 * mid-sweep, its task runs again on the other, and the journal ends complete, each run once.
 */
class StandaloneClusterTest {
  @TempDir
  Path dir;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void stopCluster() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private Process java(String name, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", mainClass));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    // A worker launches executors with SPARK_HOME/jars/* on their class path (here empty: the executors get the
    // driver's class path through spark.executor.extraClassPath, as on a cluster where the project is built).
    Path home = dir.resolve("spark-home");
    Files.createDirectories(home.resolve("jars"));
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    started.add(p);
    return p;
  }

  private static void awaitPort(int port, long seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the master did not open port " + port + " in " + seconds + " s");
        }
        Thread.sleep(200);
      }
    }
  }

  private static Set<String> executorsIn(Path journal) throws IOException {
    Set<String> out = new HashSet<>();
    if (Files.exists(journal)) {
      for (String line : Files.readAllLines(journal)) {
        try {
          out.add(Experiments.JournalRow.parse(line).info().get("executor"));
        } catch (IllegalArgumentException beingWritten) {
          // the next poll reads it whole
        }
      }
    }
    return out;
  }

  @Test
  void tasksSpreadOverTwoWorkersAndAKilledWorkersTaskRunsOnTheOther() throws Exception {
    int port = freePort();
    java("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "" + port,
        "--webui-port", "" + freePort());
    awaitPort(port, 120);
    String url = "spark://127.0.0.1:" + port;
    List<Process> workers = new ArrayList<>();
    for (int w = 1; w <= 2; w++) {
      workers.add(java("worker" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
          "--memory", "1g", "--work-dir", dir.resolve("work" + w).toString(), "--webui-port", "" + freePort(), url));
    }
    Path journal = dir.resolve("runs.tsv");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    CompletableFuture<Sweep.Result> sweep = CompletableFuture.supplyAsync(() -> Sweep.experiment(ToyExperiment.class
        .getName()).param("sleepMs", "4000").grid("a=1..6").master(url)
        .conf("spark.executor.memory", "512m").conf("spark.driver.host", "127.0.0.1")
        .journal(journal).out(dir.resolve("out")).log(new PrintStream(log, true, StandardCharsets.UTF_8)).run());
    // once both executors have journaled a task, each is running the next one: kill worker 1 and its executor
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (executorsIn(journal).size() < 2) {
      assertTrue(System.nanoTime() < deadline && !sweep.isDone(), "the two workers did not both finish a task: " + log);
      Thread.sleep(100);
    }
    Process killed = workers.get(0);
    killed.descendants().forEach(ProcessHandle::destroyForcibly);
    killed.destroyForcibly();
    Sweep.Result r = sweep.get(300, TimeUnit.SECONDS);
    String out = log.toString(StandardCharsets.UTF_8);
    System.out.printf("standalone sweep (6 tasks of 4 s, two 1-core workers, one killed) in %.1f s%n%s",
        (System.nanoTime() - t0) / 1e9, out);
    assertTrue(r.ok(), out);
    List<Experiments.JournalRow> rows = Files.readAllLines(journal).stream().map(Experiments.JournalRow::parse)
        .toList();
    List<String> keys = rows.stream().map(Experiments.JournalRow::key).toList();
    assertEquals(6, keys.size(), "every task once: " + keys);
    assertEquals(6, new HashSet<>(keys).size(), "every task once: " + keys);
    Set<String> executors = new HashSet<>();
    rows.forEach(row -> executors.add(row.info().get("executor")));
    assertTrue(executors.size() >= 2, "tasks ran on both workers' executors: " + executors);
    assertTrue(rows.stream().anyMatch(row -> row.info().get("attempt").equals("2")),
        "the killed worker's task ran again on the other: " + out);
    assertTrue(out.contains("6 to run on " + url), out);
  }
}
