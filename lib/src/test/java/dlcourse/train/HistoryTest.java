package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.Table;

class HistoryTest {
  /** An insertion-ordered map, so the column order is deterministic. */
  private static Map<String, Double> m(Object... kv) {
    Map<String, Double> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      out.put((String) kv[i], (Double) kv[i + 1]);
    }
    return out;
  }

  private static History sample() {
    var h = new History();
    h.log("step", 1, 1, m("loss", 2.0, "lr", 0.1));
    h.log("step", 1, 2, m("loss", 1.5, "lr", 0.1));
    h.log("train", 1, 2, m("loss", 1.7, "accuracy", 0.4));
    h.log("val", 1, 2, m("loss", 1.2, "accuracy", 0.5));
    h.log("train", 2, 4, m("loss", 1.1, "accuracy", 0.6));
    h.log("val", 2, 4, m("loss", 1.3, "accuracy", 0.55));
    return h;
  }

  @Test
  void tableHasTheDocumentedLongFormatSchema() {
    Table t = sample().table();
    assertEquals(List.of("run", "phase", "epoch", "step", "loss", "lr", "accuracy"), t.columnNames());
    assertEquals(ColumnType.STRING, t.column("run").type());
    assertEquals(ColumnType.INTEGER, t.column("epoch").type());
    assertEquals(ColumnType.DOUBLE, t.column("accuracy").type());
    assertEquals(6, t.rowCount());
    assertTrue(Double.isNaN(t.doubleColumn("accuracy").getDouble(0)), "missing metric is NaN");
    assertTrue(Double.isNaN(t.doubleColumn("lr").getDouble(5)), "missing metric is NaN");
  }

  @Test
  void queriesByPhaseAndMetric() {
    var h = sample();
    assertEquals(1.3, h.last("val", "loss"));
    assertEquals(1.2, h.best("val", "loss", false));
    assertEquals(1, h.bestEpoch("val", "loss", false));
    assertEquals(0.55, h.best("val", "accuracy", true));
    assertEquals(2, h.bestEpoch("val", "accuracy", true));
    assertArrayEquals(new double[] {1.7, 1.1}, h.series("train", "loss"));
    assertArrayEquals(new int[] {1, 2}, h.epochs("train"));
    assertArrayEquals(new int[] {1, 2}, h.steps("step"));
    assertEquals(2, h.epochs());
    assertTrue(Double.isNaN(h.last("step", "accuracy")));
  }

  @Test
  void unknownMetricNamesTheAvailableOnes() {
    var e = assertThrows(IllegalArgumentException.class, () -> sample().last("val", "acc"));
    assertEquals("no metric 'acc' in history; metrics: [loss, lr, accuracy]", e.getMessage());
  }

  @Test
  void reservedMetricNameIsRejected() {
    var e = assertThrows(IllegalArgumentException.class, () -> new History().log("val", 1, 1, m("epoch", 1.0)));
    assertTrue(e.getMessage().contains("reserved"), e.getMessage());
  }

  @Test
  void concatLabelsRunsAndUnionsMetrics() {
    var a = sample().withRun("a");
    var b = new History().run("b").log("val", 1, 3, m("bleu", 0.3));
    var all = History.concat(List.of(a, b));
    assertEquals(7, all.size());
    assertEquals("a", all.table().stringColumn("run").get(0));
    assertEquals("b", all.table().stringColumn("run").get(6));
    assertTrue(Double.isNaN(all.table().doubleColumn("bleu").getDouble(0)));
    assertEquals(0.3, all.table().doubleColumn("bleu").getDouble(6));
    var byRun = all.table().where(all.table().stringColumn("run").isEqualTo("a"));
    assertEquals(6, byRun.rowCount());
  }

  @Test
  void htmlShowsEpochRowsOnly() {
    String html = (String) sample().mimeBundle().get("text/html");
    assertEquals(4, html.split("<tr>", -1).length - 2, html); // header + 4 rows
    assertTrue(html.contains("<td>1.300</td>"), html);
  }

  @Test
  void epochMetricsRoundTripThroughAFlatMapAndAnExperimentsJournal(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    var h = new History().log("step", 1, 1, m("loss", 9.0))
        .log("train", 1, 2, m("loss", 2.0, "accuracy", 0.5))
        .log("val", 1, 2, m("loss", 2.5, "accuracy", 0.4))
        .log("train", 2, 4, m("loss", 1.0, "accuracy", 0.75))
        .log("val", 2, 4, m("loss", 1.5));
    Map<String, Double> flat = h.epochMetrics();
    assertEquals(List.of("train_loss_1", "train_accuracy_1", "val_loss_1", "val_accuracy_1", "train_loss_2",
        "train_accuracy_2", "val_loss_2"), List.copyOf(flat.keySet()));
    var journal = dir.resolve("runs.tsv");
    for (int pass = 0; pass < 2; pass++) { // the second pass reads the journal
      var runs = new Experiments().journal(journal).run(r -> {
        var out = new java.util.LinkedHashMap<>(flat);
        out.put("seconds", 3.0);
        return out;
      });
      History back = History.fromEpochMetrics("r", Experiments.metrics(runs, 0));
      assertEquals(4, back.size());
      assertEquals("r", back.table().stringColumn("run").get(0));
      assertArrayEquals(new double[] {2.5, 1.5}, back.series("val", "loss"));
      assertArrayEquals(new double[] {0.5, 0.75}, back.series("train", "accuracy"));
      assertTrue(Double.isNaN(back.series("val", "accuracy")[1]));
      assertArrayEquals(new int[] {1, 2}, back.epochs("train"));
      assertEquals(List.of("train", "val", "train", "val"), back.table().stringColumn("phase").asList());
    }
  }
}
