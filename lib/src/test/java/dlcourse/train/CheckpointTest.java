package dlcourse.train;

import static dlcourse.train.TestParams.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.Parameter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class CheckpointTest {
  @TempDir
  Path dir;

  private static Map<String, Parameter> model() {
    Map<String, Parameter> m = new LinkedHashMap<>();
    m.put("fc.weight", param("weight", Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}})));
    m.put("fc.bias", param("bias", Nd4j.createFromArray(0.5f, -0.5f)));
    return m;
  }

  @Test
  void roundTripsParamsOptimizerStateAndMetadata() {
    var m = model();
    var opt = new Adam(List.copyOf(m.values()), 0.01);
    m.values().forEach(p -> p.grad(dlcourse.tensor.Tensor.of(p.data().mul(0.1))));
    opt.step();
    Path f = dir.resolve("ckpt.zip");
    Checkpoint.save(f, m, opt.state(), Map.of("epoch", 3, "note", "best"));

    var fresh = model();
    fresh.values().forEach(p -> p.data().assign(0));
    var ck = Checkpoint.load(f);
    ck.loadInto(fresh);
    assertArrayEquals(m.get("fc.weight").data().ravel().toFloatVector(),
        fresh.get("fc.weight").data().ravel().toFloatVector(), 0f);
    assertEquals(DataType.FLOAT, ck.params().get("fc.bias").dataType());
    assertEquals(3, ck.extraInt("epoch"));
    assertEquals("best", ck.extra().get("note"));

    var opt2 = new Adam(List.copyOf(fresh.values()), 0.5);
    opt2.loadState(ck.optimizerState());
    assertEquals(0.01, opt2.lr(), 1e-12);
    var s1 = opt.state();
    var s2 = opt2.state();
    assertEquals(s1.keySet(), s2.keySet());
    assertEquals(s1.get("0.exp_avg"), s2.get("0.exp_avg"));
    assertEquals(1.0, s2.get("1.step").getDouble(0));
  }

  @Test
  void leavesNoTempFileBehindAndReplacesAtomically() throws Exception {
    Path f = dir.resolve("c.zip");
    Checkpoint.save(f, model(), Map.of(), Map.of("v", 1));
    Checkpoint.save(f, model(), Map.of(), Map.of("v", 2));
    try (var files = Files.list(dir)) {
      assertEquals(List.of(f), files.toList());
    }
    assertEquals(2, Checkpoint.load(f).extraInt("v"));
  }

  @Test
  void truncatedFileGivesErrorNamingTheFile() throws Exception {
    Path f = dir.resolve("t.zip");
    Checkpoint.save(f, model(), Map.of(), Map.of());
    byte[] all = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(all, all.length / 2));
    var e = assertThrows(UncheckedIOException.class, () -> Checkpoint.load(f));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("corrupt"), e.getMessage());
  }

  @Test
  void missingFileAndWrongShapeAreClear() {
    Path missing = dir.resolve("nope.zip");
    var e = assertThrows(UncheckedIOException.class, () -> Checkpoint.load(missing));
    assertTrue(e.getMessage().contains("nope.zip"), e.getMessage());

    Path f = dir.resolve("s.zip");
    Checkpoint.save(f, Map.of("w", Nd4j.zeros(DataType.FLOAT, 2, 2)), Map.of(), Map.of());
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> Checkpoint.load(f).loadInto(Map.of("w", Nd4j.zeros(DataType.FLOAT, 3))));
    assertTrue(e2.getMessage().contains("[3]") && e2.getMessage().contains("[2, 2]"), e2.getMessage());
    var e3 = assertThrows(IllegalArgumentException.class,
        () -> Checkpoint.load(f).loadInto(Map.of("v", Nd4j.zeros(DataType.FLOAT, 3))));
    assertTrue(e3.getMessage().contains("no parameter 'v'"), e3.getMessage());
  }

  /** Copies checkpoint {@code from} to {@code to}, passing every entry's bytes through {@code edit}. */
  private static void rewrite(Path from, Path to, java.util.function.BiFunction<String, byte[], byte[]> edit)
      throws Exception {
    try (var zin = new java.util.zip.ZipFile(from.toFile());
        var zout = new java.util.zip.ZipOutputStream(Files.newOutputStream(to))) {
      for (var e : java.util.Collections.list(zin.entries())) {
        byte[] bytes;
        try (var in = zin.getInputStream(e)) {
          bytes = in.readAllBytes();
        }
        zout.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
        zout.write(edit.apply(e.getName(), bytes));
        zout.closeEntry();
      }
    }
  }

  /** meta.json of a version-1 checkpoint (no checksums), so that only the .npy parsing stands guard. */
  private static byte[] legacyMeta(String name, byte[] bytes) {
    if (!name.equals("meta.json")) {
      return bytes;
    }
    String json = new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
        .replace("\"version\": 2", "\"version\": 1").replaceAll("(?s)\"sha256\": \\{[^}]*\\},", "");
    return json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void damagedNpyEntriesFailClearlyInsteadOfCrashingOrLoadingWrongNumbers() throws Exception {
    Path good = dir.resolve("good.zip");
    Checkpoint.save(good, model(), Map.of(), Map.of());
    String entry = "params/fc.weight.npy";
    Map<String, java.util.function.UnaryOperator<byte[]>> damages = new LinkedHashMap<>();
    damages.put("a flipped bit in the header's shape", b -> {
      byte[] c = b.clone();
      String header = new String(c, 10, 100, java.nio.charset.StandardCharsets.ISO_8859_1);
      c[10 + header.indexOf("(2, 3)") + 1] ^= 0x08; // '2' becomes ':'
      return c;
    });
    damages.put("a flipped bit in the magic", b -> {
      byte[] c = b.clone();
      c[1] ^= 0x01;
      return c;
    });
    damages.put("data cut short", b -> java.util.Arrays.copyOf(b, b.length - 4));
    damages.put("a larger shape than the data", b -> new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)
        .replace("(2, 3)", "(3, 3)").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    damages.put("the wrong dtype", b -> new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)
        .replace("<f4", "<f8").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    for (var d : damages.entrySet()) {
      Path bad = dir.resolve("bad.zip");
      rewrite(good, bad, (name, bytes) -> legacyMeta(name, name.equals(entry) ? d.getValue().apply(bytes) : bytes));
      var e = assertThrows(UncheckedIOException.class, () -> Checkpoint.load(bad), d.getKey());
      assertTrue(e.getMessage().contains("bad.zip") && e.getMessage().contains(entry), d.getKey() + ": " + e
          .getMessage());
    }
    // the same damage with the checksums in place is caught by them first
    Path bad = dir.resolve("bad2.zip");
    rewrite(good, bad, (name, bytes) -> name.equals(entry) ? damages.get("the wrong dtype").apply(bytes) : bytes);
    var e = assertThrows(UncheckedIOException.class, () -> Checkpoint.load(bad));
    assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
  }

  @Test
  void flippedBitsOnDiskNeverLoadSilently() throws Exception {
    Path good = dir.resolve("good.zip");
    Checkpoint.save(good, model(), Map.of(), Map.of());
    byte[] file = Files.readAllBytes(good);
    int loaded = 0;
    for (int i = 0; i < file.length; i++) {
      byte[] c = file.clone();
      c[i] ^= 0x10;
      Path bad = dir.resolve("flip.zip");
      Files.write(bad, c);
      try {
        Checkpoint ck = Checkpoint.load(bad);
        // a flip in zip bookkeeping the reader does not use may load: then the numbers must be the saved ones
        assertEquals(Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}}), ck.params().get("fc.weight"), "byte "
            + i);
        assertEquals(Nd4j.createFromArray(0.5f, -0.5f), ck.params().get("fc.bias"), "byte " + i);
        loaded++;
      } catch (UncheckedIOException expected) {
        assertTrue(expected.getMessage().contains("flip.zip"), expected.getMessage());
      }
    }
    assertTrue(loaded < file.length / 2, "most flips must be detected, " + loaded + " of " + file.length + " loaded");
  }

  @Test
  void loadingIsAllOrNothing() {
    Path f = dir.resolve("partial.zip");
    Checkpoint.save(f, Map.of("fc.weight", Nd4j.ones(DataType.FLOAT, 2, 3), "fc.bias", Nd4j.ones(DataType.FLOAT, 5)),
        Map.of(), Map.of());
    var m = model();
    assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(f).loadInto(m)); // bias has the wrong shape
    assertEquals(Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}}), m.get("fc.weight").data(),
        "the weight must not be loaded when the bias fails");
  }
}
