package dlcourse.sweep;

import dlcourse.io.AtomicFiles;
import dlcourse.train.Experiments;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The sweep's journal: the {@link Experiments#journal} format, one line per run, with a third field that says which
 * task wrote it and where:
 *
 * <pre>
 * seed=0 lr=0.1&lt;TAB&gt;score=1.0&lt;TAB&gt;task=lrs:0.1 base=3f09a1c2 rows=2 host=node1 executor=1 wall_s=12.3 attempt=1
 * </pre>
 *
 * <p>So the notebook reads it back with {@code -p journal=FILE} like any journal of its own. Only the driver writes
 * it, and all lines of a task go out in one append, flushed to disk, when the task's result arrives: each task's rows
 * are there once or not at all. A task counts as done when the file holds all {@code rows} of its lines with the
 * same {@code base} (the hash of notebook, {@code -p} values and --quick): a line cut by a crash is dropped, the other
 * lines of a task left incomplete are removed, and that task runs again. A notebook that names its journal after its
 * settings ({@code runs.tsv} becomes {@code runs-e50-n10000-onednn.tsv} in q1_1) gets the same suffix here.
 * A lock file beside the journal keeps a second sweep from writing it at the same time.
 */
final class SweepJournal implements AutoCloseable {
  private final Path main;
  private final String stem;
  private final FileChannel lockChannel;
  private final FileLock lock;

