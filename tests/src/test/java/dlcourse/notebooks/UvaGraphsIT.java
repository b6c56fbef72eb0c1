package dlcourse.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/**
 * The UvA DL1 assignment 2 Part 3 notebook (graph neural networks) in quick mode: the matrices and counts exactly as
 * the question and the derivations give them, the equalities of the layer forms to rounding, and the trained GCN and
 * GAT in bands.
 */
class UvaGraphsIT {
  private static double max(Table t, String column) {
    return t.numberColumn(column).max();
  }

  /** The value at {@code row} of a numeric column, whatever type the CSV reader gave it. */
  private static double at(Table t, String column, int row) {
    return t.numberColumn(column).getDouble(row);
  }

  /** A numeric column as doubles. */
  private static List<Double> values(Table t, String column) {
    return java.util.Arrays.stream(t.numberColumn(column).asDoubleArray()).boxed().toList();
  }

  @Test
  void graphNotebookComputesEveryAnswerOfPartThree() throws Exception {
    ExecutedNotebook nb = ExecutedNotebook.runQuick("uva-dl1-hw2/q3_graphs.ipynb");
    String text = nb.stdout();

    // Q3.1 (a), (b): the adjacency matrices, degrees and powers the homework asks for
    assertTrue(text.contains(
        "A_left  = [[0, 1, 1, 0, 1], [1, 0, 1, 0, 0], [1, 1, 0, 1, 0], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0]]"), text);
    assertTrue(text.contains(
        "A_right = [[0, 1, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 1], "
            + "[0, 1, 0, 1, 0, 1], [0, 0, 0, 1, 1, 0]]"), text);
    assertTrue(text.contains("symmetric: left true, right true"), text);
    assertTrue(text.contains("degrees (row sums): left [3, 2, 3, 1, 1], right [1, 3, 2, 3, 3, 2]"), text);
    assertTrue(text.contains(
        "A^2 = [[3, 1, 1, 1, 0], [1, 2, 1, 1, 1], [1, 1, 3, 0, 1], [1, 1, 0, 1, 0], [0, 1, 1, 0, 1]]"), text);
    assertTrue(text.contains(
        "A^3 = [[2, 4, 5, 1, 3], [4, 2, 4, 1, 1], [5, 4, 2, 3, 1], [1, 1, 3, 0, 1], [3, 1, 1, 1, 0]]"), text);
    assertTrue(text.contains("(A^2)_31 = 1: the walk [[3, 2, 1]], via node 2. (A^3)_12 = 4: the walks [[1, 2, 1, 2], "
        + "[1, 2, 3, 2], [1, 3, 1, 2], [1, 5, 1, 2]], none of them a path."), text);
    Table walks = nb.table("walks_against_A_n");
    assertEquals(List.of(1.0, 2.0, 3.0, 4.0), values(walks, "n"));
    assertEquals(List.of(10.0, 24.0, 54.0, 126.0), values(walks, "walks enumerated"));
    assertEquals(values(walks, "walks enumerated"), values(walks, "sum of A^n"));
    assertEquals(0, max(walks, "entries that differ"));
    assertEquals(List.of(10.0, 14.0, 10.0, 2.0), values(walks, "simple paths among the walks"));

    // Q3.1 (c): the Laplacian, its spectrum, and the per-node change with the report's slip corrected
    assertTrue(text.contains("L = D - A = [[1, -1, 0, 0, 0, 0], [-1, 3, -1, 0, -1, 0], [0, -1, 2, -1, 0, 0], "
        + "[0, 0, -1, 3, -1, -1], [0, -1, 0, -1, 3, -1], [0, 0, 0, -1, -1, 2]]"), text);
    assertTrue(text.contains("L 1 = [0, 0, 0, 0, 0, 0]"), text);
    assertTrue(text.contains("eigenvalues of L = [0.0000, 0.7216, 1.6826, 3.0000, 3.7046, 4.8912]"), text);
    Table lx = nb.table("per-node_change_of_LX");
    assertEquals(List.of(2.0, 12.0, 6.0, 12.0, 12.0, 6.0), values(lx, "E (LX)_v^2 derived"));
    for (int v = 0; v < 6; v++) {
      double derived = at(lx, "E (LX)_v^2 derived", v);
      assertEquals(derived, at(lx, "measured mean (LX)_v^2", v), 0.1 * derived, "node " + (v + 1));
    }
    assertTrue(text.contains("Measured: nodes [2, 4, 5] (degree 3) change most"), text);
    assertTrue(text.contains("is a slip for nodes 2, 4 and 5. Node 1 (degree 1) changes least"), text);

    // Q3.2 (a): no self term, no change of the node's own output; oversmoothing without B
    Table self = nb.table("own_output_change_when_h_v_changes");
    assertEquals(0.0, max(self, "max abs change of h_v' without B"));
    assertTrue(self.numberColumn("max abs change of h_v' with B").min() > 0.1, self.print());
    Table smooth = nb.table("oversmoothing");
    assertEquals(11, smooth.rowCount());
    double start = at(smooth, "spread without B", 0);
    double withoutB = at(smooth, "spread without B", 10);
    double withB = at(smooth, "spread with B", 10);
    assertTrue(withoutB < 0.2 * start, "without B the spread must shrink: " + smooth.print());
    assertTrue(withB > 2 * withoutB, "B h_v must keep the nodes apart: " + smooth.print());
    // Q3.2 (b), Q3.3 (a): message passing, matrix form and edge form equal the loop
    assertTrue(text.contains("message passing vs GCN layer on the right graph: max |difference| = ") && text.contains(
        "(below 1e-6)"), text);
    Table forms = nb.table("matrix_form_against_the_loop");
    assertEquals(4, forms.rowCount());
    for (int i = 0; i < 3; i++) {
      assertTrue(at(forms, "max abs difference from the loop", i) < 1e-12, forms.print());
    }
    assertTrue(at(forms, "max abs difference from the loop", 3) > 0.1, "the report's sigmoid is a different layer: "
        + forms.print());
    assertTrue(text.contains("D^-1 A (right) = [[0, 1, 0, 0, 0, 0], [1/3, 0, 1/3, 0, 1/3, 0], [0, 1/2, 0, 1/2, 0, 0], "
        + "[0, 0, 1/3, 0, 1/3, 1/3], [0, 1/3, 0, 1/3, 0, 1/3], [0, 0, 0, 1/2, 1/2, 0]]"), text);
    // Q3.3 (b): the median counterexample and the data-dependent selection
    assertTrue(text.contains(
        "median(1,0,0) + median(0,1,0) = 0 + 0 = 0, but median((1,0,0) + (0,1,0)) = median(1,1,0) = 1"), text);
    assertTrue(text.contains("M(h_a) h_a equals the median aggregation: true; M(h_a) = M(h_b): false"), text);
    // Q3.4 (a): constant attention is the mean
    assertTrue(text.matches("(?s).*GAT with zero attention vectors vs GCN mean without B: max \\|difference\\| = "
        + "\\d\\.\\de-(1[2-9]|[2-9]\\d); attention vs 1/\\|N\\(v\\)\\|: \\d\\.\\de[-+]\\d\\d.*"), text);

    // Q3.4 (b): training on the stochastic block model; quick: 2 noise fractions and isotropic noise, 2 seeds, 3 models
    Table runs = nb.table("training_runs");
    assertEquals((2 + 1) * 2 * 3, runs.rowCount(), runs.print());
    Table clean = nb.table("clean-node_test_accuracy");
    assertEquals(9, clean.rowCount(), clean.print());
    for (int i = 0; i < 3; i++) { // without noise every model is far above chance (33%) on 60 nodes per class
      assertEquals("signature 0%", clean.stringColumn("setting").get(i));
      assertTrue(at(clean, "mean %", i) > 55, clean.print());
    }
    Table attention = nb.table("relative_attention");
    double noisy = at(attention, "from noisy senders", 0);
    double cleanSenders = at(attention, "from clean senders", 0);
    assertTrue(noisy < 1 && noisy < cleanSenders, "the first GAT layer must down-weight noisy senders: " + attention
        .print());
    Table moved = nb.table("output_change_from_one_added_noisy_neighbour");
    double gatMove = at(moved, "mean relative change of logits", 2);
    double meanMove = at(moved, "mean relative change of logits", 1);
    assertTrue(gatMove < meanMove, "a noisy neighbour moves the GAT less than the uniform mean: " + moved.print());
    assertTrue(text.contains("The GAT beats the question's GCN") || text.contains(
        "With signature noise the GAT is best")
        || text.contains("Learned attention did not beat"), "a computed verdict: " + text);

    // Q3.4 (c), (d): attention is a GNN on the complete / causal graph; edges against node pairs
    Table transformer = nb.table("attention_as_a_GNN");
    assertEquals(List.of(36.0, 21.0, 36.0), values(transformer, "edges"));
    assertTrue(at(transformer, "max abs difference", 0) < 1e-12, transformer.print());
    assertTrue(at(transformer, "max abs difference", 1) < 1e-12, transformer.print());
    assertTrue(at(transformer, "max abs difference", 2) > 0.01, transformer.print());
    assertTrue(text.contains("causal graph adjacency = [[1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0], "
        + "[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]"), text);
    assertTrue(text.contains("right graph: 14 directed edges (20 with self-loops) against N^2 = 36 node pairs"), text);
    Table cost = nb.table("GAT_cost");
    assertEquals(List.of(250.0, 500.0, 1000.0), values(cost, "nodes N"));
    assertTrue(max(cost, "max abs difference") < 1e-5, cost.print());
    for (int i = 0; i < 3; i++) {
      double n = at(cost, "nodes N", i);
      assertEquals(9.0 * n, at(cost, "edges E", i), 0.1 * 9 * n, "average degree 8 plus a self-loop");
    }
    assertTrue(text.matches("(?s).*log-log slopes against N: edges (0\\.9\\d|1\\.0\\d), node pairs 2\\.00.*"), text);
    assertEquals(4, nb.images(), "SBM adjacency, oversmoothing curve, accuracy bars, cost curve");
  }
}
