package dlcourse.graph;

import dlcourse.nn.F;
import dlcourse.tensor.Shapes;
import dlcourse.tensor.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Stateless graph operations behind the graph layers, as {@link F} is for {@code dlcourse.nn}: gathering node rows
 * onto edges, scattering edge values back onto nodes (sum, mean, max), a softmax over each node's incoming edges,
 * and the GCN, GAT and attention layers built from them. Everything records its backward pass on the tape.
 *
 * <p>Edge form: for a graph with E directed edges {@code u -> v}, {@code gather(x, sources)} gives the sender's row
 * for every edge (E, ...), and {@code scatterSum(messages, targets, N)} adds every edge's message into its receiver
 * (N, ...). Cost is O(E) per feature, not the O(N^2) of a dense adjacency product.
 */
public final class GraphF {
  private GraphF() {}

  // ---------------------------------------------------------------- gather and scatter

  /**
   * The rows of {@code x} at {@code index}: {@code out[e] = x[index[e]]}, like {@code x[index]} in PyTorch. The
   * gradient of a row used several times is the sum of its uses.
   *
   * @param x (N, *)
   * @param index E row numbers in [0, N)
   * @return (E, *)
   */
  public static Tensor gather(Tensor x, int[] index) {
    long[] xs = x.shape();
    if (xs.length == 0) {
      throw new IllegalArgumentException("gather: needs at least one dimension, got a scalar");
    }
    int n = Math.toIntExact(xs[0]);
    checkIndex(index, n, "gather");
    long[] os = xs.clone();
    os[0] = index.length;
    return Tensor.record("gather", Rows.gather(x.array(), index, os), new Tensor[] {x},
        g -> new INDArray[] {Rows.scatterAdd(g, index, n, xs)});
  }

  /**
   * Sums the rows of {@code src} into the rows named by {@code index}: {@code out[v] = sum of src[e] with
   * index[e] = v}, zero for a row no edge names (PyTorch's {@code index_add} / torch_scatter's {@code scatter_sum}).
   *
   * @param src (E, *) one value per edge
   * @param index E row numbers in [0, numNodes): the receiving node of each edge
   * @return (numNodes, *)
   */
  public static Tensor scatterSum(Tensor src, int[] index, int numNodes) {
    long[] ss = src.shape();
    rowSize(src, index, "scatterSum");
    checkIndex(index, numNodes, "scatterSum");
    long[] os = ss.clone();
    os[0] = numNodes;
    return Tensor.record("scatterSum", Rows.scatterAdd(src.array(), index, numNodes, os), new Tensor[] {src},
        g -> new INDArray[] {Rows.gather(g, index, ss)});
  }

  /** The mean of the rows of {@code src} sent to each node (zero where none are): {@link #scatterSum} / count. */
  public static Tensor scatterMean(Tensor src, int[] index, int numNodes) {
    Tensor sum = scatterSum(src, index, numNodes);
    double[] count = new double[numNodes];
    for (int v : index) {
      count[v]++;
    }
    long[] cs = new long[src.dim()];
    Arrays.fill(cs, 1);
    cs[0] = numNodes;
    for (int v = 0; v < numNodes; v++) {
      count[v] = Math.max(1, count[v]);
    }
    return sum.div(Tensor.of(Nd4j.createFromArray(count).reshape(cs).castTo(src.dtype())));
  }

  /**
   * The element-wise maximum of the rows of {@code src} sent to each node (zero where none are, as torch_scatter).
   * The gradient goes to the edge that holds the maximum (the first one on ties).
   */
  public static Tensor scatterMax(Tensor src, int[] index, int numNodes) {
    long[] ss = src.shape();
    rowSize(src, index, "scatterMax");
    checkIndex(index, numNodes, "scatterMax");
    long[] os = ss.clone();
    os[0] = numNodes;
    Rows.Max max = Rows.scatterMax(src.array(), index, numNodes, os);
    return Tensor.record("scatterMax", max.values(), new Tensor[] {src},
        g -> new INDArray[] {Rows.routeToArgmax(g, max.argmax(), ss)});
  }

  /** {@link #scatterSum}, {@link #scatterMean} or {@link #scatterMax}. */
  public static Tensor scatter(Tensor src, int[] index, int numNodes, Aggregation aggregation) {
    return switch (aggregation) {
      case SUM -> scatterSum(src, index, numNodes);
      case MEAN -> scatterMean(src, index, numNodes);
      case MAX -> scatterMax(src, index, numNodes);
    };
  }

