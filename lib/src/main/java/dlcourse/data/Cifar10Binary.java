package dlcourse.data;

import dlcourse.io.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reads CIFAR-10 in its canonical binary format ({@code cifar-10-batches-bin}): records of 1 label byte and
 * 3072 pixel bytes (1024 red, 1024 green, 1024 blue, each 32x32 row-major).
 *
 * <p>Training data is {@code data_batch_1.bin} to {@code data_batch_5.bin}, test data {@code test_batch.bin};
 * they are read from the folder or straight from {@code cifar-10-binary.tar.gz}. A file whose length is not a
 * multiple of 3073 bytes or that holds a label above 9 is rejected with an error naming it.
 */
public final class Cifar10Binary {
  /** The class names in label order. */
  public static final List<String> CLASSES =
      List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  static final int RECORD = 1 + 3 * 32 * 32;

  private Cifar10Binary() {}

  /** The batch file names of a split, in order. */
  public static List<String> batchFiles(Split split) {
    return split == Split.TRAIN
        ? List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin")
        : List.of("test_batch.bin");
  }

  /**
   * Reads {@code split} from {@code source}: a {@code cifar-10-batches-bin} folder (or its parent) or the
   * {@code .tar.gz}. Features float32 {@code (N, 3, 32, 32)} in [0, 1], labels int64 {@code (N)}.
   */
  public static TensorDataset read(Path source, Split split) {
    Map<String, byte[]> files = Files.isDirectory(source) ? fromFolder(source, split) : fromArchive(source, split);
    List<byte[]> parts = new ArrayList<>();
    for (String name : batchFiles(split)) {
      byte[] b = files.get(name);
      if (b == null) {
        throw new IllegalArgumentException(source + " has no " + name + " (found " + files.keySet() + ")");
      }
      parts.add(b);
    }
    return decode(parts, batchFiles(split), source);
  }

  /** Decodes concatenated records; {@code names} label the parts in error messages. */
  static TensorDataset decode(List<byte[]> parts, List<String> names, Path source) {
    long n = 0;
    for (int i = 0; i < parts.size(); i++) {
      if (parts.get(i).length % RECORD != 0) {
        throw new IllegalArgumentException(
            source + "/" + names.get(i) + " is truncated or corrupt: " + parts.get(i).length
                + " bytes is not a whole number of " + RECORD + "-byte records");
      }
      n += parts.get(i).length / RECORD;
    }
    long[] labels = new long[(int) n];
    List<INDArray> xs = new ArrayList<>();
    int k = 0;
    for (int p = 0; p < parts.size(); p++) {
      byte[] b = parts.get(p);
      for (int off = 0; off < b.length; off += RECORD, k++) {
        int label = b[off] & 0xff;
        if (label > 9) {
          throw new IllegalArgumentException(
              source + "/" + names.get(p) + " is corrupt: record " + (off / RECORD) + " has label " + label);
        }
        labels[k] = label;
      }
      xs.add(Idx.toImages(b, 0, 1, RECORD, b.length / RECORD, 3, 32, 32));
    }
    INDArray x = xs.size() == 1 ? xs.get(0) : org.nd4j.linalg.factory.Nd4j.concat(0, xs.toArray(INDArray[]::new));
    return new TensorDataset(x, org.nd4j.linalg.factory.Nd4j.createFromArray(labels), CLASSES);
  }

  /** Whether {@code b} is whole records (label byte, 3,072 pixel bytes) with labels 0-9: a batch file's layout. */
  static boolean wholeRecords(byte[] b) {
    if (b.length == 0 || b.length % RECORD != 0) {
      return false;
    }
    for (int i = 0; i < b.length; i += RECORD) {
      if ((b[i] & 0xff) >= CLASSES.size()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Writes {@code ds} (features {@code (N, 3, 32, 32)} in [0, 1], labels int64) as one binary batch file,
   * atomically.
   */
  public static void write(TensorDataset ds, Path file) {
    long n = ds.size();
    if (ds.features().rank() != 4 || ds.features().size(1) != 3 || ds.features().size(2) != 32
        || ds.features().size(3) != 32) {
      throw new IllegalArgumentException(
          "CIFAR-10 needs features (N, 3, 32, 32), got " + java.util.Arrays.toString(ds.features().shape()));
    }
    float[] x = ds.features().dup('c').data().asFloat();
    long[] y = ds.labels().toLongVector();
    byte[] out = new byte[Math.toIntExact(n * RECORD)];
    for (int i = 0; i < n; i++) {
      out[i * RECORD] = (byte) y[i];
      for (int j = 0; j < RECORD - 1; j++) {
        out[i * RECORD + 1 + j] = (byte) Math.round(Math.max(0f, Math.min(1f, x[i * (RECORD - 1) + j])) * 255f);
      }
    }
    try {
      AtomicFiles.write(file, o -> o.write(out));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static Map<String, byte[]> fromFolder(Path dir, Split split) {
    Path d = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
    Map<String, byte[]> out = new TreeMap<>();
    for (String name : batchFiles(split)) {
      Path f = d.resolve(name);
      if (Files.isRegularFile(f)) {
        try {
          out.put(name, Files.readAllBytes(f));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + f, e);
        }
      }
    }
    return out;
  }

  private static Map<String, byte[]> fromArchive(Path archive, Split split) {
    List<String> wanted = batchFiles(split);
    Map<String, byte[]> out = new TreeMap<>();
    try (InputStream raw = Idx.open(archive);
        TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
      for (TarArchiveEntry e; (e = tar.getNextTarEntry()) != null;) {
        String n = e.getName();
        String base = n.substring(n.lastIndexOf('/') + 1);
        if (e.isFile() && wanted.contains(base)) {
          ByteArrayOutputStream buf = new ByteArrayOutputStream((int) e.getSize());
          tar.transferTo(buf);
          if (buf.size() != e.getSize()) {
            throw new IllegalArgumentException(archive + " is truncated inside " + n);
          }
          out.put(base, buf.toByteArray());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(archive + " is not a readable CIFAR-10 archive: " + e.getMessage(), e);
    }
    return out;
  }
}
