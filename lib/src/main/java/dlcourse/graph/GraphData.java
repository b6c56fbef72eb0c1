package dlcourse.graph;

import dlcourse.tensor.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A node-classification data set, like PyTorch Geometric's {@code Data}: a graph, one feature row and one label per
 * node, and a split of the nodes into training, validation and test nodes (transductive: the model sees every node's
 * features and edges; only the training labels enter the loss).
 *
 * @param graph the graph
 * @param x (N, F) FLOAT node features
 * @param y (N) INT64 class of every node
 * @param numClasses number of classes
 * @param noisy which nodes had their features replaced by noise (all false without noisy nodes)
 * @param trainIndex the training nodes, in increasing order
 * @param valIndex the validation nodes
 * @param testIndex the test nodes
 */
public record GraphData(Graph graph, Tensor x, Tensor y, int numClasses, boolean[] noisy, int[] trainIndex,
    int[] valIndex, int[] testIndex) {

  /**
   * The same data with every node's feature row divided by its Euclidean length (rows of zeros stay zero), a common
   * preprocessing step for GCN and GAT (PyTorch Geometric's {@code NormalizeFeatures} divides by the sum instead,
   * which suits non-negative bag-of-words features).
   */
  public GraphData normalizeFeatures() {
    Tensor norm = x.pow(2).sum(true, 1).sqrt().clamp(1e-12, Double.MAX_VALUE); // (N, 1)
    return new GraphData(graph, x.div(norm).detach(), y, numClasses, noisy, trainIndex, valIndex, testIndex);
  }

  /** The number of nodes. */
  public int numNodes() {
    return graph.numNodes();
  }

  /**
   * The labels of the nodes in {@code index} and -100 elsewhere: the target of
   * {@code F.crossEntropy(logits, target, Reduction.MEAN, -100, 0)}, which then averages over those nodes only.
   */
  public Tensor targets(int[] index) {
    long[] labels = y.array().toLongVector();
    long[] t = new long[labels.length];
    Arrays.fill(t, -100);
    for (int v : index) {
      t[v] = labels[v];
    }
    return Tensor.of(Nd4j.createFromArray(t));
  }

  /** The fraction of the nodes in {@code index} whose argmax of {@code logits} (N, C) is their label. */
  public double accuracy(Tensor logits, int[] index) {
    if (index.length == 0) {
      return Double.NaN;
    }
    long[] pred = logits.array().argMax(1).toLongVector();
    long[] labels = y.array().toLongVector();
    int correct = 0;
    for (int v : index) {
      correct += pred[v] == labels[v] ? 1 : 0;
    }
    return (double) correct / index.length;
  }

  /** The nodes of {@code index} that are noisy ({@code noisy == true}) or clean ({@code false}). */
  public int[] select(int[] index, boolean noisyNodes) {
    return Arrays.stream(index).filter(v -> noisy[v] == noisyNodes).toArray();
  }

  /** The number of noisy nodes. */
  public int numNoisy() {
    int n = 0;
    for (boolean b : noisy) {
      n += b ? 1 : 0;
    }
    return n;
  }

  @Override
  public String toString() {
    return "GraphData(nodes=" + numNodes() + ", edges=" + graph.numEdges() + ", features=" + x.size(1) + ", classes="
        + numClasses + ", noisy=" + numNoisy() + ", train/val/test=" + trainIndex.length + "/" + valIndex.length + "/"
        + testIndex.length + ")";
  }

  static Tensor floats(double[] values, int rows, int cols) {
    return Tensor.of(Nd4j.createFromArray(values).reshape(rows, cols).castTo(DataType.FLOAT));
  }
}
