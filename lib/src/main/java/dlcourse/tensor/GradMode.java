package dlcourse.tensor;

/**
 * Whether operations record themselves for {@link Tensor#backward()}, per thread. {@link Tensor#noGrad()} turns
 * recording off until the returned object is closed, like {@code with torch.no_grad():}.
 *
 * <pre>{@code
 * try (var g = Tensor.noGrad()) {
 *   Tensor logits = model.forward(x);   // no tape: nothing kept for a backward pass
 * }
 * }</pre>
 */
public final class GradMode implements AutoCloseable {
  private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

  private final boolean previous;
  private boolean closed;

  GradMode(boolean enabled) {
    previous = ENABLED.get();
    ENABLED.set(enabled);
  }

  /** Whether operations on this thread are recorded now. */
  public static boolean isEnabled() {
    return ENABLED.get();
  }

  /** Restores the mode that was in force when this one began. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      ENABLED.set(previous);
    }
  }
}
