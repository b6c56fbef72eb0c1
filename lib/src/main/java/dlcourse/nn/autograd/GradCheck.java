package dlcourse.nn.autograd;

import dlcourse.nn.Module;
import dlcourse.nn.Parameter;
import dlcourse.nn.Tensor;
import dlcourse.nn.internal.Executable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reference gradients to check a hand-written backward pass against: central finite differences, and the
 * gradients SameDiff computes for a library module.
 */
public final class GradCheck {
  /** Gradients of {@code sum(module(x) * gradOutput)}: for the input and for each parameter, by path. */
  public record Gradients(INDArray output, INDArray input, Map<String, INDArray> parameters) {}

  private GradCheck() {}

  /**
   * The gradient of {@code f} at {@code x} by central differences, {@code (f(x + eps) - f(x - eps)) / 2 eps} per
   * element. Use double precision: in float the rounding error of f swamps the difference.
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
   * The library's own gradients for {@code module} at {@code x}: the module runs in a SameDiff graph with the
   * loss {@code sum(module(x) * gradOutput)}, so the gradients are those SameDiff derives for an upstream
   * gradient {@code gradOutput}. Also sets {@link Parameter#grad()} of the module's parameters.
   *
   * @param x input, the type of the module's parameters
   * @param gradOutput shaped as the module's output
   */
  public static Gradients library(Module module, INDArray x, INDArray gradOutput) {
    // The input enters the graph as a parameter so that SameDiff computes its gradient too.
    Parameter input = Parameter.of("input", x.dup());
    Executable exe = Executable.build(module, true, List.of(gradOutput.shape()), List.of(gradOutput.dataType()),
        in -> {
          Tensor g = in.get(0);
          Tensor y = module.call(g.graph().tensor(input));
          Map<String, Tensor> out = new LinkedHashMap<>();
          out.put("output", y);
          out.put("loss", y.mul(g).sum());
          return out;
        });
    Executable.StepResult r = exe.step(gradOutput);
    Map<String, INDArray> params = new LinkedHashMap<>();
    module.namedParameters().forEach((k, p) -> {
      if (p.grad() != null) {
        params.put(k, p.grad().array().dup());
      }
    });
    return new Gradients(r.outputs().get("output"), input.grad().array().dup(), params);
  }

  /** Largest absolute difference between two arrays of the same shape. */
  public static double maxAbsDiff(INDArray a, INDArray b) {
    if (!java.util.Arrays.equals(a.shape(), b.shape())) {
      throw new IllegalArgumentException("shapes differ: " + java.util.Arrays.toString(a.shape()) + " and "
          + java.util.Arrays.toString(b.shape()));
    }
    return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
  }
}
