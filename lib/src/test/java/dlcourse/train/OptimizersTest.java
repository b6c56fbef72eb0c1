package dlcourse.train;

import static dlcourse.train.TestParams.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dlcourse.nn.Parameter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class OptimizersTest {
  private static List<Parameter> params() {
    return List.of(param("w", Nd4j.ones(2, 2)));
  }

  @Test
  void createsEachOptimizerByNameWithTheGivenRate() {
    Map<String, Class<?>> expected = Map.of("sgd", SGD.class, "adam", Adam.class, "adamw", AdamW.class,
        "rmsprop", RMSprop.class, "adagrad", Adagrad.class, "adadelta", Adadelta.class);
    assertEquals(expected.keySet(), Set.copyOf(Optimizers.NAMES));
    for (String name : Optimizers.NAMES) {
      Optimizer<?> opt = Optimizers.create(name, params(), 0.037);
      assertEquals(expected.get(name), opt.getClass(), name);
      assertEquals(0.037, opt.lr(), 0, name);
    }
    assertThrows(IllegalArgumentException.class, () -> Optimizers.create("lbfgs", params(), 0.1));
  }

  @Test
  void schedulesBySpecMatchTheDirectlyBuiltOnes() {
    Map<String, LRScheduler> direct = new java.util.LinkedHashMap<>();
    direct.put("constant", new ConstantLR(0.1));
    direct.put("linear", new LinearLR(0.1));
    direct.put("polynomial", new PolynomialLR(0.1, 5));
    direct.put("polynomial:8:2", new PolynomialLR(0.1, 8).power(2));
    direct.put("exponential:0.95", new ExponentialLR(0.1, 0.95));
    direct.put("step:10", new StepLR(0.1, 10));
    direct.put("step:10:0.5", new StepLR(0.1, 10).gamma(0.5));
    direct.put("cosine", new CosineAnnealingLR(0.1, 30));
    direct.put("cosine:12", new CosineAnnealingLR(0.1, 12));
    direct.forEach((spec, want) -> {
      LRScheduler got = Optimizers.schedule(spec, new SGD(params(), 0.1), 30);
      assertEquals(want.getClass(), got.getClass(), spec);
      assertArrayEquals(want.lrs(40), got.lrs(40), 1e-15, spec);
    });
    assertNull(Optimizers.schedule("none", new SGD(params(), 0.1), 30));
  }

  @Test
  void scheduleSetsTheOptimizersRateAndRejectsBadSpecs() {
    SGD opt = new SGD(params(), 0.1);
    Optimizers.schedule("constant", opt, 10);
    assertEquals(0.1 / 3, opt.lr(), 1e-12); // ConstantLR starts at lr/3
    for (String bad : List.of("exponential", "step", "step:1:2:3", "cosine:1:2", "none:1", "warmup", "linear:5")) {
      assertThrows(IllegalArgumentException.class, () -> Optimizers.schedule(bad, new SGD(params(), 0.1), 10), bad);
    }
  }
}
