package dlcourse.graph;

import dlcourse.tensor.Tensor;

/**
 * Base class of message-passing layers, like PyTorch Geometric's {@code MessagePassing}: a layer computes a message
 * on every edge {@code u -> v} from the receiver's and the sender's features, aggregates the messages at every node
 * (sum, mean or max over N(v)), and updates each node from its aggregate and its own features:
 *
 * <pre>
 *   m_uv = message(h_v, h_u)        for every edge u -> v
 *   m_v  = AGG_{u in N(v)} m_uv     (SUM, MEAN or MAX; zero for a node without neighbours)
 *   h_v' = update(m_v, h_v)
 * </pre>
 *
 * Subclasses override {@link #message} and {@link #update} (the defaults pass {@code h_u} and {@code m_v} through)
 * and register their parameters as any {@link dlcourse.nn.Module}. For example the question's GCN layer:
 *
 * <pre>{@code
 * class Gcn extends MessagePassing {
 *   final Linear w = addModule("w", new Linear(in, out).bias(false)), b = addModule("b", new Linear(in, out).bias(false));
 *   Gcn() { super(Aggregation.SUM); }
 *   protected Tensor message(Tensor hV, Tensor hU, Graph g) { return hU.div(g.targetDegrees(hU.dtype()).unsqueeze(1)); }
 *   protected Tensor update(Tensor m, Tensor h) { return w.forward(m).add(b.forward(h)).relu(); }
 * }
 * }</pre>
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input x: {@code (N, *)}, one row per node</li>
 *   <li>message: receives {@code (E, *)} rows at the edges' targets and sources, returns {@code (E, *')}</li>
 *   <li>update: receives {@code (N, *')} aggregates and x, returns the output</li>
 * </ul>
 */
public abstract class MessagePassing extends GraphModule {
  private final Aggregation aggregation;

  protected MessagePassing(Aggregation aggregation) {
    if (aggregation == null) {
      throw new IllegalArgumentException("aggregation must not be null");
    }
    this.aggregation = aggregation;
  }

  public Aggregation aggregation() {
    return aggregation;
  }

  /**
   * The message along every edge {@code u -> v}; the default is the sender's features {@code h_u}.
   *
   * @param hTarget (E, *) the receiver's row for every edge
   * @param hSource (E, *) the sender's row for every edge
   * @param graph the graph (edge order as {@link Graph#sources()}, degrees via {@link Graph#targetDegrees})
   */
  protected Tensor message(Tensor hTarget, Tensor hSource, Graph graph) {
    return hSource;
  }

  /** Combines the messages at every node with this layer's {@link Aggregation}: (E, *) to (N, *). */
  protected Tensor aggregate(Tensor messages, Graph graph) {
    return GraphF.scatter(messages, graph.targetsShared(), graph.numNodes(), aggregation);
  }

  /** The new features of every node from its aggregated messages (N, *) and its old features; default {@code m_v}. */
  protected Tensor update(Tensor aggregated, Tensor x) {
    return aggregated;
  }

  /** Runs message, aggregate and update on {@code graph}. */
  public Tensor propagate(Tensor x, Graph graph) {
    GraphF.checkNodes(x, graph, getClass().getSimpleName());
    Tensor messages = message(GraphF.gather(x, graph.targetsShared()), GraphF.gather(x, graph.sourcesShared()), graph);
    return update(aggregate(messages, graph), x);
  }

  @Override
  public Tensor forward(Tensor x, Graph graph) {
    return propagate(x, graph);
  }

  @Override
  protected String extraRepr() {
    return "aggregation=" + aggregation;
  }
}
