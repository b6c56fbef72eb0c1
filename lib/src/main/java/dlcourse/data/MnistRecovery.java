package dlcourse.data;

import java.util.List;

/**
 * Recovers 28x28 MNIST digits from mnist-varres, where each digit was pasted unscaled at a random position on a
 * 32, 48 or 64 px canvas.
 *
 * <p>The window is placed so the digit's centre of mass sits where MNIST puts it (the centre of the 28x28
 * field), then moved the least needed to contain the whole bounding box of ink and to stay on the canvas.
 */
final class MnistRecovery {
  static final int SIDE = 28;

  private MnistRecovery() {}

  /**
   * The 28x28 window of the gray canvas {@code px} ({@code h x w} unsigned bytes, row-major), as unsigned bytes;
   * parts of the window off the canvas are zero.
   */
  static byte[] crop(byte[] px, int h, int w) {
    int top = Integer.MAX_VALUE, bottom = -1, left = Integer.MAX_VALUE, right = -1;
    double mass = 0, my = 0, mx = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int v = px[y * w + x] & 0xff;
        if (v != 0) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
          left = Math.min(left, x);
          right = Math.max(right, x);
          mass += v;
          my += v * y;
          mx += v * x;
        }
      }
    }
    byte[] out = new byte[SIDE * SIDE];
    if (bottom < 0) {
      return out; // a blank canvas gives a blank digit
    }
    int oy = place(my / mass, top, bottom, h);
    int ox = place(mx / mass, left, right, w);
    for (int y = 0; y < SIDE; y++) {
      int sy = oy + y;
      if (sy < 0 || sy >= h) {
        continue;
      }
      for (int x = 0; x < SIDE; x++) {
        int sx = ox + x;
        if (sx >= 0 && sx < w) {
          out[y * SIDE + x] = px[sy * w + sx];
        }
      }
    }
    return out;
  }

  /** The window start along one axis: centre of mass at 14 (MNIST's centring), clamped to hold the ink. */
  private static int place(double com, int lo, int hi, int extent) {
    int start = (int) Math.round(com - 14 + 0.5);
    // Every start in [lowest, highest] keeps the ink and the window on the canvas.
    int lowest = Math.max(hi - SIDE + 1, 0);
    int highest = Math.min(lo, extent - SIDE);
    if (lowest > highest) {
      // Ink wider than the window or a canvas smaller than 28: keep the ink, ignore the canvas.
      lowest = hi - SIDE + 1;
      highest = Math.max(lo, lowest);
    }
    return Math.max(lowest, Math.min(start, highest));
  }

  static List<String> digitClasses() {
    return List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  }

}
