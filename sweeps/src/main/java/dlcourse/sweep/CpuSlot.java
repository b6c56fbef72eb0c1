package dlcourse.sweep;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of CPUs one task's runner is pinned to ({@code taskset -c}), held through a lock file so that every executor
 * JVM on the machine (local mode, or several workers on one host) hands each CPU to one task at a time.
 *
 * <p>Why: oneDNN's TBB threads use every CPU the process may run on, whatever OMP_NUM_THREADS says, so two CNN
 * trainings side by side oversubscribe the cores and run many times slower; pinned, each gets its own (the Q1.1
 * hand split with {@code taskset -c 0} / {@code -c 1} measured 104 min against ~1.9 h unpinned).
 */
final class CpuSlot implements AutoCloseable {
  static final CpuSlot NONE = new CpuSlot(null, null, null);

  private final String cpus;
  private final FileChannel channel;
  private final FileLock lock;

  private CpuSlot(String cpus, FileChannel channel, FileLock lock) {
    this.cpus = cpus;
    this.channel = channel;
    this.lock = lock;
  }

  /** The CPU list for taskset ({@code 0} or {@code 2,3}); null when not pinned. */
  String cpus() {
    return cpus;
  }

  /**
   * Takes the first free group of {@code threads} CPUs of those this JVM may use, or {@link #NONE} when taskset is
   * missing, there are fewer CPUs than threads, or every group is taken.
   */
  static CpuSlot acquire(int threads) {
    List<Integer> allowed = allowedCpus();
    if (allowed.size() < threads || !Files.isExecutable(Path.of("/usr/bin/taskset"))) {
      return NONE;
    }
    int slots = allowed.size() / threads;
    for (int k = 0; k < slots; k++) {
      List<String> group = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        group.add(Integer.toString(allowed.get(k * threads + i)));
      }
      String cpus = String.join(",", group);
      Path file = Path.of(System.getProperty("java.io.tmpdir"), "dlcourse-sweep-cpu-" + cpus.replace(',', '_')
          + ".lock");
      FileChannel ch = null;
      try {
        ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l = ch.tryLock();
        if (l != null) {
          return new CpuSlot(cpus, ch, l);
        }
        ch.close();
      } catch (OverlappingFileLockException | IOException e) {
        closeQuietly(ch);
      }
    }
    return NONE;
  }

  /** CPUs this process may run on (Linux: Cpus_allowed_list), else 0 .. availableProcessors - 1. */
  static List<Integer> allowedCpus() {
    List<Integer> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Cpus_allowed_list:")) {
          for (String part : line.substring(line.indexOf(':') + 1).strip().split(",")) {
            String[] ab = part.strip().split("-");
            int a = Integer.parseInt(ab[0]);
            int b = ab.length > 1 ? Integer.parseInt(ab[1]) : a;
            for (int c = a; c <= b; c++) {
              out.add(c);
            }
          }
          return out;
        }
      }
    } catch (IOException | RuntimeException e) {
      out.clear();
    }
    for (int c = 0; c < Runtime.getRuntime().availableProcessors(); c++) {
      out.add(c);
    }
    return out;
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // nothing held
      }
    }
  }

  @Override
  public void close() {
    if (lock != null) {
      try {
        lock.release();
      } catch (IOException ignored) {
        // released with the channel
      }
      closeQuietly(channel);
    }
  }
}
