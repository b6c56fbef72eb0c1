package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.internal.Executable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Compares the gradients that {@link Executable#step} puts into {@link Parameter#grad()} with central finite
 * differences, in double precision. A non-scalar output {@code y} is reduced to {@code sum(y * r)} with a fixed
 * random {@code r}, so every output element carries a different weight.
 */
final class GradCheck {
  static final double EPS = 1e-6;
  static final double RTOL = 1e-5;
  static final double ATOL = 1e-8;
  /**
   * Elements checked per parameter: all of them up to this count, else the first, the last and a seeded random
   * sample (each finite difference costs two graph runs of a few milliseconds).
   */
  static final int MAX_PER_PARAM = 8;

  private GradCheck() {}

  /** Holds the differentiable inputs as parameters so that the step computes their gradients too. */
  private static final class Holder extends Module {
    final List<Parameter> inputs = new ArrayList<>();

    Holder(Module model, List<INDArray> diffInputs) {
      if (model != null) {
        addModule("model", model);
      }
      for (int i = 0; i < diffInputs.size(); i++) {
        inputs.add(addParameter("input" + i, diffInputs.get(i)));
      }
    }

    @Override
    public Tensor forward(Tensor x) {
      throw new UnsupportedOperationException();
    }
  }

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
   * The general form: {@code fn} receives the differentiable inputs (as tensors of the graph) followed by the
   * constant inputs, and returns any tensor. Checks every trainable parameter of {@code model} (may be null) and
   * every differentiable input; returns the number of scalars checked.
   */
  static int check(Module model, boolean training, List<INDArray> diffInputs, List<INDArray> constInputs,
      Function<List<Tensor>, Tensor> fn) {
    Holder holder = new Holder(model, diffInputs);
    if (model != null) {
      holder.train(training);
    }
    // A scale input fed with 1 gives the body a handle on the graph even without constant inputs.
    List<long[]> shapes = new ArrayList<>(List.of(new long[] {1}));
    List<DataType> types = new ArrayList<>(List.of(DataType.DOUBLE));
    constInputs.forEach(c -> {
      shapes.add(c.shape());
      types.add(c.dataType());
    });
    Nd4j.getRandom().setSeed(12345);
    Executable exe = Executable.build(holder, training, shapes, types, in -> {
      List<Tensor> args = new ArrayList<>();
      for (Parameter p : holder.inputs) {
        args.add(in.get(0).graph().tensor(p));
      }
      args.addAll(in.subList(1, in.size()));
      Tensor y = fn.apply(args);
      if (y.numel() != 1) {
        y = y.mul(y.graph().constant(Nd4j.rand(DataType.DOUBLE, y.shape()).subi(0.5))).sum();
      } else if (y.dim() != 0) {
        y = y.sum();
      }
      return Map.of("loss", y.mul(in.get(0).reshape()).sum());
    });
    List<INDArray> all = new ArrayList<>(List.of(Nd4j.ones(DataType.DOUBLE, 1)));
    all.addAll(constInputs);
    INDArray[] feeds = all.toArray(new INDArray[0]);
    exe.step(feeds);
    int checked = 0;
    for (var e : holder.namedParameters().entrySet()) {
      Parameter p = e.getValue();
      if (!p.requiresGrad()) {
        continue;
      }
      assertEquals(DataType.DOUBLE, p.data().dataType(), e.getKey() + " is not double");
      INDArray analytic = p.grad().array();
      assertTrue(analytic != null, "no gradient for " + e.getKey());
      analytic = analytic.dup();
      INDArray flat = p.data().reshape(p.numel());
      for (long i : indices(p.numel())) {
        double orig = flat.getDouble(i);
        flat.putScalar(i, orig + EPS);
        double plus = exe.run(feeds).get("loss").getDouble(0);
        flat.putScalar(i, orig - EPS);
        double minus = exe.run(feeds).get("loss").getDouble(0);
        flat.putScalar(i, orig);
        double numeric = (plus - minus) / (2 * EPS);
        double a = analytic.reshape(p.numel()).getDouble(i);
        assertTrue(Math.abs(a - numeric) <= ATOL + RTOL * (Math.abs(a) + Math.abs(numeric)),
            "gradient of " + e.getKey() + "[" + i + "]: analytic " + a + ", numeric " + numeric);
        checked++;
      }
    }
    assertTrue(checked > 0, "nothing to check");
    return checked;
  }

  private static long[] indices(long n) {
    if (n <= MAX_PER_PARAM) {
      return java.util.stream.LongStream.range(0, n).toArray();
    }
    java.util.Random rnd = new java.util.Random(n);
    return java.util.stream.LongStream.concat(java.util.stream.LongStream.of(0, n - 1),
        rnd.longs(MAX_PER_PARAM - 2, 1, n - 1)).distinct().toArray();
  }

  /** Runs {@code fn} on {@code x} eagerly (no parameters involved). */
  static INDArray eval(Function<Tensor, Tensor> fn, INDArray x) {
    Module m = new Module() {
      @Override
      public Tensor forward(Tensor t) {
        return fn.apply(t);
      }
    };
    return m.forward(x);
  }

  /** The gradient of {@code sum(fn(x) * r)} with respect to {@code x}, as the training step computes it. */
  static INDArray inputGradient(Function<Tensor, Tensor> fn, INDArray x, INDArray r) {
    Holder holder = new Holder(null, List.of(x));
    Executable exe = Executable.build(holder, true, List.of(r.shape()), List.of(r.dataType()), in -> {
      Tensor y = fn.apply(in.get(0).graph().tensor(holder.inputs.get(0)));
      return Map.of("loss", y.mul(in.get(0)).sum());
    });
    exe.step(r);
    return holder.inputs.get(0).grad().array();
  }
}
