package dlcourse.train.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchStatsTest {
  @Test
  void ratioIsTheMedianOfPerRoundRatiosWithTheirRange() {
    // round medians: ours 10, 30, 20; PyTorch 20, 20, 10 -> ratios 0.5, 1.5, 2.0
    var st = RoundStats.of(
        List.of(List.of(9.0, 10.0, 11.0), List.of(30.0, 29.0, 31.0), List.of(20.0, 20.0, 100.0)),
        List.of(List.of(20.0, 20.0, 21.0), List.of(19.0, 20.0, 25.0), List.of(10.0, 1.0, 12.0)));
    assertEquals(20.0, st.ours());
    assertEquals(20.0, st.torch());
    assertEquals(1.5, st.ratio());
    assertEquals(0.5, st.ratioMin());
    assertEquals(2.0, st.ratioMax());
    assertEquals(3, st.rounds());
    assertEquals(9, st.steps());
  }

  @Test
  void anOutlierStepDoesNotMoveTheRoundMedian() {
    var st = RoundStats.of(List.of(List.of(10.0, 10.0, 1000.0)), List.of(List.of(5.0, 5.0, 5.0)));
    assertEquals(2.0, st.ratio());
    assertEquals(2.0, st.ratioMin());
    assertEquals(2.0, st.ratioMax());
  }

  @Test
  void evenRoundCountTakesTheMeanOfTheMiddleRatios() {
    var st = RoundStats.of(List.of(List.of(1.0), List.of(2.0), List.of(3.0), List.of(4.0)),
        List.of(List.of(1.0), List.of(1.0), List.of(1.0), List.of(1.0)));
    assertEquals(2.5, st.ratio());
    assertEquals(1.0, st.ratioMin());
    assertEquals(4.0, st.ratioMax());
  }

  @Test
  void mismatchedOrEmptyRoundsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> RoundStats.of(List.of(), List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> RoundStats.of(List.of(List.of(1.0)), List.of(List.of(1.0), List.of(2.0))));
    assertThrows(IllegalArgumentException.class, () -> RoundStats.median(List.of()));
  }

  @Test
  void opCostChainHasTheGradientOfOnes() {
    OpCost op = (OpCost) OpCost.create(0);
    for (int i = 0; i < 2; i++) { // the gradient is cleared each step, not accumulated
      var g = op.run().array();
      assertEquals(16, g.length());
      assertEquals(16.0, g.sumNumber().doubleValue(), 1e-6);
      assertEquals(1.0, g.maxNumber().doubleValue(), 1e-6);
    }
  }

  @Test
  void planScalesRoundsButNeverBelowTheMinimum() {
    assertEquals(7, Bench.plan("mnist", 1).rounds());
    assertEquals(14, Bench.plan("cifar", 2).rounds());
    assertEquals(Bench.MIN_ROUNDS, Bench.plan("net1-reflect", 0.1).rounds());
    assertEquals(Bench.plan("mnist", 1).perRound(), Bench.plan("mnist", 3).perRound());
  }
}
