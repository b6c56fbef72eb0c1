package dlcourse.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads NumPy {@code .npy} arrays and {@code .npz} archives in Java, checking the header (magic, version, dtype,
 * shape) and the byte count before any array is made: ND4J's native reader aborts the whole JVM on a damaged header
 * and reads past the buffer when the shape promises more data than the file holds. Little-endian float32/64, int32/64
 * and bool, C or Fortran order.
 *
 * <pre>{@code
 * INDArray features = Npy.read(Path.of("features.npy"));            // np.save
 * Map<String, INDArray> perImage = Npy.readNpz(Path.of("feats.npz")); // np.savez(path, **arrays), keys as saved
 * }</pre>
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /**
   * The array in a {@code .npy} file.
   *
   * @throws UncheckedIOException if the file cannot be read
   * @throws IllegalArgumentException saying what is wrong with the file's contents
   */
  public static INDArray read(Path file) {
    try {
      return read(Files.readAllBytes(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /**
   * Every array of a {@code .npz} archive ({@code np.savez} or {@code np.savez_compressed}), by its key (the entry
   * name without {@code .npy}), in archive order.
   *
   * @throws UncheckedIOException if the file cannot be read as a zip archive
   * @throws IllegalArgumentException saying which entry is not a valid array
   */
  public static Map<String, INDArray> readNpz(Path file) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        if (e.isDirectory() || !e.getName().endsWith(".npy")) {
          continue;
        }
        byte[] bytes;
        try (var in = zip.getInputStream(e)) {
          bytes = in.readAllBytes();
        }
        String key = e.getName().substring(0, e.getName().length() - 4);
        out.put(key, read(bytes, file + " entry " + e.getName()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " as a .npz (zip) archive", e);
    }
    return out;
  }

  /**
   * The array in {@code bytes}.
   *
   * @param what names the entry in error messages
   * @throws IllegalArgumentException saying what is wrong with the bytes
   */
  public static INDArray read(byte[] bytes, String what) {
    if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
      throw new IllegalArgumentException(what + ": not a .npy array (bad magic bytes)");
    }
    int major = bytes[6];
    int headerLength;
    int start;
    if (major == 1) {
      headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
      start = 10;
    } else if (major == 2 || major == 3) {
      if (bytes.length < 12) {
        throw new IllegalArgumentException(what + ": .npy header is cut short");
      }
      headerLength = ByteBuffer.wrap(bytes, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
      start = 12;
    } else {
      throw new IllegalArgumentException(what + ": unsupported .npy version " + major);
    }
    if (headerLength < 0 || start + headerLength > bytes.length) {
      throw new IllegalArgumentException(what + ": .npy header of " + headerLength + " bytes runs past the "
          + bytes.length + "-byte entry");
    }
    String header = new String(bytes, start, headerLength, StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !f.find() || !s.find()) {
      throw new IllegalArgumentException(what + ": unreadable .npy header " + header.trim());
    }
    if (d.group(1).equals(">")) {
      throw new IllegalArgumentException(what + ": big-endian .npy data is not supported");
    }
    String type = d.group(2) + d.group(3);
    int width = Integer.parseInt(d.group(3));
    long[] shape = parseShape(s.group(1), what);
    long count = 1;
    for (long dim : shape) {
      count = Math.multiplyExact(count, dim);
    }
    int dataStart = start + headerLength;
    long expected = count * width;
    if (bytes.length - dataStart != expected) {
      throw new IllegalArgumentException(what + ": shape " + Arrays.toString(shape) + " of " + type + " needs "
          + expected + " bytes of data, the entry holds " + (bytes.length - dataStart));
    }
    ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, (int) expected).order(ByteOrder.LITTLE_ENDIAN);
    int n = Math.toIntExact(count);
    INDArray flat = switch (type) {
      case "f4" -> {
        float[] v = new float[n];
        data.asFloatBuffer().get(v);
        yield Nd4j.createFromArray(v);
      }
      case "f8" -> {
        double[] v = new double[n];
        data.asDoubleBuffer().get(v);
        yield Nd4j.createFromArray(v);
      }
      case "i8" -> {
        long[] v = new long[n];
        data.asLongBuffer().get(v);
        yield Nd4j.createFromArray(v);
      }
      case "i4" -> {
        int[] v = new int[n];
        data.asIntBuffer().get(v);
        yield Nd4j.createFromArray(v);
      }
      case "b1" -> {
        boolean[] v = new boolean[n];
        for (int i = 0; i < n; i++) {
          v[i] = data.get(dataStart + i) != 0;
        }
        yield Nd4j.createFromArray(v);
      }
      default -> throw new IllegalArgumentException(what + ": unsupported .npy dtype " + d.group(0));
    };
    if (shape.length == 0) {
      return flat.reshape();
    }
    return flat.reshape(f.group(1).equals("True") ? 'f' : 'c', shape).dup('c');
  }

  private static long[] parseShape(String text, String what) {
    String t = text.trim();
    if (t.isEmpty()) {
      return new long[0];
    }
    String[] parts = t.split(",");
    int n = parts[parts.length - 1].isBlank() ? parts.length - 1 : parts.length;
    long[] shape = new long[n];
    for (int i = 0; i < n; i++) {
      try {
        shape[i] = Long.parseLong(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(what + ": bad .npy shape (" + text + ")");
      }
      if (shape[i] < 0) {
        throw new IllegalArgumentException(what + ": negative dimension in .npy shape (" + text + ")");
      }
    }
    return shape;
  }
}
