package dlcourse.kernels;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The weights of additive (Bahdanau) attention, {@code y[b, r] = softmax_r(s[b, r])} with
 * {@code s[b, r] = sum_a w[a] relu(k[b, r, a] + q[b, a]) + bias}, forward and closed-form backward, behind
 * {@code F.additiveAttentionWeights}. One pass over the keys each way, a row of A values at a time; nothing of size
 * (B, R, A) is stored between the passes (the backward pass recomputes {@code k + q}). For the IST captioner (8 x 256
 * regions, A = 100) this replaces a broadcast add, a ReLU, a (2048 x 100) x (100 x 1) GEMM, a reshape and a softmax
 * per decoder step, each with its own (B, R, A) temporaries, forward and backward. Float loops for float arrays
 * (softmax sums in double), double loops for double. Stateless.
 */
public final class AdditiveAttentionKernel {
  private AdditiveAttentionKernel() {}

  /**
   * Whether the float passes run over blocks of {@link #BLOCK_ROWS} key rows as one flat loop (q, w and the score
   * gradients tiled to the block's length) instead of one loop of A values per row;
   * {@code -Ddlcourse.kernels.attentionRowBlocks=false} turns it off (for A/B timings). Why: a loop of A = 100 floats
   * runs mostly in C2's scalar pre- and post-loops, and each row costs its own NIO copy; a block's loop of 800 runs
   * vectorized, with one copy per block. The forward weights and the keys gradient are the same bit for bit; the
   * query and weight gradients are summed in another order (per row of the block, then over the block's rows).
   */
  static volatile boolean rowBlocks = !"false".equals(System.getProperty("dlcourse.kernels.attentionRowBlocks"));

  /** Key rows per block: 8 x A floats per array, the ~7 arrays of a block in L1 for A = 100. */
  static final int BLOCK_ROWS = 8;

  /**
   * The weights {@code y} (B, R), a new 'c' array.
   *
   * @param keys (B, R, A)
   * @param query (B, A)
   * @param weight A values (any shape)
   * @param bias the score bias
   */
  public static INDArray forward(INDArray keys, INDArray query, INDArray weight, double bias) {
    int nb = (int) keys.size(0), nr = (int) keys.size(1), na = (int) keys.size(2);
    if (keys.dataType() == DataType.DOUBLE) {
      double[] k = doubles(keys), q = doubles(query), w = doubles(weight);
      double[] y = new double[nb * nr];
      for (int b = 0; b < nb; b++) {
        for (int r = 0; r < nr; r++) {
          double s = bias;
          int off = (b * nr + r) * na;
          for (int a = 0; a < na; a++) {
            s += w[a] * Math.max(k[off + a] + q[b * na + a], 0);
          }
          y[b * nr + r] = s;
        }
        softmax(y, b * nr, nr);
      }
      return Nd4j.createFromArray(y).reshape('c', nb, nr);
    }
    INDArray kc = Layout.plain(keys), qc = Layout.plain(query), wc = Layout.plain(weight);
    FloatBuffer kb = kc.data().asNioFloat();
    float[] q = floats(qc), w = floats(wc);
    if (rowBlocks) {
      float[] out = forwardBlocks(kb, q, w, (float) bias, nb, nr, na);
      Reference.reachabilityFence(kc); // an NIO view does not keep its array's memory alive
      return Layout.plainFloats(out, nb, nr);
    }
    float[] row = new float[na];
    double[] s = new double[nr];
    float[] out = new float[nb * nr];
    float fb = (float) bias;
    float[] qRow = new float[na];
    for (int b = 0; b < nb; b++) {
      System.arraycopy(q, b * na, qRow, 0, na); // every array indexed by a alone: the loop below vectorizes
      for (int r = 0; r < nr; r++) {
        kb.get((b * nr + r) * na, row);
        for (int a = 0; a < na; a++) { // element-wise, so that it vectorizes; then the sum
          row[a] = w[a] * Math.max(row[a] + qRow[a], 0f);
        }
        s[r] = fb + sum(row);
      }
      softmax(s, 0, nr);
      for (int r = 0; r < nr; r++) {
        out[b * nr + r] = (float) s[r];
      }
    }
    Reference.reachabilityFence(kc); // an NIO view does not keep its array's memory alive
    return Layout.plainFloats(out, nb, nr);
  }

