package dlcourse.graph;

import dlcourse.tensor.Tensor;
import dlcourse.util.Check;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A graph on nodes {@code 0 .. numNodes-1}, stored as a list of directed edges {@code source -> target}
 * (PyTorch Geometric's {@code edge_index}): a message travels from the source to the target, so the neighbours of
 * node v are {@code N(v) = {u : u -> v}}. An undirected edge {@code u - v} is stored as the two edges
 * {@code u -> v} and {@code v -> u}; a self-loop {@code v - v} as one edge.
 *
 * <p>Matrices put the receiving node in the row: the adjacency has {@code A[v][u] = 1} when {@code u -> v} (u is
 * a neighbour of v), so that {@code (A H)_v} sums the neighbours' rows of {@code H} and the question's matrix form
 * {@code D^-1 A H} averages them. For an undirected graph A is symmetric and the convention does not matter; for
 * the causal graph ({@link #causal}) A is lower-triangular, the mask of causal attention. The degree of v is
 * {@code |N(v)|}, the row sum of A (the in-degree).
 *
 * <pre>{@code
 * Graph g = Graph.undirected(5, new int[][] {{1, 2}, {1, 3}, {1, 5}, {2, 3}, {3, 4}}, 1); // nodes numbered from 1
 * g.adjacency()   // (5, 5) symmetric 0/1
 * g.degrees()     // [3, 2, 3, 1, 1]
 * }</pre>
 *
 * <p>Graphs are immutable; {@link #withSelfLoops()} and {@link #permute} return new graphs. Duplicate edges are
 * kept once.
 */
public final class Graph {
  private final int numNodes;
  private final boolean directed;
  private final int[] sources;
  private final int[] targets;

  private Graph(int numNodes, boolean directed, int[] sources, int[] targets) {
    this.numNodes = numNodes;
    this.directed = directed;
    this.sources = sources;
    this.targets = targets;
  }

  // ---------------------------------------------------------------- construction

  /** An undirected graph from edges {@code {u, v}} numbered from 0. */
  public static Graph undirected(int numNodes, int[][] edges) {
    return undirected(numNodes, edges, 0);
  }

  /**
   * An undirected graph from edges {@code {u, v}}.
   *
   * @param numNodes number of nodes
   * @param edges pairs of node numbers
   * @param firstNode the number of the first node: 0, or 1 for graphs numbered as in a textbook
   * @throws IllegalArgumentException if an edge is not a pair or names a node outside the graph
   */
  public static Graph undirected(int numNodes, int[][] edges, int firstNode) {
    return build(numNodes, edges, firstNode, false);
  }

  /** A directed graph from edges {@code {source, target}} numbered from 0. */
  public static Graph directed(int numNodes, int[][] edges) {
    return directed(numNodes, edges, 0);
  }

  /**
   * A directed graph from edges {@code {source, target}} (a message goes from the source to the target).
   *
   * @param firstNode the number of the first node: 0, or 1
   */
  public static Graph directed(int numNodes, int[][] edges, int firstNode) {
    return build(numNodes, edges, firstNode, true);
  }

  private static Graph build(int numNodes, int[][] edges, int firstNode, boolean directed) {
    Check.nonNegative(numNodes, "numNodes");
    Set<Long> seen = new LinkedHashSet<>();
    for (int i = 0; i < edges.length; i++) {
      int[] e = edges[i];
      if (e.length != 2) {
        throw new IllegalArgumentException("edge " + i + " must be a pair, got " + Arrays.toString(e));
      }
      int u = e[0] - firstNode;
      int v = e[1] - firstNode;
      if (u < 0 || u >= numNodes || v < 0 || v >= numNodes) {
        throw new IllegalArgumentException("edge " + i + " " + Arrays.toString(e) + " names a node outside ["
            + firstNode + ", " + (numNodes - 1 + firstNode) + "]");
      }
      seen.add(key(u, v, numNodes));
      if (!directed) {
        seen.add(key(v, u, numNodes));
      }
    }
    return fromKeys(numNodes, directed, seen);
  }

  private static long key(int u, int v, int n) {
    return (long) u * n + v;
  }

  private static Graph fromKeys(int numNodes, boolean directed, Iterable<Long> keys) {
    List<Long> list = new ArrayList<>();
    keys.forEach(list::add);
    int[] s = new int[list.size()];
    int[] t = new int[list.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = (int) (list.get(i) / Math.max(1, numNodes));
      t[i] = (int) (list.get(i) % Math.max(1, numNodes));
    }
    return new Graph(numNodes, directed, s, t);
  }

  /**
   * The complete graph: every node a neighbour of every other, and of itself when {@code selfLoops}. Attention over
   * a sequence is a GNN on this graph (tokens are nodes).
   */
  public static Graph complete(int numNodes, boolean selfLoops) {
    List<int[]> edges = new ArrayList<>();
    for (int u = 0; u < numNodes; u++) {
      for (int v = 0; v < numNodes; v++) {
        if (u != v || selfLoops) {
          edges.add(new int[] {u, v});
        }
      }
    }
    return directed(numNodes, edges.toArray(new int[0][]));
  }

  /**
   * The causal graph of a sequence: node i receives from every {@code j <= i} (edges {@code j -> i}, self-loops
   * included). Its adjacency is the lower-triangular mask of causal attention.
   */
  public static Graph causal(int numNodes) {
    List<int[]> edges = new ArrayList<>();
    for (int i = 0; i < numNodes; i++) {
      for (int j = 0; j <= i; j++) {
        edges.add(new int[] {j, i});
      }
    }
    return directed(numNodes, edges.toArray(new int[0][]));
  }

  /**
   * An Erdős–Rényi graph G(n, p): each of the {@code n (n-1) / 2} node pairs is an undirected edge with probability
   * {@code p}, drawn from a generator seeded with {@code seed}.
   */
  public static Graph random(int numNodes, double p, long seed) {
    Check.probability(p, "p");
    Random rng = new Random(seed);
    List<int[]> edges = new ArrayList<>();
    for (int u = 0; u < numNodes; u++) {
      for (int v = u + 1; v < numNodes; v++) {
        if (rng.nextDouble() < p) {
          edges.add(new int[] {u, v});
        }
      }
    }
    return undirected(numNodes, edges.toArray(new int[0][]));
  }

  /** This graph with a self-loop {@code v -> v} added at every node that has none (so v is in N(v)). */
  public Graph withSelfLoops() {
    Set<Long> keys = new LinkedHashSet<>();
    for (int i = 0; i < sources.length; i++) {
      keys.add(key(sources[i], targets[i], numNodes));
    }
    for (int v = 0; v < numNodes; v++) {
      keys.add(key(v, v, numNodes));
    }
    return fromKeys(numNodes, directed, keys);
  }

  /**
   * This graph with one more node, numbered {@code numNodes()}, joined to each of {@code neighbours} by an undirected
   * edge (both directions; the new node is a neighbour of each and each is a neighbour of it).
   *
   * @throws IllegalArgumentException if a neighbour is outside the graph
   */
  public Graph addNode(int... neighbours) {
    Set<Long> keys = new LinkedHashSet<>();
    int n = numNodes + 1;
    for (int i = 0; i < sources.length; i++) {
      keys.add(key(sources[i], targets[i], n));
    }
    for (int u : neighbours) {
      if (u < 0 || u >= numNodes) {
        throw new IllegalArgumentException("node " + u + " is outside [0, " + (numNodes - 1) + "]");
      }
      keys.add(key(u, numNodes, n));
      keys.add(key(numNodes, u, n));
    }
    return fromKeys(n, directed, keys);
  }

  /**
   * The same graph with node {@code i} renamed {@code perm[i]}: edge {@code u -> v} becomes
   * {@code perm[u] -> perm[v]}. With {@code P} the matrix of the permutation ({@code P[perm[i]][i] = 1}), the new
   * adjacency is {@code P A P^T}; a GNN layer is permutation-equivariant when {@code f(P X, P A P^T) = P f(X, A)}.
   *
   * @throws IllegalArgumentException if {@code perm} is not a permutation of {@code 0 .. numNodes-1}
   */
  public Graph permute(int[] perm) {
    checkPermutation(perm, numNodes);
    int[] s = new int[sources.length];
    int[] t = new int[targets.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = perm[sources[i]];
      t[i] = perm[targets[i]];
    }
    return new Graph(numNodes, directed, s, t);
  }

  static void checkPermutation(int[] perm, int n) {
    if (perm.length != n) {
      throw new IllegalArgumentException("a permutation of " + n + " nodes needs " + n + " entries, got "
          + perm.length);
    }
    boolean[] hit = new boolean[n];
    for (int p : perm) {
      if (p < 0 || p >= n || hit[p]) {
        throw new IllegalArgumentException("not a permutation of 0.." + (n - 1) + ": " + Arrays.toString(perm));
      }
      hit[p] = true;
    }
  }

  // ---------------------------------------------------------------- structure

  public int numNodes() {
    return numNodes;
  }

  /** Number of directed edges: twice the undirected edges (a self-loop counts once). The cost of a GNN layer. */
  public int numEdges() {
    return sources.length;
  }

  /** Whether the graph was built from directed edges. */
  public boolean isDirected() {
    return directed;
  }

  /** The source node of every edge, a copy (PyTorch Geometric's {@code edge_index[0]}). */
  public int[] sources() {
    return sources.clone();
  }

  /** The target node of every edge, a copy ({@code edge_index[1]}): messages are aggregated at the targets. */
  public int[] targets() {
    return targets.clone();
  }

  int[] sourcesShared() {
    return sources;
  }

  int[] targetsShared() {
    return targets;
  }

  /** The neighbours N(v) = {u : u -> v}, in increasing order. */
  public int[] neighbours(int v) {
    if (v < 0 || v >= numNodes) {
      throw new IllegalArgumentException("node " + v + " is outside [0, " + (numNodes - 1) + "]");
    }
    List<Integer> n = new ArrayList<>();
    for (int i = 0; i < targets.length; i++) {
      if (targets[i] == v) {
        n.add(sources[i]);
      }
    }
    return n.stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  /** The degree {@code |N(v)|} of every node (number of incoming edges, self-loops included). */
  public int[] degrees() {
    int[] d = new int[numNodes];
    for (int t : targets) {
      d[t]++;
    }
    return d;
  }

  /** The degree of each edge's target, {@code |N(v)|} for edge {@code u -> v}: shape (E), as {@code type}. */
  public Tensor targetDegrees(DataType type) {
    int[] d = degrees();
    double[] out = new double[targets.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = d[targets[i]];
    }
    return Tensor.of(Nd4j.createFromArray(out).castTo(type));
  }

  // ---------------------------------------------------------------- matrices (dense, N x N)

  /** The adjacency matrix, FLOAT: {@code A[v][u] = 1} when {@code u -> v}. */
  public Tensor adjacency() {
    return adjacency(DataType.FLOAT);
  }

  /** The adjacency matrix (receivers in rows), as {@code type}. */
  public Tensor adjacency(DataType type) {
    return Tensor.of(adjacencyArray().castTo(type));
  }

  private INDArray adjacencyArray() {
    double[][] a = new double[numNodes][numNodes];
    for (int i = 0; i < sources.length; i++) {
      a[targets[i]][sources[i]] = 1;
    }
    return numNodes == 0 ? Nd4j.zeros(DataType.DOUBLE, 0, 0) : Nd4j.createFromArray(a);
  }

  /** The degree matrix {@code D = diag(|N(v)|)}, FLOAT. */
  public Tensor degreeMatrix() {
    return degreeMatrix(DataType.FLOAT);
  }

  public Tensor degreeMatrix(DataType type) {
    return Tensor.of(diag(Arrays.stream(degrees()).asDoubleStream().toArray()).castTo(type));
  }

  /** The Laplacian {@code L = D - A}, FLOAT. */
  public Tensor laplacian() {
    return laplacian(DataType.FLOAT);
  }

  public Tensor laplacian(DataType type) {
    INDArray d = diag(Arrays.stream(degrees()).asDoubleStream().toArray());
    return Tensor.of(d.sub(adjacencyArray()).castTo(type));
  }

  /**
   * The symmetric normalised Laplacian {@code I - D^-1/2 A D^-1/2} (a node of degree 0 keeps its row of the
   * identity). For an undirected graph its eigenvalues lie in [0, 2].
   */
  public Tensor normalizedLaplacian(DataType type) {
    INDArray eye = Nd4j.eye(numNodes).castTo(DataType.DOUBLE);
    return Tensor.of(eye.sub(symNormArray()).castTo(type));
  }

  /**
   * The mean-aggregation matrix {@code D^-1 A} (row v holds {@code 1/|N(v)|} at each neighbour; zero for a node
   * without neighbours): {@code (D^-1 A H)_v} is the mean of the neighbours' rows, the question's GCN aggregation.
   */
  public Tensor meanAdjacency(DataType type) {
    INDArray a = adjacencyArray();
    int[] d = degrees();
    for (int v = 0; v < numNodes; v++) {
      if (d[v] > 0) {
        a.getRow(v).divi(d[v]);
      }
    }
    return Tensor.of(a.castTo(type));
  }

  /**
   * Kipf and Welling's normalised adjacency {@code D^-1/2 A D^-1/2} (use {@code withSelfLoops()} first for their
   * {@code A + I}); zero rows and columns at nodes without neighbours.
   */
  public Tensor symNormAdjacency(DataType type) {
    return Tensor.of(symNormArray().castTo(type));
  }

  private INDArray symNormArray() {
    INDArray a = adjacencyArray();
    int[] d = degrees();
    for (int i = 0; i < sources.length; i++) {
      int u = sources[i];
      int v = targets[i];
      a.putScalar(v, u, 1.0 / Math.sqrt((double) d[v] * Math.max(1, d[u])));
    }
    return a;
  }

  /**
   * The eigenvalues of the Laplacian {@code D - A} in increasing order (an undirected graph's are real, the
   * smallest 0, and the number of zeros is the number of connected components).
   *
   * @throws IllegalStateException for a directed graph whose Laplacian is not symmetric
   */
  public double[] laplacianEigenvalues() {
    INDArray l = laplacian(DataType.DOUBLE).array();
    if (!l.equalsWithEps(l.transpose(), 0)) {
      throw new IllegalStateException("the Laplacian of this directed graph is not symmetric");
    }
    if (numNodes == 0) {
      return new double[0];
    }
    double[] ev = org.nd4j.linalg.eigen.Eigen.symmetricGeneralizedEigenvalues(l.dup()).toDoubleVector();
    Arrays.sort(ev);
    return ev;
  }

  private static INDArray diag(double[] values) {
    int n = values.length;
    double[][] m = new double[n][n];
    for (int i = 0; i < n; i++) {
      m[i][i] = values[i];
    }
    return n == 0 ? Nd4j.zeros(DataType.DOUBLE, 0, 0) : Nd4j.createFromArray(m);
  }

  @Override
  public String toString() {
    return "Graph(numNodes=" + numNodes + ", numEdges=" + sources.length + (directed ? ", directed" : "") + ")";
  }
}
