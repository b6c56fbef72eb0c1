package dlcourse.graph;

import dlcourse.tensor.Tensor;

/**
 * The GCN layer of the UvA DL1 question, {@code h_v' = relu(W (1/|N(v)|) sum_{u in N(v)} h_u + B h_v)}: the mean of
 * the neighbours through W plus the node's own features through B. (Kipf and Welling's GCN instead uses
 * {@code D^-1/2 (A + I) D^-1/2} and one weight; this is the mean-aggregation form of the question, PyTorch
 * Geometric's {@code SAGEConv}.)
 *
 * <p>Three forms compute the same output from the same parameters: {@link #forward(Tensor, Graph)} (edge form,
 * O(E)), {@link #forwardMatrix} ({@code H' = relu(D^-1 A H W^T + H B^T)}, rows of H are nodes) and
 * {@link #forwardLoop} (node by node, as the question writes it). Shapes as {@link GraphConv}.
 *
 * <p>Example: {@code new GCNLayer(16, 2).relu(false)} for an output layer that gives logits;
 * {@code new GCNLayer(8, 8).selfTerm(false)} without {@code B h_v}.
 */
public class GCNLayer extends GraphConv {
  public GCNLayer(long inFeatures, long outFeatures) {
    super(inFeatures, outFeatures, Aggregation.MEAN);
  }

  @Override
  public GCNLayer selfTerm(boolean enabled) {
    super.selfTerm(enabled);
    return this;
  }

  @Override
  public GCNLayer relu(boolean enabled) {
    super.relu(enabled);
    return this;
  }

  /** The matrix form {@code relu(D^-1 A H W^T + H B^T)}: dense N x N products. */
  public Tensor forwardMatrix(Tensor x, Graph graph) {
    return GraphF.gcnMatrix(x, graph, weight(), rootWeight(), relu());
  }

  /** The question's index form, one node at a time: {@code h_v' = relu(W mean_{u in N(v)} h_u + B h_v)}. */
  public Tensor forwardLoop(Tensor x, Graph graph) {
    return GraphF.gcnLoop(x, graph, weight(), rootWeight(), relu());
  }
}
