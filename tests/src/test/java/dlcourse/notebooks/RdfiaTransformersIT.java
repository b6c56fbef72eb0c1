package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.kernel.ItSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/**
 * The rdfia-basics chapter-3 notebooks (transformers) in quick mode, each in a fresh JVM as {@code ./dlcourse run}
 * starts it: exact counts, the hand-written computations equal to the library's layers, the sweep tables' shapes,
 * accuracy bands a quick run must reach, and the images.
 */
class RdfiaTransformersIT {
  /** Every "largest difference X" the notebook prints. */
  static List<Double> differences(String text) {
    Matcher m = Pattern.compile("largest difference ([0-9.]+e[-+][0-9]+)").matcher(text);
    List<Double> out = new java.util.ArrayList<>();
    while (m.find()) {
      out.add(Double.parseDouble(m.group(1)));
    }
    return out;
  }

  /** A numeric column as longs, whatever type the CSV reader gave it. */
  static List<Long> longs(Table t, String column) {
    List<Long> out = new java.util.ArrayList<>();
    for (int i = 0; i < t.rowCount(); i++) {
      out.add(Math.round(t.numberColumn(column).getDouble(i)));
    }
    return out;
  }

  @Test
  void attentionBlockAndVitFromTheirPartsThenTheBaseModelLearnsBothDataSets() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("rdfia-basics/ch3_vit.ipynb");
    String text = nb.stdout();
    List<Double> diffs = differences(text);
    assertEquals(4, diffs.size(), text); // attention, multi-head, block, forward from the parts
    Matcher patch = Pattern.compile("differ by at most ([0-9.]+e[-+][0-9]+)").matcher(text);
    assertTrue(patch.find(), text);
    diffs.add(Double.parseDouble(patch.group(1))); // the patch embedding as a linear map
    diffs.forEach(d -> assertTrue(d < 1e-5, "hand-written computation differs from the layer by " + d + ":\n" + text));
    assertTrue(text.contains("depends on 9 of the 49 input pixels") && text.contains("depends on all 49"), text);
    assertTrue(text.contains("for every h in [1, 2, 4, 8]: the count does not depend on h"), text);
    assertTrue(text.contains("Total trainable parameters: 27,434, equal to HOMEWORK's derived 27,434"), text);
    assertTrue(text.contains("PE[5, 2] = 0.323935 (sin(5 / 10000^(2/32)) = 0.323935)"), text);

    Table cost = nb.table("attention_cost");
    assertEquals(List.of(28, 14, 7, 4, 2), cost.intColumn("patch").asList());
    assertEquals(List.of(2, 5, 17, 50, 197), cost.intColumn("tokens").asList());
    assertEquals(List.of(4L, 25L, 289L, 2500L, 38809L), longs(cost, "scores per head"));
    Table heads = nb.table("multi-head");
    assertEquals(4, heads.rowCount());
    assertEquals(List.of(4224L, 4224L, 4224L, 4224L), longs(heads, "parameters"));
    Table summary = nb.table("ViT_summary");
    assertEquals(27_434, longs(summary, "parameters").stream().mapToLong(Long::longValue).sum(),
        "the summary's rows add up to the total");

