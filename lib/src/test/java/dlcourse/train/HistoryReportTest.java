package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report helpers of {@link History}: first epoch reaching a level, jumpiness, ranking of runs. */
class HistoryReportTest {
  private static History run(String name, double... testAcc) {
    var h = new History().run(name);
    for (int e = 0; e < testAcc.length; e++) {
      h.log("train", e + 1, 10 * (e + 1), Map.of("accuracy", 0.1 * (e + 1), "loss", 2.0 - 0.3 * e));
      h.log("test", e + 1, 10 * (e + 1), Map.of("accuracy", testAcc[e]));
    }
    return h;
  }

  @Test
  void firstEpochReachingALevel() {
    History h = run("a", 0.2, 0.5, 0.4);
    assertEquals(2, h.firstEpochReaching("test", "accuracy", 0.5, true)); // reached exactly, not only exceeded
    assertEquals(2, h.firstEpochReaching("test", "accuracy", 0.3, true));
    assertEquals(1, h.firstEpochReaching("test", "accuracy", 0.2, true));
    assertEquals(-1, h.firstEpochReaching("test", "accuracy", 0.51, true));
    assertEquals(3, h.firstEpochReaching("train", "loss", 1.4, false)); // 2.0, 1.7, 1.4: losses go down
    assertEquals(-1, h.firstEpochReaching("train", "loss", 1.0, false));
  }

  @Test
  void meanAbsoluteChangeBetweenEpochs() {
    assertEquals((0.3 + 0.1 + 0.4) / 3, run("a", 0.2, 0.5, 0.4, 0.8).meanAbsChange("test", "accuracy"), 1e-12);
    assertEquals(0.0, run("flat", 0.3, 0.3, 0.3).meanAbsChange("test", "accuracy"), 0);
    assertTrue(Double.isNaN(run("one", 0.3).meanAbsChange("test", "accuracy")));
  }

  @Test
  void ranksRunsByTheirBestValue() {
    History all = History.concat(List.of(run("a", 0.2, 0.5, 0.4), run("b", 0.6, 0.1), run("c", 0.3, 0.5), run("d",
        0.1)));
    assertEquals(List.of("b", "a", "c", "d"), all.rankRuns("test", "accuracy", true, "a", "b", "c", "d"));
    assertEquals(List.of("b", "c", "a"), all.rankRuns("test", "accuracy", true, "c", "a", "b")); // tie a/c: given order
    assertEquals(List.of("d", "a", "c"), all.rankRuns("test", "accuracy", false, "a", "c", "d")); // lowest best first
  }
}
