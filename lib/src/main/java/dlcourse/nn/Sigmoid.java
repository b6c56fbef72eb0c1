package dlcourse.nn;

import dlcourse.tensor.Tensor;

/** 1 / (1 + exp(-x)), element-wise. Shape: any; the output has the input's shape. */
public class Sigmoid extends Module {
  @Override
  public Tensor forward(Tensor x) {
    return F.sigmoid(x);
  }
}
