package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The ist-dl-hw2 notebooks of Q1-Q2 in quick mode ({@link ExecutedNotebook}: a fresh JVM, no error output): the
 * exact parameter counts and attention checks, equivariance exact away from the borders, the sweep's table and
 * accuracy bands, and the number of images.
 */
class IstDlHw2IT {
  /** The cell of a data row (1-based, after the header) in the named column. */
  private static String cell(List<String[]> rows, int row, String column) {
    return rows.get(row)[ExecutedNotebook.column(rows, column)];
  }

  private static double num(List<String[]> rows, int row, String column) {
    return Double.parseDouble(cell(rows, row, column));
  }

  @Test
  void countsNotebookShowsTheReportsTwoMistakesAndVerifiesTheAttentionAlgebra() throws Exception {
    var nb = ExecutedNotebook.runQuick("ist-dl-hw2/q1_counts_attention.ipynb");
    String text = nb.text();
    List<String[]> q11 = nb.rows("Q1.1_CNN_parameter_counts");
    assertEquals(4, q11.size(), "conv, output layer, total");
    // library, report, report's fan-in, layer's fan-in
    long[][] cnn = {{608, 608, 75, 75}, {9_690, 23_530, 2_352, 968}};
    for (int r = 0; r < 2; r++) {
      assertEquals(cnn[r][0], (long) num(q11, r + 1, "library"));
      assertEquals(cnn[r][1], (long) num(q11, r + 1, "report"));
      assertEquals(cnn[r][2], (long) num(q11, r + 1, "report's fan-in"));
      assertEquals(cnn[r][3], (long) num(q11, r + 1, "layer's fan-in"));
    }
    assertEquals(10_298, (long) num(q11, 3, "library"));
    assertEquals(24_138, (long) num(q11, 3, "report"));
    assertEquals("10 x (968 + 1)", cell(q11, 2, "layer's formula"));
    List<String[]> q12 = nb.rows("Q1.2_MLP_parameter_counts");
    assertEquals(4, q12.size(), "hidden, output layer, total");
    assertEquals(235_300, (long) num(q12, 1, "library"));
    assertEquals(0, (long) num(q12, 1, "report - library"));
    assertEquals(1_010, (long) num(q12, 2, "library"));
    assertEquals(100, (long) num(q12, 2, "layer's fan-in"));
    assertEquals(2_352, (long) num(q12, 2, "report's fan-in"));
    assertEquals(236_310, (long) num(q12, 3, "library"));
    assertEquals(258_830, (long) num(q12, 3, "report"));
    assertTrue(text.contains("The CNN has 10,298 parameters, not 24,138"), text);
    assertTrue(text.contains("The network has 236,310 parameters, not 258,830"), text);
    assertTrue(text.contains("rank(A1) = 3 and rank(A2) = 3 for n = 8 and d = 3; rank(B) = 3"), text);
    List<String[]> checks = nb.rows("Q1.3_checks");
    assertEquals(8, checks.size(), "four claims and three counter-checks");
    for (int r = 1; r <= 4; r++) {
      assertTrue(num(checks, r, "max abs difference") < 1e-12, "claim " + cell(checks, r, "claim"));
      assertEquals("true", cell(checks, r, "same (< 1e-10)"));
    }
    for (int r = 5; r <= 7; r++) {
      assertTrue(num(checks, r, "max abs difference") > 1e-2, "counter-check " + cell(checks, r, "claim"));
      assertEquals("false", cell(checks, r, "same (< 1e-10)"), "the check must be able to fail");
    }
    assertTrue(text.contains("Every row is as expected"), text);
  }

  @Test
  void equivarianceNotebookIsExactAwayFromBordersAndPoolingAddsInvariance() throws Exception {
    var nb = ExecutedNotebook.runQuick("ist-dl-hw2/q2_1_equivariance.ipynb");
    String text = nb.text();
    List<String[]> equi = nb.rows("Q2.1_equivariance");
    assertEquals(6, equi.size(), "five shifts");
    for (int r = 1; r < equi.size(); r++) {
      String shift = cell(equi, r, "shift (dy, dx)");
      assertTrue(num(equi, r, "max error, interior") < 1e-12, "interior error at shift " + shift);
      assertTrue(num(equi, r, "max error, whole map") > 0.1, "the borders must differ at shift " + shift);
    }
    List<String[]> inv = nb.rows("Q2.1_pooling_invariance");
    assertEquals(5, inv.size(), "shifts of 1 to 4 pixels");
    double conv = num(inv, 1, "unchanged, conv only");
    double pool2 = num(inv, 1, "unchanged, max pool 2");
    double pool4 = num(inv, 1, "unchanged, max pool 4");
    double global = num(inv, 1, "unchanged, global max");
    assertTrue(conv < 0.05 && conv < pool2 && pool2 < pool4 && pool4 < global && global > 0.8,
        "1-px shift, fraction unchanged: conv " + conv + ", pool 2 " + pool2 + ", pool 4 " + pool4
            + ", global " + global);
    assertTrue(num(inv, 1, "relative change, global max") < num(inv, 1, "relative change, conv only"));
    assertTrue(text.contains("equivariance holds exactly"), text);
    assertEquals(2, nb.images()); // the difference tiles and the invariance curves
  }

  @Test
  void fashionNotebookSweepsThreeRatesPicksTheBestAndDrawsTheFilters() throws Exception {
    var nb = ExecutedNotebook.runQuick("ist-dl-hw2/q2_2_fashion_cnn.ipynb");
    String text = nb.text();
    assertTrue(text.contains("Total trainable parameters: 769,930, equal to the derived 769,930."), text);
    List<String[]> summary = nb.rows("Q2.2_network_summary");
    assertEquals(15, summary.size(), "14 layers");
    List<String[]> sweep = nb.rows("Q2.2_learning-rate_sweep");
    assertEquals(4, sweep.size(), "three learning rates");
    assertEquals(6, sweep.get(0).length, String.join(",", sweep.get(0)));
    assertEquals(List.of("0.001", "0.01", "0.1"), sweep.subList(1, 4).stream().map(r -> r[0]).toList());
    int best = 1;
    for (int r = 1; r <= 3; r++) {
      double acc = num(sweep, r, "final val accuracy");
      double bestAcc = num(sweep, r, "best val accuracy");
      assertTrue(acc >= 0 && acc <= bestAcc && bestAcc <= 1, "row " + r);
      assertTrue(num(sweep, r, "best epoch") >= 1 && num(sweep, r, "best epoch") <= 2, "quick runs 2 epochs");
      if (acc > num(sweep, best, "final val accuracy")) {
        best = r;
      }
    }
    // Two quick epochs on 3,000 images: the best rate is far above chance (0.1); the smallest has barely moved.
    double bestVal = num(sweep, best, "final val accuracy");
    assertTrue(bestVal > 0.6, "best quick validation accuracy " + bestVal);
    assertTrue(num(sweep, 1, "final train loss") > num(sweep, best, "final train loss"));
    assertTrue(text.contains("The best is lr = " + cell(sweep, best, "lr") + " ("), text);
    Matcher test = Pattern.compile("Test accuracy of that model: ([0-9.]+)%").matcher(text);
    assertTrue(test.find(), text);
    assertTrue(Double.parseDouble(test.group(1)) > 60, "quick test accuracy " + test.group(1));
    assertEquals(5, nb.images()); // three sweep charts, two filter grids
  }
}
