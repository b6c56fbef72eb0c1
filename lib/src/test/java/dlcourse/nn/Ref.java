package dlcourse.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Plain-Java loop implementations, independent of ND4J's ops, that the tests compare against. */
final class Ref {
  private Ref() {}

  /** Source index of padded position {@code i} (in [-before, n + after)), or -1 for a zero. */
  static int padSource(int i, int n, PaddingMode mode) {
    if (i >= 0 && i < n) {
      return i;
    }
    return switch (mode) {
      case ZEROS -> -1;
      case REFLECT -> i < 0 ? -i : 2 * (n - 1) - i;
      case REPLICATE -> i < 0 ? 0 : n - 1;
      case CIRCULAR -> Math.floorMod(i, n);
    };
  }

  /** F.pad by loops; pad = {left, right, top, bottom}. */
  static INDArray pad(INDArray x, int[] pad, PaddingMode mode) {
    long[] s = x.shape();
    int h = (int) s[2];
    int w = (int) s[3];
    INDArray y = Nd4j.zeros(DataType.DOUBLE, s[0], s[1], h + pad[2] + pad[3], w + pad[0] + pad[1]);
    for (int n = 0; n < s[0]; n++) {
      for (int c = 0; c < s[1]; c++) {
        for (int i = 0; i < y.size(2); i++) {
          for (int j = 0; j < y.size(3); j++) {
            int si = padSource(i - pad[2], h, mode);
            int sj = padSource(j - pad[0], w, mode);
            if (si >= 0 && sj >= 0) {
              y.putScalar(new long[] {n, c, i, j}, x.getDouble(n, c, si, sj));
            }
          }
        }
      }
    }
    return y;
  }

  /** Gradient of sum(pad(x) * r) with respect to x: every output position adds r to its source. */
  static INDArray padGrad(long[] xShape, INDArray r, int[] pad, PaddingMode mode) {
    int h = (int) xShape[2];
    int w = (int) xShape[3];
    INDArray g = Nd4j.zeros(DataType.DOUBLE, xShape);
    for (int n = 0; n < xShape[0]; n++) {
      for (int c = 0; c < xShape[1]; c++) {
        for (int i = 0; i < r.size(2); i++) {
          for (int j = 0; j < r.size(3); j++) {
            int si = padSource(i - pad[2], h, mode);
            int sj = padSource(j - pad[0], w, mode);
            if (si >= 0 && sj >= 0) {
              long[] idx = {n, c, si, sj};
              g.putScalar(idx, g.getDouble(idx) + r.getDouble(n, c, i, j));
            }
          }
        }
      }
    }
    return g;
  }

