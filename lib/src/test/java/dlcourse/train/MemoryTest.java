package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.data.DataLoader;
import dlcourse.data.TensorDataset;
import dlcourse.nn.BatchNorm2d;
import dlcourse.nn.Conv2d;
import dlcourse.nn.Dropout;
import dlcourse.nn.Flatten;
import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.nn.MaxPool2d;
import dlcourse.nn.Module;
import dlcourse.nn.ReLU;
import dlcourse.nn.Sequential;
import dlcourse.nn.Tanh;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Native memory is given back when a model and its trainer are no longer used, without {@code System.gc()} in user
 * code ({@link dlcourse.kernels.NativeMemory}): 60 consecutive trainings in one JVM, started with the kernel's memory
 * settings, keep the resident set flat and well below the Binder machine's 2 GB.
 */
class MemoryTest {
  static final int TRAININGS = 60;

  /** The child JVM: trains {@link #TRAININGS} models one after another and prints its resident set after each. */
  public static void main(String[] args) throws Exception {
    Random r = new Random(0);
    float[] px = new float[512 * 28 * 28];
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) r.nextGaussian();
    }
    long[] labels = r.longs(512, 0, 10).toArray();
    TensorDataset images = new TensorDataset(Nd4j.createFromArray(px).reshape(512, 1, 28, 28),
        Nd4j.createFromArray(labels), null);
    for (int i = 0; i < TRAININGS; i++) {
      Init.manualSeed(i);
      Module model = switch (i % 3) {
        case 0 -> new Sequential(new Conv2d(1, 16, 3).padding(1), new ReLU(), new MaxPool2d(2), // captured oneDNN step
            new Conv2d(16, 32, 3).padding(1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(32 * 49, 10));
        case 1 -> new Sequential(new Conv2d(1, 16, 3).padding(1), new BatchNorm2d(16), new ReLU(), // eager
            new MaxPool2d(2), new Flatten(), new Dropout(0.3), new Linear(16 * 196, 10));
        default -> new Sequential(new Flatten(), new Linear(784, 256), new Tanh(), new Linear(256, 10)); // eager
      };
      Trainer t = Trainer.of(model).optimizer(new Adam(model.parameters(), 1e-3)).progress(false).verbose(false);
      t.fit(DataLoader.of(images).batchSize(64).shuffle(true).seed(i));
      t.evaluate(DataLoader.of(images).batchSize(128));
      System.out.println("rss " + rssMb());
    }
  }

  static long rssMb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @Test
  void residentSetStaysFlatOverSixtyTrainings() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // The kernelspec's settings: 768 MB heap, off-heap capped at 1 GB, small young generation.
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx768m", "-Xmn8m", "-Dorg.bytedeco.javacpp.maxbytes=1g",
        "-cp", System.getProperty("java.class.path"), MemoryTest.class.getName());
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    List<Long> rss = new ArrayList<>();
    StringBuilder log = new StringBuilder();
    try (var in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
      for (String line; (line = in.readLine()) != null;) {
        log.append(line).append('\n');
        if (line.startsWith("rss ")) {
          rss.add(Long.parseLong(line.substring(4)));
        }
      }
    }
    assertEquals(0, p.waitFor(), log.toString());
    assertEquals(TRAININGS, rss.size(), log.toString());
    System.out.println("resident set (MB) after each training: " + rss);
    long early = rss.subList(10, 20).stream().mapToLong(Long::longValue).max().orElseThrow();
    long late = rss.subList(TRAININGS - 10, TRAININGS).stream().mapToLong(Long::longValue).max().orElseThrow();
    assertTrue(late - early < 150, "resident set grew from " + early + " MB (trainings 10-20) to " + late
        + " MB (last 10): " + rss);
    // Without NativeMemory's collections it passed 3 GB here (1 GB off-heap cap, 2 GB Binder machine).
    long peak = rss.subList(5, TRAININGS).stream().mapToLong(Long::longValue).max().orElseThrow();
    assertTrue(peak < 1200, "resident set reached " + peak + " MB: " + rss);
  }
}
