package dlcourse.kernels;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The gate arithmetic of one LSTM time step on Java arrays, forward and closed-form backward, behind
 * {@code F.lstmCell} and {@code F.lstm}. One step is one recorded operation: for the IST captioner's sizes (batch 8,
 * hidden 256) a Java loop over the 8 x 1024 gate values costs less than the ~15 small ND4J operations (each with a
 * fixed cost of several microseconds, and a tape node) it replaces. Values are computed in double for both types.
 *
 * <p>Gate order and formulas follow {@code torch.nn.LSTM}: pre-activations {@code a = x W_ih^T + b_ih + h W_hh^T +
 * b_hh} of shape (B, 4H) hold the input, forget, cell and output gates in that order;
 * {@code i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o), c' = f c + i g, h' = o tanh(c')}.
 */
public final class LstmKernel {
  private LstmKernel() {}

  /** What the backward pass of one step reads: the four activations (B, 4H), the previous c and tanh(c'). */
  public record Saved(double[] act, double[] cPrev, double[] tanhC, int batch, int hidden) {}

  /**
   * One step forward.
   *
   * @param xg input pre-activations (row-major, B rows of 4H) starting at {@code xOffset}
   * @param hh recurrent pre-activations {@code h W_hh^T}, B x 4H, added to {@code xg}
   * @param cPrev the previous cell state, B x H
   * @param h receives the new hidden state, B x H
   * @param c receives the new cell state, B x H
   */
  public static Saved forward(double[] xg, int xOffset, double[] hh, double[] cPrev, double[] h, double[] c,
      int batch, int hidden) {
    int n4 = 4 * hidden;
    double[] act = new double[batch * n4];
    double[] tanhC = new double[batch * hidden];
    for (int b = 0; b < batch; b++) {
      int row = b * n4;
      for (int k = 0; k < n4; k++) {
        double a = xg[xOffset + row + k] + hh[row + k];
        act[row + k] = k >= 2 * hidden && k < 3 * hidden ? Math.tanh(a) : sigmoid(a);
      }
      for (int j = 0; j < hidden; j++) {
        int e = b * hidden + j;
        double cn = act[row + hidden + j] * cPrev[e] + act[row + j] * act[row + 2 * hidden + j];
        double tc = Math.tanh(cn);
        c[e] = cn;
        tanhC[e] = tc;
        h[e] = act[row + 3 * hidden + j] * tc;
      }
    }
    return new Saved(act, cPrev, tanhC, batch, hidden);
  }

  /**
   * One step backward, closed form: from d loss / d h' and d loss / d c' to the gradients of the pre-activations
   * and of the previous cell state.
   *
   * @param dhc d loss / d h' (B x H) followed by d loss / d c' (B x H)
   * @param dGates receives d loss / d a, B x 4H
   * @param dcPrev receives d loss / d c, B x H, from {@code dcPrevOffset} on
   */
  public static void backward(Saved s, double[] dhc, double[] dGates, double[] dcPrev, int dcPrevOffset) {
    int hidden = s.hidden();
    int bh = s.batch() * hidden;
    int n4 = 4 * hidden;
    double[] act = s.act();
    double[] cPrev = s.cPrev();
    double[] tanhC = s.tanhC();
    for (int b = 0; b < s.batch(); b++) {
      int row = b * n4;
      for (int j = 0; j < hidden; j++) {
        int e = b * hidden + j;
        double i = act[row + j];
        double f = act[row + hidden + j];
        double g = act[row + 2 * hidden + j];
        double o = act[row + 3 * hidden + j];
        double tc = tanhC[e];
        double gh = dhc[e];
        double gc = dhc[bh + e] + gh * o * (1 - tc * tc);
        dGates[row + j] = gc * g * i * (1 - i);
        dGates[row + hidden + j] = gc * cPrev[e] * f * (1 - f);
        dGates[row + 2 * hidden + j] = gc * i * (1 - g * g);
        dGates[row + 3 * hidden + j] = gh * tc * o * (1 - o);
        dcPrev[dcPrevOffset + e] = gc * f;
      }
    }
  }

  private static double sigmoid(double a) {
    return 1 / (1 + Math.exp(-a));
  }

  /** What the backward pass of one float step reads besides the previous c: the activations (B, 4H) and tanh(c'). */
  public record SavedFloat(float[] act, float[] tanhC, int batch, int hidden) {}

  /**
   * One step forward in float ({@code F.lstmCell} on float tensors): the same formulas as
   * {@link #forward(double[], int, double[], double[], double[], double[], int, int)}, each activation from one
   * {@code Math.exp} (an intrinsic) evaluated in double and rounded once to float, instead of {@code Math.tanh}
   * ({@code StrictMath}'s, 3.7% of the captioner's samples in session 12) and the float/double conversions. Reads and
   * writes the native buffers in place (no Java copies of the inputs and outputs).
   *
   * @param xg input pre-activations, B x 4H
   * @param hh recurrent pre-activations, B x 4H, added to {@code xg}
   * @param cPrev the previous cell state, B x H
   * @param hc receives the new hidden state (B x H) followed by the new cell state (B x H)
   */
  public static SavedFloat forward(FloatBuffer xg, FloatBuffer hh, FloatBuffer cPrev, FloatBuffer hc, int batch,
      int hidden) {
    int n4 = 4 * hidden;
    int bh = batch * hidden;
    float[] act = new float[batch * n4];
    float[] tanhC = new float[bh];
    for (int b = 0; b < batch; b++) {
      int row = b * n4;
      for (int k = 0; k < n4; k++) {
        float a = xg.get(row + k) + hh.get(row + k);
        act[row + k] = k >= 2 * hidden && k < 3 * hidden ? tanh(a) : sigmoid(a);
      }
      for (int j = 0; j < hidden; j++) {
        int e = b * hidden + j;
        float cn = act[row + hidden + j] * cPrev.get(e) + act[row + j] * act[row + 2 * hidden + j];
        float tc = tanh(cn);
        hc.put(bh + e, cn);
        tanhC[e] = tc;
        hc.put(e, act[row + 3 * hidden + j] * tc);
      }
    }
    return new SavedFloat(act, tanhC, batch, hidden);
  }

  /**
   * One float step backward (the closed form of the double {@link #backward(Saved, double[], double[], double[], int)}).
   *
   * @param cPrev the previous cell state the forward step read, B x H
   * @param dhc d loss / d h' (B x H) followed by d loss / d c' (B x H)
   * @param dGates receives d loss / d a, B x 4H
   * @param dcPrev receives d loss / d c, B x H, or null when not needed
   */
  public static void backward(SavedFloat s, FloatBuffer cPrev, FloatBuffer dhc, FloatBuffer dGates,
      FloatBuffer dcPrev) {
    int hidden = s.hidden();
    int bh = s.batch() * hidden;
    int n4 = 4 * hidden;
    float[] act = s.act();
    float[] tanhC = s.tanhC();
    for (int b = 0; b < s.batch(); b++) {
      int row = b * n4;
      for (int j = 0; j < hidden; j++) {
        int e = b * hidden + j;
        float i = act[row + j];
        float f = act[row + hidden + j];
        float g = act[row + 2 * hidden + j];
        float o = act[row + 3 * hidden + j];
        float tc = tanhC[e];
        float gh = dhc.get(e);
        float gc = dhc.get(bh + e) + gh * o * (1 - tc * tc);
        dGates.put(row + j, gc * g * i * (1 - i));
        dGates.put(row + hidden + j, gc * cPrev.get(e) * f * (1 - f));
        dGates.put(row + 2 * hidden + j, gc * i * (1 - g * g));
        dGates.put(row + 3 * hidden + j, gh * tc * o * (1 - o));
        if (dcPrev != null) {
          dcPrev.put(e, gc * f);
        }
      }
    }
  }

  /** The logistic function of a float, from one {@code Math.exp} in double, rounded once. */
  static float sigmoid(float a) {
    return (float) (1 / (1 + Math.exp(-(double) a)));
  }

  /**
   * tanh of a float as {@code 1 - 2 / (exp(2a) + 1)} in double (exact to float rounding for |a| >= 1e-4, where the
   * double cancellation error is below 1e-12 relative) and {@code a} itself below that (tanh(a) = a (1 - a^2/3 ...):
   * relative error under 4e-9, below float's half ulp); +-1 where exp overflows or vanishes.
   */
  static float tanh(float a) {
    if (Math.abs(a) < 1e-4f) {
      return a;
    }
    return (float) (1 - 2 / (Math.exp(2.0 * a) + 1));
  }

  /** The values of {@code a} in row-major order, as doubles. */
  public static double[] doubles(INDArray a) {
    return Layout.plain(a).data().asDouble();
  }

  /** A fresh array of {@code type} and {@code shape} holding {@code v} (row-major). */
  public static INDArray array(double[] v, DataType type, long... shape) {
    if (type == DataType.DOUBLE) {
      return Nd4j.create(Nd4j.createBuffer(v), shape);
    }
    if (type != DataType.FLOAT) {
      return Nd4j.create(Nd4j.createBuffer(v), shape).castTo(type);
    }
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return Nd4j.create(Nd4j.createBuffer(f), shape);
  }
}
