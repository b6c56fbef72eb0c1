/**
 * Graphs and graph neural networks on {@link dlcourse.tensor.Tensor}: {@link dlcourse.graph.Graph} (edge lists,
 * adjacency, degree and Laplacian matrices), the edge-form operations of {@link dlcourse.graph.GraphF} (gather,
 * scatter, softmax over neighbours), the layers {@link dlcourse.graph.GCNLayer}, {@link dlcourse.graph.GraphConv},
 * {@link dlcourse.graph.GATLayer} and the base class {@link dlcourse.graph.MessagePassing}, and a stochastic block
 * model generator for node classification ({@link dlcourse.graph.StochasticBlockModel}).
 */
package dlcourse.graph;
