package dlcourse.nn.autograd;

import dlcourse.nn.Conv2d;
import dlcourse.nn.PaddingMode;
import dlcourse.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * The eager twin of a library {@link Conv2d}: same settings and the same {@link Parameter} objects (so both
 * layers see every update), computed by {@link Conv2dFunction} with its hand-written backward pass.
 * Shapes as {@link Conv2d}. Example: {@code new EagerConv2d(new Conv2d(1, 16, 3).padding(1))}.
 */
public final class EagerConv2d extends EagerModule {
  private final Conv2d conv;
  private final Conv2dFunction function;

  /**
   * @param conv a zero-padded convolution without dilation
   * @throws IllegalArgumentException for other padding modes or dilation
   */
  public EagerConv2d(Conv2d conv) {
    if (conv.paddingMode() != PaddingMode.ZEROS || conv.dilation()[0] != 1 || conv.dilation()[1] != 1) {
      throw new IllegalArgumentException("EagerConv2d supports zero padding without dilation, got " + conv);
    }
    this.conv = conv;
    this.function = new Conv2dFunction(conv.stride(), conv.padding());
  }

  @Override
  public Variable forward(Variable x) {
    Variable w = Variable.of(conv.weight());
    return conv.bias() == null ? function.apply(x, w) : function.apply(x, w, Variable.of(conv.bias()));
  }

  @Override
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>(List.of(conv.weight()));
    if (conv.bias() != null) {
      out.add(conv.bias());
    }
    return out;
  }

  @Override
  public String toString() {
    return "Eager" + conv;
  }
}
