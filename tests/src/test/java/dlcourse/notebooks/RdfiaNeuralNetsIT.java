package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.data.DataRegistry;
import dlcourse.data.MatFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import libsvm.svm;
import libsvm.svm_model;
import libsvm.svm_node;
import libsvm.svm_parameter;
import libsvm.svm_problem;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The rdfia-basics chapter 1 notebooks (neural networks) in quick mode: the theory answers, the equations and their
 * gradient checks, the four implementations of the MLP agreeing step by step, accuracy bands, and the SVM table
 * (checked against LIBSVM run here).
 */
class RdfiaNeuralNetsIT {
  private static double num(String[] row, int col) {
    return Double.parseDouble(row[col]);
  }

  /** The number printed after {@code prefix} in {@code text} (a plain or scientific decimal). */
  private static double numberAfter(String text, String prefix) {
    Matcher m = Pattern.compile(Pattern.quote(prefix) + "\\s*(-?[0-9.]+(?:e[-+]?[0-9]+)?)").matcher(text);
    assertTrue(m.find(), "no number after '" + prefix + "' in:\n" + text);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void theoryNotebookAnswersEachQuestionWithAMeasurement() throws Exception {
    var nb = ExecutedNotebook.runQuick("rdfia-basics/ch1_theory.ipynb");
    String text = nb.stdout();
    assertEquals(4, nb.images(), "Q3 two boundaries, Q10 and Q11 curves");
    // Q1: one row per hidden size, validation picks one of them
    List<String[]> q1 = nb.rows("Q1");
    assertEquals(4, q1.size());
    assertTrue(text.contains("Validation picks n_h = "), text);
    // Q2: the same number of steps for each N
    List<String[]> q2 = nb.rows("Q2");
    assertEquals(List.of("10", "50", "200"), q2.subList(1, 4).stream().map(r -> r[0]).toList());
    assertEquals(List.of("600", "120", "30"), q2.subList(1, 4).stream().map(r -> r[1]).toList());
    // Q3: two linear layers are one linear map; tanh beats it
    assertTrue(numberAfter(text, "one (2, 2) matrix and a bias, to") < 1e-5, text);
    double linear = numberAfter(text, "without activation");
    double tanh = numberAfter(text, "with tanh");
    assertTrue(linear < 70 && tanh > linear + 10, "linear " + linear + "%, tanh " + tanh + "%");
    // Q5/Q6: probabilities
    List<String[]> q5 = nb.rows("Q5");
    assertEquals(6, q5.size());
    for (String[] r : q5.subList(1, 6)) {
      assertEquals(1.0, num(r, 2) + num(r, 3), 1e-6, String.join(",", r));
    }
    assertTrue(text.contains("arg-max of y^ = arg-max of y~ for 200 of 200"), text);
    assertTrue(numberAfter(text, "softmax(y~ + 1000) - softmax(y~) =") < 1e-9, text);
    // Q8: d CE / d y^_c = -1/y^_c on the true class, d SE / d y^ = 2 (y^ - y)
    List<String[]> q8 = nb.rows("Q8");
    assertEquals(3, q8.size());
    for (String[] r : q8.subList(1, 3)) {
      double y = num(r, 1);
      double p = num(r, 2);
      assertEquals(y == 1 ? -1 / p : 0, num(r, 3), 1e-9, String.join(",", r));
      assertEquals(2 * (p - y), num(r, 4), 1e-6, String.join(",", r));
    }
    // Q9: two classes, p on the true class: CE = -log p, SE = 2 (1 - p)^2, gradients on the score 1 - p and 4 p (1 - p)^2
    List<String[]> q9 = nb.rows("Q9");
    assertEquals(7, q9.size());
    for (String[] r : q9.subList(1, 7)) {
      double p = num(r, 0);
      assertEquals(-Math.log(p), num(r, 1), 1e-9, String.join(",", r));
      assertEquals(2 * (1 - p) * (1 - p), num(r, 2), 1e-9, String.join(",", r));
      assertEquals(1 - p, num(r, 3), 1e-9, String.join(",", r));
      assertEquals(4 * p * (1 - p) * (1 - p), num(r, 4), 1e-9, String.join(",", r));
    }
    // Q10: updates per epoch 1, 20 and 200; more updates per epoch, lower training loss
    List<String[]> q10 = nb.rows("Q10");
    assertEquals(List.of("30", "600", "6000"), q10.subList(1, 4).stream().map(r -> r[2]).toList());
    assertTrue(num(q10.get(3), 3) < num(q10.get(1), 3), "online must beat full batch per epoch");
    // Q11: lr 10 overshoots, 0.001 crawls
    List<String[]> q11 = nb.rows("Q11");
    assertEquals(4, q11.size());
    assertTrue(num(q11.get(2), 1) < num(q11.get(1), 1) && num(q11.get(2), 1) < num(q11.get(3), 1),
        "lr 0.1 must end below lr 0.001 and lr 10");
    // Q13: a step activation has zero gradient everywhere
    assertTrue(text.contains("with sign: 0.0e+00 (8 of 8 derivatives exactly zero)"), text);
  }

  @Test
  void backpropNotebookChecksEveryEquationAndTimesFiniteDifferences() throws Exception {
    var nb = ExecutedNotebook.runQuick("rdfia-basics/ch1_backprop.ipynb");
    String text = nb.stdout();
    assertTrue(text.contains(
        "n_x = 2 (features of circles.mat), n_h = 4 (our choice), n_y = 2 (classes); 22 parameters"),
        text);
    List<String[]> q7 = nb.rows("Q7");
    assertEquals(List.of("[5, 2]", "[5, 4]", "[5, 4]", "[5, 2]", "[5, 2]"),
        q7.subList(1, 6).stream().map(r -> r[2]).toList());
    assertTrue(numberAfter(text, "y^ by the four lines above vs ManualMlp.forward:") < 1e-12, text);
    assertTrue(numberAfter(text, "vs softmax(Sequential(Linear, Tanh, Linear)):") < 1e-12, text);
    // Q14: three forms of the loss agree
    assertTrue(numberAfter(text, "Largest difference between the three forms:") < 1e-12, text);
    assertTrue(text.contains("the simplification holds"), text);
    // Q15-Q17: every gradient against central differences
    List<String[]> g = nb.rows("Q15-Q17");
    assertEquals(7, g.size());
    assertEquals(List.of("[5, 2]", "[2, 4]", "[2]", "[5, 4]", "[4, 2]", "[4]"),
        g.subList(1, 7).stream().map(r -> r[3]).toList());
    for (String[] r : g.subList(1, 7)) {
      assertTrue(num(r, 5) < 1e-6, "relative error: " + String.join(",", r));
    }
    assertTrue(numberAfter(text, "Formulas vs ManualMlp.backward x B:") < 1e-12, text);
    assertTrue(numberAfter(text, "vs the library's autograd:") < 1e-12, text);
    assertTrue(numberAfter(text, "GradCheck.check of the library's backward pass:") < 1e-6, text);
    // Q12: parameter counts of 2 -> 16^depth -> 2, 2P forward passes, the ratio grows with P
    List<String[]> q12 = nb.rows("Q12");
    assertEquals(List.of("82", "354", "898"), q12.subList(1, 4).stream().map(r -> r[1]).toList());
    for (String[] r : q12.subList(1, 4)) {
      assertEquals(2 * num(r, 1), num(r, 2), 0, String.join(",", r));
      assertTrue(num(r, 6) < 1e-6, "finite differences and backprop differ: " + String.join(",", r));
    }
    assertTrue(num(q12.get(3), 5) > num(q12.get(1), 5), "time ratio must grow with P");
    assertTrue(text.contains("the ratio grows with P"), text);
    assertEquals(1, nb.images(), "the log-log chart");
  }

  @Test
  void mlpNotebookAgreesFourWaysOnCirclesAndMnist() throws Exception {
    var nb = ExecutedNotebook.runQuick("rdfia-basics/ch1_mlp.ipynb");
    for (String data : List.of("circles", "MNIST")) {
      List<String[]> t = nb.rows("four_ways_on_" + data);
      assertEquals(List.of("1 by hand", "2 autograd", "3 layers", "4 optimizer"),
          t.subList(1, 5).stream().map(r -> r[0]).toList());
      for (String[] r : t.subList(1, 5)) {
        assertEquals(data.equals("circles") ? 2000 : 200, (int) num(r, 1), String.join(",", r)); // steps
        assertTrue(num(r, 3) < 1e-5, data + ": loss differs from by hand: " + String.join(",", r));
        assertTrue(num(r, 4) < 1e-5, data + ": weights differ from by hand: " + String.join(",", r));
        assertEquals(num(t.get(1), 6), num(r, 6), 0, data + ": same weights, same test accuracy");
      }
      double test = num(t.get(1), 6);
      assertTrue(test > 0.7, data + " quick test accuracy " + test);
    }
    assertEquals(2, nb.stdout().split("the four implementations compute the same numbers").length - 1, nb.stdout());
    assertEquals(6, nb.images(), "two boundaries, two loss charts, filters, predictions");
  }

  @Test
  void svmNotebookShowsRbfBeatingLinearAndMatchesLibsvm() throws Exception {
    var nb = ExecutedNotebook.runQuick("rdfia-basics/ch1_svm.ipynb");
    assertTrue(nb.stdout().contains("%maven tw.edu.ntu.csie:libsvm:3.35: added 1 jar(s) to the class path"), nb
        .stdout());
    List<String[]> cv = nb.rows("SVM_cross-validation");
    assertEquals(1 + 3 + 3 * 2, cv.size());
    List<String[]> t = nb.rows("SVM_against_MLP");
    assertEquals(4, t.size());
    assertEquals("linear SVM", t.get(1)[0]);
    assertEquals("rbf SVM", t.get(2)[0]);
    double linear = num(t.get(1), 6);
    double rbf = num(t.get(2), 6);
    assertTrue(linear < 0.75 && rbf > 0.88 && rbf > linear + 0.2, "linear " + linear + ", rbf " + rbf);
    assertTrue(num(t.get(3), 6) > 0.7, "the MLP row: " + String.join(",", t.get(3)));
    // the same SVMs trained here with LIBSVM, on circles.mat read directly
    Map<String, INDArray> m = MatFile.read(registry().file("circles", "circles.mat"));
    assertEquals(linear, libsvmTestAccuracy(m, svm_parameter.LINEAR, num(t.get(1), 1), 0), 1e-12);
    assertEquals(rbf, libsvmTestAccuracy(m, svm_parameter.RBF, num(t.get(2), 1), num(t.get(2), 2)), 1e-12);
    assertEquals(2, nb.images(), "two decision boundaries");
  }

  private static DataRegistry registry() {
    var r = new DataRegistry();
    String data = QuickRun.dataEnv().get("DLCOURSE_DATA");
    return data == null ? r : r.dataRoot(Path.of(data));
  }

  private static svm_node[] nodes(INDArray x, int row) {
    svm_node[] v = new svm_node[(int) x.size(1)];
    for (int j = 0; j < v.length; j++) {
      v[j] = new svm_node();
      v[j].index = j + 1;
      v[j].value = x.getFloat(row, j); // the notebook reads the features as float32
    }
    return v;
  }

  private static double libsvmTestAccuracy(Map<String, INDArray> m, int kernel, double c, double gamma) {
    INDArray x = m.get("Xtrain");
    var prob = new svm_problem();
    prob.l = (int) x.size(0);
    prob.y = new double[prob.l];
    prob.x = new svm_node[prob.l][];
    for (int i = 0; i < prob.l; i++) {
      prob.y[i] = m.get("Ytrain").getRow(i).argMax().getDouble(0);
      prob.x[i] = nodes(x, i);
    }
    var p = new svm_parameter();
    p.svm_type = svm_parameter.C_SVC;
    p.kernel_type = kernel;
    p.C = c;
    p.gamma = gamma;
    p.cache_size = 100;
    p.eps = 1e-3;
    p.shrinking = 1;
    p.weight_label = new int[0];
    p.weight = new double[0];
    svm.svm_set_print_string_function(s -> {});
    svm_model model = svm.svm_train(prob, p);
    INDArray xt = m.get("Xtest");
    int ok = 0;
    for (int i = 0; i < xt.size(0); i++) {
      ok += svm.svm_predict(model, nodes(xt, i)) == m.get("Ytest").getRow(i).argMax().getDouble(0) ? 1 : 0;
    }
    return ok / (double) xt.size(0);
  }
}
