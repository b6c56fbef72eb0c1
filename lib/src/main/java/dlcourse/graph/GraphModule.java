package dlcourse.graph;

import dlcourse.nn.Module;
import dlcourse.tensor.Tensor;

/**
 * A module whose forward pass needs a graph besides the node features, like PyTorch Geometric's layers
 * ({@code conv(x, edge_index)}): subclasses implement {@link #forward(Tensor, Graph)}. The one-argument
 * {@link #forward(Tensor)} of {@link Module} has no graph to work on and throws.
 */
public abstract class GraphModule extends Module {
  /**
   * Computes new node features from {@code x} on {@code graph}.
   *
   * @param x (N, *) node features, one row per node of {@code graph}
   */
  public abstract Tensor forward(Tensor x, Graph graph);

  /** @throws UnsupportedOperationException always: a graph layer needs {@code forward(x, graph)} */
  @Override
  public final Tensor forward(Tensor x) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " needs a graph: call forward(x, graph) instead of forward(x)");
  }
}
