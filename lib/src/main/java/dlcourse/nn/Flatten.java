package dlcourse.nn;

import dlcourse.tensor.Tensor;

/** Flattens dimensions from {@code startDim} (default 1) on: {@code (N, C, H, W) -> (N, C*H*W)}. */
public class Flatten extends Module {
  private final int startDim;

  public Flatten() {
    this(1);
  }

  public Flatten(int startDim) {
    this.startDim = startDim;
  }

  public int startDim() {
    return startDim;
  }

  @Override
  public Tensor forward(Tensor x) {
    return x.flatten(startDim);
  }

  @Override
  protected String extraRepr() {
    return startDim == 1 ? "" : "startDim=" + startDim;
  }
}
