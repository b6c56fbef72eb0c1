package dlcourse.train;

import dlcourse.nn.Parameter;
import dlcourse.util.Check;
import java.util.List;
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
        double n = g.norm2Number().doubleValue();
        total += n * n;
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
          g.muli(coef);
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

  private static INDArray grad(Parameter p) {
    return p.requiresGrad() && p.grad() != null ? p.grad().array() : null;
  }
}
