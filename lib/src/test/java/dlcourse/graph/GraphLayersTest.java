package dlcourse.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GraphLayersTest {
  private static final Graph G = GraphTest.RIGHT;

  private static Tensor randn(long seed, long... shape) {
    return GraphFTest.randn(seed, shape);
  }

  private static double diff(Tensor a, Tensor b) {
    return GradCheck.maxAbsDiff(a.array(), b.array());
  }

  /** A node permutation and its matrix P ({@code P[perm[i]][i] = 1}). */
  private static final int[] PERM = {3, 0, 5, 1, 4, 2};

  private static Tensor permuteRows(Tensor x, int[] perm) {
    INDArray p = Nd4j.zeros(x.dtype(), perm.length, perm.length);
    for (int i = 0; i < perm.length; i++) {
      p.putScalar(perm[i], i, 1);
    }
    return Tensor.of(p).matmul(x);
  }

  @Test
  void gcnIndexMatrixAndEdgeFormsAgree() {
    Init.manualSeed(0);
    GCNLayer layer = new GCNLayer(3, 4);
    layer.to(DataType.DOUBLE);
    Tensor x = randn(1, 6, 3);
    Tensor edge = layer.forward(x, G);
    assertTrue(diff(edge, layer.forwardMatrix(x, G)) < 1e-12);
    assertTrue(diff(edge, layer.forwardLoop(x, G)) < 1e-12);
    // and by hand for node 2 (1-based): relu(W mean(h1, h3, h5) + B h2)
    INDArray mean = x.array().getRow(0).add(x.array().getRow(2)).add(x.array().getRow(4)).div(3);
    INDArray expected = org.nd4j.linalg.ops.transforms.Transforms.relu(
        layer.weight().array().mmul(mean).add(layer.rootWeight().array().mmul(x.array().getRow(1))));
    assertTrue(expected.sub(edge.array().getRow(1)).amaxNumber().doubleValue() < 1e-12);
  }

  @Test
  void gcnFormsPassGradientChecks() {
    Tensor x = randn(2, 6, 3);
    Tensor w = randn(3, 4, 3);
    Tensor b = randn(4, 4, 3);
    assertTrue(GradCheck.check(t -> GraphF.graphConv(t[0], G, t[1], t[2], Aggregation.MEAN, true), x, w, b) < 1e-7);
    assertTrue(GradCheck.check(t -> GraphF.gcnMatrix(t[0], G, t[1], t[2], true), x, w, b) < 1e-7);
    assertTrue(GradCheck.check(t -> GraphF.gcnLoop(t[0], G, t[1], t[2], true), x, w, b) < 1e-7);
  }

  @ParameterizedTest
  @EnumSource(Aggregation.class)
  void graphConvPassesTheGradientCheckForEveryAggregation(Aggregation aggregation) {
    Tensor x = randn(5, 6, 3);
    Tensor w = randn(6, 2, 3);
    Tensor b = randn(7, 2, 3);
    assertTrue(GradCheck.check(t -> GraphF.graphConv(t[0], G, t[1], t[2], aggregation, false), x, w, b) < 1e-7);
  }

  @Test
  void selfTermAblationIgnoresTheNodesOwnFeatures() {
    Init.manualSeed(1);
    GCNLayer without = new GCNLayer(3, 4).selfTerm(false);
    assertNull(without.rootWeight());
    assertEquals(1, without.parameters().size());
    without.to(DataType.DOUBLE);
    Tensor x = randn(8, 6, 3);
    Tensor changed = Tensor.of(x.array().dup());
    changed.array().getRow(3).addi(5); // node 4 changes; it is not its own neighbour
    assertEquals(0, diff(without.forward(x, G).narrow(0, 3, 1), without.forward(changed, G).narrow(0, 3, 1)));
    GCNLayer with = new GCNLayer(3, 4).relu(false);
    with.to(DataType.DOUBLE);
    assertTrue(diff(with.forward(x, G).narrow(0, 3, 1), with.forward(changed, G).narrow(0, 3, 1)) > 0.1);
  }

  /** The question's message-passing form: message h_u / |N(v)|, sum, update relu(W m + B h). */
  static final class QuestionLayer extends MessagePassing {
    final Linear w;
    final Linear b;

    QuestionLayer(long in, long out) {
      super(Aggregation.SUM);
      w = addModule("w", new Linear(in, out).bias(false));
      b = addModule("b", new Linear(in, out).bias(false));
    }

    @Override
    protected Tensor message(Tensor hTarget, Tensor hSource, Graph graph) {
      return hSource.div(graph.targetDegrees(hSource.dtype()).unsqueeze(1));
    }

    @Override
    protected Tensor update(Tensor aggregated, Tensor x) {
      return w.forward(aggregated).add(b.forward(x)).relu();
    }
  }

  @Test
  void aMessagePassingSubclassReproducesTheGcnLayer() {
    Init.manualSeed(2);
    GCNLayer gcn = new GCNLayer(3, 5);
    QuestionLayer mp = new QuestionLayer(3, 5);
    gcn.to(DataType.DOUBLE);
    mp.to(DataType.DOUBLE);
    mp.w.weight().array().assign(gcn.weight().array());
    mp.b.weight().array().assign(gcn.rootWeight().array());
    Tensor x = randn(9, 6, 3);
    assertTrue(diff(gcn.forward(x, G), mp.forward(x, G)) < 1e-12);
    // the default hooks aggregate the raw neighbours
    MessagePassing plain = new MessagePassing(Aggregation.MAX) {};
    assertTrue(diff(GraphF.aggregate(x, G, Aggregation.MAX), plain.forward(x, G)) < 1e-12);
    assertEquals("aggregation=MAX", plain.toString().replaceAll(".*\\((.*)\\).*", "$1"));
  }

  @Test
  void gatWithConstantScoresIsTheGcnMeanWithoutSelfTerm() {
    Init.manualSeed(3);
    GATLayer gat = new GATLayer(3, 4);
    gat.to(DataType.DOUBLE);
    gat.attSrc().array().assign(0);
    gat.attDst().array().assign(0);
    GCNLayer gcn = new GCNLayer(3, 4).selfTerm(false);
    gcn.to(DataType.DOUBLE);
    gcn.weight().array().assign(gat.weight().array());
    Tensor x = randn(10, 6, 3);
    GraphF.GatOutput out = gat.forwardWithAttention(x, G);
    assertTrue(diff(out.output(), gcn.forward(x, G)) < 1e-12);
    // every edge into v weighs 1 / |N(v)|
    INDArray expected = Nd4j.ones(DataType.DOUBLE, G.numEdges(), 1).div(G.targetDegrees(DataType.DOUBLE).array()
        .reshape(-1, 1));
    assertTrue(GradCheck.maxAbsDiff(expected, out.attention().array()) < 1e-12);
  }

  @Test
  void gatMatchesADenseMaskedSoftmax() {
    Init.manualSeed(4);
    GATLayer gat = new GATLayer(3, 2, 2).relu(false);
    gat.to(DataType.DOUBLE);
    Graph g = G.withSelfLoops();
    Tensor x = randn(11, 6, 3);
    INDArray out = gat.forward(x, g).array();
    INDArray w = gat.weight().array();
    INDArray adj = g.adjacency(DataType.DOUBLE).array();
    for (int h = 0; h < 2; h++) {
      INDArray z = x.array().mmul(w.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2 * h, 2 * h + 2),
          org.nd4j.linalg.indexing.NDArrayIndex.all()).transpose()); // (N, 2)
      INDArray s = z.mmul(gat.attSrc().array().getRow(h).reshape(2, 1)); // (N, 1)
      INDArray d = z.mmul(gat.attDst().array().getRow(h).reshape(2, 1));
      for (int v = 0; v < 6; v++) {
        double[] e = new double[6];
        double total = 0;
        for (int u = 0; u < 6; u++) {
          if (adj.getDouble(v, u) > 0) {
            double raw = s.getDouble(u) + d.getDouble(v);
            e[u] = Math.exp(raw > 0 ? raw : 0.2 * raw);
            total += e[u];
          }
        }
        for (int k = 0; k < 2; k++) {
          double expected = 0;
          for (int u = 0; u < 6; u++) {
            expected += e[u] / total * z.getDouble(u, k);
          }
          assertEquals(expected, out.getDouble(v, 2 * h + k), 1e-12, "head " + h + " node " + v);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void gatPassesTheGradientCheck(boolean concat) {
    Graph g = G.withSelfLoops();
    Tensor x = randn(12, 6, 3);
    Tensor w = randn(13, 6, 3); // 2 heads of 3
    Tensor as = randn(14, 2, 3);
    Tensor ad = randn(15, 2, 3);
    double err = GradCheck.check(t -> GraphF.gat(t[0], g, t[1], t[2], t[3], concat, 0.2, true).output(), x, w, as, ad);
    assertTrue(err < 1e-7, "error " + err);
    GATLayer layer = new GATLayer(3, 3, 2).concat(concat);
    assertArrayEquals(new long[] {6, concat ? 6 : 3}, layer.forward(Tensor.randn(1, 6, 3), g).shape());
  }

  @Test
  void attentionDropoutActsOnlyInTraining() {
    Init.manualSeed(7);
    GATLayer gat = new GATLayer(3, 2, 2).dropout(0.5);
    gat.to(DataType.DOUBLE);
    Graph g = G.withSelfLoops();
    Tensor x = randn(17, 6, 3);
    gat.eval();
    Tensor eval = gat.forward(x, g);
    GATLayer plain = new GATLayer(3, 2, 2);
    plain.to(DataType.DOUBLE);
    plain.loadStateDict(gat.stateDict());
    assertEquals(0, diff(eval, plain.forward(x, g)), "no dropout in eval mode");
    gat.train();
    var out = gat.forwardWithAttention(x, g);
    assertTrue(diff(out.output(), eval) > 1e-3, "dropout changes the training output");
    assertEquals(0, diff(out.attention(), plain.forwardWithAttention(x, g).attention()), "the weights before dropout");
    assertEquals("GATLayer(3, 2, heads=2, dropout=0.5)", gat.toString());
  }

  @Test
  void everyLayerIsPermutationEquivariant() {
    Init.manualSeed(5);
    Tensor x = randn(16, 6, 3);
    Graph g = G.withSelfLoops();
    Graph pg = g.permute(PERM);
    Tensor px = permuteRows(x, PERM);
    GraphModule[] layers = {new GCNLayer(3, 4), new GraphConv(3, 4, Aggregation.SUM), new GraphConv(3, 4,
        Aggregation.MAX),
      new GATLayer(3, 2, 3)};
    for (GraphModule layer : layers) {
      layer.to(DataType.DOUBLE);
      Tensor y = layer.forward(x, g);
      assertTrue(diff(permuteRows(y, PERM), layer.forward(px, pg)) < 1e-12, layer.toString());
    }
    GCNLayer gcn = (GCNLayer) layers[0];
    assertTrue(diff(permuteRows(gcn.forwardMatrix(x, g), PERM), gcn.forwardMatrix(px, pg)) < 1e-12);
  }

  @Test
  void layersTrainEndToEnd() {
    Init.manualSeed(6);
    GATLayer gat = new GATLayer(3, 2, 2);
    Tensor loss = gat.forward(Tensor.randn(1, 6, 3), G.withSelfLoops()).pow(2).sum();
    loss.backward();
    for (var p : gat.parameters()) {
      assertNotNull(p.grad(), p.name());
    }
  }

  @Test
  void settingsAndErrorsReadLikeTheOtherLayers() {
    assertEquals("GCNLayer(16, 2, relu=false)", new GCNLayer(16, 2).relu(false).toString());
    assertEquals("GraphConv(4, 8, aggregation=MAX, selfTerm=false)",
        new GraphConv(4, 8, Aggregation.MAX).selfTerm(false).toString());
    assertEquals("GATLayer(16, 8, heads=4)", new GATLayer(16, 8, 4).toString());
    var e = assertThrows(UnsupportedOperationException.class, () -> new GCNLayer(2, 2).forward(Tensor.zeros(6, 2)));
    assertEquals("GCNLayer needs a graph: call forward(x, graph) instead of forward(x)", e.getMessage());
    var s = assertThrows(IllegalArgumentException.class, () -> new GCNLayer(2, 2).forward(Tensor.zeros(5, 2), G));
    assertEquals("aggregate: expected node features (6, *) for a graph of 6 nodes, got (5, 2)", s.getMessage());
  }
}
