package dlcourse.nn;

import dlcourse.tensor.Tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Compares the gradients that {@link Tensor#backward()} puts into {@link Parameter#grad()} with central finite
 * differences, in double precision. A non-scalar output {@code y} is reduced to {@code sum(y * r)} with a fixed
 * random {@code r}, so every output element carries a different weight. Every evaluation reseeds {@link Init}, so
 * dropout draws the same mask each time.
 */
final class GradCheck {
  static final double EPS = 1e-6;
  static final double RTOL = 1e-5;
  static final double ATOL = 1e-8;
  /** Elements checked per tensor: all of them up to this count, else the first, the last and a seeded sample. */
  static final int MAX_PER_PARAM = 8;

  private GradCheck() {}

  /** Checks the parameters of {@code m} (converted to double) and the input {@code x} (if floating point). */
  static void module(Module m, INDArray x) {
    m.to(DataType.DOUBLE);
    if (x.dataType().isFPType()) {
      check(m, m.training(), List.of(x.castTo(DataType.DOUBLE)), List.of(), in -> m.call(in.get(0)));
    } else {
      check(m, m.training(), List.of(), List.of(x), in -> m.call(in.get(0)));
    }
  }

  /**
   * The general form: {@code fn} receives the differentiable inputs followed by the constant inputs, and returns
   * any tensor. Checks every trainable parameter of {@code model} (may be null) and every differentiable input;
   * returns the number of scalars checked.
   */
  static int check(Module model, boolean training, List<INDArray> diffInputs, List<INDArray> constInputs,
      Function<List<Tensor>, Tensor> fn) {
    if (model != null) {
      model.train(training);
    }
    List<Tensor> args = new ArrayList<>();
    Map<String, Tensor> checked = new LinkedHashMap<>();
    for (int i = 0; i < diffInputs.size(); i++) {
      Tensor t = Tensor.of(diffInputs.get(i)).requiresGrad(true);
      args.add(t);
      checked.put("input" + i, t);
    }
    constInputs.forEach(c -> args.add(Tensor.of(c)));
    if (model != null) {
      model.namedParameters().forEach((k, p) -> {
        if (p.requiresGrad()) {
          checked.put(k, p);
        }
      });
    }
    INDArray[] weights = new INDArray[1];
    java.util.function.Supplier<Tensor> loss = () -> {
      Init.manualSeed(12345);
      Tensor y = fn.apply(args);
      if (weights[0] == null) {
        java.util.Random r = new java.util.Random(7);
        weights[0] = Nd4j.create(DataType.DOUBLE, y.shape());
        for (long i = 0; i < weights[0].length(); i++) {
          weights[0].putScalar(i, r.nextDouble() - 0.5);
        }
      }
      return y.numel() == 1 ? y.sum() : y.mul(Tensor.of(weights[0].castTo(y.dtype()))).sum();
    };
    checked.values().forEach(Tensor::zeroGrad);
    loss.get().backward();
    int count = 0;
    for (var e : checked.entrySet()) {
      Tensor p = e.getValue();
      assertEquals(DataType.DOUBLE, p.dtype(), e.getKey() + " is not double");
      assertTrue(p.grad() != null, "no gradient for " + e.getKey());
      INDArray analytic = p.grad().array().dup();
      INDArray flat = p.array().reshape(p.numel());
      for (long i : indices(p.numel())) {
        double orig = flat.getDouble(i);
        double plus;
        double minus;
        try (var g = Tensor.noGrad()) {
          flat.putScalar(i, orig + EPS);
          plus = loss.get().item();
          flat.putScalar(i, orig - EPS);
          minus = loss.get().item();
        }
        flat.putScalar(i, orig);
        double numeric = (plus - minus) / (2 * EPS);
        double a = analytic.reshape(p.numel()).getDouble(i);
        assertTrue(Math.abs(a - numeric) <= ATOL + RTOL * (Math.abs(a) + Math.abs(numeric)),
            "gradient of " + e.getKey() + "[" + i + "]: analytic " + a + ", numeric " + numeric);
        count++;
      }
    }
    assertTrue(count > 0, "nothing to check");
    return count;
  }

  private static long[] indices(long n) {
    if (n <= MAX_PER_PARAM) {
      return java.util.stream.LongStream.range(0, n).toArray();
    }
    java.util.Random rnd = new java.util.Random(n);
    return java.util.stream.LongStream.concat(java.util.stream.LongStream.of(0, n - 1),
        rnd.longs(MAX_PER_PARAM - 2, 1, n - 1)).distinct().toArray();
  }

  /** Runs {@code fn} on {@code x} without recording. */
  static INDArray eval(Function<Tensor, Tensor> fn, INDArray x) {
    try (var g = Tensor.noGrad()) {
      return fn.apply(Tensor.of(x)).array();
    }
  }

  /** The gradient of {@code sum(fn(x) * r)} with respect to {@code x}. */
  static INDArray inputGradient(Function<Tensor, Tensor> fn, INDArray x, INDArray r) {
    Tensor t = Tensor.of(x).requiresGrad(true);
    fn.apply(t).mul(Tensor.of(r)).sum().backward();
    return t.grad().array();
  }
}
