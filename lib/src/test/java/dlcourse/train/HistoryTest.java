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
  void renamePhaseCopiesWithTheNewNameAndOfRunSelectsOneRun() {
    History h = new History().run("a").log("train", 1, 5, Map.of("loss", 1.0)).log("val", 1, 5, Map.of("loss", 2.0));
    History b = new History().run("b").log("val", 1, 3, Map.of("loss", 3.0));
    History both = History.concat(List.of(h, b));
    History renamed = both.renamePhase("val", "test");
    assertArrayEquals(new double[] {2.0, 3.0}, renamed.series("test", "loss"), 0.0);
    assertEquals(0, renamed.series("val", "loss").length);
    assertEquals(2, both.series("val", "loss").length, "the original is unchanged");
    assertEquals(List.of("a", "b"), renamed.runs());
    assertArrayEquals(new double[] {3.0}, renamed.ofRun("b").series("test", "loss"), 0.0);
    assertEquals(2, renamed.ofRun("a").size());
    assertThrows(IllegalArgumentException.class, () -> both.renamePhase("val", "step"));
  }
}
