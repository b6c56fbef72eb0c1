package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LstmKernelTest {
  /**
   * The float step's activations from one {@code Math.exp} are float-rounded tanh and sigmoid: at most one float ulp
   * from the double functions rounded to float, from tiny to saturated inputs of both signs.
   */
  @Test
  void floatTanhAndSigmoidAreWithinOneUlp() {
    for (double e = -12; e <= 2; e += 0.001) {
      for (int sign = -1; sign <= 1; sign += 2) {
        float a = (float) (sign * Math.pow(10, e));
        float t = (float) Math.tanh(a);
        float s = (float) (1 / (1 + Math.exp(-(double) a)));
        assertEquals(t, LstmKernel.tanh(a), Math.ulp(t), "tanh(" + a + ")");
        assertEquals(s, LstmKernel.sigmoid(a), Math.ulp(s), "sigmoid(" + a + ")");
      }
    }
    assertEquals(1f, LstmKernel.tanh(1e5f));
    assertEquals(-1f, LstmKernel.tanh(-1e5f));
    assertEquals(0f, LstmKernel.sigmoid(-1e5f));
    assertEquals(0f, LstmKernel.tanh(0f));
  }
}
