package dlcourse.nn;

import dlcourse.tensor.Tensor;

/** max(0, x), element-wise. Shape: any, output the same. */
public class ReLU extends Module {
  @Override
  public Tensor forward(Tensor x) {
    return F.relu(x);
  }
}
