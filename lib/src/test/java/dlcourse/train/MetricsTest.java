package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import tech.tablesaw.api.Table;

class MetricsTest {
  // argmax per row: 1, 0, 2, 2
  private static final INDArray LOGITS = Nd4j.createFromArray(new float[][] {
    {0.1f, 2.0f, 0.3f}, {1.0f, 0.5f, -1.0f}, {0.0f, 0.9f, 1.0f}, {-2f, -1f, 0f}});
  private static final INDArray LABELS = Nd4j.createFromArray(1L, 0L, 1L, 0L);

  @Test
  void accuracyFromLogitsAndFromPredictions() {
    assertEquals(0.5, Metrics.accuracy(LOGITS, LABELS));
    assertEquals(0.75, Metrics.accuracy(Nd4j.createFromArray(1L, 0L, 1L, 2L), LABELS));
    assertEquals(2, Metrics.correct(LOGITS, LABELS));
  }

  @Test
  void accuracyOverSequencesUsesTheLastAxis() {
    INDArray logits = LOGITS.reshape(2, 2, 3);
    INDArray labels = LABELS.reshape(2, 2);
    assertEquals(0.5, Metrics.accuracy(logits, labels));
  }

  @Test
  void topKCountsLabelAmongHighestScores() {
    assertEquals(0.5, Metrics.topK(LOGITS, LABELS, 1));
    // row 2: label 1 is second; row 3: label 0 is third
    assertEquals(0.75, Metrics.topK(LOGITS, LABELS, 2));
    assertEquals(1.0, Metrics.topK(LOGITS, LABELS, 3));
  }

  @Test
  void shapeMismatchNamesBothShapes() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Metrics.accuracy(LOGITS, Nd4j.createFromArray(1L, 0L)));
    assertTrue(e.getMessage().contains("[2]") && e.getMessage().contains("[4, 3]"), e.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class, () -> Metrics.topK(LOGITS, LABELS, 4));
    assertEquals("k must be in [1, 3], got 4", e2.getMessage());
  }

  @Test
  void confusionMatrixCountsTrueAgainstPredicted() {
    var cm = new ConfusionMatrix(3).classNames(List.of("a", "b", "c")).add(LOGITS, LABELS);
    cm.add(Nd4j.createFromArray(2L), Nd4j.createFromArray(2L));
    assertArrayEquals(new long[] {1, 0, 1}, cm.counts()[0]);
    assertArrayEquals(new long[] {0, 1, 1}, cm.counts()[1]);
    assertArrayEquals(new long[] {0, 0, 1}, cm.counts()[2]);
    assertEquals(5, cm.total());
    assertEquals(0.6, cm.accuracy(), 1e-15);
    assertArrayEquals(new double[] {0.5, 0.5, 1.0}, cm.perClassAccuracy(), 1e-15);
    Table t = cm.toTable();
    assertEquals(List.of("true", "a", "b", "c", "accuracy"), t.columnNames());
    assertEquals(1L, t.longColumn("c").get(0));
    assertEquals("b", t.stringColumn("true").get(1));
    assertTrue(((String) cm.mimeBundle().get("text/html")).contains("<b>1</b>"));
    // 1/3 for a class with a third right would print as 0.3333333333333333 without the formatter
    var third = new ConfusionMatrix(2).add(Nd4j.createFromArray(0L, 1, 1), Nd4j.createFromArray(1L, 1, 0));
    String plain = (String) third.mimeBundle().get("text/plain");
    assertTrue(plain.contains("0.500") && !plain.contains("0.5000"), plain);
  }

  @Test
  void confusionMatrixRejectsLabelOutOfRange() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new ConfusionMatrix(2).add(Nd4j.createFromArray(0L), Nd4j.createFromArray(5L)));
    assertEquals("label 5 is outside [0, 2)", e.getMessage());
  }

  @Test
  void misclassifiedListsTheWrongSamplesInOrder() {
    INDArray logits = Nd4j.createFromArray(new float[][] {{2, 1}, {0, 3}, {5, 1}, {1, 4}});
    INDArray labels = Nd4j.createFromArray(0L, 0, 1, 1);
    org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {1, 2}, Metrics.misclassified(logits, labels));
    org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {},
        Metrics.misclassified(Nd4j.createFromArray(0L, 1), Nd4j.createFromArray(0L, 1)));
  }
}
