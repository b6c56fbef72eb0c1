package dlcourse.nn.autograd;

import dlcourse.nn.Conv2d;
import dlcourse.nn.Flatten;
import dlcourse.nn.Linear;
import dlcourse.nn.MaxPool2d;
import dlcourse.nn.Module;
import dlcourse.nn.Parameter;
import dlcourse.nn.ReLU;
import dlcourse.nn.Sequential;
import java.util.ArrayList;
import java.util.List;

/**
 * Eager layers applied in order. {@link #from(Sequential)} builds the eager twin of a library network that
 * shares its parameters, so the same weights can be trained by either backward pass.
 *
 * <pre>{@code
 * var eager = EagerSequential.from(net);                 // Conv2d -> EagerConv2d, ReLU -> relu, ...
 * Variable loss = new CrossEntropyFunction().apply(eager.forward(Variable.of(x)), Variable.of(y));
 * loss.backward();                                        // hand-written backward passes
 * optimizer.step();                                       // any dlcourse.train optimizer
 * }</pre>
 */
public final class EagerSequential extends EagerModule {
  private final List<EagerModule> layers;

  public EagerSequential(EagerModule... layers) {
    this.layers = List.of(layers);
  }

  /**
   * The eager twin of {@code net}: supports {@link Conv2d} (zero padding), {@link ReLU}, {@link MaxPool2d}
   * (no padding, floor mode), {@link Flatten} (from dimension 1) and {@link Linear}.
   *
   * @throws IllegalArgumentException naming the first layer that has no eager twin
   */
  public static EagerSequential from(Sequential net) {
    List<EagerModule> out = new ArrayList<>();
    for (int i = 0; i < net.size(); i++) {
      out.add(twin(net.get(i), i));
    }
    return new EagerSequential(out.toArray(new EagerModule[0]));
  }

  private static EagerModule twin(Module m, int index) {
    if (m instanceof Conv2d c) {
      return new EagerConv2d(c);
    }
    if (m instanceof Linear l) {
      return new EagerLinear(l);
    }
    if (m instanceof ReLU) {
      return of(new ReLUFunction(), "ReLU");
    }
    if (m instanceof Flatten) {
      return of(new ReshapeFunction(), "Flatten");
    }
    if (m instanceof MaxPool2d p && !p.ceilMode() && p.padding()[0] == 0 && p.padding()[1] == 0) {
      return of(new MaxPool2dFunction(p.kernelSize(), p.stride()), "MaxPool2d");
    }
    throw new IllegalArgumentException("layer " + index + " (" + m + ") has no eager twin; supported: Conv2d, ReLU, "
        + "MaxPool2d without padding, Flatten, Linear");
  }

  /** A parameter-free eager layer applying {@code fn}. */
  public static EagerModule of(Function fn, String name) {
    return new EagerModule() {
      @Override
      public Variable forward(Variable x) {
        return fn.apply(x);
      }

      @Override
      public String toString() {
        return "Eager" + name + "()";
      }
    };
  }

  public List<EagerModule> layers() {
    return layers;
  }

  @Override
  public Variable forward(Variable x) {
    for (EagerModule m : layers) {
      x = m.forward(x);
    }
    return x;
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    layers.forEach(m -> out.addAll(m.parameters()));
    return out;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("EagerSequential(\n");
    for (int i = 0; i < layers.size(); i++) {
      b.append("  (").append(i).append("): ").append(layers.get(i)).append('\n');
    }
    return b.append(')').toString();
  }
}
