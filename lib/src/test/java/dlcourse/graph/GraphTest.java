package dlcourse.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GraphTest {
  /** The two graphs of UvA DL1 assignment 2, Q3.1, numbered from 1 as in the question. */
  static final Graph LEFT = Graph.undirected(5, new int[][] {{1, 2}, {1, 3}, {1, 5}, {2, 3}, {3, 4}}, 1);
  static final Graph RIGHT =
      Graph.undirected(6, new int[][] {{1, 2}, {2, 3}, {2, 5}, {3, 4}, {4, 5}, {4, 6}, {5, 6}}, 1);

  private static int[][] ints(INDArray a) {
    return a.toIntMatrix();
  }

  @Test
  void adjacencyOfTheQuestionsGraphsIsSymmetricWithTheExpectedDegrees() {
    assertArrayEquals(new int[][] {{0, 1, 1, 0, 1}, {1, 0, 1, 0, 0}, {1, 1, 0, 1, 0}, {0, 0, 1, 0, 0}, {1, 0, 0, 0, 0}},
        ints(LEFT.adjacency().array()));
    assertArrayEquals(new int[][] {{0, 1, 0, 0, 0, 0}, {1, 0, 1, 0, 1, 0}, {0, 1, 0, 1, 0, 0}, {0, 0, 1, 0, 1, 1},
      {0, 1, 0, 1, 0, 1}, {0, 0, 0, 1, 1, 0}}, ints(RIGHT.adjacency().array()));
    assertArrayEquals(new int[] {3, 2, 3, 1, 1}, LEFT.degrees());
    assertArrayEquals(new int[] {1, 3, 2, 3, 3, 2}, RIGHT.degrees());
    assertEquals(10, LEFT.numEdges());
    assertEquals(14, RIGHT.numEdges());
    assertFalse(RIGHT.isDirected());
    assertArrayEquals(new int[] {1, 3, 5}, RIGHT.neighbours(4)); // node 5 of the question: nodes 2, 4, 6
  }

  @Test
  void squaredAdjacencyCountsWalksOfLengthTwo() {
    INDArray a = LEFT.adjacency(DataType.DOUBLE).array();
    assertArrayEquals(new int[][] {{3, 1, 1, 1, 0}, {1, 2, 1, 1, 1}, {1, 1, 3, 0, 1}, {1, 1, 0, 1, 0}, {0, 1, 1, 0, 1}},
        ints(a.mmul(a)));
    assertArrayEquals(new int[][] {{2, 4, 5, 1, 3}, {4, 2, 4, 1, 1}, {5, 4, 2, 3, 1}, {1, 1, 3, 0, 1}, {3, 1, 1, 1, 0}},
        ints(a.mmul(a).mmul(a)));
  }

  @Test
  void laplacianIsDegreeMinusAdjacencyWithTheDerivedSpectrum() {
    assertArrayEquals(new int[][] {{1, -1, 0, 0, 0, 0}, {-1, 3, -1, 0, -1, 0}, {0, -1, 2, -1, 0, 0},
      {0, 0, -1, 3, -1, -1}, {0, -1, 0, -1, 3, -1}, {0, 0, 0, -1, -1, 2}}, ints(RIGHT.laplacian().array()));
    assertArrayEquals(new int[][] {{1, 0, 0, 0, 0, 0}, {0, 3, 0, 0, 0, 0}, {0, 0, 2, 0, 0, 0}, {0, 0, 0, 3, 0, 0},
      {0, 0, 0, 0, 3, 0}, {0, 0, 0, 0, 0, 2}}, ints(RIGHT.degreeMatrix().array()));
    INDArray ones = Nd4j.ones(DataType.DOUBLE, 6, 1);
    assertEquals(0, RIGHT.laplacian(DataType.DOUBLE).array().mmul(ones).amaxNumber().doubleValue(), 0);
    assertArrayEquals(new double[] {0, 0.7216, 1.6826, 3.0, 3.7046, 4.8912}, RIGHT.laplacianEigenvalues(), 1e-4);
    // two components: two zero eigenvalues
    Graph two = Graph.undirected(4, new int[][] {{0, 1}, {2, 3}});
    assertArrayEquals(new double[] {0, 0, 2, 2}, two.laplacianEigenvalues(), 1e-9);
  }

  @Test
  void normalisedMatricesHaveTheirDefiningProperties() {
    INDArray mean = RIGHT.meanAdjacency(DataType.DOUBLE).array();
    assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, mean.sum(1).toDoubleVector(), 1e-12);
    assertEquals(1.0 / 3, mean.getDouble(1, 0), 1e-12); // node 2 averages nodes 1, 3, 5
    INDArray sym = RIGHT.symNormAdjacency(DataType.DOUBLE).array();
    assertTrue(sym.equalsWithEps(sym.transpose(), 1e-12));
    assertEquals(1 / Math.sqrt(3), sym.getDouble(1, 0), 1e-12);
    INDArray lsym = RIGHT.normalizedLaplacian(DataType.DOUBLE).array();
    double[] ev = org.nd4j.linalg.eigen.Eigen.symmetricGeneralizedEigenvalues(lsym.dup()).toDoubleVector();
    java.util.Arrays.sort(ev);
    assertEquals(0, ev[0], 1e-9);
    assertTrue(ev[5] <= 2 + 1e-9, "eigenvalues of the normalised Laplacian lie in [0, 2]");
  }

  @Test
  void directedEdgesPutTheReceiverInTheRow() {
    Graph g = Graph.directed(3, new int[][] {{0, 1}, {0, 2}});
    assertArrayEquals(new int[][] {{0, 0, 0}, {1, 0, 0}, {1, 0, 0}}, ints(g.adjacency().array()));
    assertArrayEquals(new int[] {0, 1, 1}, g.degrees());
    assertArrayEquals(new int[] {0}, g.neighbours(2));
    INDArray causal = Graph.causal(4).adjacency().array();
    assertArrayEquals(new int[][] {{1, 0, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 0}, {1, 1, 1, 1}}, ints(causal));
    assertEquals(16, Graph.complete(4, true).numEdges());
    assertEquals(12, Graph.complete(4, false).numEdges());
  }

  @Test
  void selfLoopsAreAddedOncePerNode() {
    Graph g = RIGHT.withSelfLoops();
    assertEquals(14 + 6, g.numEdges());
    assertEquals(20, g.withSelfLoops().numEdges());
    assertArrayEquals(new int[] {2, 4, 3, 4, 4, 3}, g.degrees());
  }

  @Test
  void anAddedNodeIsJoinedBothWays() {
    Graph g = RIGHT.addNode(0, 3);
    assertEquals(7, g.numNodes());
    assertEquals(18, g.numEdges());
    assertArrayEquals(new int[] {0, 3}, g.neighbours(6));
    assertArrayEquals(new int[] {1, 6}, g.neighbours(0));
    assertEquals(14, RIGHT.numEdges(), "the original graph is unchanged");
    var e = assertThrows(IllegalArgumentException.class, () -> RIGHT.addNode(6));
    assertEquals("node 6 is outside [0, 5]", e.getMessage());
  }

  @Test
  void duplicateEdgesAreKeptOnce() {
    Graph g = Graph.undirected(3, new int[][] {{0, 1}, {1, 0}, {0, 1}});
    assertEquals(2, g.numEdges());
  }

  @Test
  void permutingNodesConjugatesTheAdjacency() {
    int[] perm = {3, 0, 5, 1, 4, 2};
    INDArray p = Nd4j.zeros(DataType.DOUBLE, 6, 6);
    for (int i = 0; i < 6; i++) {
      p.putScalar(perm[i], i, 1);
    }
    INDArray expected = p.mmul(RIGHT.adjacency(DataType.DOUBLE).array()).mmul(p.transpose());
    assertEquals(expected, RIGHT.permute(perm).adjacency(DataType.DOUBLE).array());
  }

  @Test
  void randomGraphsAreSeededAndHaveTheExpectedDensity() {
    Graph a = Graph.random(200, 0.05, 3);
    Graph b = Graph.random(200, 0.05, 3);
    assertArrayEquals(a.sources(), b.sources());
    assertArrayEquals(a.targets(), b.targets());
    double expected = 200 * 199 * 0.05; // directed edges
    assertEquals(expected, a.numEdges(), 0.1 * expected);
  }

  @Test
  void badInputsAreRejectedWithTheValues() {
    var e = assertThrows(IllegalArgumentException.class, () -> Graph.undirected(3, new int[][] {{1, 4}}, 1));
    assertEquals("edge 0 [1, 4] names a node outside [1, 3]", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Graph.undirected(3, new int[][] {{1, 2, 3}}));
    assertEquals("edge 0 must be a pair, got [1, 2, 3]", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RIGHT.permute(new int[] {0, 0, 1, 2, 3, 4}));
    assertTrue(e.getMessage().startsWith("not a permutation of 0..5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RIGHT.neighbours(6));
    assertEquals("node 6 is outside [0, 5]", e.getMessage());
    var d = assertThrows(IllegalStateException.class, () -> Graph.directed(2, new int[][] {{0, 1}})
        .laplacianEigenvalues());
    assertTrue(d.getMessage().contains("not symmetric"), d.getMessage());
  }
}
