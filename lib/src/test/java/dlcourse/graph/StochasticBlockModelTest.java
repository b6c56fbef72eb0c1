package dlcourse.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class StochasticBlockModelTest {
  private static StochasticBlockModel sbm() {
    return StochasticBlockModel.of(3, 50).pIn(0.2).pOut(0.01).features(8).trainPerClass(10).valPerClass(10).seed(7);
  }

  @Test
  void sameSeedSameData() {
    GraphData a = sbm().generate();
    GraphData b = sbm().generate();
    assertArrayEquals(a.graph().sources(), b.graph().sources());
    assertEquals(a.x().array(), b.x().array());
    assertArrayEquals(a.trainIndex(), b.trainIndex());
    GraphData c = sbm().seed(8).generate();
    assertTrue(!Arrays.equals(a.graph().sources(), c.graph().sources()));
  }

  @Test
  void blocksAreDenserInsideThanAcross() {
    GraphData d = sbm().generate();
    int[] s = d.graph().sources();
    int[] t = d.graph().targets();
    long inside = IntStream.range(0, s.length).filter(i -> s[i] / 50 == t[i] / 50).count();
    long across = s.length - inside;
    // expected directed edges: inside 3 * 50 * 49 * 0.2 = 1470, across 3 * 2 * 50 * 50 * 0.01... = 150
    assertEquals(1470, inside, 150);
    assertEquals(150, across, 50);
    assertTrue(d.graph().laplacianEigenvalues()[0] < 1e-9);
  }

  @Test
  void labelsSplitsAndNoisyNodesHaveTheRequestedSizes() {
    GraphData d = sbm().noisyFraction(0.2).noiseScale(10).generate();
    assertEquals(150, d.numNodes());
    assertArrayEquals(new long[] {150, 8}, d.x().shape());
    assertEquals(3, d.numClasses());
    assertEquals(30, d.numNoisy());
    assertEquals(30, d.trainIndex().length);
    assertEquals(30, d.valIndex().length);
    assertEquals(90, d.testIndex().length);
    int[] all = IntStream.concat(IntStream.concat(Arrays.stream(d.trainIndex()), Arrays.stream(d.valIndex())),
        Arrays.stream(d.testIndex())).sorted().toArray();
    assertArrayEquals(IntStream.range(0, 150).toArray(), all);
    long[] y = d.y().array().toLongVector();
    for (int c = 0; c < 3; c++) {
      int cc = c;
      assertEquals(10, Arrays.stream(d.trainIndex()).filter(v -> y[v] == cc).count());
    }
    // noisy features are large, clean ones near their class mean
    INDArray norms = d.x().array().norm2(1);
    double noisy = IntStream.range(0, 150).filter(v -> d.noisy()[v]).mapToDouble(norms::getDouble).average()
        .orElseThrow();
    double clean = IntStream.range(0, 150).filter(v -> !d.noisy()[v]).mapToDouble(norms::getDouble).average()
        .orElseThrow();
    assertTrue(noisy > 5 * clean, noisy + " vs " + clean);
    long[] t = d.targets(d.trainIndex()).array().toLongVector();
    assertEquals(120, Arrays.stream(t).filter(v -> v == -100).count());
  }

  @Test
  void theNoisyFractionKeepsGraphSplitAndCleanFeatures() {
    GraphData clean = sbm().generate();
    GraphData noisy = sbm().noisyFraction(0.3).generate();
    assertArrayEquals(clean.graph().sources(), noisy.graph().sources());
    assertArrayEquals(clean.testIndex(), noisy.testIndex());
    for (int v = 0; v < 150; v++) {
      if (!noisy.noisy()[v]) {
        assertEquals(clean.x().array().getRow(v), noisy.x().array().getRow(v));
      }
    }
  }

  @Test
  void aNoiseOffsetGivesTheNoisyNodesACommonSignatureAndKeepsTheirChoice() {
    GraphData plain = sbm().noisyFraction(0.2).noiseScale(1).generate();
    GraphData signed = sbm().noisyFraction(0.2).noiseScale(1).noiseOffset(6).generate();
    assertArrayEquals(plain.noisy(), signed.noisy());
    int[] noisy = IntStream.range(0, 150).filter(v -> signed.noisy()[v]).toArray();
    INDArray mean = signed.x().array().getRows(noisy).mean(0);
    INDArray plainMean = plain.x().array().getRows(noisy).mean(0);
    // 30 noisy nodes of N(0, I) noise: the mean of the noise has length ~ sqrt(8 / 30) ~ 0.5; the signature 6
    assertEquals(6, mean.norm2Number().doubleValue(), 1.5);
    assertTrue(plainMean.norm2Number().doubleValue() < 1.5, plainMean.toString());
  }

  @Test
  void normalisedFeaturesHaveUnitRowsAndKeepEverythingElse() {
    GraphData d = sbm().noisyFraction(0.2).generate();
    GraphData n = d.normalizeFeatures();
    INDArray norms = n.x().array().norm2(1);
    assertTrue(norms.sub(1).amaxNumber().doubleValue() < 1e-6, norms.toString());
    assertEquals(d.graph(), n.graph());
    assertArrayEquals(d.noisy(), n.noisy());
    assertArrayEquals(d.testIndex(), n.testIndex());
    // the direction is kept
    INDArray row = d.x().array().getRow(3);
    assertTrue(row.div(row.norm2Number()).sub(n.x().array().getRow(3)).amaxNumber().doubleValue() < 1e-6);
  }

  @Test
  void tooSmallBlocksAreRejected() {
    var e = assertThrows(IllegalArgumentException.class, () -> StochasticBlockModel.of(2, 10).generate());
    assertEquals("trainPerClass + valPerClass (50) must not exceed nodesPerBlock (10)", e.getMessage());
  }
}
