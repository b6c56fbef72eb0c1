package dlcourse.train;

/** Argument checks whose messages name the argument and its value. */
final class Check {
  private Check() {}

  static void nonNegative(double v, String name) {
    if (!(v >= 0)) {
      throw new IllegalArgumentException(name + " must be >= 0, got " + v);
    }
  }

  static void positive(double v, String name) {
    if (!(v > 0)) {
      throw new IllegalArgumentException(name + " must be positive, got " + v);
    }
  }

  static void positive(int v, String name) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + v);
    }
  }

  static void inRange(double v, double lo, double hi, String name) {
    if (!(v >= lo && v <= hi)) {
      throw new IllegalArgumentException(name + " must be in [" + lo + ", " + hi + "], got " + v);
    }
  }

  static void beta(double v, String name) {
    if (!(v >= 0 && v < 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1), got " + v);
    }
  }
}
