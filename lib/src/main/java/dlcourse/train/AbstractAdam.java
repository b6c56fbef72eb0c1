package dlcourse.train;

import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The Adam update shared by {@link Adam} (coupled L2 weight decay) and {@link AdamW} (decoupled): the moment
 * estimates, bias correction and AMSGrad, with their settings {@code betas}, {@code eps} and {@code amsgrad}.
 *
 * @param <O> the concrete optimizer class
 */
abstract class AbstractAdam<O extends AbstractAdam<O>> extends Optimizer<O> {
  private double beta1 = 0.9;
  private double beta2 = 0.999;
  private double eps = 1e-8;
  private boolean amsgrad;

  AbstractAdam(List<Parameter> params, double lr, double weightDecay) {
    super(params, lr, weightDecay);
  }

  /** Sets the decay rates of the first and second moment estimates, each in [0, 1). */
  public O betas(double beta1, double beta2) {
    Check.inRangeExclusive(beta1, 0, 1, "beta1");
    Check.inRangeExclusive(beta2, 0, 1, "beta2");
    this.beta1 = beta1;
    this.beta2 = beta2;
    return self();
  }

  /** The decay rates {beta1, beta2}. */
  public double[] betas() {
    return new double[] {beta1, beta2};
  }

  public double eps() {
    return eps;
  }

  /** Term added to the denominator for numerical stability; default 1e-8. */
  public O eps(double eps) {
    Check.nonNegative(eps, "eps");
    this.eps = eps;
    return self();
  }

  public boolean amsgrad() {
    return amsgrad;
  }

  /** Uses the maximum of past second-moment estimates (AMSGrad); default false. */
  public O amsgrad(boolean amsgrad) {
    this.amsgrad = amsgrad;
    return self();
  }

  @Override
  protected void update(INDArray p, INDArray grad, double weightDecay, State s) {
    adamUpdate(p, effectiveGrad(p, grad, weightDecay, s), s);
  }

  /** The Adam step proper, on a gradient that already includes any coupled weight decay. */
  final void adamUpdate(INDArray p, INDArray g, State s) {
    adamUpdate(p, g, s, 1);
  }

  /**
   * The Adam step after multiplying {@code p} by {@code decay} (AdamW's decoupled weight decay, 1 for none): in the
   * same pass over the buffers where the update is fused, else as one ND4J product first.
   */
  final void adamUpdate(INDArray p, INDArray g, State s, double decay) {
    INDArray m = s.buffer("exp_avg", p);
    INDArray v = s.buffer("exp_avg_sq", p);
    if (!amsgrad && plainFloat(p) && plainFloat(g) && plainFloat(m) && plainFloat(v)) {
      fusedFloat(p, g, m, v, s.step(), decay);
      return;
    }
    if (decay != 1) {
      p.muli(decay);
    }
    INDArray tmp = s.scratch("tmp", p);
    m.muli(beta1);
    axpy(1 - beta1, g, m);
    g.mul(g, tmp);
    v.muli(beta2);
    axpy(1 - beta2, tmp, v);
    int t = s.step();
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    INDArray second = v;
    if (amsgrad) {
      second = s.buffer("max_exp_avg_sq", p);
      Transforms.max(second, v, false);
    }
    Nd4j.exec(new Sqrt(second, tmp));
    tmp.divi(Math.sqrt(bc2)).addi(eps);
    m.div(tmp, tmp);
    axpy(-lr() / bc1, tmp, p);
  }

  private static boolean plainFloat(INDArray a) {
    return a.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT && dlcourse.kernels.Layout.isPlain(a);
  }

  /** Elements per heap chunk of {@link #fusedFloat} (4 x 16 KB: within L1/L2 while the chunk is updated). */
  private static final int CHUNK = 4096;

  /** {@link #fusedFloat}'s four chunk arrays, made on first use and kept (no Java garbage per parameter and step). */
  private float[][] chunks;

  /**
   * Whether {@link #fusedFloat} updates heap copies of 4096-element chunks (vectorized) instead of reading and
   * writing the native buffers element by element; the same float operations in the same order, so the same
   * values. {@code -Ddlcourse.train.adamChunked=false} turns it off (for A/B timings).
   */
  static volatile boolean chunked = !"false".equals(System.getProperty("dlcourse.train.adamChunked"));

  /**
   * The same update in one pass over the native buffers (float arithmetic, the order of the ND4J ops above)
   * instead of ~9 ND4J calls per parameter: the captioner's 17 small parameters paid the per-call cost each.
   */
  private void fusedFloat(INDArray p, INDArray g, INDArray m, INDArray v, int t, double decay) {
    java.nio.FloatBuffer pb = p.data().asNioFloat(), gb = g.data().asNioFloat();
    java.nio.FloatBuffer mb = m.data().asNioFloat(), vb = v.data().asNioFloat();
    float b1 = (float) beta1, b2 = (float) beta2, c1 = (float) (1 - beta1), c2 = (float) (1 - beta2);
    float sbc2 = (float) Math.sqrt(1 - Math.pow(beta2, t));
    float e = (float) eps;
    float step = (float) (-lr() / (1 - Math.pow(beta1, t)));
    int n = Math.toIntExact(p.length());
    float d = (float) decay; // as ND4J's p.muli(decay) rounds it for a float array; x * 1f is x exactly
    if (!chunked) {
      for (int i = 0; i < n; i++) {
        float gi = gb.get(i);
        float mi = mb.get(i) * b1 + c1 * gi;
        float vi = vb.get(i) * b2 + c2 * (gi * gi);
        mb.put(i, mi);
        vb.put(i, vi);
        pb.put(i, pb.get(i) * d + step * (mi / ((float) Math.sqrt(vi) / sbc2 + e)));
      }
    } else {
      // The same arithmetic on heap chunks: C2 vectorizes array loops (sqrt and division included), not NIO gets.
      int size = CHUNK;
      if (chunks == null) {
        chunks = new float[4][CHUNK]; // this optimizer's scratch (one thread steps an optimizer)
      }
      float[] pa = chunks[0], ga = chunks[1], ma = chunks[2], va = chunks[3];
      for (int at = 0; at < n; at += size) {
        int len = Math.min(size, n - at);
        pb.get(at, pa, 0, len);
        gb.get(at, ga, 0, len);
        mb.get(at, ma, 0, len);
        vb.get(at, va, 0, len);
        for (int i = 0; i < len; i++) {
          float gi = ga[i];
          float mi = ma[i] * b1 + c1 * gi;
          float vi = va[i] * b2 + c2 * (gi * gi);
          ma[i] = mi;
          va[i] = vi;
          pa[i] = pa[i] * d + step * (mi / ((float) Math.sqrt(vi) / sbc2 + e));
        }
        pb.put(at, pa, 0, len);
        mb.put(at, ma, 0, len);
        vb.put(at, va, 0, len);
      }
    }
    // NIO views do not keep their arrays' memory alive: the arrays must stay reachable until the loop is done.
    java.lang.ref.Reference.reachabilityFence(p);
    java.lang.ref.Reference.reachabilityFence(g);
    java.lang.ref.Reference.reachabilityFence(m);
    java.lang.ref.Reference.reachabilityFence(v);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(lr=" + lr() + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps
        + ", weightDecay=" + weightDecay() + (amsgrad ? ", amsgrad=true" : "") + ")";
  }
}
