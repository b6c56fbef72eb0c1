package dlcourse.nn;

import dlcourse.util.Check;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A one-hidden-layer tanh network with a softmax output and the cross-entropy loss, whose forward pass, backward
 * pass and gradient step are written by hand on arrays: no {@link dlcourse.tensor.Tensor}, no tape. It is the
 * network of the RDFIA practical "neural networks" (its {@code init_params}, {@code forward}, {@code loss_accuracy},
 * {@code backward} and {@code sgd}), and the reference that the autograd versions of the same network are compared
 * with.
 *
 * <p>Forward, for a batch {@code x} of B rows:
 *
 * <pre>
 *   h~ = x W_h^T + b_h      h = tanh(h~)      y~ = h W_y^T + b_y      y^ = softmax(y~)
 *   L  = (1/B) sum_b l_b,   l = -sum_i y_i log y^_i = -sum_i y_i y~_i + log sum_i exp(y~_i)
 * </pre>
 *
 * Backward (each line is one of the practical's questions, divided by B because L is the batch mean):
 *
 * <pre>
 *   grad y~ = (y^ - y) / B                       (Q15)
 *   grad W_y = (grad y~)^T h,   grad b_y = sum over the batch of grad y~          (Q16)
 *   grad h~ = (1 - h^2) * (grad y~ W_y),   grad W_h = (grad h~)^T x,   grad b_h = sum of grad h~   (Q17)
 * </pre>
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input {@code x}: {@code (B, nx)}; targets {@code y}: one-hot {@code (B, ny)} or class indices {@code (B)}
 *       (int64)</li>
 *   <li>Output {@code y^}: {@code (B, ny)}</li>
 *   <li>W_h: {@code (nh, nx)}, b_h: {@code (nh)}, W_y: {@code (ny, nh)}, b_y: {@code (ny)}, all drawn from
 *       N(0, std^2) by {@link #ManualMlp(long, long, long, double)} (the practical's std is 0.3) with the
 *       generator of {@link Init#manualSeed}, in that order; or given by {@link #of}.</li>
 * </ul>
 * Arrays are double unless built with {@link #of} from float arrays; every computation keeps the parameters' type.
 * Biases are broadcast with {@code addi(b.reshape(1, n))}, not ND4J's {@code addiRowVector} (README, "Threads and memory").
 *
 * <pre>{@code
 * Init.manualSeed(0);
 * var mlp = new ManualMlp(2, 10, 2, 0.3);
 * ManualMlp.Forward f = mlp.forward(x);              // x (10, 2) double
 * double loss = ManualMlp.loss(f.yHat(), y);         // y (10) int64 or (10, 2) one-hot
 * mlp.step(mlp.backward(f, y), 0.03);
 * }</pre>
 */
public final class ManualMlp {
  private final INDArray wh;
  private final INDArray bh;
  private final INDArray wy;
  private final INDArray by;

  /** The intermediate values of one forward pass, all {@code (B, n)}: what the backward pass needs. */
  public record Forward(INDArray x, INDArray hTilde, INDArray h, INDArray yTilde, INDArray yHat) {}

  /** The gradients of the mean loss, shaped like the parameters they belong to. */
  public record Gradients(INDArray wh, INDArray bh, INDArray wy, INDArray by) {}

  /**
   * A network {@code nx -> tanh(nh) -> softmax(ny)} in double precision, every weight and bias drawn from
   * N(0, std^2) (W_h, b_h, W_y, b_y in that order, each row-major).
   *
   * @throws IllegalArgumentException if a size is not positive or std is negative
   */
  public ManualMlp(long nx, long nh, long ny, double std) {
    Check.positive(nx, "nx");
    Check.positive(nh, "nh");
    Check.positive(ny, "ny");
    Check.nonNegative(Check.finite(std, "std"), "std");
    wh = Init.normal(Nd4j.create(DataType.DOUBLE, nh, nx), 0, std);
    bh = Init.normal(Nd4j.create(DataType.DOUBLE, nh), 0, std);
    wy = Init.normal(Nd4j.create(DataType.DOUBLE, ny, nh), 0, std);
    by = Init.normal(Nd4j.create(DataType.DOUBLE, ny), 0, std);
  }

  private ManualMlp(INDArray wh, INDArray bh, INDArray wy, INDArray by) {
    this.wh = wh;
    this.bh = bh;
    this.wy = wy;
    this.by = by;
  }

  /**
   * A network with copies of the given parameters, e.g. those of a library {@code Linear - Tanh - Linear} stack, so
   * both start from the same weights.
   *
   * @param wh {@code (nh, nx)}
   * @param bh {@code (nh)}
   * @param wy {@code (ny, nh)}
   * @param by {@code (ny)}
   * @throws IllegalArgumentException if the shapes do not fit together or the types differ
   */
  public static ManualMlp of(INDArray wh, INDArray bh, INDArray wy, INDArray by) {
    if (wh.rank() != 2 || wy.rank() != 2 || bh.length() != wh.size(0) || wy.size(1) != wh.size(0)
        || by.length() != wy.size(0)) {
      throw new IllegalArgumentException("expected W_h (nh, nx), b_h (nh), W_y (ny, nh), b_y (ny), got "
          + Arrays.toString(wh.shape()) + ", " + Arrays.toString(bh.shape()) + ", " + Arrays.toString(wy.shape())
          + ", " + Arrays.toString(by.shape()));
    }
    DataType t = wh.dataType();
    if (!t.isFPType() || bh.dataType() != t || wy.dataType() != t || by.dataType() != t) {
      throw new IllegalArgumentException("parameters must share one floating-point type, got " + wh.dataType()
          + ", " + bh.dataType() + ", " + wy.dataType() + ", " + by.dataType());
    }
    return new ManualMlp(wh.dup('c'), bh.reshape(-1).dup('c'), wy.dup('c'), by.reshape(-1).dup('c'));
  }

  /** W_h {@code (nh, nx)}, updated in place by {@link #step}. */
  public INDArray wh() {
    return wh;
  }

  /** b_h {@code (nh)}. */
  public INDArray bh() {
    return bh;
  }

  /** W_y {@code (ny, nh)}. */
  public INDArray wy() {
    return wy;
  }

  /** b_y {@code (ny)}. */
  public INDArray by() {
    return by;
  }

  /** The number of parameters, {@code nh*nx + nh + ny*nh + ny}. */
  public long numParameters() {
    return wh.length() + bh.length() + wy.length() + by.length();
  }

  /** h~ = x W_h^T + b_h, h = tanh(h~), y~ = h W_y^T + b_y, y^ = softmax(y~), row by row. */
  public Forward forward(INDArray x) {
    if (x.rank() != 2 || x.size(1) != wh.size(1)) {
      throw new IllegalArgumentException("expected input (B, " + wh.size(1) + "), got " + Arrays.toString(x.shape()));
    }
    INDArray xt = x.dataType() == wh.dataType() ? x : x.castTo(wh.dataType());
    INDArray hTilde = xt.mmul(wh.transpose()).addi(bh.reshape(1, -1)); // (B, nh)
    INDArray h = Transforms.tanh(hTilde, true); // (B, nh)
    INDArray yTilde = h.mmul(wy.transpose()).addi(by.reshape(1, -1)); // (B, ny)
    return new Forward(xt, hTilde, h, yTilde, softmax(yTilde));
  }

  /** The class scores y~ {@code (B, ny)} of a batch: the arg-max is the predicted class. */
  public INDArray predict(INDArray x) {
    return forward(x).yTilde();
  }

  /**
   * Softmax of each row, {@code exp(y~_i - max) / sum_j exp(y~_j - max)}: subtracting the row's maximum changes
   * nothing mathematically and keeps exp from overflowing.
   */
  public static INDArray softmax(INDArray yTilde) {
    INDArray shifted = yTilde.sub(yTilde.max(1).reshape(-1, 1));
    INDArray e = Transforms.exp(shifted, false);
    return e.divi(e.sum(1).reshape(-1, 1));
  }

  /** The mean cross-entropy {@code -(1/B) sum_b sum_i y_bi log y^_bi} of predictions y^ against targets y. */
  public static double loss(INDArray yHat, INDArray y) {
    INDArray t = targets(y, yHat);
    return -t.mul(Transforms.log(yHat, true)).sumNumber().doubleValue() / yHat.size(0);
  }

  /** The fraction of rows whose largest score is the target class. */
  public static double accuracy(INDArray scores, INDArray y) {
    INDArray t = targets(y, scores);
    long[] pred = scores.argMax(1).toLongVector();
    long[] truth = t.argMax(1).toLongVector();
    long correct = 0;
    for (int i = 0; i < pred.length; i++) {
      correct += pred[i] == truth[i] ? 1 : 0;
    }
    return correct / (double) pred.length;
  }

  /** The gradients of the mean loss of {@code f} (the forward pass of this batch) with respect to the parameters. */
  public Gradients backward(Forward f, INDArray y) {
    long b = f.x().size(0);
    INDArray gradYTilde = f.yHat().sub(targets(y, f.yHat())).divi(b); // (B, ny)        Q15
    INDArray gradWy = gradYTilde.transpose().mmul(f.h()); // (ny, nh)                   Q16
    INDArray gradBy = gradYTilde.sum(0); // (ny)
    INDArray oneMinusH2 = f.h().mul(f.h()).rsubi(1); // (B, nh)
    INDArray gradHTilde = gradYTilde.mmul(wy).muli(oneMinusH2); // (B, nh)              Q17
    INDArray gradWh = gradHTilde.transpose().mmul(f.x()); // (nh, nx)
    INDArray gradBh = gradHTilde.sum(0); // (nh)
    return new Gradients(gradWh, gradBh, gradWy, gradBy);
  }

  /** One step of gradient descent, in place: {@code theta <- theta - lr * grad theta} for each parameter. */
  public void step(Gradients g, double lr) {
    wh.subi(g.wh().mul(lr));
    bh.subi(g.bh().mul(lr));
    wy.subi(g.wy().mul(lr));
    by.subi(g.by().mul(lr));
  }

  /** One-hot targets {@code (B, ny)} in the type of {@code like}: from class indices, or the one-hot array itself. */
  private static INDArray targets(INDArray y, INDArray like) {
    long batch = like.size(0);
    long classes = like.size(1);
    if (y.rank() == 2 && y.size(0) == batch && y.size(1) == classes) {
      return y.dataType() == like.dataType() ? y : y.castTo(like.dataType());
    }
    if (y.length() != batch || y.dataType().isFPType()) {
      throw new IllegalArgumentException("expected targets as one-hot (" + batch + ", " + classes
          + ") or class indices (" + batch + ") int64, got " + Arrays.toString(y.shape()) + " " + y.dataType());
    }
    long[] cls = y.reshape(-1).toLongVector();
    INDArray t = Nd4j.zeros(like.dataType(), batch, classes);
    for (int i = 0; i < cls.length; i++) {
      if (cls[i] < 0 || cls[i] >= classes) {
        throw new IllegalArgumentException("class " + cls[i] + " at row " + i + " is outside [0, " + classes + ")");
      }
      t.putScalar(i, cls[i], 1.0);
    }
    return t;
  }

  @Override
  public String toString() {
    return "ManualMlp(" + wh.size(1) + " -> tanh(" + wh.size(0) + ") -> softmax(" + wy.size(0) + "), "
        + wh.dataType() + ")";
  }
}
