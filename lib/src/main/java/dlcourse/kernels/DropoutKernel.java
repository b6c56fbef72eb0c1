package dlcourse.kernels;

import java.nio.FloatBuffer;

/**
 * Inverted dropout on float buffers: {@code out[i] = x[i] * (dropped ? 0 : 1 / (1 - p))}, elements in storage order,
 * each dropped with probability {@code p} by a {@link Bits} stream from one seed, so the same seed gives the same mask
 * wherever it runs. Used by {@code F.dropout} (eager) and by the captured CNN step ({@code dlcourse.compile}), which
 * therefore draw the same masks from the same generator state. The mask is kept as bits ({@code long[]}, 64 elements
 * a word) for the backward pass, not as a float array.
 */
public final class DropoutKernel {
  private DropoutKernel() {}

  /**
   * Writes the first {@code n} values of {@code x}, masked and scaled, into {@code out} (may be {@code x}) and returns
   * the kept elements as bits ({@code kept} when it has room, else a new array).
   *
   * @param seed the seed of the mask's stream, e.g. one {@code nextLong()} of the caller's generator
   */
  public static long[] forward(FloatBuffer x, FloatBuffer out, int n, double p, long seed, long[] kept) {
    Bits bits = new Bits(seed, p);
    float fk = (float) (1 / (1 - p));
    int words = (n + 63) >>> 6;
    long[] k = kept != null && kept.length >= words ? kept : new long[words];
    java.util.Arrays.fill(k, 0, words, 0L);
    for (int i = 0; i < n; i++) {
      boolean drop = bits.drop();
      if (!drop) {
        k[i >>> 6] |= 1L << i;
      }
      out.put(i, x.get(i) * (drop ? 0f : fk)); // as a product: -0 and NaN as in x * mask
    }
    return k;
  }

  /** The backward pass of {@link #forward}: {@code gx[i] = g[i] * (kept ? 1 / (1 - p) : 0)} (gx may be g). */
  public static void backward(FloatBuffer g, FloatBuffer gx, int n, double p, long[] kept) {
    float fk = (float) (1 / (1 - p));
    for (int w = 0; w < (n + 63) >>> 6; w++) {
      long bitsW = kept[w];
      int from = w << 6;
      int to = Math.min(from + 64, n);
      for (int i = from; i < to; i++) {
        gx.put(i, g.get(i) * ((bitsW >>> i & 1L) * fk)); // i's low 6 bits select the bit: 0 or fk
      }
    }
  }

  /**
   * Dropout's Bernoulli draws: a SplitMix64 stream from a seed (callers take one {@code nextLong} of their generator,
   * so a seeded generator repeats the masks), each 64-bit word giving two 32-bit uniforms compared with
   * {@code p * 2^32}. About 1 ns per element, against ~5 ns for a {@code nextDouble} of the 48-bit generator.
   */
  public static final class Bits {
    private final long threshold;
    private long state;
    private long word;
    private boolean half;

    public Bits(long seed, double p) {
      state = seed;
      threshold = (long) (p * 0x1p32);
    }

    /** True with probability p (to 2^-32). */
    public boolean drop() {
      if (half) {
        half = false;
        return (word >>> 32) < threshold;
      }
      long z = (state += 0x9E3779B97F4A7C15L);
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      word = z ^ (z >>> 31);
      half = true;
      return (word & 0xFFFFFFFFL) < threshold;
    }
  }
}