  /**
   * The gradients of keys, query, weight and bias from {@code g = d loss / d y}. Each goes into {@code into[i]} where
   * that is a plain array of the input's type and size (added in place, and that array returned), else into a new
   * array of the input's shape; entries of {@code need} false are null.
   *
   * @param y the forward output (B, R)
   * @param into per input (keys, query, weight, bias), an array to add the gradient into, or null
   * @param shapes per input, its shape (the shape of a new gradient)
   */
  public static INDArray[] backward(INDArray g, INDArray y, INDArray keys, INDArray query, INDArray weight,
      boolean[] need, INDArray[] into, long[][] shapes) {
    int nb = (int) keys.size(0), nr = (int) keys.size(1), na = (int) keys.size(2);
    DataType type = keys.dataType();
    INDArray[] out = new INDArray[4];
    for (int i = 0; i < 4; i++) {
      if (need[i]) {
        boolean reuse = into[i] != null && Layout.isPlain(into[i]) && into[i].dataType() == type
            && into[i].length() == Shape.lengthOf(shapes[i]);
        // a new keys gradient is written row by row (not read), the small ones are added into
        out[i] = reuse ? into[i] : i == 0 ? Nd4j.createUninitialized(type, shapes[i]) : Nd4j.zeros(type, shapes[i]);
      }
    }
    if (type == DataType.DOUBLE) {
      double[] k = doubles(keys), q = doubles(query), w = doubles(weight), yv = doubles(y), gv = doubles(g);
      double[] gk = new double[k.length], gq = new double[q.length], gw = new double[w.length], gb = new double[1];
      for (int b = 0; b < nb; b++) {
        double dot = 0;
        for (int r = 0; r < nr; r++) {
          dot += gv[b * nr + r] * yv[b * nr + r];
        }
        for (int r = 0; r < nr; r++) {
          double c = yv[b * nr + r] * (gv[b * nr + r] - dot); // d loss / d score
          gb[0] += c;
          int off = (b * nr + r) * na;
          for (int a = 0; a < na; a++) {
            double v = k[off + a] + q[b * na + a];
            if (v > 0) {
              gk[off + a] = c * w[a];
              gq[b * na + a] += c * w[a];
              gw[a] += c * v;
            }
          }
        }
      }
      double[][] parts = {gk, gq, gw, gb};
      for (int i = 0; i < 4; i++) {
        if (out[i] != null) {
          INDArray part = Nd4j.createFromArray(parts[i]).reshape('c', out[i].shape());
          if (out[i] == into[i]) {
            out[i].addi(part);
          } else {
            out[i].assign(part);
          }
        }
      }
      return out;
    }
    INDArray kc = Layout.plain(keys), yc = Layout.plain(y), gc = Layout.plain(g);
    FloatBuffer kb = kc.data().asNioFloat();
    float[] q = floats(Layout.plain(query)), w = floats(Layout.plain(weight)), yv = floats(yc), gv = floats(gc);
    FloatBuffer gkb = out[0] == null ? null : out[0].data().asNioFloat();
    boolean accumulate = out[0] != null && out[0] == into[0];
    if (rowBlocks) {
      float[] gq = new float[nb * na], gw = new float[na];
      double gb = backwardBlocks(kb, q, w, yv, gv, gkb, accumulate, gq, gw, nb, nr, na);
      addInto(out[1], gq);
      addInto(out[2], gw);
      addInto(out[3], new float[] {(float) gb});
      Reference.reachabilityFence(kc);
      Reference.reachabilityFence(out[0]);
      return out;
    }
    float[] row = new float[na];
    float[] gkRow = new float[na];
    float[] gq = new float[nb * na];
    float[] gw = new float[na];
    float[] qRow = new float[na];
    float[] gqRow = new float[na];
    double gb = 0;
    for (int b = 0; b < nb; b++) {
      float d = rowDot(gv, yv, b * nr, nr);
      int qo = b * na;
      // Row b of q and of its gradient in arrays indexed by a alone: with q[qo + a] in the loop below, C2 did not
      // vectorize it (a probe of this loop on the captioner's sizes: 0.44-0.49 against 0.17-0.18 ms per call).
      System.arraycopy(q, qo, qRow, 0, na);
      java.util.Arrays.fill(gqRow, 0f);
      for (int r = 0; r < nr; r++) {
        float c = yv[b * nr + r] * (gv[b * nr + r] - d); // d loss / d score
        gb += c;
        int off = (b * nr + r) * na;
        kb.get(off, row);
        if (accumulate) {
          gkb.get(off, gkRow); // the gradient accumulated so far
        } else {
          java.util.Arrays.fill(gkRow, 0f);
        }
        for (int a = 0; a < na; a++) { // branch-free, so that it vectorizes
          float m = Math.max(row[a] + qRow[a], 0f); // relu(k + q)
          float t = c * w[a] * Math.min(m * 0x1p126f, 1f); // relu'(k + q) is 1 for every normal m > 0, else 0
          gkRow[a] += t;
          gqRow[a] += t;
          gw[a] += c * m;
        }
        if (gkb != null) {
          gkb.put(off, gkRow);
        }
      }
      for (int a = 0; a < na; a++) {
        gq[qo + a] += gqRow[a];
      }
    }
    addInto(out[1], gq);
    addInto(out[2], gw);
    addInto(out[3], new float[] {(float) gb});
    Reference.reachabilityFence(kc);
    Reference.reachabilityFence(out[0]);
    return out;
  }