  /**
   * A softmax over the edges that share a receiver: {@code out[e] = exp(s[e]) / sum of exp(s[f]) over the edges f
   * with index[f] = index[e]} (each column separately), computed stably by subtracting each group's maximum. The
   * attention weights of a GAT: they sum to 1 over every node's incoming edges.
   *
   * @param scores (E) or (E, heads)
   * @param index E receiving nodes
   * @return the shape of {@code scores}
   */
  public static Tensor segmentSoftmax(Tensor scores, int[] index, int numNodes) {
    Tensor max = scatterMax(scores.detach(), index, numNodes); // a constant shift: no gradient needed
    Tensor ex = scores.sub(gather(max, index)).exp();
    return ex.div(gather(scatterSum(ex, index, numNodes), index));
  }

  /**
   * Aggregates the neighbours' rows at every node: {@code out[v] = AGG over u in N(v) of x[u]} (zero for a node
   * without neighbours).
   *
   * @param x (N, *) node features
   * @return (N, *)
   */
  public static Tensor aggregate(Tensor x, Graph graph, Aggregation aggregation) {
    checkNodes(x, graph, "aggregate");
    return scatter(gather(x, graph.sourcesShared()), graph.targetsShared(), graph.numNodes(), aggregation);
  }

  // ---------------------------------------------------------------- layers

  /**
   * The graph convolution of the question, {@code h_v' = relu(W AGG_{u in N(v)} h_u + B h_v)}, in edge form; see
   * {@link GraphConv} ({@link GCNLayer} with the mean) for shapes.
   *
   * @param weight W (out, in)
   * @param rootWeight B (out, in), or null for no self term
   * @param relu whether to apply the ReLU
   */
  public static Tensor graphConv(Tensor x, Graph graph, Tensor weight, Tensor rootWeight, Aggregation aggregation,
      boolean relu) {
    Tensor h = F.linear(aggregate(x, graph, aggregation), weight, null);
    if (rootWeight != null) {
      h = h.add(F.linear(x, rootWeight, null));
    }
    return relu ? h.relu() : h;
  }

  /**
   * The question's GCN layer in matrix form, {@code H' = relu(D^-1 A H W^T + H B^T)}: rows of H are nodes, and the
   * dense {@code N x N} matrix {@code D^-1 A} ({@link Graph#meanAdjacency}) averages the neighbours. Equal to
   * {@link #graphConv} with the mean; O(N^2) per feature.
   */
  public static Tensor gcnMatrix(Tensor x, Graph graph, Tensor weight, Tensor rootWeight, boolean relu) {
    checkNodes(x, graph, "gcnMatrix");
    Tensor h = graph.meanAdjacency(x.dtype()).matmul(x).matmul(weight.transpose(0, 1)); // (N, out)
    if (rootWeight != null) {
      h = h.add(x.matmul(rootWeight.transpose(0, 1)));
    }
    return relu ? h.relu() : h;
  }

  /**
   * The question's GCN layer node by node, exactly as written: for every v,
   * {@code h_v' = relu(W (1/|N(v)|) sum_{u in N(v)} h_u + B h_v)} with one row of H at a time. Slow (a loop of
   * small operations); for checking the other forms.
   */
  public static Tensor gcnLoop(Tensor x, Graph graph, Tensor weight, Tensor rootWeight, boolean relu) {
    checkNodes(x, graph, "gcnLoop");
    Tensor[] rows = new Tensor[graph.numNodes()];
    for (int v = 0; v < rows.length; v++) {
      int[] nv = graph.neighbours(v);
      Tensor hv = x.narrow(0, v, 1); // (1, in)
      Tensor mean = Tensor.of(Nd4j.zeros(x.dtype(), 1, x.size(1)));
      for (int u : nv) {
        mean = mean.add(x.narrow(0, u, 1));
      }
      if (nv.length > 0) {
        mean = mean.div(nv.length);
      }
      Tensor h = mean.matmul(weight.transpose(0, 1)); // (1, out)
      if (rootWeight != null) {
        h = h.add(hv.matmul(rootWeight.transpose(0, 1)));
      }
      rows[v] = relu ? h.relu() : h;
    }
    return Tensor.cat(0, rows);
  }

  /** The output of {@link #gat}: node features and the attention weight of every edge and head. */
  public record GatOutput(Tensor output, Tensor attention) {}

