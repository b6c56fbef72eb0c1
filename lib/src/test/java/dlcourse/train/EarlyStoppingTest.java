package dlcourse.train;

import static dlcourse.train.TestParams.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.Parameter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class EarlyStoppingTest {
  @Test
  void stopsAfterPatienceEpochsWithoutImprovementAndRestoresBestWeights() {
    Parameter w = param("w", Nd4j.createFromArray(0.0, 0.0));
    List<Parameter> ps = List.of(w);
    var stop = new EarlyStopping(2);
    double[] losses = {1.0, 0.5, 0.7, 0.6};
    boolean[] want = {false, false, false, true};
    for (int e = 1; e <= losses.length; e++) {
      w.data().assign(e); // weights of epoch e are all e
      assertEquals(want[e - 1], stop.update(e, losses[e - 1], ps), "epoch " + e);
    }
    assertEquals(2, stop.bestEpoch());
    assertEquals(0.5, stop.bestValue());
    stop.restoreBest(ps);
    assertArrayEquals(new double[] {2, 2}, w.data().toDoubleVector(), 0.0);
  }

  @Test
  void maxModeWithMinDeltaIgnoresTinyGains() {
    var stop = new EarlyStopping(1).mode(EarlyStopping.Mode.MAX).minDelta(0.01);
    List<Parameter> ps = List.of(param("w", Nd4j.zeros(1)));
    assertFalse(stop.update(1, 0.80, ps));
    assertTrue(stop.update(2, 0.805, ps));
    assertEquals(1, stop.bestEpoch());
  }

  @Test
  void nanNeverImproves() {
    var stop = new EarlyStopping(3);
    List<Parameter> ps = List.of(param("w", Nd4j.zeros(1)));
    stop.update(1, Double.NaN, ps);
    assertEquals(-1, stop.bestEpoch());
    var e = assertThrows(IllegalStateException.class, () -> stop.restoreBest(ps));
    assertTrue(e.getMessage().contains("no best weights"), e.getMessage());
  }

  @Test
  void readsMonitoredMetricFromHistory() {
    var h = new History();
    var stop = new EarlyStopping(1).monitor("val", "accuracy").mode(EarlyStopping.Mode.MAX);
    List<Parameter> ps = List.of(param("w", Nd4j.zeros(1)));
    h.log("val", 1, 10, Map.of("accuracy", 0.5, "loss", 1.0));
    assertFalse(stop.update(h, ps));
    h.log("val", 2, 20, Map.of("accuracy", 0.4, "loss", 0.9));
    assertTrue(stop.update(h, ps));
    assertEquals(1, stop.bestEpoch());
  }
}
