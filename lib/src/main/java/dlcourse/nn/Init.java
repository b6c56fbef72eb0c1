package dlcourse.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Parameter initialisation, in place. Defaults match PyTorch's layers so results are comparable with reports
 * made in PyTorch.
 *
 * <p>Random numbers come from a per-thread Java generator seeded by {@link #manualSeed}, not from ND4J's
 * native generator: ND4J's {@code setSeed} does not make its sequence repeat (measured: two runs with seed 0
 * give different arrays), and a per-thread generator keeps parallel experiment runs independent.
 */
public final class Init {
  private static final ThreadLocal<java.util.Random> RANDOM =
      ThreadLocal.withInitial(() -> new ThreadRandom(0));

  /**
   * {@link java.util.Random}'s exact sequence (its documented 48-bit LCG, same seed scrambling) with the state in a
   * plain field instead of an {@code AtomicLong}: each generator belongs to one thread, so the compare-and-set per
   * draw is not needed (dropout draws one double per element).
   */
  static final class ThreadRandom extends java.util.Random {
    private static final long MULTIPLIER = 0x5DEECE66DL;
    private static final long MASK = (1L << 48) - 1;
    private long state; // no initialiser: super(seed) sets it through setSeed

    ThreadRandom(long seed) {
      super(seed);
    }

    @Override
    public synchronized void setSeed(long seed) {
      super.setSeed(seed);
      state = (seed ^ MULTIPLIER) & MASK;
    }

    @Override
    protected int next(int bits) {
      state = (state * MULTIPLIER + 0xBL) & MASK;
      return (int) (state >>> (48 - bits));
    }
  }

  private Init() {}

  /** Seeds every random source the library draws from by default, like {@code torch.manual_seed}. */
  public static void manualSeed(long seed) {
    RANDOM.set(new ThreadRandom(seed));
    Nd4j.getRandom().setSeed(seed);
  }

  /** The calling thread's generator: layer init, dropout masks and anything else seeded by {@link #manualSeed}. */
  public static java.util.Random generator() {
    return RANDOM.get();
  }

  /** U(low, high), in place. */
  public static INDArray uniform(INDArray a, double low, double high) {
    java.util.Random r = generator();
    double[] v = new double[(int) a.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = low + (high - low) * r.nextDouble();
    }
    return a.assign(Nd4j.createFromArray(v).reshape(a.shape()).castTo(a.dataType()));
  }

  /** N(mean, std^2), in place. */
  public static INDArray normal(INDArray a, double mean, double std) {
    java.util.Random r = generator();
    double[] v = new double[(int) a.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = mean + std * r.nextGaussian();
    }
    return a.assign(Nd4j.createFromArray(v).reshape(a.shape()).castTo(a.dataType()));
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
