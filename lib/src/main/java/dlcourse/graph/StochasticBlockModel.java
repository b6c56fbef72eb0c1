package dlcourse.graph;

import dlcourse.util.Check;
import dlcourse.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A stochastic block model with node features, for node classification: {@code blocks} classes of
 * {@code nodesPerBlock} nodes (numbered block by block), every pair of nodes joined with probability {@code pIn}
 * inside a block and {@code pOut} across blocks. Each class c has a random mean {@code mu_c} (a standard normal vector
 * rescaled to length {@code signal}); a node's features are {@code mu_c + featureNoise * N(0, I)}.
 *
 * <p>Noisy nodes: a random fraction {@code noisyFraction} of the nodes get features
 * {@code noiseOffset * s + noiseScale * N(0, I)} instead, where {@code s} is a random unit vector shared by all noisy
 * nodes (a common signature, like the similar profiles of spam accounts; absent with the default offset 0). They keep
 * their label and edges but carry no class information, and their neighbours' mean-aggregated features are polluted:
 * the setting in which attention (GAT) may down-weight a neighbour and a fixed mean (GCN) cannot. Attention scores
 * of a GAT are linear in each neighbour's transformed features, so a signature is something they can pick out, and
 * isotropic noise is not.
 *
 * <p>Every random part comes from its own generator seeded from {@code seed}: the graph, the clean features, the
 * choice of noisy nodes and the split. So for one seed, changing {@code noisyFraction} keeps the graph, the split
 * and the clean features.
 *
 * <pre>{@code
 * GraphData data = StochasticBlockModel.of(3, 100).pIn(0.1).pOut(0.01).features(16).noisyFraction(0.2).seed(0).generate();
 * }</pre>
 */
public final class StochasticBlockModel {
  private final int blocks;
  private final int nodesPerBlock;
  private double pIn = 0.1;
  private double pOut = 0.01;
  private int features = 16;
  private double signal = 1.0;
  private double featureNoise = 1.0;
  private double noisyFraction;
  private double noiseScale = 5.0;
  private double noiseOffset;
  private int trainPerClass = 20;
  private int valPerClass = 30;
  private long seed;

  private StochasticBlockModel(int blocks, int nodesPerBlock) {
    this.blocks = (int) Check.positive(blocks, "blocks");
    this.nodesPerBlock = (int) Check.positive(nodesPerBlock, "nodesPerBlock");
  }

  /** A model with {@code blocks} classes of {@code nodesPerBlock} nodes and the defaults below. */
  public static StochasticBlockModel of(int blocks, int nodesPerBlock) {
    return new StochasticBlockModel(blocks, nodesPerBlock);
  }

  /** Edge probability inside a block (default 0.1). */
  public StochasticBlockModel pIn(double p) {
    this.pIn = Check.probability(p, "pIn");
    return this;
  }

  /** Edge probability between blocks (default 0.01). */
  public StochasticBlockModel pOut(double p) {
    this.pOut = Check.probability(p, "pOut");
    return this;
  }

  /** Feature dimension (default 16). */
  public StochasticBlockModel features(int dim) {
    this.features = (int) Check.positive(dim, "features");
    return this;
  }

  /** Length of each class mean (default 1). */
  public StochasticBlockModel signal(double length) {
    this.signal = nonNegative(length, "signal");
    return this;
  }

  /** Standard deviation of the Gaussian noise on clean nodes' features, per dimension (default 1). */
  public StochasticBlockModel featureNoise(double std) {
    this.featureNoise = nonNegative(std, "featureNoise");
    return this;
  }

  /** Fraction of nodes whose features are replaced by {@code noiseScale * N(0, I)} (default 0). */
  public StochasticBlockModel noisyFraction(double fraction) {
    this.noisyFraction = Check.probability(fraction, "noisyFraction");
    return this;
  }

  /** Standard deviation of a noisy node's features, per dimension (default 5). */
  public StochasticBlockModel noiseScale(double std) {
    this.noiseScale = nonNegative(std, "noiseScale");
    return this;
  }

  /**
   * Length of the signature {@code s} added to every noisy node's features (default 0: isotropic noise only).
   */
  public StochasticBlockModel noiseOffset(double length) {
    this.noiseOffset = nonNegative(length, "noiseOffset");
    return this;
  }

  /** Training nodes per class (default 20, as the Planetoid splits); the rest of a class is validation and test. */
  public StochasticBlockModel trainPerClass(int n) {
    this.trainPerClass = (int) Check.nonNegative(n, "trainPerClass");
    return this;
  }