  /**
   * A graph attention layer (Veličković et al. 2018, as PyTorch Geometric's {@code GATConv} without bias or
   * dropout): per head, {@code z = W h}, the score of edge {@code u -> v} is
   * {@code e_uv = LeakyReLU(a_src . z_u + a_dst . z_v)}, {@code alpha_uv = softmax over u in N(v) of e_uv}, and
   * {@code h_v' = sum_u alpha_uv z_u}; heads are concatenated or averaged, then the optional ReLU. See
   * {@link GATLayer} for shapes.
   *
   * @param weight (heads * out, in)
   * @param attSrc (heads, out)
   * @param attDst (heads, out)
   * @return the output (N, heads * out) or (N, out), and the attention (E, heads) in the graph's edge order
   */
  public static GatOutput gat(Tensor x, Graph graph, Tensor weight, Tensor attSrc, Tensor attDst, boolean concat,
      double negativeSlope, boolean relu) {
    return gat(x, graph, weight, attSrc, attDst, concat, negativeSlope, relu, 0, false);
  }

  /**
   * {@link #gat} with dropout on the attention weights: during training each {@code alpha_uv} is zeroed with
   * probability {@code dropout} and the rest scaled by {@code 1 / (1 - dropout)} (the GAT paper's and PyTorch
   * Geometric's {@code dropout}); the returned attention is the weights before dropout.
   */
  public static GatOutput gat(Tensor x, Graph graph, Tensor weight, Tensor attSrc, Tensor attDst, boolean concat,
      double negativeSlope, boolean relu, double dropout, boolean training) {
    checkNodes(x, graph, "gat");
    long n = x.size(0);
    long heads = attSrc.size(0);
    long out = attSrc.size(1);
    int[] src = graph.sourcesShared();
    int[] dst = graph.targetsShared();
    Tensor z = F.linear(x, weight, null).reshape(n, heads, out); // (N, H, C)
    Tensor sSrc = z.mul(attSrc).sum(false, -1); // (N, H): a_src . z_u
    Tensor sDst = z.mul(attDst).sum(false, -1); // (N, H): a_dst . z_v
    Tensor e = F.leakyRelu(gather(sSrc, src).add(gather(sDst, dst)), negativeSlope); // (E, H)
    Tensor alpha = segmentSoftmax(e, dst, graph.numNodes()); // (E, H), sums to 1 over each node's edges
    Tensor kept = F.dropout(alpha, dropout, training); // (E, H)
    Tensor messages = gather(z, src).mul(kept.unsqueeze(-1)); // (E, H, C)
    Tensor h = scatterSum(messages, dst, graph.numNodes()); // (N, H, C)
    h = concat ? h.reshape(n, heads * out) : h.mean(false, 1); // (N, H*C) or (N, C)
    return new GatOutput(relu ? h.relu() : h, alpha);
  }

  /**
   * Scaled dot-product attention restricted to the graph's edges: node v attends to its neighbours u in N(v) with
   * {@code softmax_u(q_v . k_u / sqrt(d))} and returns {@code sum_u alpha_uv v_u}. On {@link Graph#complete} with
   * self-loops it is self-attention; on {@link Graph#causal} it is causal attention; its cost is O(E d).
   *
   * @param q (N, d) queries
   * @param k (N, d) keys
   * @param v (N, dv) values
   * @return (N, dv)
   */
  public static Tensor graphAttention(Tensor q, Tensor k, Tensor v, Graph graph) {
    checkNodes(q, graph, "graphAttention");
    int[] src = graph.sourcesShared();
    int[] dst = graph.targetsShared();
    double scale = 1 / Math.sqrt(q.size(1));
    Tensor scores = gather(q, dst).mul(gather(k, src)).sum(false, 1).mul(scale); // (E)
    Tensor alpha = segmentSoftmax(scores, dst, graph.numNodes()); // (E)
    return scatterSum(gather(v, src).mul(alpha.unsqueeze(1)), dst, graph.numNodes()); // (N, dv)
  }

  // ---------------------------------------------------------------- helpers

  static void checkNodes(Tensor x, Graph graph, String op) {
    if (x.dim() < 1 || x.size(0) != graph.numNodes()) {
      throw new IllegalArgumentException(op + ": expected node features (" + graph.numNodes() + ", *) for a graph of "
          + graph.numNodes() + " nodes, got " + Shapes.str(x.shape()));
    }
  }

  private static int rowSize(Tensor src, int[] index, String op) {
    if (src.dim() < 1 || src.size(0) != index.length) {
      throw new IllegalArgumentException(op + ": expected one row per index (" + index.length + ", *), got "
          + Shapes.str(src.shape()));
    }
    return Math.toIntExact(src.numel() / Math.max(1, index.length));
  }

  private static void checkIndex(int[] index, int n, String op) {
    for (int e = 0; e < index.length; e++) {
      if (index[e] < 0 || index[e] >= n) {
        throw new IllegalArgumentException(op + ": index " + index[e] + " at position " + e + " is outside [0, " + n
            + ")");
      }
    }
  }
}
