package dlcourse.train;

import static dlcourse.train.TestParams.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.factory.Nd4j;

class LRSchedulerTest {

  static Stream<Arguments> schedules() {
    return Stream.of(
        Arguments.of("step", (Function<Optimizer, LRScheduler>) o -> new StepLR(o, 7).gamma(0.5)),
        Arguments.of("multistep", (Function<Optimizer, LRScheduler>) o -> new MultiStepLR(o, 3, 10)),
        Arguments.of("exponential", (Function<Optimizer, LRScheduler>) o -> new ExponentialLR(o, 0.9)),
        Arguments.of("cosine", (Function<Optimizer, LRScheduler>) o -> new CosineAnnealingLR(o, 10).etaMin(0.001)),
        Arguments.of("polynomial", (Function<Optimizer, LRScheduler>) o -> new PolynomialLR(o, 8).power(2.0)),
        Arguments.of("linear", (Function<Optimizer, LRScheduler>) o -> new LinearLR(o).startFactor(0.25).totalIters(6)),
        Arguments.of("constant", (Function<Optimizer, LRScheduler>) o -> new ConstantLR(o).factor(0.5).totalIters(4)),
        Arguments.of("sequential_linear_cosine", (Function<Optimizer, LRScheduler>) o -> new SequentialLR(o,
            List.of(new LinearLR(o).startFactor(0.1).totalIters(5), new CosineAnnealingLR(o, 15)), 5)),
        Arguments.of("onecycle", (Function<Optimizer, LRScheduler>) o -> new OneCycleLR(o, 1.0, 25)),
        Arguments.of("onecycle_linear_three_phase", (Function<Optimizer, LRScheduler>) o -> new OneCycleLR(o, 0.5, 25)
            .pctStart(0.25).anneal(OneCycleLR.Anneal.LINEAR).threePhase(true).divFactor(10).finalDivFactor(100)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schedules")
  void optimizerLrFollowsPyTorchScheduler(String name, Function<Optimizer, LRScheduler> make) throws Exception {
    JsonObject fx;
    try (var in = getClass().getResourceAsStream("/fixtures/optim/schedules.json")) {
      fx = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
    }
    JsonArray want = fx.getAsJsonObject("lrs").getAsJsonArray(name);
    var opt = new SGD(List.of(param("p", Nd4j.createFromArray(1.0))), fx.get("base_lr").getAsDouble());
    LRScheduler sched = make.apply(opt);
    for (int t = 0; t < want.size(); t++) {
      assertEquals(want.get(t).getAsDouble(), opt.lr(), 1e-12, name + " at t=" + t);
      assertEquals(opt.lr(), sched.lr(t), 0.0, "pure lr(t) agrees with the stepped rate");
      sched.step();
    }
  }

  @Test
  void oneCycleStepsPerBatchAndRefusesToRunPastItsLength() {
    var sched = new OneCycleLR(0.1, 10);
    assertEquals(LRScheduler.Interval.STEP, sched.interval());
    assertEquals(0.1 / 25, sched.lr(0), 1e-15);
    assertEquals(0.1, sched.lr(2), 1e-15); // the peak, at pctStart * totalSteps - 1
    assertEquals(0.1 / 25 / 1e4, sched.lr(10), 1e-15); // the step after the last batch keeps the final rate
    var e = assertThrows(IllegalArgumentException.class, () -> sched.lr(11));
    assertTrue(e.getMessage().contains("totalSteps = 10"), e.getMessage());
  }

  @Test
  void pureScheduleNeedsNoOptimizer() {
    double[] lrs = new StepLR(1.0, 2).gamma(0.5).lrs(5);
    assertArrayEquals(new double[] {1, 1, 0.5, 0.5, 0.25}, lrs, 0.0);
  }

  @Test
  void warmupRisesLinearlyThenHandsOver() {
    var cos = new CosineAnnealingLR(1.0, 4);
    var w = new WarmupLR(1.0, 3, cos);
    assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1.0, cos.lr(1), cos.lr(2), cos.lr(3)}, w.lrs(7), 1e-15);
    assertEquals(0.0, w.lr(7), 1e-15);
  }

  @Test
  void laterSchedulesStartFromTheInitialLrNotTheWarmedDownOne() {
    var opt = new SGD(List.of(param("p", Nd4j.createFromArray(1.0))), 0.1);
    new LinearLR(opt).startFactor(0.5);
    assertEquals(0.05, opt.lr(), 1e-15);
    var second = new ExponentialLR(opt, 0.5);
    assertEquals(0.1, second.baseLr(), 0.0);
  }

  @Test
  void rejectsBadArguments() {
    var e = assertThrows(IllegalArgumentException.class, () -> new StepLR(0.1, 0));
    assertEquals("stepSize must be positive, got 0", e.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> new SequentialLR(0.1, List.of(new StepLR(0.1, 1)), 3));
    assertTrue(e2.getMessage().contains("one more schedule than milestones"), e2.getMessage());
    var e3 = assertThrows(IllegalArgumentException.class, () -> new ExponentialLR(0.1, 0.9).lr(-1));
    assertEquals("t must be non-negative, got -1", e3.getMessage());
  }

  @Test
  void intervalDefaultsToEpoch() {
    var s = new StepLR(0.1, 3);
    assertEquals(LRScheduler.Interval.EPOCH, s.interval());
    assertEquals(LRScheduler.Interval.STEP, s.interval(LRScheduler.Interval.STEP).interval());
  }
}