  /** The float forward pass over blocks of key rows ({@link #rowBlocks}): the weights (B, R) row-major. */
  private static float[] forwardBlocks(FloatBuffer kb, float[] q, float[] w, float fb, int nb, int nr, int na) {
    int len = BLOCK_ROWS * na;
    float[] k = new float[len], qt = new float[len], wt = tile(w, 0, na), v = new float[len];
    double[] s = new double[nr];
    float[] out = new float[nb * nr];
    for (int b = 0; b < nb; b++) {
      tileInto(qt, q, b * na, na);
      for (int r0 = 0; r0 < nr; r0 += BLOCK_ROWS) {
        int rows = Math.min(BLOCK_ROWS, nr - r0), n = rows * na;
        kb.get((b * nr + r0) * na, k, 0, n);
        for (int i = 0; i < n; i++) { // every array indexed by i alone: vectorizes
          v[i] = wt[i] * Math.max(k[i] + qt[i], 0f);
        }
        for (int j = 0; j < rows; j++) {
          s[r0 + j] = fb + sum(v, j * na, na); // the same products and partial sums as the row loop
        }
      }
      softmax(s, 0, nr);
      for (int r = 0; r < nr; r++) {
        out[b * nr + r] = (float) s[r];
      }
    }
    return out;
  }

