package dlcourse.train;

import dlcourse.nn.Parameter;
import java.util.List;

/**
 * Optimizers and learning-rate schedules by name, for sweeps whose runs name them in their settings (a run's
 * {@code "optimizer"} parameter, say) instead of building them in code.
 *
 * <pre>{@code
 * var opt = Optimizers.create("adam", model.parameters(), 1e-3);
 * var sched = Optimizers.schedule("step:10:0.5", opt, epochs); // halve every 10 epochs; null for "none"
 * }</pre>
 */
public final class Optimizers {
  private Optimizers() {}

  /** The names {@link #create} knows, in PyTorch's spelling lower-cased. */
  public static final List<String> NAMES = List.of("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta");

  /**
   * A new optimizer of {@code params} with learning rate {@code lr} and every other setting at its default:
   * {@code "sgd"}, {@code "adam"}, {@code "adamw"}, {@code "rmsprop"}, {@code "adagrad"} or {@code "adadelta"}.
   *
   * @throws IllegalArgumentException for any other name
   */
  public static Optimizer<?> create(String name, List<Parameter> params, double lr) {
    return switch (name) {
      case "sgd" -> new SGD(params, lr);
      case "adam" -> new Adam(params, lr);
      case "adamw" -> new AdamW(params, lr);
      case "rmsprop" -> new RMSprop(params, lr);
      case "adagrad" -> new Adagrad(params, lr);
      case "adadelta" -> new Adadelta(params, lr);
      default -> throw new IllegalArgumentException("unknown optimizer " + name + "; known: " + NAMES);
    };
  }

  /**
   * A schedule driving {@code opt}, from a spec {@code name[:arg[:arg]]}; {@code null} (a constant rate) for
   * {@code "none"}. {@code epochs} is the length of the run, in scheduler steps. Arguments left out take PyTorch's
   * defaults where it has them:
   *
   * <ul>
   *   <li>{@code constant}: {@link ConstantLR}, lr/3 for 5 steps, then lr
   *   <li>{@code linear}: {@link LinearLR}, lr/3 rising to lr over 5 steps
   *   <li>{@code polynomial[:totalIters[:power]]}: {@link PolynomialLR}, default 5 steps, power 1
   *   <li>{@code exponential:gamma}: {@link ExponentialLR}, gamma required
   *   <li>{@code step:stepSize[:gamma]}: {@link StepLR}, gamma default 0.1
   *   <li>{@code cosine[:tMax]}: {@link CosineAnnealingLR} down to 0, tMax default {@code epochs}
   * </ul>
   *
   * @throws IllegalArgumentException for an unknown name or missing or extra arguments
   */
  public static LRScheduler schedule(String spec, Optimizer<?> opt, int epochs) {
    String[] p = spec.split(":", -1);
    String name = p[0];
    int max = switch (name) {
      case "none", "constant", "linear" -> 0;
      case "exponential", "cosine" -> 1;
      case "polynomial", "step" -> 2;
      default -> throw new IllegalArgumentException("unknown schedule " + spec
          + "; known: none, constant, linear, polynomial, exponential, step, cosine");
    };
    int min = name.equals("exponential") || name.equals("step") ? 1 : 0;
    if (p.length - 1 < min || p.length - 1 > max) {
      throw new IllegalArgumentException("schedule " + spec + ": " + name + " takes " + min + " to " + max
          + " arguments");
    }
    return switch (name) {
      case "none" -> null;
      case "constant" -> new ConstantLR(opt);
      case "linear" -> new LinearLR(opt);
      case "polynomial" -> new PolynomialLR(opt, p.length > 1 ? Integer.parseInt(p[1]) : 5)
          .power(p.length > 2 ? Double.parseDouble(p[2]) : 1.0);
      case "exponential" -> new ExponentialLR(opt, Double.parseDouble(p[1]));
      case "step" -> new StepLR(opt, Integer.parseInt(p[1])).gamma(p.length > 2 ? Double.parseDouble(p[2]) : 0.1);
      default -> new CosineAnnealingLR(opt, p.length > 1 ? Integer.parseInt(p[1]) : epochs);
    };
  }
}
