package dlcourse.data;

import dlcourse.io.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads and writes the IDX format of MNIST and Fashion-MNIST (unsigned-byte data), gzipped or not.
 *
 * <p>An IDX file is a magic number {@code 0x0000 08 D} (unsigned bytes, {@code D} dimensions), {@code D}
 * big-endian int32 sizes, then the bytes in row-major order. A file that is shorter or longer than its header
 * says is rejected with an error naming the file.
 */
public final class Idx {
  private Idx() {}

  /** The raw contents of an IDX file: its shape and its bytes in row-major order. */
  public record Raw(long[] shape, byte[] data) {
    /** The number of items along the first dimension. */
    public long count() {
      return shape[0];
    }
  }

  /** Reads {@code file} (gzipped when it starts with the gzip magic bytes). */
  public static Raw read(Path file) {
    try (InputStream in = open(file)) {
      DataInputStream din = new DataInputStream(in);
      int magic;
      try {
        magic = din.readInt();
      } catch (EOFException e) {
        throw new IllegalArgumentException(file + " is empty or truncated: no IDX header");
      }
      int type = (magic >>> 8) & 0xff;
      int dims = magic & 0xff;
      if ((magic >>> 16) != 0 || dims < 1 || dims > 4) {
        throw new IllegalArgumentException(
            file + " is not an IDX file (magic number 0x" + Integer.toHexString(magic) + ")");
      }
      if (type != 0x08) {
        throw new IllegalArgumentException(
            file + ": IDX element type 0x" + Integer.toHexString(type) + " is not supported (only unsigned bytes)");
      }
      long[] shape = new long[dims];
      long total = 1;
      for (int d = 0; d < dims; d++) {
        try {
          shape[d] = Integer.toUnsignedLong(din.readInt());
        } catch (EOFException e) {
          throw new IllegalArgumentException(file + " is truncated inside its IDX header");
        }
        total *= shape[d];
      }
      if (total > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(file + ": IDX shape " + Arrays.toString(shape) + " is too large");
      }
      byte[] data = new byte[(int) total];
      int got = din.readNBytes(data, 0, data.length);
      if (got != data.length) {
        throw new IllegalArgumentException(
            file + " is truncated: its header says shape " + Arrays.toString(shape) + " (" + total
                + " bytes) but only " + got + " bytes follow");
      }
      if (din.read() != -1) {
        throw new IllegalArgumentException(
            file + " has more data than its header's shape " + Arrays.toString(shape) + " says");
      }
      return new Raw(shape, data);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read IDX file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads an image file, shape {@code (N, H, W)} on disk, as float32 {@code (N, 1, H, W)} scaled to [0, 1].
   */
  public static INDArray readImages(Path file) {
    Raw raw = read(file);
    if (raw.shape().length != 3) {
      throw new IllegalArgumentException(
          file + " is not an image file: IDX shape " + Arrays.toString(raw.shape()) + ", expected (N, H, W)");
    }
    return toImages(raw.data(), raw.shape()[0], 1, raw.shape()[1], raw.shape()[2]);
  }

  /** Reads a label file, shape {@code (N)} on disk, as int64 {@code (N)}. */
  public static INDArray readLabels(Path file) {
    Raw raw = read(file);
    if (raw.shape().length != 1) {
      throw new IllegalArgumentException(
          file + " is not a label file: IDX shape " + Arrays.toString(raw.shape()) + ", expected (N)");
    }
    return toLabels(raw.data());
  }

  /** Reads an images file and a labels file into a data set, checking that the counts agree. */
  public static TensorDataset readDataset(Path images, Path labels, java.util.List<String> classes) {
    INDArray x = readImages(images);
    INDArray y = readLabels(labels);
    if (x.size(0) != y.size(0)) {
      throw new IllegalArgumentException(
          images + " holds " + x.size(0) + " images but " + labels + " holds " + y.size(0) + " labels");
    }
    return new TensorDataset(x, y, classes);
  }

  /** Writes unsigned bytes {@code data} of {@code shape} as an uncompressed IDX file, atomically. */
  public static void write(Path file, long[] shape, byte[] data) {
    long total = 1;
    for (long s : shape) {
      total *= s;
    }
    if (shape.length < 1 || shape.length > 4 || total != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " does not match " + data.length + " bytes of data");
    }
    try {
      AtomicFiles.write(
          file,
          out -> {
            ByteBuffer header = ByteBuffer.allocate(4 + 4 * shape.length);
            header.putInt(0x0800 | shape.length);
            for (long s : shape) {
              header.putInt(Math.toIntExact(s));
            }
            out.write(header.array());
            out.write(data);
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write IDX file " + file, e);
    }
  }

  /** Float32 {@code (n, c, h, w)} in [0, 1] from unsigned bytes in that order. */
  static INDArray toImages(byte[] data, long n, long c, long h, long w) {
    return toImages(data, 0, 0, Math.toIntExact(c * h * w), n, c, h, w);
  }

  /**
   * Float32 {@code (n, c, h, w)} in [0, 1] from {@code n} runs of {@code c*h*w} unsigned bytes starting at
   * {@code offset} and {@code stride} bytes apart ({@code skip} bytes of each stride are headers to skip before
   * the pixels: {@code stride = skip + c*h*w}). Written straight into the array's off-heap buffer, so no
   * float[] of the whole data set is made on the Java heap.
   */
  static INDArray toImages(byte[] data, int offset, int skip, int stride, long n, long c, long h, long w) {
    int per = Math.toIntExact(c * h * w);
    if (stride < skip + per || offset + n * stride > data.length) {
      throw new IllegalArgumentException(
          n + " images of " + per + " bytes every " + stride + " bytes do not fit in " + data.length + " bytes");
    }
    INDArray out = Nd4j.createUninitialized(DataType.FLOAT, n, c, h, w);
    java.nio.FloatBuffer fb =
        out.data().asNio().order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    float[] chunk = new float[per];
    for (long i = 0; i < n; i++) {
      int base = Math.toIntExact(offset + i * stride + skip);
      for (int j = 0; j < per; j++) {
        chunk[j] = SCALE[data[base + j] & 0xff];
      }
      fb.put(chunk);
    }
    return out;
  }

  private static final float[] SCALE = new float[256];

  static {
    for (int i = 0; i < 256; i++) {
      SCALE[i] = i / 255f;
    }
  }

  static INDArray toLabels(byte[] data) {
    long[] l = new long[data.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = data[i] & 0xff;
    }
    return Nd4j.createFromArray(l);
  }

  /** Opens {@code file}, decompressing when it starts with the gzip magic bytes. */
  static InputStream open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no such file: " + file);
    }
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    if (b0 == 0x1f && b1 == 0x8b) {
      return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
    }
    return in;
  }
}