    Table base = nb.table("base_ViT");
    assertEquals(List.of("mnist", "fashion"), base.stringColumn("data set").asList());
    for (int i = 0; i < 2; i++) {
      double acc = base.doubleColumn("final test acc %").getDouble(i);
      // 3 epochs of 16 steps: well above chance (10%), far from converged
      assertTrue(acc > 20 && acc <= 100, base.stringColumn(0).get(i) + " quick test accuracy " + acc);
      assertTrue(base.doubleColumn("final test loss").getDouble(i) < 2.1, base.print());
    }
    assertEquals(5, nb.images()); // receptive fields, two position tables, loss and accuracy curves
  }

  /** Parameters of every sweep value, as the homework derives them (heads: the base count for every h). */
  static final Map<String, Long> COUNTS = Map.ofEntries(Map.entry("embed16", 7_578L), Map.entry("embed32", 27_434L),
      Map.entry("embed64", 104_010L), Map.entry("embed128", 404_618L), Map.entry("patch2", 25_994L),
      Map.entry("patch4", 26_378L), Map.entry("patch7", 27_434L), Map.entry("patch14", 32_138L),
      Map.entry("patch28", 50_954L), Map.entry("blocks1", 14_730L), Map.entry("blocks2", 27_434L),
      Map.entry("blocks4", 52_842L), Map.entry("blocks8", 103_658L), Map.entry("heads1", 27_434L),
      Map.entry("heads2", 27_434L), Map.entry("heads4", 27_434L), Map.entry("heads8", 27_434L),
      Map.entry("mlp32", 14_954L), Map.entry("mlp64", 19_114L), Map.entry("mlp128", 27_434L),
      Map.entry("mlp256", 44_074L), Map.entry("mlp512", 77_354L));

  @Test
  void sweepsHaveTheDerivedCountsEveryRunAndTheirCurves() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("rdfia-basics/ch3_vit_sweeps.ipynb");
    String text = nb.stdout();
    Table counts = nb.table("tokens_and_parameters");
    assertEquals(22, counts.rowCount());
    for (int i = 0; i < counts.rowCount(); i++) {
      String key = counts.stringColumn("sweep").get(i) + counts.intColumn("value").getInt(i);
      assertEquals(COUNTS.get(key), longs(counts, "parameters").get(i), key);
      int patch = counts.stringColumn("sweep").get(i).equals("patch") ? counts.intColumn("value").getInt(i) : 7;
      assertEquals((28 / patch) * (28 / patch) + 1, counts.intColumn("tokens").getInt(i), key);
    }
    assertEquals(5, counts.where(counts.stringColumn("run").isEqualTo("base")).rowCount()); // one run in all five sweeps
    assertTrue(text.contains("18 of the 18 counts HOMEWORK derives agree"), text);
    assertTrue(text.contains("36 runs (36 trained now)"), text);

    Table summary = nb.table("sweep_summary");
    assertEquals(44, summary.rowCount(), "22 sweep values x 2 data sets");
    assertEquals(13, summary.columnCount());
    for (int i = 0; i < summary.rowCount(); i++) {
      double acc = summary.doubleColumn("final test acc").getDouble(i);
      assertTrue(acc >= 0 && acc <= 100, "accuracy " + acc);
      double loss = summary.doubleColumn("final test loss").getDouble(i);
      assertTrue(loss > 0 && loss < 3, "a quick run's test loss stays near ln 10: " + loss);
    }
    // the same base run in every sweep of a data set
    Table base = summary.where(summary.stringColumn("data set").isEqualTo("mnist")
        .and(summary.numberColumn("parameters").isEqualTo(27_434)).and(summary.numberColumn("tokens").isEqualTo(17))
        .and(summary.stringColumn("sweep").isNotEqualTo("heads")));
    assertEquals(4, base.rowCount());
    assertEquals(1, base.doubleColumn("final test acc").unique().size(), base.print());
    for (String sweep : List.of("embedding", "patch", "blocks", "heads", "MLP")) {
      assertTrue(text.contains("mnist, " + sweep + ":") && text.contains("fashion, " + sweep + ":"), sweep + "\n"
          + text);
    }
    assertTrue(text.contains("Mean final test accuracy"), text);
    assertEquals(20, nb.images()); // 5 sweeps x 2 data sets x (loss, accuracy)
  }

  @Test
  void largeModelsHaveThePublishedCountsAndRunAt224() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("rdfia-basics/ch3_vit_large.ipynb");
    String text = nb.stdout();
    Table sizes = nb.table("ViT-S_16_and_ViT-B_16");
    assertEquals(List.of(22_050_664L, 86_567_656L), longs(sizes, "parameters, 1000 classes"));
    assertEquals(List.of(21_669_514L, 85_806_346L), longs(sizes, "parameters, 10 classes"));
    assertEquals(List.of(4.6, 17.6), sizes.doubleColumn("G multiply-adds per image").asList());
    assertTrue(text.contains("every count equals HOMEWORK's derived one"), text);
    Table parts = nb.table("parameters_by_part");
    assertEquals(75_648L, longs(parts, "ViT-S/16").get(2)); // the learned 197 x 384 position table
    assertEquals(86_567_656L, longs(parts, "ViT-B/16").get(parts.rowCount() - 1));
    assertTrue(text.contains("parameters over all rows: 22,050,664 = 22,050,664"), text);
    Table fwd = nb.table("forward_pass");
    assertEquals(List.of("[2, 3, 224, 224]", "[2, 3, 224, 224]"), fwd.stringColumn("input").asList());
    assertEquals(List.of("[2, 1000]", "[2, 1000]"), fwd.stringColumn("logits").asList());
    assertTrue(text.contains("imageSize (28) must be divisible by patch (16)"), text);
    assertTrue(text.contains("output [1, 384, 1, 1] = 1 patch, 2 tokens with the class token"), text);
    assertTrue(text.contains("At 224x224 the same patch gives 196 patches"), text);
    assertTrue(text.contains("a GPU job"), text);
    assertTrue(text.contains("No weights file was given, so the pretrained part is skipped"), text);
    assertEquals(2, nb.images()); // the 224x224 batch, the one-patch view
  }

  /**
   * The quick run of the large notebook given a ViT-S/16 checkpoint in timm's layout (random weights, written by
   * ViTWeights.save), once per JVM: NbclientIT's runner lane makes it ahead of the test.
   */
  static ExecutedNotebook timmCheckpointRun() throws Exception {
    return ExecutedNotebook.once("rdfia-basics/ch3_vit_large.ipynb with a timm checkpoint", () -> {
      Path tmp = ExecutedNotebook.tempDir("dlcourse-timm");
      Path file = tmp.resolve("vit_small_patch16_224.safetensors");
      // Written by the library the notebooks run on (kernel-ext's class path), not this JVM's copy of it.
      Path script = Files.writeString(tmp.resolve("save.jsh"), "import dlcourse.models.*;\nInit.manualSeed(7);\n"
          + "ViTWeights.save(new ViT(ViT.Config.vitSmall16(1000)), Path.of(\"" + file + "\"));\n/exit\n");
      List<String> cmd = ItSupport.runnerJava();
      cmd.addAll(List.of("-cp", ItSupport.kernelClasspath(), "dlcourse.kernel.Main", "jshell", script.toString()));
      ItSupport.Run saved = ItSupport.run(cmd, Map.of(), QuickRun.root(), 300);
      assertEquals(0, saved.exit, saved.output);
      assertEquals(88_216_576L, Files.size(file), "22,050,664 floats and the header:\n" + saved.output);
      try {
        // not in out/test: NbclientIT compares its own quick run (without a file) with the plain one there
        // 16 probe images of each split instead of quick's 32: the test checks the import and the probe's table, not
        // its accuracy, and each image is a ViT-S/16 forward pass at 224x224 for each of the two backbones
        return ExecutedNotebook.runQuick("rdfia-basics/ch3_vit_large.ipynb", tmp.resolve("out"), "-p", "pretrained="
            + file, "-p", "probeTrain=16", "-p", "probeTest=16");
      } finally {
        Files.deleteIfExists(file); // 88 MB
      }
    });
  }

  /** The import path with a ViT-S/16 checkpoint in timm's layout. */
  @Test
  void largeNotebookImportsAGivenTimmCheckpointAndProbesIt() throws Exception {
    ExecutedNotebook nb = timmCheckpointRun();
    String text = nb.stdout();
    assertTrue(text.contains("vit_small_patch16_224.safetensors: 152 tensors (22,050,664 values) loaded"), text);
    List<String[]> loaded = nb.rows("timm");
    assertEquals(List.of("timm key", "dlcourse parameter", "dtype in file", "shape"), List.of(loaded.get(0)));
    assertEquals(List.of("blocks.0.attn.qkv.weight", "blocks.0.attn.inProjWeight", "F32", "[1152, 384]"),
        List.of(loaded.get(7)));
    Table probe = nb.table("linear_probe");
    assertEquals(2, probe.rowCount());
    assertEquals("16", probe.getString(0, "train images")); // the run's -p probeTrain=16
    probe.doubleColumn("test accuracy %").forEach(a -> assertTrue(a >= 0 && a <= 100, "accuracy " + a));
    assertTrue(text.contains("The probe on the given weights reaches"), text);
  }
}
