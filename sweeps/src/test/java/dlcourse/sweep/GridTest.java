package dlcourse.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GridTest {
  @Test
  void listsAndRangesExpandWithTheFirstParameterOutermost() {
    Grid g = new Grid().add("nets=net1,net2").add("seed=0..2");
    assertEquals(6, g.size());
    List<Map<String, String>> p = g.points();
    assertEquals(Map.of("nets", "net1", "seed", "0"), p.get(0));
    assertEquals(Map.of("nets", "net1", "seed", "2"), p.get(2));
    assertEquals(Map.of("nets", "net2", "seed", "0"), p.get(3));
    assertEquals(List.of("nets", "seed"), List.copyOf(p.get(5).keySet()));
    assertEquals(List.of("0", "1", "2", "7"), new Grid().add("seed=0..2,7").values("seed"));
    assertEquals(List.of("-1", "0", "1"), new Grid().add("x=-1..1").values("x"));
    assertEquals(List.of("0.1", "1e-3"), new Grid().add("lr = 0.1, 1e-3").values("lr"));
    assertEquals("nets=net1,net2 x seed=0,1,2", g.toString());
  }

  @Test
  void badGridsSayWhatIsWrong() {
    assertMessage("--grid needs name=v1,v2", () -> new Grid().add("lr"));
    assertMessage("'lr' has no values", () -> new Grid().add("lr="));
    assertMessage("'lr' has an empty value in '1,,2'", () -> new Grid().add("lr=1,,2"));
    assertMessage("range 4..0 is empty (4 > 0); write 0..4", () -> new Grid().add("seed=4..0"));
    assertMessage("'0..x' is not a range A..B of whole numbers", () -> new Grid().add("seed=0..x"));
    assertMessage("'lr' is given twice", () -> new Grid().add("lr=1").add("lr=2"));
    assertMessage("lists the value '1' twice", () -> new Grid().add("lr=1,0..2"));
    assertMessage("'1x' is not a Java identifier", () -> new Grid().add("1x=3"));
    assertMessage("more than 1000000 points", () -> new Grid().add("a=0..9999").add("b=0..9999").points());
  }

  @Test
  void taskIdsEscapeWhatWouldBreakTheJournalField() {
    assertEquals("nets:net1,seed:0", SweepJournal.taskId(new Grid().add("nets=net1").add("seed=0").points().get(0)));
    assertEquals("s:a%20b%2Cc%3Ad%25", SweepJournal.taskId(Map.of("s", "a b,c:d%")));
  }

  static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
    var ex = assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().contains(part), "message '" + ex.getMessage() + "' should contain '" + part + "'");
  }
}
