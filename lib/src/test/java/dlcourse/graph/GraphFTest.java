package dlcourse.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GraphFTest {
  private static final Graph G = GraphTest.RIGHT;

  /** Distinct standard normal doubles (so that max has no ties), requiring a gradient. */
  static Tensor randn(long seed, long... shape) {
    return Tensor.randn(seed, shape).to(DataType.DOUBLE).detach().requiresGrad(true);
  }

  @Test
  void gatherAndScatterSumAreAdjoint() {
    int[] index = {2, 0, 2, 1, 2};
    Tensor x = randn(1, 3, 4);
    Tensor rows = GraphF.gather(x, index);
    assertArrayEquals(new long[] {5, 4}, rows.shape());
    assertEquals(x.array().getRow(2), rows.array().getRow(4));
    Tensor y = randn(2, 5, 4);
    Tensor back = GraphF.scatterSum(y, index, 3);
    // <gather(x), y> = <x, scatterSum(y)>
    double lhs = rows.array().mul(y.array()).sumNumber().doubleValue();
    double rhs = x.array().mul(back.array()).sumNumber().doubleValue();
    assertEquals(lhs, rhs, 1e-12);
  }

  @Test
  void scatterLeavesRowsWithoutEdgesAtZero() {
    Tensor src = Tensor.of(Nd4j.createFromArray(new double[][] {{1, -2}, {3, -4}}));
    int[] index = {0, 0};
    assertArrayEquals(new double[] {4, -6, 0, 0}, GraphF.scatterSum(src, index, 2).array().reshape(4).toDoubleVector());
    assertArrayEquals(new double[] {2, -3, 0, 0}, GraphF.scatterMean(src, index, 2).array().reshape(4)
        .toDoubleVector());
    assertArrayEquals(new double[] {3, -2, 0, 0}, GraphF.scatterMax(src, index, 2).array().reshape(4).toDoubleVector());
  }

  @Test
  void gatherAndScattersPassGradientChecks() {
    int[] index = {2, 0, 2, 1, 2, 0};
    assertTrue(GradCheck.check(t -> GraphF.gather(t[0], index), randn(3, 3, 2, 2)) < 1e-7);
    for (Aggregation a : Aggregation.values()) {
      double err = GradCheck.check(t -> GraphF.scatter(t[0], index, 4, a), randn(4, 6, 3));
      assertTrue(err < 1e-7, a + ": " + err);
    }
  }

  @Test
  void segmentSoftmaxSumsToOneOverEachNodesEdgesAndPassesTheGradientCheck() {
    int[] dst = G.targets();
    Tensor scores = randn(5, G.numEdges(), 3).detach().mul(10).detach().requiresGrad(true); // large: stability
    Tensor alpha = GraphF.segmentSoftmax(scores, dst, G.numNodes());
    INDArray sums = GraphF.scatterSum(alpha, dst, G.numNodes()).array();
    assertTrue(sums.sub(1).amaxNumber().doubleValue() < 1e-12, sums.toString());
    assertTrue(GradCheck.check(t -> GraphF.segmentSoftmax(t[0], dst, G.numNodes()), scores) < 1e-7);
  }

  @ParameterizedTest
  @EnumSource(Aggregation.class)
  void aggregateMatchesADenseReference(Aggregation aggregation) {
    Tensor x = randn(6, 6, 3);
    INDArray out = GraphF.aggregate(x, G, aggregation).array();
    for (int v = 0; v < 6; v++) {
      int[] nv = G.neighbours(v);
      for (int k = 0; k < 3; k++) {
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int u : nv) {
          sum += x.array().getDouble(u, k);
          max = Math.max(max, x.array().getDouble(u, k));
        }
        double expected = switch (aggregation) {
          case SUM -> sum;
          case MEAN -> sum / nv.length;
          case MAX -> max;
        };
        assertEquals(expected, out.getDouble(v, k), 1e-12, aggregation + " node " + v);
      }
    }
  }

  @Test
  void floatAndDoubleGiveTheSameValues() {
    Tensor x = Tensor.randn(7, 6, 5);
    INDArray f = GraphF.aggregate(x, G, Aggregation.MEAN).array();
    INDArray d = GraphF.aggregate(x.to(DataType.DOUBLE), G, Aggregation.MEAN).array();
    assertEquals(DataType.FLOAT, f.dataType());
    assertTrue(GradCheck.maxAbsDiff(f, d) < 1e-6);
  }

  @Test
  void graphAttentionOnTheCompleteGraphIsSelfAttentionAndOnTheCausalGraphCausalAttention() {
    int n = 7;
    Tensor q = randn(8, n, 4);
    Tensor k = randn(9, n, 4);
    Tensor v = randn(10, n, 3);
    Tensor full = dlcourse.nn.F.scaledDotProductAttention(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), null, false,
        0, false).squeeze(0);
    Tensor causal = dlcourse.nn.F.scaledDotProductAttention(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), null, true,
        0, false).squeeze(0);
    assertTrue(GradCheck.maxAbsDiff(full.array(), GraphF.graphAttention(q, k, v, Graph.complete(n, true))
        .array()) < 1e-12);
    assertTrue(GradCheck.maxAbsDiff(causal.array(), GraphF.graphAttention(q, k, v, Graph.causal(n)).array()) < 1e-12);
    // a sparse graph equals dense attention with its adjacency as the mask
    Graph g = Graph.random(n, 0.4, 1).withSelfLoops();
    Tensor mask = Tensor.of(g.adjacency().array().gt(0)); // BOOL, true = may attend
    Tensor masked = dlcourse.nn.F.scaledDotProductAttention(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), mask, false,
        0, false).squeeze(0);
    assertTrue(GradCheck.maxAbsDiff(masked.array(), GraphF.graphAttention(q, k, v, g).array()) < 1e-12);
    assertTrue(GradCheck.check(t -> GraphF.graphAttention(t[0], t[1], t[2], g), q, k, v) < 1e-7);
  }

  @Test
  void leakyReluMatchesItsDefinitionAndGradient() {
    Tensor x = Tensor.of(Nd4j.createFromArray(-2.0, -0.5, 0.5, 3.0)).requiresGrad(true);
    Tensor y = dlcourse.nn.F.leakyRelu(x, 0.2);
    assertArrayEquals(new double[] {-0.4, -0.1, 0.5, 3.0}, y.array().toDoubleVector(), 1e-12);
    y.sum().backward();
    assertArrayEquals(new double[] {0.2, 0.2, 1, 1}, x.grad().array().toDoubleVector(), 1e-12);
    assertTrue(GradCheck.check(t -> dlcourse.nn.F.leakyRelu(t[0], 0.01), randn(11, 3, 5)) < 1e-7);
  }

  @Test
  void wrongShapesAndIndicesAreRejected() {
    var e = assertThrows(IllegalArgumentException.class, () -> GraphF.aggregate(Tensor.zeros(5, 2), G,
        Aggregation.SUM));
    assertEquals("aggregate: expected node features (6, *) for a graph of 6 nodes, got (5, 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> GraphF.gather(Tensor.zeros(3, 2), new int[] {0, 3}));
    assertEquals("gather: index 3 at position 1 is outside [0, 3)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> GraphF.scatterSum(Tensor.zeros(3, 2), new int[] {0, 1}, 2));
    assertEquals("scatterSum: expected one row per index (2, *), got (3, 2)", e.getMessage());
  }
}
