package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SummaryTest {
  /** vu-dl-a3 Q15: two blocks of the MNIST CNN, conv3 32->N, ReLU, maxpool, global pool, Linear(N->10). */
  static Module variableResolutionNet(int n) {
    return new Sequential(new Conv2d(1, 16, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, n, 3).padding(1), new ReLU(), new MaxPool2d(2),
        new AdaptiveMaxPool2d(1), new Flatten(), new Linear(n, 10));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 64, 81})
  void variableResolutionNetHas4810Plus299NParameters(int n) {
    var s = variableResolutionNet(n).summary(1, 1, 48, 48);
    assertEquals(4810 + 299L * n, s.totalParameters());
    assertEquals("(1, " + n + ")", s.outputShapes().get(10));
  }

  @Test
  void variableResolutionNetWithN81Has29029Parameters() {
    assertEquals(29_029, variableResolutionNet(81).numParameters());
    // The same model accepts every resolution of mnist-varres.
    assertEquals("(1, 10)", variableResolutionNet(81).summary(1, 1, 64, 64).outputShapes().get(11));
  }

  @Test
  void cifarNetOfRdfiaChapter2HasAbout1point19MParameters() {
    var net = new Sequential(new Conv2d(3, 32, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Conv2d(64, 64, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(1024, 1000), new ReLU(), new Linear(1000, 10));
    var s = net.summary(1, 3, 32, 32);
    // conv: 2432 + 51264 + 102464; fc: 1,025,000 + 10,010
    assertEquals(2432 + 51_264 + 102_464 + 1_025_000 + 10_010, s.totalParameters());
    assertEquals(1_191_170, s.totalParameters());
    assertEquals("(1, 64, 4, 4)", s.outputShapes().get(8));
  }

  @Test
  void ceilModeLastPoolKeepsTheFcAt1024OnCrops28() {
    var features = new Sequential(new Conv2d(3, 32, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 5).padding(2), new ReLU(), new MaxPool2d(2),
        new Conv2d(64, 64, 5).padding(2), new ReLU(), new MaxPool2d(2).ceilMode(true), new Flatten());
    assertEquals("(1, 1024)", features.summary(1, 3, 28, 28).outputShapes().get(9));
  }

  @Test
  void theParameterColumnAddsUpToTheTotalWithOwnTensorsAndUncalledChildren() {
    var vit = new dlcourse.models.ViT(dlcourse.models.ViT.Config.base());
    var t = vit.summary(1, 1, 28, 28).table();
    assertEquals(27_434, t.longColumn("parameters").sum(), 0);
    var attn = t.where(t.stringColumn("layer").isEqualTo("blocks.0.attn"));
    assertEquals(4 * 32 * 32 + 4 * 32, attn.longColumn("parameters").getLong(0)); // in-projection + uncalled outProj
    var own = t.where(t.stringColumn("layer").isEqualTo("(own)"));
    assertEquals(32, own.longColumn("parameters").getLong(0)); // the class token
    assertEquals("(1, 10)", own.stringColumn("output shape").get(0));
  }
}
