package dlcourse.display;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class QuickTest {

  @AfterEach
  void off() {
    Quick.set(false);
  }

  @Test
  void picksTheFullValueUntilQuickModeIsOnThenTheQuickOne() {
    Quick.set(false);
    assertFalse(Quick.on());
    assertEquals(15, Quick.pick(15, 2));
    assertEquals(50_000L, Quick.pick(50_000L, 512L));
    assertEquals(0.1, Quick.pick(0.1, 0.5));
    assertEquals("all", Quick.pick("all", "baseline"));
    Quick.set(true);
    assertTrue(Quick.on());
    assertEquals(2, Quick.pick(15, 2));
    assertEquals(512L, Quick.pick(50_000L, 512L));
    assertEquals(0.5, Quick.pick(0.1, 0.5));
    assertEquals("baseline", Quick.pick("all", "baseline"));
    assertArrayEquals(new double[] {0.1, 10}, Quick.pick(new double[] {0.01, 0.1, 1, 10}, new double[] {0.1, 10}));
    Quick.set(false);
    assertEquals(15, Quick.pick(15, 2), "off again: the full value");
  }
}
