package dlcourse.nn.autograd;

import dlcourse.nn.Linear;
import dlcourse.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/** The eager twin of a library {@link Linear}, sharing its parameters; computed by {@link LinearFunction}. */
public final class EagerLinear extends EagerModule {
  private static final LinearFunction FUNCTION = new LinearFunction();
  private final Linear linear;

  public EagerLinear(Linear linear) {
    this.linear = linear;
  }

  @Override
  public Variable forward(Variable x) {
    Variable w = Variable.of(linear.weight());
    return linear.bias() == null ? FUNCTION.apply(x, w) : FUNCTION.apply(x, w, Variable.of(linear.bias()));
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>(List.of(linear.weight()));
    if (linear.bias() != null) {
      out.add(linear.bias());
    }
    return out;
  }

  @Override
  public String toString() {
    return "Eager" + linear;
  }
}