  SweepJournal(Path file) {
    this.main = file.toAbsolutePath().normalize();
    String name = main.getFileName().toString();
    if (!name.endsWith(".tsv")) {
      throw new IllegalArgumentException("--journal must name a .tsv file, got " + file);
    }
    this.stem = name.substring(0, name.length() - 4);
    try {
      Files.createDirectories(main.getParent());
      Path lockFile = main.resolveSibling("." + name + ".lock");
      lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = lockChannel.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        lockChannel.close();
        throw new IllegalStateException("another sweep is writing " + main + " (it holds " + lockFile + ")");
      }
      lock = l;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the journal " + main + ": " + e.getMessage(), e);
    }
  }

  Path path() {
    return main;
  }

  /** A suffix a notebook may add to its journal's name: empty, or starting with - _ or . and no folder. */
  static boolean isSuffix(String s) {
    return s.isEmpty() || ("-_.".indexOf(s.charAt(0)) >= 0 && !s.contains("/") && !s.contains("\\"));
  }

  /** The journal file that rows with {@code suffix} go to. */
  Path file(String suffix) {
    return main.resolveSibling(stem + suffix + ".tsv");
  }

  /** The main journal and the files with a suffix beside it. */
  List<Path> files() {
    try (Stream<Path> s = Files.list(main.getParent())) {
      return s.filter(f -> {
        String n = f.getFileName().toString();
        return n.startsWith(stem) && n.endsWith(".tsv") && n.length() >= stem.length() + 4
            && isSuffix(n.substring(stem.length(), n.length() - 4)) && Files.isRegularFile(f);
      }).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + main.getParent() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The ids of the tasks of this setting ({@code baseHash}) whose rows are all in the journal. Repairs the journal
   * first: drops a damaged last line and removes the rows of tasks that are there only in part.
   */
  Set<String> completed(String baseHash) {
    Map<Path, List<String>> contents = new LinkedHashMap<>();
    Map<String, Integer> count = new HashMap<>();
    Map<String, Integer> expected = new HashMap<>();
    for (Path f : files()) {
      List<String> lines = read(f);
      List<String> kept = new ArrayList<>();
      for (int i = 0; i < lines.size(); i++) {
        String l = lines.get(i);
        if (l.isBlank()) {
          continue;
        }
        Experiments.JournalRow row;
        try {
          row = Experiments.JournalRow.parse(l);
        } catch (IllegalArgumentException e) {
          if (i == lines.size() - 1) {
            continue; // cut off by a crash while it was written: its task runs again
          }
          throw new IllegalArgumentException(f + " line " + (i + 1) + " is damaged (" + e.getMessage() + "): " + l, e);
        }
        kept.add(l);
        String task = row.info().get("task");
        if (task != null && baseHash.equals(row.info().get("base"))) {
          count.merge(task, 1, Integer::sum);
          expected.put(task, parseRows(row, f));
        }
      }
      contents.put(f, kept);
      if (kept.size() != lines.stream().filter(l -> !l.isBlank()).count()) {
        write(f, kept);
      }
    }
    Set<String> done = new LinkedHashSet<>();
    Set<String> partial = new LinkedHashSet<>();
    count.forEach((task, n) -> (n.equals(expected.get(task)) ? done : partial).add(task));
    if (!partial.isEmpty()) {
      for (var e : contents.entrySet()) {
        List<String> kept = new ArrayList<>();
        for (String l : e.getValue()) {
          var info = Experiments.JournalRow.parse(l).info();
          if (!(partial.contains(info.get("task")) && baseHash.equals(info.get("base")))) {
            kept.add(l);
          }
        }
        if (kept.size() != e.getValue().size()) {
          write(e.getKey(), kept);
        }
      }
    }
    return done;
  }

  private static int parseRows(Experiments.JournalRow row, Path f) {
    try {
      return Integer.parseInt(row.info().getOrDefault("rows", "1"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(f + ": bad rows= field in " + row.line());
    }
  }

  /** Appends every row of a finished task, one write per journal file, flushed to disk. */
  void append(TaskResult r, String baseHash) {
    Map<String, StringBuilder> byFile = new LinkedHashMap<>();
    for (TaskResult.Row row : r.rows()) {
      Experiments.JournalRow parsed = Experiments.JournalRow.parse(row.line());
      Map<String, String> info = new LinkedHashMap<>(parsed.info());
      info.put("task", r.id());
      info.put("base", baseHash);
      info.put("rows", Integer.toString(r.rows().size()));
      info.put("host", r.host().replaceAll("\\s+", "_"));
      info.put("executor", r.executor().replaceAll("\\s+", "_"));
      info.put("wall_s", String.format(Locale.ROOT, "%.1f", r.wallSeconds()));
      info.put("attempt", Integer.toString(r.attempt()));
      String line = new Experiments.JournalRow(parsed.key(), parsed.metrics(), info).line();
      byFile.computeIfAbsent(row.suffix(), s -> new StringBuilder()).append(line).append('\n');
    }
    for (var e : byFile.entrySet()) {
      Path f = file(e.getKey());
      try {
        String text = e.getValue().toString();
        if (!endsWithNewline(f)) {
          text = "\n" + text;
        }
        Files.writeString(f, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
            StandardOpenOption.SYNC);
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot append to the journal " + f + ": " + ex.getMessage(), ex);
      }
    }
  }

  /** Runs (keys) that more than one task of this setting journaled in the same file: the notebook's rows do not
   *  tell those tasks apart (its Experiments grid lacks a swept parameter), and the later row wins. */
  List<String> sharedKeys(String baseHash) {
    List<String> out = new ArrayList<>();
    for (Path f : files()) {
      Map<String, String> owner = new HashMap<>();
      for (String l : read(f)) {
        if (l.isBlank()) {
          continue;
        }
        var row = Experiments.JournalRow.parse(l);
        String task = row.info().get("task");
        if (task == null || !baseHash.equals(row.info().get("base"))) {
          continue;
        }
        String before = owner.putIfAbsent(row.key(), task);
        if (before != null && !before.equals(task)) {
          out.add(f.getFileName() + ": '" + row.key() + "' from tasks " + before + " and " + task);
        }
      }
    }
    return out;
  }

  private static boolean endsWithNewline(Path f) throws IOException {
    if (!Files.exists(f) || Files.size(f) == 0) {
      return true;
    }
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
      raf.seek(raf.length() - 1);
      return raf.read() == '\n';
    }
  }

  private static List<String> read(Path f) {
    try {
      return Files.readAllLines(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the journal " + f + ": " + e.getMessage(), e);
    }
  }

  private static void write(Path f, List<String> lines) {
    try {
      AtomicFiles.writeLines(f, lines);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot repair the journal " + f + ": " + e.getMessage(), e);
    }
  }

  /** Encodes a task's grid values as one journal field: name:value,... with % , : and blanks escaped. */
  static String taskId(Map<String, String> point) {
    StringBuilder s = new StringBuilder();
    point.forEach((k, v) -> s.append(s.length() == 0 ? "" : ",").append(k).append(':').append(escape(v)));
    return s.toString();
  }

  private static String escape(String v) {
    StringBuilder s = new StringBuilder();
    for (byte b : v.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c <= ' ' || c == '%' || c == ',' || c == ':' || c >= 0x7f) {
        s.append('%').append(String.format("%02X", c));
      } else {
        s.append((char) c);
      }
    }
    return s.toString();
  }

  @Override
  public void close() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      // the lock goes with the process anyway
    }
  }
}
