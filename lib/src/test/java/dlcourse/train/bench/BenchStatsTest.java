package dlcourse.train.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  @Test
  void warmUpRunsItsStepsAndThenUntilItsTimeHasPassed() {
    int[] steps = {0};
    Bench.Side counting = new Bench.Side() {
      @Override
      public double step() {
        steps[0]++;
        return 0;
      }

      @Override
      public String engine() {
        return "test";
      }
    };
    Bench.warmUp(counting, new Bench.Plan(5, 7, 1));
    assertEquals(5, steps[0]); // no warm-up time: the steps alone
    steps[0] = 0;
    long start = System.nanoTime();
    Bench.warmUp(counting, new Bench.Plan(5, 0.05, 7, 1));
    assertTrue(System.nanoTime() - start >= 50_000_000L, "warmed up for less than its 0.05 s");
    assertTrue(steps[0] > 5, "only its " + steps[0] + " steps");
    for (String eager : List.of("gpt-nano", "gpt-micro", "vit", "captioner")) {
      assertEquals(Bench.SEQUENCE_WARMUP_SECONDS, Bench.plan(eager, 2).warmupSeconds(), eager);
    }
    assertEquals(0, Bench.plan("mnist", 1).warmupSeconds());
  }
}
