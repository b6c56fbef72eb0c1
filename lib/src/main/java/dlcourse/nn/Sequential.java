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

  @Override
  public Tensor forward(Tensor x) {
    for (Module m : layers) {
      x = m.call(x);
    }
    return x;
  }
}
