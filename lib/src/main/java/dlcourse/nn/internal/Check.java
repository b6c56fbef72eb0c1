package dlcourse.nn.internal;

/** Argument checks whose messages name the argument and its value. */
public final class Check {
  private Check() {}

  public static long positive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
    return value;
  }

  public static long nonNegative(long value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must be non-negative, got " + value);
    }
    return value;
  }

  public static double probability(double value, String name) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1], got " + value);
    }
    return value;
  }

  public static void divisible(long a, long b, String nameA, String nameB) {
    if (b <= 0 || a % b != 0) {
      throw new IllegalArgumentException(nameA + " (" + a + ") must be divisible by " + nameB + " (" + b + ")");
    }
  }

  /** Expands one value or two values to a pair (height, width). */
  public static int[] pair(int[] values, String name) {
    if (values.length == 1) {
      return new int[] {values[0], values[0]};
    }
    if (values.length == 2) {
      return values.clone();
    }
    throw new IllegalArgumentException(name + " takes one or two values, got " + values.length);
  }
}
