package dlcourse.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dlcourse.nn.Init;
import dlcourse.tensor.Tensor;
import dlcourse.train.Safetensors;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Published ViT weights: the checkpoints of {@code src/test/resources/vit-timm} are a tiny ViT written by
 * {@code make_checkpoint.py} in timm's layout (timm's VisionTransformer in plain torch, safetensors bytes written by
 * hand) as F32, F16 and BF16, with the logits PyTorch computes from them in float64.
 */
class ViTWeightsTest {
  /** The fixture's sizes: img 8, patch 4, 3 channels, C 12, 2 blocks of 3 heads, MLP 24, 5 classes. */
  static final ViT.Config TINY = new ViT.Config(12, 4, 2, 3, 24, 3, 8, 5, true, 1e-6);

  @TempDir
  Path tmp;

  static Path fixture(String name) throws Exception {
    URL url = ViTWeightsTest.class.getResource("/vit-timm/" + name);
    assertTrue(url != null, "missing fixture " + name + ": run make_checkpoint.py");
    return Path.of(url.toURI());
  }

  static JsonObject expected() throws Exception {
    return JsonParser.parseString(Files.readString(fixture("tiny.json"))).getAsJsonObject();
  }

  static INDArray array(JsonObject o, DataType type) {
    JsonArray s = o.getAsJsonArray("shape");
    JsonArray v = o.getAsJsonArray("values");
    long[] shape = new long[s.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = s.get(i).getAsLong();
    }
    double[] d = new double[v.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = v.get(i).getAsDouble();
    }
    return Nd4j.createFromArray(d).reshape(shape).castTo(type);
  }

  static ViT model(ViT.Config cfg) {
    Init.manualSeed(11);
    return new ViT(cfg);
  }

  static INDArray logits(ViT m, INDArray x) {
    m.eval();
    try (var g = Tensor.noGrad()) {
      return m.call(Tensor.of(x)).array();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"F32", "F16", "BF16"})
  void forwardMatchesTorchOnTheTimmCheckpointInFloatAndDouble(String dtype) throws Exception {
    JsonObject exp = expected();
    var m = model(TINY);
    ViTWeights.Report r = ViTWeights.load(m, fixture("tiny_" + dtype.toLowerCase() + ".safetensors"));
    assertEquals(4 + 12 * 2 + 4, r.loaded().size());
    assertEquals(m.numParameters(), r.scalars());
    assertTrue(r.dtypes().values().stream().allMatch(dtype::equals), r.dtypes().toString());
    assertTrue(r.notes().isEmpty(), r.notes().toString());
    INDArray want = array(exp.getAsJsonObject("logits").getAsJsonObject(dtype), DataType.DOUBLE);
    INDArray x = array(exp.getAsJsonObject("input"), DataType.FLOAT);
    INDArray got = logits(m, x).castTo(DataType.DOUBLE);
    assertArrayEquals(want.shape(), got.shape());
    double err = got.sub(want).amaxNumber().doubleValue();
    assertTrue(err < 1e-5, dtype + " float32 forward differs from torch by " + err);
    // In double the only differences left are rounding: the mapping and every op are exact.
    m.to(DataType.DOUBLE);
    double errD = logits(m, array(exp.getAsJsonObject("input"), DataType.DOUBLE)).sub(want).amaxNumber().doubleValue();
    assertTrue(errD < 1e-10, dtype + " float64 forward differs from torch by " + errD);
  }

  @Test
  void keysAreTimmsStateDictKeysInOrder() throws Exception {
    List<String> timm = expected().getAsJsonArray("keys").asList().stream().map(e -> e.getAsString()).toList();
    assertEquals(timm, List.copyOf(ViTWeights.keyMap(TINY).keySet()));
    assertEquals(model(TINY).namedParameters().keySet(), new java.util.HashSet<>(ViTWeights.keyMap(TINY).values()));
  }

