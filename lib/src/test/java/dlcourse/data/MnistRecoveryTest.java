package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MnistRecoveryTest {
  /** A 28x28 digit-like blob: a 12x8 block of ink centred in the field, as MNIST centres by mass. */
  private static byte[] digit(Random rnd) {
    byte[] d = new byte[28 * 28];
    for (int y = 8; y < 20; y++) {
      for (int x = 10; x < 18; x++) {
        d[y * 28 + x] = (byte) (1 + rnd.nextInt(255));
      }
    }
    return d;
  }

  @Test
  void recoversADigitPastedAtAnyPosition() {
    Random rnd = new Random(1);
    for (int side : new int[] {32, 48, 64}) {
      for (int trial = 0; trial < 20; trial++) {
        byte[] d = digit(rnd);
        int oy = rnd.nextInt(side - 27);
        int ox = rnd.nextInt(side - 27);
        byte[] canvas = new byte[side * side];
        for (int y = 0; y < 28; y++) {
          System.arraycopy(d, y * 28, canvas, (oy + y) * side + ox, 28);
        }
        // Mass-centred within one pixel: the crop must hold every ink pixel and shift by at most one.
        byte[] c = MnistRecovery.crop(canvas, side, side);
        int sum = 0;
        int sumD = 0;
        for (int i = 0; i < 784; i++) {
          sum += c[i] & 0xff;
          sumD += d[i] & 0xff;
        }
        assertEquals(sumD, sum, "all ink kept, side " + side);
        int best = Integer.MAX_VALUE;
        for (int dy = -1; dy <= 1; dy++) {
          for (int dx = -1; dx <= 1; dx++) {
            int diff = 0;
            for (int y = 0; y < 28; y++) {
              for (int x = 0; x < 28; x++) {
                int sy = y + dy;
                int sx = x + dx;
                int v = sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? c[sy * 28 + sx] & 0xff : 0;
                diff += Math.abs(v - (d[y * 28 + x] & 0xff));
              }
            }
            best = Math.min(best, diff);
          }
        }
        assertEquals(0, best, "the digit is recovered up to a one-pixel shift");
      }
    }
  }

  @Test
  void blankCanvasGivesABlankDigit() {
    byte[] c = MnistRecovery.crop(new byte[32 * 32], 32, 32);
    assertEquals(784, c.length);
    for (byte b : c) {
      assertEquals(0, b);
    }
  }
}
