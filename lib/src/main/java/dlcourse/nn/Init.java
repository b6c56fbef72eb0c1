package dlcourse.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Parameter initialisation, in place, drawing from ND4J's global generator (seed it with {@link #manualSeed}).
 * Defaults match PyTorch's layers so results are comparable with reports made in PyTorch.
 */
public final class Init {
  private Init() {}

  /** Seeds every random source the library draws from by default, like {@code torch.manual_seed}. */
  public static void manualSeed(long seed) {
    Nd4j.getRandom().setSeed(seed);
  }

  /** U(low, high), in place. */
  public static INDArray uniform(INDArray a, double low, double high) {
    INDArray r = Nd4j.rand(a.dataType(), a.shape()); // U(0, 1)
    return a.assign(r.muli(high - low).addi(low));
  }

  /** N(mean, std^2), in place. */
  public static INDArray normal(INDArray a, double mean, double std) {
    INDArray r = Nd4j.randn(a.dataType(), a.shape());
    return a.assign(r.muli(std).addi(mean));
  }

  public static INDArray constant(INDArray a, double value) {
    return a.assign(value);
  }

  /** Fan-in of a weight in PyTorch layout: (out, in, *kernel) -> in * prod(kernel). */
  public static long fanIn(long[] shape) {
    long f = shape.length > 1 ? shape[1] : shape[0];
    for (int i = 2; i < shape.length; i++) {
      f *= shape[i];
    }
    return f;
  }

  /** Fan-out: out * prod(kernel). */
  public static long fanOut(long[] shape) {
    long f = shape[0];
    for (int i = 2; i < shape.length; i++) {
      f *= shape[i];
    }
    return f;
  }

  /**
   * Kaiming (He) uniform for leaky ReLU slope {@code a}: U(-b, b) with b = gain * sqrt(3 / fanIn) and
   * gain = sqrt(2 / (1 + a^2)). PyTorch's layers use a = sqrt(5), i.e. b = 1/sqrt(fanIn).
   */
  public static INDArray kaimingUniform(INDArray w, double a) {
    double gain = Math.sqrt(2.0 / (1 + a * a));
    double bound = gain * Math.sqrt(3.0 / fanIn(w.shape()));
    return uniform(w, -bound, bound);
  }

  /** Kaiming normal for ReLU: N(0, 2 / fanIn). */
  public static INDArray kaimingNormal(INDArray w) {
    return normal(w, 0, Math.sqrt(2.0 / fanIn(w.shape())));
  }

  /** Xavier (Glorot) uniform: U(-b, b), b = gain * sqrt(6 / (fanIn + fanOut)). */
  public static INDArray xavierUniform(INDArray w, double gain) {
    double bound = gain * Math.sqrt(6.0 / (fanIn(w.shape()) + fanOut(w.shape())));
    return uniform(w, -bound, bound);
  }

  /** PyTorch's default bias init for a layer with the given weight fan-in: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
  public static INDArray biasUniform(INDArray b, long fanIn) {
    double bound = fanIn > 0 ? 1.0 / Math.sqrt(fanIn) : 0;
    return uniform(b, -bound, bound);
  }
}