  @Test
  void saveThenLoadGivesTheSameModelAndTheTimmLayout() throws Exception {
    var a = model(TINY);
    Path f = tmp.resolve("ours.safetensors");
    ViTWeights.save(a, f);
    Safetensors.Header h = Safetensors.header(f);
    assertArrayEquals(new long[] {1, 5, 12}, h.entry("pos_embed").shape());
    assertEquals(List.copyOf(ViTWeights.keyMap(TINY).keySet()), List.copyOf(h.entries().keySet()));
    Init.manualSeed(99);
    var b = new ViT(TINY);
    INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 8, 8);
    assertTrue(logits(a, x).sub(logits(b, x)).amaxNumber().doubleValue() > 1e-3, "different seeds, same model?");
    ViTWeights.load(b, f);
    assertEquals(logits(a, x), logits(b, x));
  }

  /** A copy of the F32 fixture's tensors with one change, written to a temp file. */
  Path modified(java.util.function.Consumer<Map<String, INDArray>> change) throws Exception {
    Map<String, INDArray> w = new LinkedHashMap<>(Safetensors.read(fixture("tiny_f32.safetensors")));
    change.accept(w);
    Path f = tmp.resolve("modified.safetensors");
    Safetensors.write(f, w);
    return f;
  }

  @Test
  void missingAndUnexpectedKeysAreAllNamedAndNothingIsLoaded() throws Exception {
    Path f = modified(w -> {
      w.remove("norm.weight");
      w.remove("blocks.1.attn.qkv.bias");
      w.put("fc_norm.weight", Nd4j.ones(DataType.FLOAT, 12));
    });
    var m = model(TINY);
    var before = m.stateDict();
    var e = assertThrows(IllegalArgumentException.class, () -> ViTWeights.load(m, f));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("nothing was loaded"), e.getMessage());
    assertTrue(e.getMessage().contains("missing keys (the model needs them, the file lacks them): "
        + "[blocks.1.attn.qkv.bias, norm.weight]"), e.getMessage());
    assertTrue(e.getMessage().contains("unexpected keys (in the file, no place in the model): [fc_norm.weight]"),
        e.getMessage());
    m.stateDict().forEach((k, v) -> assertEquals(before.get(k), v, k + " changed"));
  }

  @Test
  void aHeadOfAnotherSizeFailsAndLoadBackboneKeepsTheModelsHead() throws Exception {
    var m = model(TINY.withClasses(10));
    var before = m.stateDict();
    Path f = fixture("tiny_f32.safetensors");
    var e = assertThrows(IllegalArgumentException.class, () -> ViTWeights.load(m, f));
    assertTrue(e.getMessage().contains("shape mismatches: [head.weight: file [5, 12], model [10, 12], head.bias: "
        + "file [5], model [10]]") && e.getMessage().contains("loadBackbone"), e.getMessage());
    m.stateDict().forEach((k, v) -> assertEquals(before.get(k), v, k + " changed"));

    ViTWeights.Report r = ViTWeights.loadBackbone(m, f);
    assertEquals(List.of("head.weight", "head.bias"), r.skipped());
    assertEquals(before.get("head.weight"), m.stateDict().get("head.weight"));
    INDArray norm = Safetensors.read(f).get("norm.weight");
    assertEquals(norm, m.stateDict().get("norm.weight"));
    assertEquals(r.loaded().size(), r.table(m).rowCount());
  }

  @Test
  void aModelWithFixedPositionsOrAnotherEpsIsExplained() throws Exception {
    var fixed = model(TINY.withLearnedPositions(false));
    var e = assertThrows(IllegalArgumentException.class,
        () -> ViTWeights.load(fixed, fixture("tiny_f32.safetensors")));
    assertTrue(e.getMessage().contains("learned positions"), e.getMessage());
    ViTWeights.Report r = ViTWeights.load(model(TINY.withNormEps(1e-5)), fixture("tiny_f32.safetensors"));
    assertTrue(r.notes().get(0).contains("eps is 1.0E-5"), r.notes().toString());
  }

  @Test
  void aBrokenFileIsReportedBeforeTheModelChanges() throws Exception {
    byte[] good = Files.readAllBytes(fixture("tiny_f32.safetensors"));
    Path f = tmp.resolve("cut.safetensors");
    Files.write(f, java.util.Arrays.copyOf(good, good.length - 4));
    var m = model(TINY);
    var before = m.stateDict();
    var e = assertThrows(IllegalArgumentException.class, () -> ViTWeights.load(m, f));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("run past"), e.getMessage());
    m.stateDict().forEach((k, v) -> assertEquals(before.get(k), v, k + " changed"));
  }

  static long count(ViT.Config cfg) {
    return model(cfg).numParameters();
  }

  @Test
  void publishedSizesHaveThePublishedParameterCounts() {
    assertEquals(22_050_664, count(ViT.Config.vitSmall16(1000)));
    assertEquals(21_669_514, count(ViT.Config.vitSmall16(10)));
    assertEquals(86_567_656, count(ViT.Config.vitBase16(1000)));
    assertEquals(85_806_346, count(ViT.Config.vitBase16(10)));
  }
}
