package dlcourse.graph;

import dlcourse.nn.Init;
import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A graph convolution with a separate self term, {@code h_v' = relu(W AGG_{u in N(v)} h_u + B h_v)}, where AGG is
 * the sum, mean or maximum over the neighbours (PyTorch Geometric's {@code GraphConv} for the sum,
 * {@code SAGEConv} for the mean, both without bias). {@link GCNLayer} is the mean version of the question.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, inFeatures)}, one row per node</li>
 *   <li>Output: {@code (N, outFeatures)}</li>
 *   <li>weight W and rootWeight B: {@code (outFeatures, inFeatures)}, each U(-1/sqrt(in), 1/sqrt(in)) as
 *       {@link dlcourse.nn.Linear}'s weight</li>
 * </ul>
 * Options: {@code selfTerm(false)} drops {@code B h_v}; {@code relu(false)} leaves the output linear (a last layer
 * that gives logits). Example: {@code new GraphConv(16, 32, Aggregation.MAX)}.
 */
public class GraphConv extends GraphModule {
  private final long inFeatures;
  private final long outFeatures;
  private final Aggregation aggregation;
  private final Parameter weight;
  private Parameter rootWeight;
  private boolean relu = true;

  public GraphConv(long inFeatures, long outFeatures, Aggregation aggregation) {
    this.inFeatures = Check.positive(inFeatures, "inFeatures");
    this.outFeatures = Check.positive(outFeatures, "outFeatures");
    if (aggregation == null) {
      throw new IllegalArgumentException("aggregation must not be null");
    }
    this.aggregation = aggregation;
    weight = addParameter("weight", Nd4j.create(DataType.FLOAT, outFeatures, inFeatures));
    rootWeight = addParameter("rootWeight", Nd4j.create(DataType.FLOAT, outFeatures, inFeatures));
    resetParameters();
  }

  /** With {@code false}, the layer has no self term {@code B h_v} and no rootWeight (default true). */
  public GraphConv selfTerm(boolean enabled) {
    if (!enabled && rootWeight != null) {
      rootWeight = null;
      removeParameter("rootWeight");
    }
    return this;
  }

  public boolean selfTerm() {
    return rootWeight != null;
  }

  /** Whether the ReLU is applied (default true, the question's sigma). */
  public GraphConv relu(boolean enabled) {
    this.relu = enabled;
    return this;
  }

  public boolean relu() {
    return relu;
  }

  @Override
  public void resetParameters() {
    Init.kaimingUniform(weight.data(), Math.sqrt(5));
    if (rootWeight != null) {
      Init.kaimingUniform(rootWeight.data(), Math.sqrt(5));
    }
  }

  /** W, applied to the aggregated neighbours. */
  public Parameter weight() {
    return weight;
  }

  /** B, applied to the node's own features; null after {@code selfTerm(false)}. */
  public Parameter rootWeight() {
    return rootWeight;
  }

  public Aggregation aggregation() {
    return aggregation;
  }

  public long inFeatures() {
    return inFeatures;
  }

  public long outFeatures() {
    return outFeatures;
  }

  /** The edge form: gathers the neighbours' rows onto the edges and aggregates them at the receivers, O(E). */
  @Override
  public Tensor forward(Tensor x, Graph graph) {
    return GraphF.graphConv(x, graph, weight, rootWeight, aggregation, relu);
  }

  @Override
  protected String extraRepr() {
    return inFeatures + ", " + outFeatures + (getClass() == GraphConv.class ? ", aggregation=" + aggregation : "")
        + (rootWeight == null ? ", selfTerm=false" : "") + (relu ? "" : ", relu=false");
  }
}
