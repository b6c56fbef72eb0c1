package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The vu-dl-a3 notebooks in quick mode, each in a fresh kernel JVM as {@code ./dlcourse run} starts it: no error
 * outputs, the tables present, and their numbers in the bands a quick run must reach.
 */
class VuDlA3IT {
  /** The rows of the table whose name starts with {@code prefix}, without the header. */
  private static List<String[]> table(ExecutedNotebook nb, String prefix) throws Exception {
    List<String[]> rows = nb.rows(prefix);
    return rows.subList(1, rows.size());
  }

  private static double num(String[] row, int col) {
    return Double.parseDouble(row[col]);
  }

  private static double last(String[] row, int fromEnd) {
    return Double.parseDouble(row[row.length - fromEnd]);
  }

  @Test
  void convUnfoldNotebookShowsAgreementGradientChecksAndTraining() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("vu-dl-a3/q1_6_conv_unfold.ipynb");
    String text = nb.text();
    List<String[]> convs = table(nb, "Q1-Q3");
    assertEquals(4, convs.size());
    convs.forEach(r -> assertTrue(last(r, 1) < 1e-10, "convolutions disagree: " + String.join(",", r)));
    List<String[]> grads = table(nb, "Q4-Q6");
    assertEquals(4, grads.size());
    for (String[] r : grads) {
      assertTrue(last(r, 5) < 1e-6 && last(r, 4) < 1e-6, "numerical gradient check: " + String.join(",", r));
      assertTrue(last(r, 3) < 1e-10 && last(r, 2) < 1e-10 && last(r, 1) < 1e-10,
          "library check: " + String.join(",", r));
    }
    List<String[]> train = table(nb, "Q7");
    double eager = last(train.get(0), 1);
    double library = last(train.get(1), 1);
    assertTrue(eager > 0.5 && library > 0.5, "quick training must learn well above chance: " + eager + ", " + library);
    assertTrue(Math.abs(eager - library) < 0.1, "eager and library accuracies far apart: " + eager + ", " + library);
    assertTrue(text.contains("is the adjoint of unfold"), text);
  }

  @Test
  void mnistNotebookTrainsAugmentsAndShowsShapesAndTheChannelError() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("vu-dl-a3/q7_9_mnist.ipynb");
    String text = nb.text();
    assertTrue(text.contains("Total trainable parameters: 29,066, equal to"), text);
    List<String[]> q9 = table(nb, "Q9");
    assertEquals(2, q9.size());
    q9.forEach(r -> assertTrue(last(r, 2) > 0.8 && last(r, 2) <= 1.0, "quick test accuracy: " + String.join(",", r)));
    List<String[]> q10 = table(nb, "Q10");
    assertEquals("(16, 511, 383)", q10.get(0)[1]);
    assertEquals("(1, 16, 511, 383)", q10.get(0)[2]);
    assertEquals("[1, 16, 511, 383]", q10.get(0)[3]);
    assertEquals("(16, 959, 539)", q10.get(1)[1]);
    assertEquals("[1, 16, 959, 539]", q10.get(1)[3]);
    assertTrue(text.contains("8-channel input rejected: ")
        && text.contains("expected input (N, 3, H, W), got (1, 8, 1024, 768)"), text);
  }

  @Test
  void varresNotebookFindsN81AndComparesNetworks() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("vu-dl-a3/q12_17_varres.ipynb");
    String text = nb.text();
    List<String[]> groups = table(nb, "Q14");
    assertEquals(List.of("32x32", "48x48", "64x64"), groups.stream().map(r -> r[0]).toList());
    List<String[]> counts = table(nb, "Q15_parameter");
    String[] n81 = counts.stream().filter(r -> r[0].equals("81")).findFirst().orElseThrow();
    assertEquals(29_029, (long) num(n81, 1));
    assertTrue(text.contains("N = 81 gives 29,029 parameters"), text);
    List<String[]> q17 = table(nb, "Q17");
    assertEquals(3, q17.size());
    q17.forEach(r -> assertTrue(last(r, 2) > 0.15 && last(r, 2) <= 1.0, "above chance (0.1): " + String.join(",", r)));
    assertTrue(text.contains("Q16: validation accuracy"), text);
  }
}
