package dlcourse.graph;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The array work of {@link GraphF}'s gather and scatter operations, on FLOAT or DOUBLE arrays whose first dimension
 * is the row (node or edge): loops over the native buffers through NIO views, without Java copies of the arrays.
 */
final class Rows {
  private Rows() {}

  /** {@code out[e] = x[index[e]]}, rows of {@code x.length / x.size(0)} elements; out has {@code shape}. */
  static INDArray gather(INDArray x, int[] index, long[] shape) {
    INDArray a = plain(x);
    INDArray out = Nd4j.create(a.dataType(), shape);
    if (out.length() == 0) {
      return out;
    }
    int d = (int) (out.length() / index.length);
    if (a.dataType() == DataType.DOUBLE) {
      DoubleBuffer in = a.data().asNioDouble();
      DoubleBuffer o = out.data().asNioDouble();
      for (int e = 0; e < index.length; e++) {
        int from = index[e] * d;
        int to = e * d;
        for (int k = 0; k < d; k++) {
          o.put(to + k, in.get(from + k));
        }
      }
    } else {
      FloatBuffer in = a.data().asNioFloat();
      FloatBuffer o = out.data().asNioFloat();
      for (int e = 0; e < index.length; e++) {
        int from = index[e] * d;
        int to = e * d;
        for (int k = 0; k < d; k++) {
          o.put(to + k, in.get(from + k));
        }
      }
    }
    return out;
  }

  /** {@code out[index[e]] += src[e]}, out zeros of {@code shape} ({@code n} rows). */
  static INDArray scatterAdd(INDArray src, int[] index, int n, long[] shape) {
    INDArray a = plain(src);
    INDArray out = Nd4j.create(a.dataType(), shape);
    if (out.length() == 0 || index.length == 0) {
      return out;
    }
    int d = (int) (out.length() / n);
    if (a.dataType() == DataType.DOUBLE) {
      DoubleBuffer in = a.data().asNioDouble();
      DoubleBuffer o = out.data().asNioDouble();
      for (int e = 0; e < index.length; e++) {
        int from = e * d;
        int to = index[e] * d;
        for (int k = 0; k < d; k++) {
          o.put(to + k, o.get(to + k) + in.get(from + k));
        }
      }
    } else {
      FloatBuffer in = a.data().asNioFloat();
      FloatBuffer o = out.data().asNioFloat();
      for (int e = 0; e < index.length; e++) {
        int from = e * d;
        int to = index[e] * d;
        for (int k = 0; k < d; k++) {
          o.put(to + k, o.get(to + k) + in.get(from + k));
        }
      }
    }
    return out;
  }

  /** The result of {@link #scatterMax}: the maxima and, per output element, the edge that holds it (-1 if none). */
  record Max(INDArray values, int[] argmax) {}

  static Max scatterMax(INDArray src, int[] index, int n, long[] shape) {
    INDArray a = plain(src);
    INDArray out = Nd4j.create(a.dataType(), shape);
    int total = (int) out.length();
    int[] argmax = new int[total];
    java.util.Arrays.fill(argmax, -1);
    if (total == 0) {
      return new Max(out, argmax);
    }
    int d = total / n;
    double[] best = new double[total];
    DoubleBuffer id = a.dataType() == DataType.DOUBLE ? a.data().asNioDouble() : null;
    FloatBuffer inf = id == null ? a.data().asNioFloat() : null;
    for (int e = 0; e < index.length; e++) {
      int base = index[e] * d;
      for (int k = 0; k < d; k++) {
        double x = id != null ? id.get(e * d + k) : inf.get(e * d + k);
        if (argmax[base + k] < 0 || x > best[base + k]) {
          best[base + k] = x;
          argmax[base + k] = e;
        }
      }
    }
    if (out.dataType() == DataType.DOUBLE) {
      DoubleBuffer o = out.data().asNioDouble();
      for (int i = 0; i < total; i++) {
        o.put(i, best[i]);
      }
    } else {
      FloatBuffer o = out.data().asNioFloat();
      for (int i = 0; i < total; i++) {
        o.put(i, (float) best[i]);
      }
    }
    return new Max(out, argmax);
  }

  /** The gradient of {@link #scatterMax}: each output element's gradient goes to its argmax edge. */
  static INDArray routeToArgmax(INDArray g, int[] argmax, long[] srcShape) {
    INDArray a = plain(g);
    INDArray out = Nd4j.create(a.dataType(), srcShape);
    if (argmax.length == 0 || out.length() == 0) {
      return out;
    }
    int d = (int) (out.length() / srcShape[0]);
    if (a.dataType() == DataType.DOUBLE) {
      DoubleBuffer in = a.data().asNioDouble();
      DoubleBuffer o = out.data().asNioDouble();
      for (int i = 0; i < argmax.length; i++) {
        if (argmax[i] >= 0) {
          int at = argmax[i] * d + i % d;
          o.put(at, o.get(at) + in.get(i));
        }
      }
    } else {
      FloatBuffer in = a.data().asNioFloat();
      FloatBuffer o = out.data().asNioFloat();
      for (int i = 0; i < argmax.length; i++) {
        if (argmax[i] >= 0) {
          int at = argmax[i] * d + i % d;
          o.put(at, o.get(at) + in.get(i));
        }
      }
    }
    return out;
  }

  /** {@code a} as a FLOAT or DOUBLE array owning its whole c-ordered buffer (itself or a copy). */
  private static INDArray plain(INDArray a) {
    DataType t = a.dataType();
    if (t != DataType.FLOAT && t != DataType.DOUBLE) {
      throw new IllegalArgumentException("graph operations need FLOAT or DOUBLE values, got " + t);
    }
    return dlcourse.kernels.Layout.plain(a);
  }
}
