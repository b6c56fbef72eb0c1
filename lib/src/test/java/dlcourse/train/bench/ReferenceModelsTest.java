package dlcourse.train.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.Summary;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferenceModelsTest {
  @Test
  void mnistCnnHasTheHomeworkParameterCount() {
    var spec = ReferenceModels.create("mnist");
    assertEquals(29_066, spec.model().numParameters());
    assertEquals(64, spec.batch());
  }

  @Test
  void cifarCnnHasThreeConvBlocksAndFc1000() {
    // 2432 + 51264 + 102464 conv, 1,025,000 + 10,010 fully connected
    var spec = ReferenceModels.create("cifar");
    assertEquals(1_191_170, spec.model().numParameters());
    Summary s = spec.model().summary(2, 3, 32, 32);
    assertEquals("(2, 1024)", s.outputShapes().get(9));
    assertEquals("(2, 10)", s.outputShapes().get(12));
  }

  @Test
  void cifarBnDropoutAddsBatchNormAfterEachConvAndDropoutBeforeFc5() {
    // the CIFAR CNN's 1,191,170 plus weight and bias of three BatchNorm2d (32, 64, 64 channels)
    var spec = ReferenceModels.create("cifar-bn");
    assertEquals(1_191_170 + 2 * (32 + 64 + 64), spec.model().numParameters());
    assertEquals(128, spec.batch());
    String repr = spec.model().toString();
    assertTrue(repr.indexOf("BatchNorm2d") > repr.indexOf("Conv2d") && repr.contains("Dropout(p=0.5)"), repr);
    assertTrue(repr.indexOf("Dropout") > repr.indexOf("Linear") && repr.indexOf("Dropout") < repr.lastIndexOf("Linear"),
        repr);
    Summary s = spec.model().summary(2, 3, 32, 32);
    assertEquals("(2, 1024)", s.outputShapes().get(12));
    assertEquals("(2, 10)", s.outputShapes().get(16));
  }

  @Test
  void net1FconvEndsWithSixBySixMapsAndTwoLogits() {
    for (String name : List.of("net1-zeros", "net1-reflect", "net1-replicate", "net1-circular")) {
      var spec = ReferenceModels.create(name);
      // four bias-free 3x3 convs (864 + 9216 + 18432 + 36864) and Linear(64, 2)
      assertEquals(65_506, spec.model().numParameters(), name);
      Summary s = spec.model().summary(2, 3, 32, 32);
      assertEquals("(2, 64, 6, 6)", s.outputShapes().get(7), name);
      assertEquals("(2, 64, 1, 1)", s.outputShapes().get(8), name); // global max pool, as in the notebook
      assertEquals("(2, 2)", s.outputShapes().get(10), name);
      assertEquals(200, spec.batch());
    }
  }

  @Test
  void unknownNameIsRejectedWithTheChoices() {
    var e = assertThrows(IllegalArgumentException.class, () -> ReferenceModels.create("resnet"));
    assertTrue(e.getMessage().contains("'resnet'") && e.getMessage().contains("net1-reflect"), e.getMessage());
  }

  @Test
  void medianOfEvenAndOddCounts() {
    assertEquals(2.0, Bench.median(List.of(3.0, 1.0, 2.0)));
    assertEquals(2.5, Bench.median(List.of(4.0, 1.0, 3.0, 2.0)));
    assertThrows(IllegalArgumentException.class, () -> Bench.median(List.of()));
  }
}
