package dlcourse.tensor;

import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gradients by central finite differences, to check a backward pass against, like
 * {@code torch.autograd.gradcheck}. Use double precision: in float the rounding error of f swamps the difference.
 */
public final class GradCheck {
  private GradCheck() {}

  /**
   * The gradient of {@code f} at {@code x} by central differences, {@code (f(x + eps) - f(x - eps)) / 2 eps} per
   * element.
   *
   * @param f a scalar function of {@code x}; it must not keep {@code x}, which is perturbed in place and restored
   * @param x the point, double precision
   * @throws IllegalArgumentException if {@code x} is not double
   */
  public static INDArray numerical(ToDoubleFunction<INDArray> f, INDArray x, double eps) {
    if (x.dataType() != DataType.DOUBLE) {
      throw new IllegalArgumentException("numerical gradients need a DOUBLE array, got " + x.dataType());
    }
    INDArray grad = x.ulike();
    for (long i = 0; i < x.length(); i++) { // linear index, row-major
      double v = x.getDouble(i);
      x.putScalar(i, v + eps);
      double plus = f.applyAsDouble(x);
      x.putScalar(i, v - eps);
      double minus = f.applyAsDouble(x);
      x.putScalar(i, v);
      grad.putScalar(i, (plus - minus) / (2 * eps));
    }
    return grad;
  }

  /**
   * Compares the backward pass of {@code f} with finite differences for every input that requires a gradient:
   * the loss is {@code sum(f(inputs) * w)} with a fixed random {@code w}, so every output element counts.
   *
   * @param f the function under test
   * @param inputs double tensors; those with {@code requiresGrad()} are checked
   * @return the largest difference between the two gradients, relative to the largest gradient element (or
   *     absolute when every gradient is below 1)
   */
  public static double check(Function<Tensor[], Tensor> f, Tensor... inputs) {
    for (Tensor t : inputs) {
      if (t.dtype() != DataType.DOUBLE) {
        throw new IllegalArgumentException("gradient checks need DOUBLE inputs, got " + t.dtype());
      }
    }
    Tensor out = f.apply(inputs);
    java.util.Random rng = new java.util.Random(42);
    INDArray w = Nd4j.create(DataType.DOUBLE, out.shape());
    for (long i = 0; i < w.length(); i++) {
      w.putScalar(i, rng.nextGaussian());
    }
    for (Tensor t : inputs) {
      t.zeroGrad();
    }
    out.mul(Tensor.of(w)).sum().backward();
    double worst = 0;
    for (Tensor t : inputs) {
      if (!t.requiresGrad()) {
        continue;
      }
      INDArray numeric = numerical(x -> {
        try (var g = Tensor.noGrad()) {
          return f.apply(inputs).array().mul(w).sumNumber().doubleValue();
        }
      }, t.array(), 1e-6);
      INDArray analytic = t.grad() == null ? Nd4j.zeros(DataType.DOUBLE, t.shape()) : t.grad().array();
      double scale = Math.max(1, numeric.amaxNumber().doubleValue());
      worst = Math.max(worst, analytic.sub(numeric).amaxNumber().doubleValue() / scale);
    }
    return worst;
  }

  /** Largest absolute difference between two arrays of the same shape. */
  public static double maxAbsDiff(INDArray a, INDArray b) {
    if (!java.util.Arrays.equals(a.shape(), b.shape())) {
      throw new IllegalArgumentException("shapes differ: " + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
    }
    return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
  }

  /** Largest absolute difference between two tensors of the same shape (their arrays, compared in double). */
  public static double maxAbsDiff(Tensor a, Tensor b) {
    return maxAbsDiff(a.array(), b.array());
  }
}
