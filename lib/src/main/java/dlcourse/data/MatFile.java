package dlcourse.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads the numeric matrices of a MATLAB v5 {@code .mat} file (the format {@code scipy.io.loadmat} reads).
 *
 * <p>Real numeric arrays of any class (double, single, integer, logical), compressed ({@code miCOMPRESSED}) or
 * not, become float64 {@link INDArray}s of the same shape (MATLAB's column-major order is converted). Other
 * variables (cells, structs, strings, sparse, complex) are skipped. A truncated or corrupt file gives an error
 * naming the file and the variable.
 *
 * <pre>{@code
 * Map<String, INDArray> m = MatFile.read(Path.of("circles.mat"));
 * INDArray x = m.get("Xtrain");   // (200, 2) float64
 * }</pre>
 */
public final class MatFile {
  private static final int MI_INT8 = 1, MI_UINT8 = 2, MI_INT16 = 3, MI_UINT16 = 4, MI_INT32 = 5, MI_UINT32 = 6;
  private static final int MI_SINGLE = 7, MI_DOUBLE = 9, MI_INT64 = 12, MI_UINT64 = 13;
  private static final int MI_MATRIX = 14, MI_COMPRESSED = 15;
  private static final int MX_CELL = 1, MX_STRUCT = 2, MX_OBJECT = 3, MX_CHAR = 4, MX_SPARSE = 5;

  private MatFile() {}

  /** The numeric variables of {@code file} by name, in file order. */
  public static Map<String, INDArray> read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    if (bytes.length < 128) {
      throw new IllegalArgumentException(file + " is not a MATLAB v5 file (shorter than its 128-byte header)");
    }
    String text = new String(bytes, 0, 116, StandardCharsets.ISO_8859_1);
    if (!text.startsWith("MATLAB 5.0 MAT-file")) {
      throw new IllegalArgumentException(
          file + " is not a MATLAB v5 file (header starts \"" + text.substring(0, Math.min(20, text.length())).trim()
              + "\"; v7.3 files are HDF5 and not supported)");
    }
    ByteOrder order;
    if (bytes[126] == 'I' && bytes[127] == 'M') {
      order = ByteOrder.LITTLE_ENDIAN;
    } else if (bytes[126] == 'M' && bytes[127] == 'I') {
      order = ByteOrder.BIG_ENDIAN;
    } else {
      throw new IllegalArgumentException(file + " has no MATLAB endian indicator");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes, 128, bytes.length - 128).slice().order(order);
    Map<String, INDArray> out = new LinkedHashMap<>();
    try {
      while (buf.remaining() >= 8) {
        readElement(buf, order, out, file);
      }
    } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException(file + " is truncated or corrupt (after variables " + out.keySet() + ")", e);
    }
    return out;
  }

  private static void readElement(ByteBuffer buf, ByteOrder order, Map<String, INDArray> out, Path file) {
    int type = buf.getInt();
    int n = buf.getInt();
    if (n < 0 || n > buf.remaining()) {
      throw new IllegalArgumentException(
          file + " is truncated: an element of " + n + " bytes but only " + buf.remaining() + " remain");
    }
    ByteBuffer body = buf.slice().limit(n).order(order);
    buf.position(buf.position() + n);
    if (type == MI_COMPRESSED) {
      byte[] raw = new byte[n];
      body.get(raw);
      ByteBuffer inner = ByteBuffer.wrap(inflate(raw, file)).order(order);
      while (inner.remaining() >= 8) {
        readElement(inner, order, out, file);
      }
    } else {
      // Uncompressed elements are padded to 8 bytes.
      buf.position(Math.min(buf.limit(), buf.position() + pad8(n) - n));
      if (type == MI_MATRIX) {
        readMatrix(body, out, file);
      }
    }
  }

  private static void readMatrix(ByteBuffer m, Map<String, INDArray> out, Path file) {
    if (!m.hasRemaining()) {
      return; // an empty matrix element
    }
    long[] flags = toLongs(subElement(m));
    int cls = (int) (flags[0] & 0xff);
    boolean complex = (flags[0] & 0x800) != 0;
    long[] dims = toLongs(subElement(m));
    String name = new String(toBytes(subElement(m)), StandardCharsets.UTF_8);
    if (cls == MX_CELL || cls == MX_STRUCT || cls == MX_OBJECT || cls == MX_CHAR || cls == MX_SPARSE || complex) {
      return;
    }
    double[] re = toDoubles(subElement(m));
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    if (re.length != count) {
      throw new IllegalArgumentException(
          file + ": variable " + name + " has dimensions " + Arrays.toString(dims) + " (" + count
              + " values) but " + re.length + " values are stored");
    }
    INDArray a = Nd4j.create(re, dims, 'f').dup('c');
    out.put(name, a.castTo(DataType.DOUBLE));
  }

  private record Sub(int type, ByteBuffer data) {}

  private static Sub subElement(ByteBuffer m) {
    int tag = m.getInt();
    int type;
    int n;
    if ((tag >>> 16) != 0) {
      // Small data element: size in the upper half of the tag, data in the next 4 bytes.
      type = tag & 0xffff;
      n = tag >>> 16;
      ByteBuffer d = m.slice().limit(n).order(m.order());
      m.position(m.position() + 4);
      return new Sub(type, d);
    }
    type = tag;
    n = m.getInt();
    ByteBuffer d = m.slice().limit(n).order(m.order());
    m.position(m.position() + pad8(n));
    return new Sub(type, d);
  }

  private static int pad8(int n) {
    return (n + 7) & ~7;
  }

  private static double[] toDoubles(Sub s) {
    ByteBuffer d = s.data();
    int size = elementSize(s.type());
    double[] v = new double[d.remaining() / size];
    for (int i = 0; i < v.length; i++) {
      v[i] =
          switch (s.type()) {
            case MI_INT8 -> d.get();
            case MI_UINT8 -> d.get() & 0xff;
            case MI_INT16 -> d.getShort();
            case MI_UINT16 -> d.getShort() & 0xffff;
            case MI_INT32 -> d.getInt();
            case MI_UINT32 -> d.getInt() & 0xffffffffL;
            case MI_SINGLE -> d.getFloat();
            case MI_DOUBLE -> d.getDouble();
            case MI_INT64 -> d.getLong();
            case MI_UINT64 -> unsigned(d.getLong());
            default -> throw new IllegalArgumentException("unsupported MATLAB data type " + s.type());
          };
    }
    return v;
  }

  private static double unsigned(long x) {
    return x >= 0 ? x : (double) (x >>> 1) * 2 + (x & 1);
  }

  private static long[] toLongs(Sub s) {
    double[] d = toDoubles(s);
    long[] l = new long[d.length];
    for (int i = 0; i < d.length; i++) {
      l[i] = (long) d[i];
    }
    return l;
  }

  private static byte[] toBytes(Sub s) {
    byte[] b = new byte[s.data().remaining()];
    s.data().get(b);
    return b;
  }

  private static int elementSize(int type) {
    return switch (type) {
      case MI_INT8, MI_UINT8 -> 1;
      case MI_INT16, MI_UINT16 -> 2;
      case MI_INT32, MI_UINT32, MI_SINGLE -> 4;
      case MI_DOUBLE, MI_INT64, MI_UINT64 -> 8;
      default -> throw new IllegalArgumentException("unsupported MATLAB data type " + type);
    };
  }

  private static byte[] inflate(byte[] raw, Path file) {
    Inflater inf = new Inflater();
    inf.setInput(raw);
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
    byte[] chunk = new byte[1 << 16];
    try {
      while (!inf.finished()) {
        int k = inf.inflate(chunk);
        if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
          throw new IllegalArgumentException(file + " is truncated inside a compressed variable");
        }
        out.write(chunk, 0, k);
      }
    } catch (DataFormatException e) {
      throw new IllegalArgumentException(file + " has a corrupt compressed variable: " + e.getMessage(), e);
    } finally {
      inf.end();
    }
    return out.toByteArray();
  }
}
