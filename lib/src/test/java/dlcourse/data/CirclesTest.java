package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class CirclesTest {
  @Test
  void withoutNoisePointsLieOnTheTwoCircles() {
    TensorDataset d = Circles.make(101, 0, 0.3, 1);
    assertArrayEquals(new long[] {101, 2}, d.features().shape());
    assertEquals(DataType.FLOAT, d.features().dataType());
    assertEquals(DataType.LONG, d.labels().dataType());
    int inner = 0;
    for (int i = 0; i < 101; i++) {
      double r = Math.hypot(d.features().getDouble(i, 0), d.features().getDouble(i, 1));
      long y = d.labels().getLong(i);
      assertEquals(y == 0 ? 1.0 : 0.3, r, 1e-6, "radius of point " + i + " with label " + y);
      inner += (int) y;
    }
    assertEquals(51, inner, "n - n/2 points on the inner circle, as sklearn");
  }

  @Test
  void pointsAreShuffledAndNoiseHasTheGivenScale() {
    TensorDataset d = Circles.make(2000, 0.1, 0.5, 3);
    long[] y = d.labels().toLongVector();
    int changes = 0;
    for (int i = 1; i < y.length; i++) {
      changes += y[i] != y[i - 1] ? 1 : 0;
    }
    assertTrue(changes > 500, "labels are mixed, not 1000 zeros then 1000 ones: " + changes);
    double sq = 0;
    for (int i = 0; i < 2000; i++) {
      double r = Math.hypot(d.features().getDouble(i, 0), d.features().getDouble(i, 1));
      double dr = r - (y[i] == 0 ? 1 : 0.5);
      sq += dr * dr;
    }
    assertEquals(0.1, Math.sqrt(sq / 2000), 0.02, "radial spread ~ noise");
    assertEquals(d.features(), Circles.make(2000, 0.1, 0.5, 3).features());
    assertNotEquals(d.features(), Circles.make(2000, 0.1, 0.5, 4).features());
  }

  @Test
  void rejectsBadArguments() {
    var e = assertThrows(IllegalArgumentException.class, () -> Circles.make(100, 0.1, 1.0, 0));
    assertEquals("factor must be in [0, 1), got 1.0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Circles.make(1, 0.1, 0.5, 0));
    assertThrows(IllegalArgumentException.class, () -> Circles.make(10, -1, 0.5, 0));
  }
}