  /** Validation nodes per class (default 30); the remaining nodes are test nodes. */
  public StochasticBlockModel valPerClass(int n) {
    this.valPerClass = (int) Check.nonNegative(n, "valPerClass");
    return this;
  }

  public StochasticBlockModel seed(long seed) {
    this.seed = seed;
    return this;
  }

  /**
   * Draws the graph, the features and the split.
   *
   * @throws IllegalArgumentException if a class has fewer nodes than {@code trainPerClass + valPerClass}
   */
  public GraphData generate() {
    if (trainPerClass + valPerClass > nodesPerBlock) {
      throw new IllegalArgumentException("trainPerClass + valPerClass (" + (trainPerClass + valPerClass)
          + ") must not exceed nodesPerBlock (" + nodesPerBlock + ")");
    }
    int n = blocks * nodesPerBlock;
    Random graphRng = new Random(seed * 4 + 0);
    Random featureRng = new Random(seed * 4 + 1);
    Random noisyRng = new Random(seed * 4 + 2);
    Random splitRng = new Random(seed * 4 + 3);

    List<int[]> edges = new ArrayList<>();
    for (int u = 0; u < n; u++) {
      for (int v = u + 1; v < n; v++) {
        if (graphRng.nextDouble() < (u / nodesPerBlock == v / nodesPerBlock ? pIn : pOut)) {
          edges.add(new int[] {u, v});
        }
      }
    }
    Graph graph = Graph.undirected(n, edges.toArray(new int[0][]));

    double[][] means = new double[blocks][features];
    for (double[] mu : means) {
      double norm = 0;
      for (int k = 0; k < features; k++) {
        mu[k] = featureRng.nextGaussian();
        norm += mu[k] * mu[k];
      }
      for (int k = 0; k < features; k++) {
        mu[k] *= signal / Math.sqrt(norm);
      }
    }
    double[] x = new double[n * features];
    long[] y = new long[n];
    for (int v = 0; v < n; v++) {
      y[v] = v / nodesPerBlock;
      for (int k = 0; k < features; k++) {
        x[v * features + k] = means[(int) y[v]][k] + featureNoise * featureRng.nextGaussian();
      }
    }

    double[] signature = new double[features]; // drawn even without an offset, so the noisy nodes do not depend on it
    double length = 0;
    for (int k = 0; k < features; k++) {
      signature[k] = noisyRng.nextGaussian();
      length += signature[k] * signature[k];
    }
    boolean[] noisy = new boolean[n];
    int numNoisy = (int) Math.round(noisyFraction * n);
    int[] order = shuffled(n, noisyRng);
    for (int i = 0; i < numNoisy; i++) {
      int v = order[i];
      noisy[v] = true;
      for (int k = 0; k < features; k++) {
        x[v * features + k] = noiseOffset * signature[k] / Math.sqrt(length) + noiseScale * noisyRng.nextGaussian();
      }
    }

    List<Integer> train = new ArrayList<>();
    List<Integer> val = new ArrayList<>();
    List<Integer> test = new ArrayList<>();
    for (int c = 0; c < blocks; c++) {
      int[] perm = shuffled(nodesPerBlock, splitRng);
      for (int i = 0; i < nodesPerBlock; i++) {
        int v = c * nodesPerBlock + perm[i];
        (i < trainPerClass ? train : i < trainPerClass + valPerClass ? val : test).add(v);
      }
    }
    Tensor features = GraphData.floats(x, n, this.features);
    return new GraphData(graph, features, Tensor.of(Nd4j.createFromArray(y)), blocks, noisy, sorted(train),
        sorted(val), sorted(test));
  }

  private static int[] shuffled(int n, Random rng) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  private static int[] sorted(List<Integer> list) {
    return list.stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  private static double nonNegative(double v, String name) {
    if (!(v >= 0)) {
      throw new IllegalArgumentException(name + " must be non-negative, got " + v);
    }
    return v;
  }

  @Override
  public String toString() {
    return "StochasticBlockModel(blocks=" + blocks + ", nodesPerBlock=" + nodesPerBlock + ", pIn=" + pIn + ", pOut="
        + pOut + ", features=" + features + ", noisyFraction=" + noisyFraction + ", noiseScale=" + noiseScale
        + ", noiseOffset=" + noiseOffset + ", seed=" + seed + ")";
  }
}
