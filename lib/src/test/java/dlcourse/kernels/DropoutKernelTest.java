package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/** Dropout's masks (shared by {@code F.dropout} and the captured CNN step): statistics, scaling, repeatability. */
class DropoutKernelTest {
  @Test
  void dropsAboutPOfTheElementsScalesTheRestAndTheBackwardPassUsesTheSameMask() {
    int n = 200_003; // not a multiple of 64
    for (double p : new double[] {0.1, 0.5, 0.9}) {
      FloatBuffer x = FloatBuffer.allocate(n);
      for (int i = 0; i < n; i++) {
        x.put(i, 1 + i % 7);
      }
      FloatBuffer y = FloatBuffer.allocate(n);
      long[] kept = DropoutKernel.forward(x, y, n, p, 42, null);
      float keep = (float) (1 / (1 - p));
      int dropped = 0;
      for (int i = 0; i < n; i++) {
        boolean k = (kept[i >>> 6] >>> i & 1) == 1;
        assertEquals(k ? x.get(i) * keep : 0f, y.get(i), "element " + i);
        dropped += k ? 0 : 1;
      }
      // binomial: standard deviation sqrt(n p (1 - p)) <= 224 elements; 5 of them
      assertEquals(p * n, dropped, 5 * Math.sqrt(n * p * (1 - p)), "dropped at p = " + p);
      FloatBuffer g = FloatBuffer.allocate(n);
      for (int i = 0; i < n; i++) {
        g.put(i, 2);
      }
      FloatBuffer gx = FloatBuffer.allocate(n);
      DropoutKernel.backward(g, gx, n, p, kept);
      for (int i = 0; i < n; i++) {
        assertEquals(y.get(i) == 0 ? 0f : 2 * keep, gx.get(i), "gradient " + i);
      }
    }
  }

  @Test
  void theSameSeedGivesTheSameMaskAndAnotherSeedAnother() {
    int n = 1000;
    FloatBuffer x = FloatBuffer.allocate(n);
    for (int i = 0; i < n; i++) {
      x.put(i, 1);
    }
    long[] a = DropoutKernel.forward(x, FloatBuffer.allocate(n), n, 0.5, 7, null);
    long[] b = DropoutKernel.forward(x, FloatBuffer.allocate(n), n, 0.5, 7, new long[100]);
    long[] c = DropoutKernel.forward(x, FloatBuffer.allocate(n), n, 0.5, 8, null);
    assertArrayEquals(a, java.util.Arrays.copyOf(b, a.length));
    assertFalse(java.util.Arrays.equals(a, c));
    // a reused array's words are cleared first: a mask over fewer elements keeps no bit of the longer one
    long[] reused = DropoutKernel.forward(x, FloatBuffer.allocate(n), 10, 0.5, 7, b);
    assertTrue(reused == b && (reused[0] >>> 10) == 0, "reused mask cleared");
  }
}
