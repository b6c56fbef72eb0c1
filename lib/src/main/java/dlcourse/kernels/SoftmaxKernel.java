package dlcourse.kernels;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax over the last dimension, {@code y = exp(x - max) / sum(exp(x - max))} per row, and its backward
 * {@code y (g - sum(g y))}, as one pass per row over a plain copy of the data (float or double; sums in double).
 * ND4J's broadcasting form (max, sub, exp, sum, div, each a rank-4 broadcast op) cost about 11 ms forward and 6 ms
 * backward on the ViT's (128, 4, 17, 17) scores at one thread; these loops cost well under 1 ms. With {@code safe},
 * a row of only {@code -inf} gives zeros (its maximum taken as 0, its sum as 1) instead of NaN. Stateless.
 */
public final class SoftmaxKernel {
  private SoftmaxKernel() {}

  /** Softmax of {@code x} over its last dimension, a new 'c' array of x's shape and type. */
  public static INDArray forward(INDArray x, boolean safe) {
    long[] shape = x.shape();
    int n = (int) shape[shape.length - 1];
    if (x.dataType() == DataType.DOUBLE) {
      double[] v = x.dup('c').data().asDouble();
      for (int r = 0; r + n <= v.length && n > 0; r += n) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = r; i < r + n; i++) {
          m = Math.max(m, v[i]);
        }
        if (safe && m == Double.NEGATIVE_INFINITY) {
          m = 0;
        }
        double sum = 0;
        for (int i = r; i < r + n; i++) {
          v[i] = Math.exp(v[i] - m);
          sum += v[i];
        }
        if (safe && sum == 0) {
          sum = 1;
        }
        for (int i = r; i < r + n; i++) {
          v[i] /= sum;
        }
      }
      return Nd4j.createFromArray(v).reshape('c', shape);
    }
    INDArray xc = plainFloat(x);
    FloatBuffer v = xc.data().asNioFloat();
    INDArray y = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
    FloatBuffer out = y.data().asNioFloat();
    int len = (int) y.length();
    for (int r = 0; r + n <= len && n > 0; r += n) {
      float m = Float.NEGATIVE_INFINITY;
      for (int i = r; i < r + n; i++) {
        m = Math.max(m, v.get(i));
      }
      if (safe && m == Float.NEGATIVE_INFINITY) {
        m = 0;
      }
      double sum = 0;
      for (int i = r; i < r + n; i++) {
        float e = (float) Math.exp(v.get(i) - m);
        out.put(i, e);
        sum += e;
      }
      if (safe && sum == 0) {
        sum = 1;
      }
      float inv = (float) (1 / sum);
      for (int i = r; i < r + n; i++) {
        out.put(i, out.get(i) * inv);
      }
    }
    Reference.reachabilityFence(xc); // an NIO view does not keep its array's memory alive
    return x.dataType() == DataType.FLOAT ? y : y.castTo(x.dataType());
  }

  /**
   * {@code x} as a float 'c' array, itself where it is one, else a copy. Keep it reachable while reading its
   * {@code data().asNioFloat()}: the NIO view does not keep the memory alive, and a collected copy frees it.
   */
  private static INDArray plainFloat(INDArray x) {
    return x.dataType() == DataType.FLOAT && Layout.isPlain(x) ? x : x.castTo(DataType.FLOAT).dup('c');
  }

  /** The gradient of the input: {@code y (g - sum(g y))} over the last dimension, for the output {@code y}. */
  public static INDArray backward(INDArray y, INDArray g) {
    long[] shape = y.shape();
    int n = (int) shape[shape.length - 1];
    if (y.dataType() == DataType.DOUBLE) {
      double[] yv = y.dup('c').data().asDouble();
      double[] gv = g.castTo(DataType.DOUBLE).dup('c').data().asDouble();
      for (int r = 0; r + n <= yv.length && n > 0; r += n) {
        double dot = 0;
        for (int i = r; i < r + n; i++) {
          dot += gv[i] * yv[i];
        }
        for (int i = r; i < r + n; i++) {
          gv[i] = yv[i] * (gv[i] - dot);
        }
      }
      return Nd4j.createFromArray(gv).reshape('c', shape);
    }
    INDArray yc = plainFloat(y);
    INDArray gc = plainFloat(g);
    FloatBuffer yv = yc.data().asNioFloat();
    FloatBuffer gv = gc.data().asNioFloat();
    INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
    FloatBuffer ov = out.data().asNioFloat();
    int len = (int) out.length();
    for (int r = 0; r + n <= len && n > 0; r += n) {
      double dot = 0;
      for (int i = r; i < r + n; i++) {
        dot += gv.get(i) * yv.get(i);
      }
      float d = (float) dot;
      for (int i = r; i < r + n; i++) {
        ov.put(i, yv.get(i) * (gv.get(i) - d));
      }
    }
    Reference.reachabilityFence(yc);
    Reference.reachabilityFence(gc);
    return y.dataType() == DataType.FLOAT ? out : out.castTo(y.dataType());
  }
}
