package dlcourse.train.bench;

import dlcourse.nn.AdaptiveMaxPool2d;
import dlcourse.nn.BatchNorm2d;
import dlcourse.nn.Conv2d;
import dlcourse.nn.Dropout;
import dlcourse.nn.Flatten;
import dlcourse.nn.Linear;
import dlcourse.nn.MaxPool2d;
import dlcourse.nn.Module;
import dlcourse.nn.PaddingMode;
import dlcourse.nn.ReLU;
import dlcourse.nn.Sequential;
import java.util.List;

/**
 * The models the benchmark times, built with the public {@code dlcourse.nn} API exactly as a student would;
 * {@code bench/library/torch_models.py} builds the same models in PyTorch under the same names.
 */
public final class ReferenceModels {
  private ReferenceModels() {}

  /** A benchmark case: the model, its input shape without the batch dimension, classes, batch size. */
  public record Spec(String name, String description, Module model, long[] inputShape, int classes, int batch) {}

  /** Every name {@link #create} accepts, in the order the benchmark prints them. */
  public static final List<String> NAMES =
      List.of("mnist", "cifar", "cifar-bn", "net1-zeros", "net1-reflect", "net1-replicate", "net1-circular");

  /** Builds the case called {@code name}; see {@link #NAMES}. */
  public static Spec create(String name) {
    return switch (name) {
      case "mnist" -> new Spec(name, "MNIST CNN (HW sec. 2 Q7)", mnistCnn(), new long[] {1, 28, 28}, 10, 64);
      case "cifar" -> new Spec(name, "CIFAR-10 CNN (HW sec. 4 ch. 2)", cifarCnn(), new long[] {3, 32, 32}, 10, 128);
      case "cifar-bn" -> new Spec(name, "CIFAR-10 CNN + BN + dropout (HW sec. 4)", cifarBnDropout(),
          new long[] {3, 32, 32}, 10, 128);
      case "net1-zeros", "net1-reflect", "net1-replicate", "net1-circular" -> {
        String mode = name.substring("net1-".length());
        PaddingMode pm = PaddingMode.valueOf(mode.toUpperCase(java.util.Locale.ROOT));
        String label = pm == PaddingMode.ZEROS ? "fconv" : mode;
        yield new Spec(name, "padding Net1 " + label + " (HW sec. 1 Q1.1)", paddingNet1(pm),
            new long[] {3, 32, 32}, 2, 200);
      }
      default -> throw new IllegalArgumentException("unknown model '" + name + "', expected one of " + NAMES);
    };
  }

  /** [conv 3x3 pad 1 -> ReLU -> maxpool 2] x3 with 16, 32, 64 channels -> flatten 576 -> Linear(576, 10). */
  public static Module mnistCnn() {
    return new Sequential(
        new Conv2d(1, 16, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(576, 10));
  }

  /** Three [conv 5x5 pad 2 -> ReLU -> maxpool 2] blocks (32, 64, 64) -> fc 1024->1000 -> ReLU -> fc 10. */
  public static Module cifarCnn() {
    return new Sequential(
        new Conv2d(3, 32, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Conv2d(64, 64, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(1024, 1000), new ReLU(), new Linear(1000, 10));
  }

  /**
   * The same network with the improvements of rdfia-basics ch. 2 Q29-Q34: batch normalisation after each conv
   * (conv -> BN -> ReLU -> pool) and dropout after fc4, before fc5 (p = 0.5, PyTorch's default; the homework
   * sweeps p).
   */
  public static Module cifarBnDropout() {
    return new Sequential(
        new Conv2d(3, 32, 5).padding(2), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 5).padding(2), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
        new Conv2d(64, 64, 5).padding(2), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(1024, 1000), new ReLU(), new Dropout(0.5), new Linear(1000, 10));
  }

  /**
   * Net1 of the padding experiment: four 3x3 convs without bias, pad 2 in {@code mode}, each + ReLU
   * (3->32 s1, 32->32 s2, 32->64 s2, 64->64 s2), global max pool, Linear(64, 2). Input (N, 3, 32, 32).
   */
  public static Module paddingNet1(PaddingMode mode) {
    return new Sequential(
        conv(3, 32, 1, mode), new ReLU(), conv(32, 32, 2, mode), new ReLU(),
        conv(32, 64, 2, mode), new ReLU(), conv(64, 64, 2, mode), new ReLU(),
        new AdaptiveMaxPool2d(1), new Flatten(), new Linear(64, 2));
  }

  private static Conv2d conv(long in, long out, int stride, PaddingMode mode) {
    return new Conv2d(in, out, 3).stride(stride).padding(2).paddingMode(mode).bias(false);
  }
}
