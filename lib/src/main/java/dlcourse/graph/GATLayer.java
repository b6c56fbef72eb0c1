package dlcourse.graph;

import dlcourse.nn.Init;
import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A graph attention layer (Veličković et al. 2018; PyTorch Geometric's {@code GATConv} without bias and dropout):
 * per head, with {@code z_u = W h_u},
 *
 * <pre>
 *   e_uv     = LeakyReLU(a_src . z_u + a_dst . z_v)            for every edge u -> v
 *   alpha_uv = exp(e_uv) / sum_{w in N(v)} exp(e_wv)           (softmax over v's neighbours)
 *   h_v'     = relu(sum_{u in N(v)} alpha_uv z_u)
 * </pre>
 *
 * where heads are concatenated (or averaged) before the ReLU. Where GCN weighs every neighbour by the fixed
 * {@code 1/|N(v)|}, GAT learns the weights from the features; with {@code a_src = a_dst = 0} every score is equal and
 * the layer is the mean aggregation {@code relu(W mean_{u in N(v)} h_u)}. The graph's edges are used as given: pass
 * {@code graph.withSelfLoops()} for a node to attend to itself (PyTorch Geometric adds them by default).
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (N, inFeatures)}</li>
 *   <li>Output: {@code (N, heads * outFeatures)} with {@code concat} (default), {@code (N, outFeatures)} without</li>
 *   <li>Attention ({@link #forwardWithAttention}): {@code (E, heads)}, in the graph's edge order</li>
 *   <li>weight {@code (heads * outFeatures, inFeatures)}, attSrc and attDst {@code (heads, outFeatures)}, all
 *       Xavier-uniform as in PyTorch Geometric</li>
 * </ul>
 * Options: {@code concat}, {@code negativeSlope}, {@code dropout} (on the attention weights, training only),
 * {@code relu}. Example: {@code new GATLayer(16, 8, 4)} (4 heads of 8, output 32), {@code new GATLayer(32, 3).relu(false)}.
 */
public class GATLayer extends GraphModule {
  private final long inFeatures;
  private final long outFeatures;
  private final int heads;
  private final Parameter weight;
  private final Parameter attSrc;
  private final Parameter attDst;
  private boolean concat = true;
  private double negativeSlope = 0.2;
  private boolean relu = true;
  private double dropout;

  public GATLayer(long inFeatures, long outFeatures) {
    this(inFeatures, outFeatures, 1);
  }

  public GATLayer(long inFeatures, long outFeatures, int heads) {
    this.inFeatures = Check.positive(inFeatures, "inFeatures");
    this.outFeatures = Check.positive(outFeatures, "outFeatures");
    this.heads = (int) Check.positive(heads, "heads");
    weight = addParameter("weight", Nd4j.create(DataType.FLOAT, heads * outFeatures, inFeatures));
    attSrc = addParameter("attSrc", Nd4j.create(DataType.FLOAT, heads, outFeatures));
    attDst = addParameter("attDst", Nd4j.create(DataType.FLOAT, heads, outFeatures));
    resetParameters();
  }

  /** Whether heads are concatenated (default true) or averaged. */
  public GATLayer concat(boolean concat) {
    this.concat = concat;
    return this;
  }

  public boolean concat() {
    return concat;
  }

  /** The slope of the LeakyReLU on the scores for negative inputs (default 0.2, as the paper). */
  public GATLayer negativeSlope(double slope) {
    Check.nonNegative(slope, "negativeSlope");
    this.negativeSlope = slope;
    return this;
  }

  public double negativeSlope() {
    return negativeSlope;
  }

  /**
   * Dropout probability on the attention weights during training (default 0; the GAT paper uses 0.6): each edge's
   * weight is zeroed with this probability and the others scaled by {@code 1 / (1 - p)}.
   */
  public GATLayer dropout(double p) {
    this.dropout = Check.probability(p, "dropout");
    return this;
  }

  public double dropout() {
    return dropout;
  }

  /** Whether the ReLU is applied to the output (default true, the question's sigma). */
  public GATLayer relu(boolean enabled) {
    this.relu = enabled;
    return this;
  }

  public boolean relu() {
    return relu;
  }

  @Override
  public void resetParameters() {
    Init.xavierUniform(weight.data(), 1);
    Init.xavierUniform(attSrc.data(), 1);
    Init.xavierUniform(attDst.data(), 1);
  }

  public Parameter weight() {
    return weight;
  }

  /** a_src: one row per head, dotted with the sender's {@code z_u}. */
  public Parameter attSrc() {
    return attSrc;
  }

  /** a_dst: one row per head, dotted with the receiver's {@code z_v}. */
  public Parameter attDst() {
    return attDst;
  }

  public int heads() {
    return heads;
  }

  public long inFeatures() {
    return inFeatures;
  }

  /** Features per head. */
  public long outFeatures() {
    return outFeatures;
  }

  @Override
  public Tensor forward(Tensor x, Graph graph) {
    return forwardWithAttention(x, graph).output();
  }

  /** The output and the attention weights {@code alpha} (E, heads) of every edge. */
  public GraphF.GatOutput forwardWithAttention(Tensor x, Graph graph) {
    return GraphF.gat(x, graph, weight, attSrc, attDst, concat, negativeSlope, relu, dropout, training());
  }

  @Override
  protected String extraRepr() {
    return inFeatures + ", " + outFeatures + (heads != 1 ? ", heads=" + heads : "") + (concat ? "" : ", concat=false")
        + (negativeSlope != 0.2 ? ", negativeSlope=" + negativeSlope : "") + (dropout != 0 ? ", dropout=" + dropout
            : "")
        + (relu ? "" : ", relu=false");
  }
}
