package dlcourse.util;

/**
 * Argument checks for the whole library, with one wording: every message names the argument and the value it got,
 * as in {@code "stride must be positive, got 0"} or {@code "p must be in [0, 1], got 1.5"}.
 *
 * <p>Each check returns its value, so a constructor can check and assign in one line:
 * {@code this.stride = Check.positive(stride, "stride");}
 */
public final class Check {
  private Check() {}

  /** {@code value > 0}: "NAME must be positive, got VALUE". */
  public static int positive(int value, String name) {
    if (value <= 0) {
      throw fail(name, "must be positive", value);
    }
    return value;
  }

  /** {@code value > 0}: "NAME must be positive, got VALUE". */
  public static long positive(long value, String name) {
    if (value <= 0) {
      throw fail(name, "must be positive", value);
    }
    return value;
  }

  /** {@code value > 0} (NaN fails): "NAME must be positive, got VALUE". */
  public static double positive(double value, String name) {
    if (!(value > 0)) {
      throw fail(name, "must be positive", value);
    }
    return value;
  }

  /** {@code value >= 0}: "NAME must be non-negative, got VALUE". */
  public static int nonNegative(int value, String name) {
    if (value < 0) {
      throw fail(name, "must be non-negative", value);
    }
    return value;
  }

  /** {@code value >= 0}: "NAME must be non-negative, got VALUE". */
  public static long nonNegative(long value, String name) {
    if (value < 0) {
      throw fail(name, "must be non-negative", value);
    }
    return value;
  }

  /** {@code value >= 0} (NaN fails): "NAME must be non-negative, got VALUE". */
  public static double nonNegative(double value, String name) {
    if (!(value >= 0)) {
      throw fail(name, "must be non-negative", value);
    }
    return value;
  }

  /** Not NaN or infinite: "NAME must be finite, got VALUE". */
  public static double finite(double value, String name) {
    if (!Double.isFinite(value)) {
      throw fail(name, "must be finite", value);
    }
    return value;
  }

  /** {@code 0 <= value <= 1}: "NAME must be in [0, 1], got VALUE". */
  public static double probability(double value, String name) {
    return inRange(value, 0, 1, name);
  }

  /** {@code lo <= value <= hi} (NaN fails): "NAME must be in [LO, HI], got VALUE". */
  public static double inRange(double value, double lo, double hi, String name) {
    if (!(value >= lo && value <= hi)) {
      throw fail(name, "must be in [" + number(lo) + ", " + number(hi) + "]", value);
    }
    return value;
  }

  /** {@code lo <= value <= hi}: "NAME must be in [LO, HI], got VALUE". */
  public static long inRange(long value, long lo, long hi, String name) {
    if (value < lo || value > hi) {
      throw fail(name, "must be in [" + lo + ", " + hi + "]", value);
    }
    return value;
  }

  /** {@code lo <= value < hi} (NaN fails): "NAME must be in [LO, HI), got VALUE". */
  public static double inRangeExclusive(double value, double lo, double hi, String name) {
    if (!(value >= lo && value < hi)) {
      throw fail(name, "must be in [" + number(lo) + ", " + number(hi) + ")", value);
    }
    return value;
  }

  /** An index {@code 0 <= value < size}: "NAME must be in [0, SIZE), got VALUE". */
  public static long index(long value, long size, String name) {
    if (value < 0 || value >= size) {
      throw fail(name, "must be in [0, " + size + ")", value);
    }
    return value;
  }

  /** {@code a % b == 0} with {@code b > 0}: "NAME_A (A) must be divisible by NAME_B (B)". */
  public static void divisible(long a, long b, String nameA, String nameB) {
    if (b <= 0 || a % b != 0) {
      throw new IllegalArgumentException(nameA + " (" + a + ") must be divisible by " + nameB + " (" + b + ")");
    }
  }

  /** Expands one value or two values to a pair (height, width): "NAME takes one or two values, got N". */
  public static int[] pair(int[] values, String name) {
    if (values.length == 1) {
      return new int[] {values[0], values[0]};
    }
    if (values.length == 2) {
      return values.clone();
    }
    throw new IllegalArgumentException(name + " takes one or two values, got " + values.length);
  }

  private static IllegalArgumentException fail(String name, String rule, Object value) {
    return new IllegalArgumentException(name + " " + rule + ", got " + value);
  }

  /** A bound as people write it: 0 and 1, not 0.0 and 1.0. */
  private static String number(double x) {
    return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
  }
}