  /** Convolution output, or with {@code r} given, the gradients {dx, dw, db} of sum(conv(x) * r). */
  static INDArray[] conv(INDArray x, INDArray wt, INDArray b, int[] st, int[] pd, int[] dl, INDArray r) {
    long n = x.size(0);
    long cin = x.size(1);
    long h = x.size(2);
    long w = x.size(3);
    long cout = wt.size(0);
    long kh = wt.size(2);
    long kw = wt.size(3);
    long oh = F.convOutputSize(h, kh, st[0], pd[0], dl[0]);
    long ow = F.convOutputSize(w, kw, st[1], pd[1], dl[1]);
    INDArray y = Nd4j.zeros(DataType.DOUBLE, n, cout, oh, ow);
    INDArray dx = Nd4j.zeros(DataType.DOUBLE, x.shape());
    INDArray dw = Nd4j.zeros(DataType.DOUBLE, wt.shape());
    INDArray db = Nd4j.zeros(DataType.DOUBLE, cout);
    for (int a = 0; a < n; a++) {
      for (int o = 0; o < cout; o++) {
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            double acc = b == null ? 0 : b.getDouble(o);
            double up = r == null ? 0 : r.getDouble(a, o, i, j);
            for (int c = 0; c < cin; c++) {
              for (int p = 0; p < kh; p++) {
                for (int q = 0; q < kw; q++) {
                  long si = i * st[0] - pd[0] + (long) p * dl[0];
                  long sj = j * st[1] - pd[1] + (long) q * dl[1];
                  if (si < 0 || sj < 0 || si >= h || sj >= w) {
                    continue;
                  }
                  acc += x.getDouble(a, c, si, sj) * wt.getDouble(o, c, p, q);
                  if (r != null) {
                    long[] xi = {a, c, si, sj};
                    long[] wi = {o, c, p, q};
                    dx.putScalar(xi, dx.getDouble(xi) + up * wt.getDouble(wi));
                    dw.putScalar(wi, dw.getDouble(wi) + up * x.getDouble(xi));
                  }
                }
              }
            }
            y.putScalar(new long[] {a, o, i, j}, acc);
            db.putScalar(o, db.getDouble(o) + up);
          }
        }
      }
    }
    return r == null ? new INDArray[] {y} : new INDArray[] {dx, dw, db};
  }

  /**
   * Max or average pooling by PyTorch's rules: windows start at i*stride - pad; with ceilMode the output size
   * rounds up, but the last window must start inside the input or the left padding. Average divides by the
   * window clipped to input + padding (countIncludePad) or by the number of input elements.
   */
  static INDArray pool(INDArray x, boolean max, int[] k, int[] st, int[] pd, boolean ceil, boolean includePad) {
    long h = x.size(2);
    long w = x.size(3);
    long oh = poolOut(h, k[0], st[0], pd[0], ceil);
    long ow = poolOut(w, k[1], st[1], pd[1], ceil);
    INDArray y = Nd4j.zeros(DataType.DOUBLE, x.size(0), x.size(1), oh, ow);
    for (int a = 0; a < x.size(0); a++) {
      for (int c = 0; c < x.size(1); c++) {
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            long hs = (long) i * st[0] - pd[0];
            long ws = (long) j * st[1] - pd[1];
            long he = Math.min(hs + k[0], h + pd[0]);
            long we = Math.min(ws + k[1], w + pd[1]);
            long padCount = (he - hs) * (we - ws);
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            int count = 0;
            for (long p = Math.max(hs, 0); p < Math.min(he, h); p++) {
              for (long q = Math.max(ws, 0); q < Math.min(we, w); q++) {
                double v = x.getDouble(a, c, p, q);
                acc = max ? Math.max(acc, v) : acc + v;
                count++;
              }
            }
            y.putScalar(new long[] {a, c, i, j}, max ? acc : acc / (includePad ? padCount : count));
          }
        }
      }
    }
    return y;
  }

  static long poolOut(long in, int k, int s, int p, boolean ceil) {
    long num = in + 2L * p - k;
    long out = (ceil ? Math.floorDiv(num + s - 1, s) : Math.floorDiv(num, s)) + 1;
    if (ceil && (out - 1) * s >= in + p) {
      out--;
    }
    return out;
  }

  /** Adaptive pooling: output cell i covers [floor(i*in/out), ceil((i+1)*in/out)). */
  static INDArray adaptivePool(INDArray x, boolean max, int oh, int ow) {
    long h = x.size(2);
    long w = x.size(3);
    INDArray y = Nd4j.zeros(DataType.DOUBLE, x.size(0), x.size(1), oh, ow);
    for (int a = 0; a < x.size(0); a++) {
      for (int c = 0; c < x.size(1); c++) {
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            long h0 = i * h / oh;
            long h1 = ((i + 1) * h + oh - 1) / oh;
            long w0 = j * w / ow;
            long w1 = ((j + 1) * w + ow - 1) / ow;
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            for (long p = h0; p < h1; p++) {
              for (long q = w0; q < w1; q++) {
                double v = x.getDouble(a, c, p, q);
                acc = max ? Math.max(acc, v) : acc + v;
              }
            }
            y.putScalar(new long[] {a, c, i, j}, max ? acc : acc / ((h1 - h0) * (w1 - w0)));
          }
        }
      }
    }
    return y;
  }
}
