package dlcourse.train;

import dlcourse.tensor.Tensor;

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
  @TempDir Path dir;

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
}