  /**
   * The float backward pass over blocks of key rows ({@link #rowBlocks}): the keys gradient into {@code gkb} (added to
   * what it holds when {@code accumulate}; null when not needed), the query gradient into {@code gq} (B x A) and the
   * weight gradient into {@code gw} (A); returns the bias gradient.
   */
  private static double backwardBlocks(FloatBuffer kb, float[] q, float[] w, float[] yv, float[] gv, FloatBuffer gkb,
      boolean accumulate, float[] gq, float[] gw, int nb, int nr, int na) {
    int len = BLOCK_ROWS * na;
    float[] k = new float[len], gk = new float[len], qt = new float[len], wt = tile(w, 0, na), ct = new float[len];
    float[] gqt = new float[len], gwt = new float[len]; // per row of the block, summed over the rows at the end
    double gb = 0;
    for (int b = 0; b < nb; b++) {
      float d = rowDot(gv, yv, b * nr, nr);
      tileInto(qt, q, b * na, na);
      java.util.Arrays.fill(gqt, 0f);
      for (int r0 = 0; r0 < nr; r0 += BLOCK_ROWS) {
        int rows = Math.min(BLOCK_ROWS, nr - r0), n = rows * na, off = (b * nr + r0) * na;
        for (int j = 0; j < rows; j++) {
          float c = yv[b * nr + r0 + j] * (gv[b * nr + r0 + j] - d); // d loss / d score of row r0 + j
          gb += c;
          java.util.Arrays.fill(ct, j * na, (j + 1) * na, c);
        }
        kb.get(off, k, 0, n);
        if (accumulate) {
          gkb.get(off, gk, 0, n); // the gradient accumulated so far
        } else {
          java.util.Arrays.fill(gk, 0, n, 0f);
        }
        for (int i = 0; i < n; i++) { // branch-free and indexed by i alone, so that it vectorizes
          float m = Math.max(k[i] + qt[i], 0f); // relu(k + q)
          float t = ct[i] * wt[i] * Math.min(m * 0x1p126f, 1f); // relu'(k + q) is 1 for every normal m > 0, else 0
          gk[i] += t;
          gqt[i] += t;
          gwt[i] += ct[i] * m;
        }
        if (gkb != null) {
          gkb.put(off, gk, 0, n);
        }
      }
      for (int j = 0; j < BLOCK_ROWS; j++) {
        for (int a = 0; a < na; a++) {
          gq[b * na + a] += gqt[j * na + a];
        }
      }
    }
    for (int j = 0; j < BLOCK_ROWS; j++) {
      for (int a = 0; a < na; a++) {
        gw[a] += gwt[j * na + a];
      }
    }
    return gb;
  }

  /** The dot product of the rows {@code [from, from + n)} of {@code g} and {@code y}: the softmax gradient's sum. */
  private static float rowDot(float[] g, float[] y, int from, int n) {
    double dot = 0;
    for (int i = from; i < from + n; i++) {
      dot += g[i] * y[i];
    }
    return (float) dot;
  }

  /** {@code v[from .. from + n)} repeated {@link #BLOCK_ROWS} times. */
  private static float[] tile(float[] v, int from, int n) {
    float[] t = new float[BLOCK_ROWS * n];
    tileInto(t, v, from, n);
    return t;
  }

  private static void tileInto(float[] t, float[] v, int from, int n) {
    for (int j = 0; j < BLOCK_ROWS; j++) {
      System.arraycopy(v, from, t, j * n, n);
    }
  }

  /** The sum of {@code v[from .. from + n)} in eight interleaved partial sums. */
  private static float sum(float[] v, int from, int n) {
    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
    int i = from, end = from + n;
    for (; i + 7 < end; i += 8) {
      s0 += v[i];
      s1 += v[i + 1];
      s2 += v[i + 2];
      s3 += v[i + 3];
      s4 += v[i + 4];
      s5 += v[i + 5];
      s6 += v[i + 6];
      s7 += v[i + 7];
    }
    for (; i < end; i++) {
      s0 += v[i];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  /** The sum of {@code v}, in eight interleaved partial sums (a serial float sum neither vectorizes nor pipelines). */
  private static float sum(float[] v) {
    return sum(v, 0, v.length);
  }

  /** Softmax of {@code v[from .. from + n)} in place, in double. */
  private static void softmax(double[] v, int from, int n) {
    double m = Double.NEGATIVE_INFINITY;
    for (int i = from; i < from + n; i++) {
      m = Math.max(m, v[i]);
    }
    double sum = 0;
    for (int i = from; i < from + n; i++) {
      v[i] = Math.exp(v[i] - m);
      sum += v[i];
    }
    for (int i = from; i < from + n; i++) {
      v[i] /= sum;
    }
  }

  private static void addInto(INDArray target, float[] v) {
    if (target == null) {
      return;
    }
    FloatBuffer t = target.data().asNioFloat();
    for (int i = 0; i < v.length; i++) {
      t.put(i, t.get(i) + v[i]);
    }
    Reference.reachabilityFence(target);
  }

  private static float[] floats(INDArray plain) {
    float[] v = new float[(int) plain.length()];
    plain.data().asNioFloat().get(0, v);
    Reference.reachabilityFence(plain);
    return v;
  }

  private static double[] doubles(INDArray a) {
    return Layout.plain(a).data().asDouble();
  }
}
