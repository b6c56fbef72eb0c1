package dlcourse.train;

import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import dlcourse.kernels.Layout;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Gradient clipping, like {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}; works in place. */
public final class GradClip {
  private GradClip() {}

  /**
   * Scales all gradients together so that their global 2-norm is at most {@code maxNorm}.
   *
   * @return the global norm before clipping
   * @see #clipGradNorm(List, double, double)
   */
  public static double clipGradNorm(List<Parameter> params, double maxNorm) {
    return clipGradNorm(params, maxNorm, 2.0);
  }

  /**
   * Scales all gradients together so that their global {@code normType}-norm is at most {@code maxNorm}, as
   * PyTorch: the global norm is the norm of the per-parameter norms, and every gradient is multiplied by
   * {@code min(1, maxNorm / (norm + 1e-6))}. Parameters without a gradient are skipped.
   *
   * @param normType p of the p-norm, positive; {@code Double.POSITIVE_INFINITY} for the largest absolute value
   * @return the global norm before clipping (a float computed in double precision)
   */
  public static double clipGradNorm(List<Parameter> params, double maxNorm, double normType) {
    Check.nonNegative(maxNorm, "maxNorm");
    Check.positive(normType, "normType");
    double total = 0;
    boolean inf = Double.isInfinite(normType);
    for (Parameter p : params) {
      INDArray g = grad(p);
      if (g == null) {
        continue;
      }
      if (inf) {
        total = Math.max(total, g.amaxNumber().doubleValue());
      } else if (normType == 2) {
        total += sumOfSquares(g);
      } else {
        // sum |g|^p directly: the p-norm of the per-parameter p-norms is the p-norm of all elements
        total += Transforms.pow(Transforms.abs(g, true), normType, false).sumNumber().doubleValue();
      }
    }
    if (!inf) {
      total = normType == 2 ? Math.sqrt(total) : Math.pow(total, 1.0 / normType);
    }
    double coef = maxNorm / (total + 1e-6);
    if (coef < 1) {
      for (Parameter p : params) {
        INDArray g = grad(p);
        if (g != null) {
          scale(g, coef);
        }
      }
    }
    return total;
  }

  /** Clamps every gradient element to {@code [-clipValue, clipValue]}, as {@code clip_grad_value_}. */
  public static void clipGradValue(List<Parameter> params, double clipValue) {
    Check.nonNegative(clipValue, "clipValue");
    for (Parameter p : params) {
      INDArray g = grad(p);
      if (g != null) {
        Transforms.min(g, clipValue, false);
        Transforms.max(g, -clipValue, false);
      }
    }
  }

  /**
   * Whether plain float gradients are summed and scaled in Java loops over their buffers (one pass each, no ND4J call
   * per parameter: the char-GPT has 40 small ones) instead of ND4J's norm2 and muli;
   * {@code -Ddlcourse.train.clipInJava=false} for A/B.
   */
  static volatile boolean inJava = !"false".equals(System.getProperty("dlcourse.train.clipInJava"));

  /** The sum of the squares of {@code g}'s elements, in double. */
  private static double sumOfSquares(INDArray g) {
    if (!inJava || g.dataType() != DataType.FLOAT || !Layout.isPlain(g)) {
      double n = g.norm2Number().doubleValue();
      return n * n;
    }
    FloatBuffer b = g.data().asNioFloat();
    int n = Math.toIntExact(g.length());
    double s0 = 0;
    double s1 = 0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
      double a = b.get(i);
      double c = b.get(i + 1);
      s0 += a * a;
      s1 += c * c;
    }
    if (i < n) {
      double a = b.get(i);
      s0 += a * a;
    }
    Reference.reachabilityFence(g); // an NIO view does not keep its array's memory alive
    return s0 + s1;
  }

  /** {@code g *= coef} in place, the factor rounded to float as ND4J's muli does on float arrays. */
  private static void scale(INDArray g, double coef) {
    if (!inJava || g.dataType() != DataType.FLOAT || !Layout.isPlain(g)) {
      g.muli(coef);
      return;
    }
    FloatBuffer b = g.data().asNioFloat();
    float c = (float) coef;
    int n = Math.toIntExact(g.length());
    for (int i = 0; i < n; i++) {
      b.put(i, b.get(i) * c);
    }
    Reference.reachabilityFence(g);
  }

  private static INDArray grad(Parameter p) {
    return p.requiresGrad() && p.grad() != null ? p.grad().array() : null;
  }
}
