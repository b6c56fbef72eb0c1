package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafetensorsTest {
  @TempDir
  Path tmp;

  /** A file made of a header text and data bytes, as the format lays them out. */
  Path file(String header, byte[] data) throws Exception {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    var out = new ByteArrayOutputStream();
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
    out.write(h);
    out.write(data);
    Path f = tmp.resolve("t.safetensors");
    Files.write(f, out.toByteArray());
    return f;
  }

  static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  @Test
  void readsAHandWrittenFileWithMetadataAndPadding() throws Exception {
    Path f = file(
        "{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]}}    ", floats(1, 2, 3, 4, 5));
    Safetensors.Header h = Safetensors.header(f);
    assertEquals(Map.of("format", "pt"), h.metadata());
    assertEquals(List.of("a", "b"), List.copyOf(h.entries().keySet())); // in data order
    Map<String, INDArray> t = Safetensors.read(f);
    assertEquals(Nd4j.createFromArray(1f, 2f).reshape(2, 1), t.get("a"));
    assertEquals(Nd4j.createFromArray(3f, 4f, 5f), t.get("b"));
  }

  @Test
  void writeThenReadKeepsValuesTypesAndOrder() throws Exception {
    Map<String, INDArray> w = new LinkedHashMap<>();
    w.put("z.weight", Nd4j.randn(DataType.FLOAT, 3, 4));
    w.put("a", Nd4j.randn(DataType.DOUBLE, 2));
    w.put("scalar", Nd4j.scalar(2.5f));
    w.put("empty", Nd4j.create(DataType.FLOAT, 0, 3));
    w.put("half", Nd4j.createFromArray(1f, -2.5f, 65504f).castTo(DataType.HALF));
    w.put("bf", Nd4j.createFromArray(1f, -2.5f, 3e38f).castTo(DataType.BFLOAT16));
    Path f = tmp.resolve("w.safetensors");
    Safetensors.write(f, w, Map.of("who", "test"));
    assertEquals(0, (Safetensors.header(f).dataStart() - 8) % 8, "header padded to 8 bytes");
    Safetensors.Header h = Safetensors.header(f);
    assertEquals(List.of("z.weight", "a", "scalar", "empty", "half", "bf"), List.copyOf(h.entries().keySet()));
    assertEquals(Safetensors.DType.F16, h.entry("half").dtype());
    assertEquals(Safetensors.DType.BF16, h.entry("bf").dtype());
    assertEquals(Map.of("who", "test"), h.metadata());
    Map<String, INDArray> r = Safetensors.read(f);
    assertEquals(w.get("z.weight"), r.get("z.weight"));
    assertEquals(w.get("a"), r.get("a"));
    assertEquals(0, r.get("scalar").rank());
    assertEquals(2.5f, r.get("scalar").getFloat(0));
    assertArrayEquals(new long[] {0, 3}, r.get("empty").shape());
    assertArrayEquals(new float[] {1f, -2.5f, 65504f}, r.get("half").toFloatVector());
    assertEquals(DataType.FLOAT, r.get("bf").dataType());
    assertEquals(w.get("bf").castTo(DataType.FLOAT), r.get("bf"));
  }

  @Test
  void halfConversionIsExactForEveryHalfAndRoundsToNearestEven() {
    for (int bits = 0; bits < 0x10000; bits++) {
      short h = (short) bits;
      float f = Safetensors.halfToFloat(h);
      if (Float.isNaN(f)) {
        assertTrue(((bits >> 10) & 0x1f) == 0x1f && (bits & 0x3ff) != 0);
        assertTrue(Float.isNaN(Safetensors.halfToFloat(Safetensors.floatToHalf(f))));
      } else {
        assertEquals(h, Safetensors.floatToHalf(f), "half bits " + Integer.toHexString(bits));
      }
    }
    assertEquals(1f, Safetensors.halfToFloat(Safetensors.floatToHalf(1f + 0x1p-11f))); // tie to even: down
    assertEquals(1f + 0x1p-9f, Safetensors.halfToFloat(Safetensors.floatToHalf(1f + 3 * 0x1p-11f))); // tie: up
    assertEquals(Float.POSITIVE_INFINITY, Safetensors.halfToFloat(Safetensors.floatToHalf(65520f)));
    assertEquals(65504f, Safetensors.halfToFloat(Safetensors.floatToHalf(65519f)));
    assertEquals(0x1p-24f, Safetensors.halfToFloat(Safetensors.floatToHalf(0x1.8p-25f))); // subnormal, rounded up
    assertEquals(0f, Safetensors.halfToFloat(Safetensors.floatToHalf(0x1p-25f))); // tie to even: zero
    // ND4J's own conversion agrees on a spread of values
    INDArray v = Nd4j.randn(DataType.FLOAT, 1000).muli(1000);
    float[] viaNd4j = v.castTo(DataType.HALF).castTo(DataType.FLOAT).toFloatVector();
    float[] src = v.toFloatVector();
    for (int i = 0; i < src.length; i++) {
      assertEquals(viaNd4j[i], Safetensors.halfToFloat(Safetensors.floatToHalf(src[i])), "value " + src[i]);
    }
  }

  @Test
  void bfloat16RoundsToNearestEven() {
    assertEquals(1f, Safetensors.bf16ToFloat(Safetensors.floatToBf16(1f + 0x1p-8f))); // tie: down to even
    assertEquals(1f + 0x1p-6f, Safetensors.bf16ToFloat(Safetensors.floatToBf16(1f + 3 * 0x1p-8f))); // tie: up
    assertEquals(1f + 0x1p-7f, Safetensors.bf16ToFloat(Safetensors.floatToBf16(1f + 0x1p-7f + 0x1p-20f)));
    assertTrue(Float.isNaN(Safetensors.bf16ToFloat(Safetensors.floatToBf16(Float.NaN))));
    assertEquals(Float.NEGATIVE_INFINITY, Safetensors.bf16ToFloat(Safetensors.floatToBf16(Float.NEGATIVE_INFINITY)));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
    "not JSON | {\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]} | not a JSON object",
    "key twice | {\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} | the key 'a' twice",
    "unknown dtype | {\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}} | tensor 'a' has an unknown dtype 'F33'",
    "negative shape | {\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}} | tensor 'a': shape must hold non-negative integers",
    "fractional shape | {\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}} | tensor 'a': shape must hold non-negative integers",
    "no offsets | {\"a\":{\"dtype\":\"F32\",\"shape\":[1]}} | tensor 'a' has no data_offsets list",
    "three offsets | {\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}} | tensor 'a': data_offsets must have 2 numbers",
    "end before begin | {\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}} | tensor 'a': data_offsets [4, 0] end before they begin",
    "size mismatch | {\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}} | tensor 'a': data_offsets [0, 4] hold 4 bytes but F32 [2] needs 8",
    "past the data | {\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}} | tensor 'a': data_offsets [4, 12] run past the 8 bytes of data",
    "hole | {\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]}} | tensor 'a': data_offsets [4, 8] leave a hole after byte 0",
    "overlap | {\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}} | tensor 'b': data_offsets [4, 8] overlap the previous tensor",
    "uncovered tail | {\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} | has 8 bytes of data but its tensors cover only 4",
    "bad metadata | {\"__metadata__\":{\"n\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} | __metadata__ entry 'n' that is not a string",
    "extra field | {\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}} | tensor 'a' has an unknown field 'x'",
    "array header | [1,2] | does not start with '{'",
  })
  void aBrokenHeaderIsRejectedNamingTheFileAndTheTensor(String what, String header, String message) throws Exception {
    String h = what.equals("not JSON") ? header.substring(0, header.length() - 1) : header;
    Path f = file(h, floats(1, 2));
    var e = assertThrows(IllegalArgumentException.class, () -> Safetensors.header(f));
    assertTrue(e.getMessage().startsWith("safetensors file " + f + " "), e.getMessage());
    assertTrue(e.getMessage().contains(message), what + ": " + e.getMessage());
  }

  @Test
  void headerLengthsThatCannotBeAreRejected() throws Exception {
    Path short7 = tmp.resolve("short.safetensors");
    Files.write(short7, new byte[7]);
    var e = assertThrows(IllegalArgumentException.class, () -> Safetensors.header(short7));
    assertTrue(e.getMessage().contains(short7 + " is 7 bytes long"), e.getMessage());

    Path longer = tmp.resolve("longer.safetensors");
    Files.write(longer, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putInt(0).array());
    e = assertThrows(IllegalArgumentException.class, () -> Safetensors.header(longer));
    assertTrue(e.getMessage().contains("declares a header of 1000 bytes but has only 4"), e.getMessage());

    Path huge = tmp.resolve("huge.safetensors");
    Files.write(huge, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
    e = assertThrows(IllegalArgumentException.class, () -> Safetensors.header(huge));
    assertTrue(e.getMessage().contains("declares a header of 18446744073709551615 bytes"), e.getMessage());
  }

  @Test
  void aTypeThatIsNotAFloatIsRecognisedButNotRead() throws Exception {
    Path f = file("{\"step\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", floats(0, 0));
    assertEquals(Safetensors.DType.I64, Safetensors.header(f).entry("step").dtype());
    var e = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(f));
    assertTrue(e.getMessage().contains(f + " tensor 'step' has dtype I64")
        && e.getMessage().contains("F64, F32, F16 and BF16"), e.getMessage());
    var missing = assertThrows(IllegalArgumentException.class,
        () -> Safetensors.read(Safetensors.header(f), List.of("nope")));
    assertTrue(missing.getMessage().contains(f + ": no tensor 'nope'"), missing.getMessage());
  }

  @Test
  void writingAnIntegerArrayOrTheReservedNameFails() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Safetensors.write(tmp.resolve("x.safetensors"), Map.of("ids", Nd4j.createFromArray(1L, 2L))));
    assertTrue(e.getMessage().contains("tensor 'ids' has type LONG"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Safetensors.write(tmp.resolve("y.safetensors"),
        Map.of("__metadata__", Nd4j.ones(DataType.FLOAT, 1))));
  }
}
