package dlcourse.nn;

import dlcourse.nn.internal.Graph;
import dlcourse.tensor.Shapes;
import java.util.Arrays;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A symbolic tensor inside a model graph: what {@link Module#forward(Tensor)} receives and returns.
 *
 * <p>Its shape is known when the graph is built (the batch size included), so every op checks shapes up front
 * and {@link Module#summary} can print them. Values exist only when the graph runs: call a module on an
 * {@code INDArray} ({@link Module#forward(org.nd4j.linalg.api.ndarray.INDArray)}) or train it to get numbers.
 * Arithmetic broadcasts like numpy.
 */
public final class Tensor {
  private final Graph graph;
  private final SDVariable var;
  private final long[] shape;

  private Tensor(Graph graph, SDVariable var, long[] shape) {
    this.graph = graph;
    this.var = var;
    this.shape = shape.clone();
  }

  /** Wraps a SameDiff variable whose shape the caller knows; for layer implementations. */
  public static Tensor wrap(Graph graph, SDVariable var, long... shape) {
    return new Tensor(graph, var, shape);
  }

  public Graph graph() {
    return graph;
  }

  /** The underlying SameDiff variable, for code that needs an op the library does not wrap. */
  public SDVariable sd() {
    return var;
  }

  public long[] shape() {
    return shape.clone();
  }

  /** Size along {@code dim}; negative counts from the end. */
  public long size(int dim) {
    return shape[Shapes.axis(dim, shape.length)];
  }

  public int dim() {
    return shape.length;
  }

  public long numel() {
    return Shapes.numel(shape);
  }

  public DataType dtype() {
    return var.dataType();
  }

  Tensor derive(SDVariable v, long... newShape) {
    return new Tensor(graph, v, newShape);
  }

  private void sameGraph(Tensor other) {
    if (other.graph != graph) {
      throw new IllegalArgumentException("tensors come from different graphs (built by different forward calls)");
    }
  }

  public Tensor add(Tensor o) {
    sameGraph(o);
    return derive(var.add(o.var), Shapes.broadcast(shape, o.shape, "add"));
  }

  public Tensor sub(Tensor o) {
    sameGraph(o);
    return derive(var.sub(o.var), Shapes.broadcast(shape, o.shape, "sub"));
  }

  public Tensor mul(Tensor o) {
    sameGraph(o);
    return derive(var.mul(o.var), Shapes.broadcast(shape, o.shape, "mul"));
  }

  public Tensor div(Tensor o) {
    sameGraph(o);
    return derive(var.div(o.var), Shapes.broadcast(shape, o.shape, "div"));
  }

  public Tensor add(double c) {
    return derive(var.add(c), shape);
  }

  public Tensor sub(double c) {
    return derive(var.sub(c), shape);
  }

  public Tensor mul(double c) {
    return derive(var.mul(c), shape);
  }

  public Tensor div(double c) {
    return derive(var.div(c), shape);
  }

  public Tensor neg() {
    return derive(var.neg(), shape);
  }

  public Tensor pow(double p) {
    return derive(var.pow(p), shape);
  }

  /**
   * Matrix product with numpy's rules for the last two dimensions; leading dimensions must match.
   * (B, n, k) x (B, k, m) -> (B, n, m); (n, k) x (k, m) -> (n, m).
   */
  public Tensor matmul(Tensor o) {
    sameGraph(o);
    if (dim() < 2 || o.dim() < 2 || size(-1) != o.size(-2)) {
      throw new IllegalArgumentException(
          "matmul: shapes " + Shapes.str(shape) + " and " + Shapes.str(o.shape) + " do not align");
    }
    long[] out = shape.clone();
    if (dim() == o.dim()) {
      for (int i = 0; i < dim() - 2; i++) {
        if (shape[i] != o.shape[i]) {
          throw new IllegalArgumentException(
              "matmul: batch dimensions of " + Shapes.str(shape) + " and " + Shapes.str(o.shape) + " differ");
        }
      }
      out[out.length - 1] = o.size(-1);
      return derive(var.mmul(o.var), out);
    }
    if (o.dim() == 2) {
      // (..., n, k) x (k, m): fold the leading dimensions into rows, multiply, unfold.
      long rows = numel() / size(-1);
      Tensor flat = reshape(rows, size(-1));
      out[out.length - 1] = o.size(-1);
      return flat.derive(flat.var.mmul(o.var), rows, o.size(-1)).reshape(out);
    }
    throw new IllegalArgumentException(
        "matmul: unsupported ranks " + Shapes.str(shape) + " x " + Shapes.str(o.shape));
  }

  /** Same data, new shape; one dimension may be -1. */
  public Tensor reshape(long... newShape) {
    long[] resolved = Shapes.reshape(shape, newShape);
    return derive(var.reshape(resolved), resolved);
  }

  /** Alias of {@link #reshape}, as in PyTorch. */
  public Tensor view(long... newShape) {
    return reshape(newShape);
  }

  /** Swaps two dimensions. */
  public Tensor transpose(int dim0, int dim1) {
    int[] perm = java.util.stream.IntStream.range(0, dim()).toArray();
    int a = Shapes.axis(dim0, dim());
    int b = Shapes.axis(dim1, dim());
    perm[a] = b;
    perm[b] = a;
    return permute(perm);
  }

  /** Reorders dimensions: output dimension i is input dimension {@code dims[i]}. */
  public Tensor permute(int... dims) {
    if (dims.length != dim()) {
      throw new IllegalArgumentException("permute: expected " + dim() + " dimensions, got " + Arrays.toString(dims));
    }
    long[] out = new long[dims.length];
    for (int i = 0; i < dims.length; i++) {
      out[i] = shape[Shapes.axis(dims[i], dim())];
    }
    return derive(var.permute(dims), out);
  }

  /** Flattens dimensions {@code startDim..end} into one, like {@code torch.flatten(x, startDim)}. */
  public Tensor flatten(int startDim) {
    int s = Shapes.axis(startDim, dim());
    long[] out = new long[s + 1];
    System.arraycopy(shape, 0, out, 0, s);
    out[s] = -1;
    return reshape(out);
  }

  public Tensor sum(boolean keepDim, int... dims) {
    return derive(var.sum(keepDim, axes(dims)), Shapes.reduce(shape, axes(dims), keepDim));
  }

  public Tensor mean(boolean keepDim, int... dims) {
    return derive(var.mean(keepDim, axes(dims)), Shapes.reduce(shape, axes(dims), keepDim));
  }

  public Tensor max(boolean keepDim, int... dims) {
    return derive(var.max(keepDim, axes(dims)), Shapes.reduce(shape, axes(dims), keepDim));
  }

  /** Sum of all elements, a scalar. */
  public Tensor sum() {
    return derive(var.sum(), new long[0]);
  }

  /** Mean of all elements, a scalar. */
  public Tensor mean() {
    return derive(var.mean(), new long[0]);
  }

  private int[] axes(int[] dims) {
    return Arrays.stream(dims).map(d -> Shapes.axis(d, dim())).toArray();
  }

  /** Casts to another data type. */
  public Tensor to(DataType type) {
    return derive(var.castTo(type), shape);
  }

  @Override
  public String toString() {
    return "Tensor" + Shapes.str(shape) + " " + var.dataType();
  }
}
