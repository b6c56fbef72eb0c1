package dlcourse.data;

import dlcourse.util.Check;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.factory.Nd4j;

/** A generator of two concentric circles in 2-D, like scikit-learn's {@code make_circles}. */
public final class Circles {
  private Circles() {}

  /**
   * {@code n} points: {@code n / 2} on the unit circle (label 0) and the rest on a circle of radius
   * {@code factor} (label 1), evenly spaced in angle, shuffled, then moved by Gaussian noise of standard deviation
   * {@code noise}. Follows {@code sklearn.datasets.make_circles(n, shuffle=True, noise, factor)} with
   * {@link java.util.Random} in place of NumPy's generator.
   *
   * <pre>{@code
   * var circles = Circles.make(400, 0.1, 0.5, 0);   // features (400, 2) float32, labels (400) int64
   * }</pre>
   *
   * @param n number of points, at least 2
   * @param noise standard deviation of the Gaussian noise added to each coordinate, >= 0
   * @param factor radius of the inner circle relative to the outer one, in [0, 1)
   * @param seed seed of the generator
   */
  public static TensorDataset make(int n, double noise, double factor, long seed) {
    if (n < 2) {
      throw new IllegalArgumentException("n must be at least 2, got " + n);
    }
    Check.nonNegative(Check.finite(noise, "noise"), "noise");
    Check.inRangeExclusive(factor, 0, 1, "factor");
    int nOut = n / 2;
    int nIn = n - nOut;
    double[][] pts = new double[n][2];
    long[] labels = new long[n];
    for (int i = 0; i < nOut; i++) {
      double a = 2 * Math.PI * i / nOut;
      pts[i][0] = Math.cos(a);
      pts[i][1] = Math.sin(a);
    }
    for (int i = 0; i < nIn; i++) {
      double a = 2 * Math.PI * i / nIn;
      pts[nOut + i][0] = factor * Math.cos(a);
      pts[nOut + i][1] = factor * Math.sin(a);
      labels[nOut + i] = 1;
    }
    Random rng = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      double[] tp = pts[i];
      pts[i] = pts[j];
      pts[j] = tp;
      long tl = labels[i];
      labels[i] = labels[j];
      labels[j] = tl;
    }
    float[] x = new float[2 * n];
    for (int i = 0; i < n; i++) {
      x[2 * i] = (float) (pts[i][0] + noise * rng.nextGaussian());
      x[2 * i + 1] = (float) (pts[i][1] + noise * rng.nextGaussian());
    }
    return new TensorDataset(
        Nd4j.create(x, new long[] {n, 2}, 'c'), Nd4j.createFromArray(labels), List.of("outer", "inner"));
  }
}
