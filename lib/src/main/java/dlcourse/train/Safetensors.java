package dlcourse.train;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads and writes safetensors files, the format in which Hugging Face hosts published weights (timm's ViTs among
 * them), in Java.
 *
 * <p>Layout: 8 bytes, the header length N as an unsigned little-endian integer; N bytes of UTF-8 JSON, an object
 * {@code {"name": {"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}}
 * (possibly padded with trailing spaces); then the tensors' bytes, little-endian and row-major, at
 * {@code [begin, end)} counted from the first byte after the header. The tensors fill that buffer back to back,
 * without holes or overlaps, to the end of the file.
 *
 * <p>{@link #header(Path)} checks all of that before anything is read, and every error names the file and, where
 * there is one, the tensor: a header longer than the file or than 100 MB, JSON that is not an object or holds a
 * key twice, an unknown dtype, a shape that is not a list of non-negative integers, offsets that do not match the
 * shape's byte count, run past the data or leave a hole. {@link #read(Path)} turns F32, F16 and BF16 tensors into
 * FLOAT arrays and F64 into DOUBLE; the integer, bool and 8-bit float types are recognised and rejected by name.
 *
 * <pre>{@code
 * Map<String, INDArray> w = Safetensors.read(Path.of("model.safetensors"));
 * Safetensors.Header h = Safetensors.header(Path.of("model.safetensors"));  // dtypes, shapes, metadata
 * Safetensors.write(Path.of("out.safetensors"), model.stateDict());
 * }</pre>
 */
public final class Safetensors {
  /** The largest header this reader accepts, as the reference implementation: 100,000,000 bytes. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;
  private static final String METADATA = "__metadata__";
  private static final TypeAdapter<JsonElement> JSON = new Gson().getAdapter(JsonElement.class);
  private static final int CHUNK = 1 << 28; // bytes mapped at once

  private Safetensors() {}

  /** The element types of the format, with their sizes in bytes; {@link #readable()} says which {@link #read} takes. */
  public enum DType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4), F64(8),
    I64(8), U64(8);

    private final int bytes;

    DType(int bytes) {
      this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
      return bytes;
    }

    /** Whether {@link Safetensors#read} turns this type into an array: F64, F32, F16 and BF16. */
    public boolean readable() {
      return this == F64 || this == F32 || this == F16 || this == BF16;
    }
  }

  /**
   * One tensor of the header.
   *
   * @param name the tensor's key
   * @param dtype its element type
   * @param shape its shape ({@code []} for a scalar)
   * @param begin first byte, counted from the start of the data (after the header)
   * @param end one past the last byte
   */
  public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    /** Number of elements, the product of the shape (1 for a scalar). */
    public long numel() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    @Override
    public String toString() {
      return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
  }

  /**
   * A checked header.
   *
   * @param file the file it was read from
   * @param entries the tensors by key, in the order of their data
   * @param metadata the {@code __metadata__} strings (empty if absent)
   * @param dataStart the file offset of the data: 8 + header length
   */
  public record Header(Path file, Map<String, Entry> entries, Map<String, String> metadata, long dataStart) {
    /**
     * The entry of {@code key}.
     *
     * @throws IllegalArgumentException naming the file and the key if the file has no such tensor
     */
    public Entry entry(String key) {
      Entry e = entries.get(key);
      if (e == null) {
        throw new IllegalArgumentException(file + ": no tensor '" + key + "' (the file has " + entries.size()
            + " tensors)");
      }
      return e;
    }
  }

  /**
   * Reads and checks the header of {@code file} (nothing of the data but its length).
   *
   * @throws IllegalArgumentException naming the file (and the tensor) when the header breaks the format
   * @throws UncheckedIOException naming the file if it cannot be read
   */
  public static Header header(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw bad(file, "is " + size + " bytes long, shorter than the 8-byte header length");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0);
      long n = len.flip().getLong();
      if (n < 2 || n > MAX_HEADER_BYTES) {
        throw bad(file, "declares a header of " + Long.toUnsignedString(n) + " bytes (allowed: 2 to "
            + MAX_HEADER_BYTES + ")");
      }
      if (8 + n > size) {
        throw bad(file, "declares a header of " + n + " bytes but has only " + (size - 8) + " bytes after the length");
      }
      ByteBuffer hb = ByteBuffer.allocate((int) n);
      readFully(ch, hb, 8);
      String json = StandardCharsets.UTF_8.newDecoder().decode(hb.flip()).toString();
      return parse(file, json, 8 + n, size - 8 - n);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw bad(file, "has a header that is not valid UTF-8");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
    }
  }

  private static Header parse(Path file, String json, long dataStart, long dataBytes) {
    if (!json.startsWith("{")) {
      throw bad(file, "has a header that does not start with '{'");
    }
    Map<String, JsonElement> top = new LinkedHashMap<>();
    String twice = null;
    try {
      JsonReader r = new JsonReader(new StringReader(json));
      r.setLenient(false);
      r.beginObject();
      while (r.hasNext() && twice == null) {
        String key = r.nextName();
        if (top.put(key, JSON.read(r)) != null) {
          twice = key;
        }
      }
      if (twice == null) {
        r.endObject();
        if (r.peek() != JsonToken.END_DOCUMENT) {
          throw new IOException("data after the object");
        }
      }
    } catch (IOException | JsonParseException | IllegalStateException | NumberFormatException e) {
      throw bad(file, "has a header that is not a JSON object: " + e.getMessage());
    }
    if (twice != null) {
      throw bad(file, "has the key '" + twice + "' twice in its header");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    List<Entry> entries = new ArrayList<>();
    for (var e : top.entrySet()) {
      if (e.getKey().equals(METADATA)) {
        if (!e.getValue().isJsonObject()) {
          throw bad(file, "has a " + METADATA + " that is not an object of strings");
        }
        for (var m : e.getValue().getAsJsonObject().entrySet()) {
          if (!(m.getValue() instanceof JsonPrimitive p) || !p.isString()) {
            throw bad(file, "has " + METADATA + " entry '" + m.getKey() + "' that is not a string");
          }
          metadata.put(m.getKey(), m.getValue().getAsString());
        }
      } else {
        entries.add(entry(file, e.getKey(), e.getValue()));
      }
    }
    // The data must be covered exactly: sorted by offset, each tensor starts where the previous one ended.
    entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long at = 0;
    for (Entry e : entries) {
      if (e.end() > dataBytes) {
        throw bad(file, "tensor '" + e.name() + "': data_offsets [" + e.begin() + ", " + e.end()
            + "] run past the " + dataBytes + " bytes of data");
      }
      if (e.begin() != at) {
        throw bad(file, "tensor '" + e.name() + "': data_offsets [" + e.begin() + ", " + e.end() + "] "
            + (e.begin() > at ? "leave a hole after byte " + at : "overlap the previous tensor, which ends at " + at));
      }
      at = e.end();
    }
    if (at != dataBytes) {
      throw bad(file, "has " + dataBytes + " bytes of data but its tensors cover only " + at);
    }
    Map<String, Entry> byName = new LinkedHashMap<>();
    entries.forEach(e -> byName.put(e.name(), e));
    return new Header(file, Collections.unmodifiableMap(byName), Collections.unmodifiableMap(metadata), dataStart);
  }

  private static Entry entry(Path file, String name, JsonElement v) {
    String where = "tensor '" + name + "'";
    if (!v.isJsonObject()) {
      throw bad(file, where + " is not an object with dtype, shape and data_offsets");
    }
    JsonObject o = v.getAsJsonObject();
    for (String k : o.keySet()) {
      if (!List.of("dtype", "shape", "data_offsets").contains(k)) {
        throw bad(file, where + " has an unknown field '" + k + "'");
      }
    }
    if (!(o.get("dtype") instanceof JsonPrimitive dp) || !dp.isString()) {
      throw bad(file, where + " has no dtype string");
    }
    DType dtype;
    try {
      dtype = DType.valueOf(dp.getAsString());
    } catch (IllegalArgumentException e) {
      throw bad(file, where + " has an unknown dtype '" + dp.getAsString() + "' (the format's: "
          + Arrays.toString(DType.values()) + ")");
    }
    long[] shape = longs(file, where, "shape", o.get("shape"), -1);
    long[] off = longs(file, where, "data_offsets", o.get("data_offsets"), 2);
    if (off[1] < off[0]) {
      throw bad(file, where + ": data_offsets [" + off[0] + ", " + off[1] + "] end before they begin");
    }
    long need;
    try {
      long numel = 1;
      for (long d : shape) {
        numel = Math.multiplyExact(numel, d);
      }
      need = Math.multiplyExact(numel, dtype.bytes());
    } catch (ArithmeticException e) {
      throw bad(file, where + ": shape " + Arrays.toString(shape) + " has too many elements");
    }
    if (need != off[1] - off[0]) {
      throw bad(file, where + ": data_offsets [" + off[0] + ", " + off[1] + "] hold " + (off[1] - off[0])
          + " bytes but " + dtype + " " + Arrays.toString(shape) + " needs " + need);
    }
    return new Entry(name, dtype, shape, off[0], off[1]);
  }

  private static long[] longs(Path file, String where, String field, JsonElement v, int length) {
    if (v == null || !v.isJsonArray()) {
      throw bad(file, where + " has no " + field + " list");
    }
    JsonArray a = v.getAsJsonArray();
    if (length >= 0 && a.size() != length) {
      throw bad(file, where + ": " + field + " must have " + length + " numbers, got " + a);
    }
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      JsonElement x = a.get(i);
      try {
        if (!(x instanceof JsonPrimitive p) || !p.isNumber()) {
          throw new NumberFormatException();
        }
        out[i] = new java.math.BigDecimal(p.getAsString()).longValueExact();
      } catch (NumberFormatException | ArithmeticException e) {
        out[i] = -1;
      }
      if (out[i] < 0) {
        throw bad(file, where + ": " + field + " must hold non-negative integers, got " + a);
      }
    }
    return out;
  }

  /**
   * Every tensor of {@code file}, by key in the order of their data: F32, F16 and BF16 as FLOAT arrays, F64 as
   * DOUBLE. The header is checked first ({@link #header(Path)}).
   *
   * @throws IllegalArgumentException naming the file and the tensor if the header is wrong or a tensor has a
   *     type other than F64, F32, F16 or BF16
   */
  public static Map<String, INDArray> read(Path file) {
    Header h = header(file);
    return read(h, h.entries().keySet());
  }

  /**
   * The tensors {@code keys} of a checked header's file (others are not read), in the order of {@code keys}.
   *
   * @throws IllegalArgumentException naming the file and the key for a missing key or an unreadable dtype
   */
  public static Map<String, INDArray> read(Header header, Collection<String> keys) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    List<Entry> wanted = new ArrayList<>();
    for (String k : keys) {
      Entry e = header.entry(k);
      if (!e.dtype().readable()) {
        throw bad(header.file(), "tensor '" + k + "' has dtype " + e.dtype()
            + ", which this reader does not turn into an array (it reads F64, F32, F16 and BF16)");
      }
      if (e.numel() > Integer.MAX_VALUE - 8) {
        throw bad(header.file(), "tensor '" + k + "' has " + e.numel() + " elements, more than a Java array holds");
      }
      wanted.add(e);
    }
    try (FileChannel ch = FileChannel.open(header.file(), StandardOpenOption.READ)) {
      for (Entry e : wanted) {
        out.put(e.name(), array(ch, header.dataStart(), e));
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot read safetensors file " + header.file() + ": " + ex.getMessage(), ex);
    }
    return out;
  }

  private static INDArray array(FileChannel ch, long dataStart, Entry e) throws IOException {
    int n = (int) e.numel();
    boolean dbl = e.dtype() == DType.F64;
    float[] f = dbl ? null : new float[n];
    double[] d = dbl ? new double[n] : null;
    int size = e.dtype().bytes();
    int perChunk = CHUNK / size;
    for (int at = 0; at < n; at += perChunk) {
      int k = Math.min(perChunk, n - at);
      ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin() + (long) at * size, (long) k * size)
          .order(ByteOrder.LITTLE_ENDIAN);
      switch (e.dtype()) {
        case F64 -> b.asDoubleBuffer().get(d, at, k);
        case F32 -> b.asFloatBuffer().get(f, at, k);
        case F16 -> {
          var s = b.asShortBuffer();
          for (int i = 0; i < k; i++) {
            f[at + i] = halfToFloat(s.get(i));
          }
        }
        case BF16 -> {
          var s = b.asShortBuffer();
          for (int i = 0; i < k; i++) {
            f[at + i] = bf16ToFloat(s.get(i));
          }
        }
        default -> throw new IllegalStateException(e.dtype().toString());
      }
    }
    DataType type = dbl ? DataType.DOUBLE : DataType.FLOAT;
    if (n == 0) {
      return Nd4j.create(type, e.shape());
    }
    INDArray flat = dbl ? Nd4j.createFromArray(d) : Nd4j.createFromArray(f);
    return e.shape().length == 0 ? flat.reshape() : flat.reshape(e.shape());
  }

  /** Writes {@code tensors} without metadata; see {@link #write(Path, Map, Map)}. */
  public static void write(Path file, Map<String, INDArray> tensors) {
    write(file, tensors, Map.of());
  }

  /**
   * Writes {@code tensors} in their own type (FLOAT as F32, DOUBLE as F64, HALF as F16, BFLOAT16 as BF16), in the
   * map's order, the header padded with spaces to a multiple of 8 bytes. The file is written under a temporary name
   * and renamed, so a crash never leaves half a file under the real name.
   *
   * @param metadata free strings stored as {@code __metadata__} (may be empty)
   * @throws IllegalArgumentException naming the key for a tensor of another type or the reserved key
   * @throws UncheckedIOException naming the file if it cannot be written
   */
  public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata) {
    JsonObject header = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject m = new JsonObject();
      metadata.forEach(m::addProperty);
      header.add(METADATA, m);
    }
    long at = 0;
    for (var e : tensors.entrySet()) {
      if (e.getKey().equals(METADATA)) {
        throw new IllegalArgumentException("'" + METADATA + "' is reserved for the metadata, not a tensor name");
      }
      DType t = dtypeOf(e.getKey(), e.getValue());
      JsonObject o = new JsonObject();
      o.addProperty("dtype", t.name());
      JsonArray shape = new JsonArray();
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      o.add("shape", shape);
      long bytes = e.getValue().length() * t.bytes();
      JsonArray off = new JsonArray();
      off.add(at);
      off.add(at + bytes);
      o.add("data_offsets", off);
      header.add(e.getKey(), o);
      at += bytes;
    }
    StringBuilder json = new StringBuilder(header.toString());
    while ((json.toString().getBytes(StandardCharsets.UTF_8).length) % 8 != 0) {
      json.append(' ');
    }
    byte[] hb = json.toString().getBytes(StandardCharsets.UTF_8);
    try {
      dlcourse.io.AtomicFiles.write(file, out -> {
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length).array());
        out.write(hb);
        for (var e : tensors.entrySet()) {
          out.write(bytes(dtypeOf(e.getKey(), e.getValue()), e.getValue()));
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write safetensors file " + file + ": " + e.getMessage(), e);
    }
  }

  private static DType dtypeOf(String key, INDArray a) {
    return switch (a.dataType()) {
      case FLOAT -> DType.F32;
      case DOUBLE -> DType.F64;
      case HALF -> DType.F16;
      case BFLOAT16 -> DType.BF16;
      default -> throw new IllegalArgumentException("tensor '" + key + "' has type " + a.dataType()
          + "; safetensors are written from FLOAT, DOUBLE, HALF or BFLOAT16 arrays");
    };
  }

  private static byte[] bytes(DType t, INDArray a) {
    int n = (int) a.length();
    ByteBuffer b = ByteBuffer.allocate(n * t.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    if (n == 0) {
      return b.array();
    }
    if (t == DType.F64) {
      b.asDoubleBuffer().put(a.dup('c').data().asDouble());
      return b.array();
    }
    float[] f = a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    switch (t) {
      case F32 -> b.asFloatBuffer().put(f);
      case F16 -> {
        var s = b.asShortBuffer();
        for (float v : f) {
          s.put(floatToHalf(v));
        }
      }
      default -> {
        var s = b.asShortBuffer();
        for (float v : f) {
          s.put(floatToBf16(v));
        }
      }
    }
    return b.array();
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
    long at = position;
    while (b.hasRemaining()) {
      int k = ch.read(b, at);
      if (k < 0) {
        throw new IOException("unexpected end of file");
      }
      at += k;
    }
  }

  private static IllegalArgumentException bad(Path file, String what) {
    return new IllegalArgumentException("safetensors file " + file + " " + what);
  }

  // ------------------------------------------------------------------ 16-bit floats

  /** IEEE 754 half precision (F16) bits to float, exactly. */
  static float halfToFloat(short h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0) { // zero and subnormals: mant x 2^-24
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    if (exp == 0x1f) { // infinities and NaNs
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** Float to half precision bits, rounded to nearest even (as PyTorch's {@code .half()}); overflow gives infinity. */
  static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) { // infinity stays infinity, NaN stays a (quiet) NaN
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) { // a half subnormal (or zero): the value in units of 2^-24, rounded
      if (e < -10) {
        return (short) sign;
      }
      int full = mant | 0x800000;
      int shift = 14 - e;
      int m = full >>> shift;
      int rem = full & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rem > halfway || (rem == halfway && (m & 1) != 0)) {
        m++; // may carry into the smallest normal number, which is the right encoding
      }
      return (short) (sign | m);
    }
    int h = sign | (e << 10) | (mant >>> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
      h++; // may carry into the exponent, up to infinity, which is the right encoding
    }
    return (short) h;
  }

  /** bfloat16 (BF16) bits to float, exactly: the upper half of a float. */
  static float bf16ToFloat(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }

  /** Float to bfloat16 bits, rounded to nearest even (as PyTorch's {@code .bfloat16()}). */
  static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7fff + lsb) >>> 16);
  }
}
