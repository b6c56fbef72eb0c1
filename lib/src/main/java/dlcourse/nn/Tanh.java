package dlcourse.nn;

import dlcourse.tensor.Tensor;

/** tanh(x), element-wise. Shape: any; the output has the input's shape. */
public class Tanh extends Module {
  @Override
  public Tensor forward(Tensor x) {
    return F.tanh(x);
  }
}
