package dlcourse.nn;

import dlcourse.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Applies its children in order; children are named "0", "1", ... so parameter paths read {@code 0.weight}. */
public class Sequential extends Module {
  private final List<Module> layers = new ArrayList<>();

  public Sequential(Module... layers) {
    for (Module m : layers) {
      add(m);
    }
  }

  /** Appends a layer. */
  public Sequential add(Module layer) {
    layers.add(addModule(String.valueOf(layers.size()), layer));
    return this;
  }

  /** The i-th layer. */
  public Module get(int i) {
    return layers.get(i);
  }

  public int size() {
    return layers.size();
  }

  public List<Module> layers() {
    return List.copyOf(layers);
  }

  /**
   * Whether a {@link Conv2d} directly followed by a {@link ReLU} (both exactly these classes, not subclasses) runs as
   * one fused operation ({@link F#conv2dRelu}); {@code -Ddlcourse.nn.fuseConvRelu=false} turns it off.
   */
  static volatile boolean fuseConvRelu = !"false".equals(System.getProperty("dlcourse.nn.fuseConvRelu"));

  /**
   * Whether a {@link BatchNorm2d} or {@link BatchNorm1d} directly followed by a {@link ReLU} (exactly these classes)
   * runs as one fused operation ({@link F#batchNormRelu}); {@code -Ddlcourse.nn.fuseBatchNormRelu=false} turns it off.
   */
  static volatile boolean fuseBatchNormRelu = !"false".equals(System.getProperty("dlcourse.nn.fuseBatchNormRelu"));

  /**
   * Calls the layers in order. A {@code Conv2d} followed by a {@code ReLU} runs as one operation,
   * {@link F#conv2dRelu}: the same numbers as the two calls, without the separate ReLU pass and its array (the
   * tape holds one node instead of two). Both layers still count as called: {@link #summary} lists the ReLU with
   * its output shape, and an error in the convolution names the convolution. A {@code BatchNorm2d} or
   * {@code BatchNorm1d} followed by a {@code ReLU} runs as {@link F#batchNormRelu} the same way.
   */
  @Override
  public Tensor forward(Tensor x) {
    int n = layers.size();
    for (int i = 0; i < n; i++) {
      Module m = layers.get(i);
      if (fuseConvRelu && i + 1 < n && m.getClass() == Conv2d.class && layers.get(i + 1).getClass() == ReLU.class) {
        Conv2d conv = (Conv2d) m;
        x = conv.callFused(layers.get(i + 1), conv::forwardRelu, x);
        i++;
      } else if (fuseBatchNormRelu && i + 1 < n && (m.getClass() == BatchNorm2d.class
          || m.getClass() == BatchNorm1d.class) && layers.get(i + 1).getClass() == ReLU.class) {
        BatchNorm bn = (BatchNorm) m;
        x = bn.callFused(layers.get(i + 1), bn::forwardRelu, x);
        i++;
      } else {
        x = m.call(x);
      }
    }
    return x;
  }
}
