package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class TransformsTest {
  private static JsonObject fixtures;

  @BeforeAll
  static void loadFixtures() throws Exception {
    // made by make_transform_fixtures.py (PyTorch grid_sample / interpolate, torchvision's affine matrix)
    try (var in = TransformsTest.class.getResourceAsStream("transform-fixtures.json")) {
      fixtures = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
    }
  }

  /** The input pattern of the fixtures: value ((s*13 + k*5 + i*7 + j*3) mod 11) / 10. */
  static INDArray pattern(int n, int c, int h, int w) {
    float[] d = new float[n * c * h * w];
    int p = 0;
    for (int s = 0; s < n; s++) {
      for (int k = 0; k < c; k++) {
        for (int i = 0; i < h; i++) {
          for (int j = 0; j < w; j++) {
            d[p++] = ((s * 13 + k * 5 + i * 7 + j * 3) % 11) / 10f;
          }
        }
      }
    }
    return Nd4j.create(d, new long[] {n, c, h, w}, 'c');
  }

  private static INDArray random(long seed, long... shape) {
    Nd4j.getRandom().setSeed(seed);
    return Nd4j.rand(DataType.FLOAT, shape);
  }

  private static void assertFixture(String name, INDArray actual) {
    JsonObject f = fixtures.getAsJsonObject(name);
    long[] shape = new com.google.gson.Gson().fromJson(f.get("shape"), long[].class);
    float[] expected = new com.google.gson.Gson().fromJson(f.get("data"), float[].class);
    assertArrayEquals(shape, actual.shape(), name + " shape");
    assertArrayEquals(expected, actual.reshape(actual.length()).toFloatVector(), 1e-5f, name);
  }

  /** rot90 counter-clockwise as numpy/torch define it: out[i][j] = in[j][W-1-i]. */
  private static INDArray rot90(INDArray x) {
    long n = x.size(0);
    long c = x.size(1);
    long h = x.size(2);
    INDArray out = Nd4j.create(DataType.FLOAT, n, c, h, h);
    for (long s = 0; s < n; s++) {
      for (long k = 0; k < c; k++) {
        for (long i = 0; i < h; i++) {
          for (long j = 0; j < h; j++) {
            out.putScalar(new long[] {s, k, i, j}, x.getFloat(s, k, j, h - 1 - i));
          }
        }
      }
    }
    return out;
  }

  @Test
  void rotate90EqualsRot90ExactlyOnSquareImages() {
    INDArray x = random(1, 3, 2, 7, 7);
    INDArray once = Transforms.rotate(90).apply(x, new Random(0));
    assertEquals(rot90(x), once);
    assertEquals(rot90(rot90(x)), Transforms.rotate(180).apply(x, new Random(0)));
    assertEquals(x, Transforms.rotate(360).apply(x, new Random(0)));
    assertEquals(rot90(rot90(rot90(x))), Transforms.rotate(-90).apply(x, new Random(0)));
  }

  @Test
  void rotateMatchesTorchvisionBilinearRotate() {
    assertFixture("rotate30", Transforms.rotate(30).apply(pattern(2, 2, 5, 6), new Random(0)));
    assertFixture("rotateMinus135", Transforms.rotate(-135).apply(pattern(2, 2, 5, 6), new Random(0)));
    assertFixture("rotate30Square", Transforms.rotate(30).apply(pattern(1, 1, 6, 6), new Random(0)));
  }

  @Test
  void affineMatchesTorchvisionAffineWithCounterClockwiseAngle() {
    assertFixture("affine20_t1_m2_s1.2",
        Transforms.affine(20, 1, -2, 1.2).apply(pattern(2, 2, 5, 6), new Random(0)));
  }

  @Test
  void affineTranslationShiftsRightAndDown() {
    INDArray x = random(2, 1, 1, 6, 8);
    INDArray y = Transforms.affine(0, 2, 1, 1).apply(x, new Random(0));
    assertEquals(x.getFloat(0, 0, 3, 4), y.getFloat(0, 0, 4, 6), 0f);
    assertEquals(0f, y.getFloat(0, 0, 0, 3), 0f); // row 0 came from row -1: black
  }

  @Test
  void randomRotationDrawsOneAngleFromTheRangePerSample() {
    INDArray one = random(3, 1, 2, 9, 9);
    INDArray x = Nd4j.concat(0, one, one, one, one, one, one, one, one); // 8 identical samples
    INDArray y = Transforms.randomRotation(0, 360).apply(x, new Random(5));
    INDArray again = Transforms.randomRotation(0, 360).apply(x, new Random(5));
    assertEquals(y, again);
    assertNotEquals(y.slice(0), y.slice(1), "each sample gets its own angle");
    // degenerate range: exactly a fixed rotation
    assertEquals(Transforms.rotate(90).apply(x, new Random(0)),
        Transforms.randomRotation(90, 90).apply(x, new Random(9)));
  }

  @Test
  void hflipTwiceIsIdentityAndFlipsColumns() {
    INDArray x = random(4, 2, 3, 5, 6);
    Transform flip = Transforms.hflip(1);
    INDArray once = flip.apply(x, new Random(0));
    assertEquals(x.getFloat(1, 2, 3, 0), once.getFloat(1, 2, 3, 5), 0f);
    assertEquals(x.getFloat(0, 0, 4, 2), once.getFloat(0, 0, 4, 3), 0f);
    assertEquals(x, flip.apply(once, new Random(0)));
    assertEquals(x, Transforms.hflip(0).apply(x, new Random(0)));
  }

  @Test
  void hflipWithHalfProbabilityFlipsSomeSamplesOnly() {
    INDArray x = random(5, 200, 1, 2, 3);
    INDArray y = Transforms.hflip(0.5).apply(x, new Random(1));
    INDArray flipped = Transforms.hflip(1).apply(x, new Random(1));
    int nFlipped = 0;
    for (int s = 0; s < 200; s++) {
      boolean same = y.slice(s).equals(x.slice(s));
      boolean isFlip = y.slice(s).equals(flipped.slice(s));
      assertTrue(same || isFlip, "sample " + s + " is either unchanged or mirrored");
      nFlipped += isFlip ? 1 : 0;
    }
    assertTrue(nFlipped > 70 && nFlipped < 130, "about half flipped, got " + nFlipped);
  }

  @Test
  void randomCropWindowsContainTheRightPixels() {
    INDArray x = pattern(6, 2, 8, 8).add(1); // no pixel is 0, so padding shows as 0
    INDArray y = Transforms.randomCrop(6, 2).apply(x, new Random(3));
    assertArrayEquals(new long[] {6, 2, 6, 6}, y.shape());
    for (int s = 0; s < 6; s++) {
      int[] offset = findWindow(x.slice(s), y.slice(s), 2);
      assertTrue(offset != null, "sample " + s + " is a window of the zero-padded image");
    }
    // with padding 0 and full size it is the identity
    assertEquals(x, Transforms.randomCrop(8, 0).apply(x, new Random(3)));
  }

  /** The offset (top, left) in the padded image at which {@code crop} matches, or null. */
  private static int[] findWindow(INDArray image, INDArray crop, int pad) {
    long c = image.size(0);
    long h = image.size(1);
    long w = image.size(2);
    long ch = crop.size(1);
    long cw = crop.size(2);
    for (int top = 0; top + ch <= h + 2 * pad; top++) {
      for (int left = 0; left + cw <= w + 2 * pad; left++) {
        boolean ok = true;
        for (long k = 0; k < c && ok; k++) {
          for (long i = 0; i < ch && ok; i++) {
            for (long j = 0; j < cw && ok; j++) {
              long si = top + i - pad;
              long sj = left + j - pad;
              float expected = si >= 0 && si < h && sj >= 0 && sj < w ? image.getFloat(k, si, sj) : 0f;
              ok = expected == crop.getFloat(k, i, j);
            }
          }
        }
        if (ok) {
          return new int[] {top, left};
        }
      }
    }
    return null;
  }

  @Test
  void centerCropTakesTheMiddleWindowRoundingLikeTorchvision() {
    INDArray x = pattern(2, 3, 32, 32);
    INDArray y = Transforms.centerCrop(28).apply(x, new Random(0));
    assertArrayEquals(new long[] {2, 3, 28, 28}, y.shape());
    assertEquals(x.getFloat(1, 2, 2, 2), y.getFloat(1, 2, 0, 0), 0f);
    assertEquals(x.getFloat(1, 2, 29, 29), y.getFloat(1, 2, 27, 27), 0f);
    // 5 -> 2: offset round(1.5) = 2 (half to even); 6 -> 3: round(1.5) = 2
    INDArray z = pattern(1, 1, 5, 6);
    INDArray c = Transforms.centerCrop(2, 3).apply(z, new Random(0));
    assertEquals(z.getFloat(0, 0, 2, 2), c.getFloat(0, 0, 0, 0), 0f);
    // larger than the image: zero-padded around it
    INDArray big = Transforms.centerCrop(8, 8).apply(z.add(1), new Random(0));
    assertEquals(0f, big.getFloat(0, 0, 0, 0), 0f);
    assertEquals(z.getFloat(0, 0, 0, 0) + 1, big.getFloat(0, 0, 1, 1), 0f);
  }

  @Test
  void normalizeFromGivesMeanZeroStdOneOnTheTrainingSet() {
    INDArray f = random(7, 50, 3, 4, 5).mul(Nd4j.createFromArray(2f, 5f, 0.5f).reshape(1, 3, 1, 1))
        .add(Nd4j.createFromArray(1f, -3f, 10f).reshape(1, 3, 1, 1));
    var train = new TensorDataset(f, Nd4j.zeros(DataType.LONG, 50));
    Transforms.Normalize norm = Transforms.normalizeFrom(train);
    INDArray y = norm.apply(f, new Random(0)).castTo(DataType.DOUBLE);
    for (int c = 0; c < 3; c++) {
      INDArray ch = y.get(NDArrayIndex.all(), NDArrayIndex.point(c));
      assertEquals(0, ch.meanNumber().doubleValue(), 1e-5, "channel " + c + " mean");
      assertEquals(1, ch.stdNumber(false).doubleValue(), 1e-5, "channel " + c + " std");
    }
    assertEquals(1 + 0.5 * 2, norm.mean()[0], 0.25); // U(0,1) scaled: mean ~ 2.0
  }

  @Test
  void normalizeFromAppliesThePreprocessBeforeMeasuring() {
    INDArray raw = random(8, 20, 1, 3, 3).mul(255);
    var train = new TensorDataset(raw, Nd4j.zeros(DataType.LONG, 20));
    var direct = Transforms.normalizeFrom(train);
    var scaled = Transforms.normalizeFrom(train, Transforms.scale(255));
    assertEquals(direct.mean()[0] / 255, scaled.mean()[0], 1e-6);
    assertEquals(direct.std()[0] / 255, scaled.std()[0], 1e-6);
  }

  @Test
  void normalizeUsesGivenStatisticsAndChecksChannels() {
    INDArray x = Nd4j.ones(DataType.FLOAT, 1, 2, 2, 2);
    INDArray y = Transforms.normalize(new double[] {0.5, 2}, new double[] {0.25, 4}).apply(x, new Random(0));
    assertEquals(2f, y.getFloat(0, 0, 1, 1), 1e-6f);
    assertEquals(-0.25f, y.getFloat(0, 1, 0, 1), 1e-6f);
    var e = assertThrows(IllegalArgumentException.class,
        () -> Transforms.normalize(new double[] {0, 0, 0}, new double[] {1, 1, 1}).apply(x, new Random(0)));
    assertTrue(e.getMessage().contains("3 channels"), e.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> Transforms.normalize(new double[] {0}, new double[] {0}));
    assertTrue(e2.getMessage().contains("std"), e2.getMessage());
  }

  @Test
  void scaleDividesEveryValue() {
    INDArray x = Nd4j.createFromArray(new float[] {0, 51, 255}).reshape(1, 1, 1, 3);
    assertArrayEquals(new float[] {0f, 0.2f, 1f},
        Transforms.scale(255).apply(x, new Random(0)).reshape(3).toFloatVector(), 1e-7f);
    var e = assertThrows(IllegalArgumentException.class, () -> Transforms.scale(0));
    assertTrue(e.getMessage().contains("divisor"), e.getMessage());
  }

  @Test
  void resizeOfAConstantImageIsConstant() {
    INDArray x = Nd4j.valueArrayOf(new long[] {2, 3, 5, 7}, 0.37f);
    for (int[] size : new int[][] {{10, 14}, {3, 3}, {28, 28}, {5, 7}}) {
      INDArray y = Transforms.resize(size[0], size[1]).apply(x, new Random(0));
      assertArrayEquals(new long[] {2, 3, size[0], size[1]}, y.shape());
      assertEquals(0.37, y.minNumber().doubleValue(), 1e-6);
      assertEquals(0.37, y.maxNumber().doubleValue(), 1e-6);
    }
  }

  @Test
  void resize2x2To4x4MatchesPytorchBilinearValues() {
    INDArray x = Nd4j.createFromArray(new float[] {1, 2, 3, 4}).reshape(1, 1, 2, 2);
    INDArray y = Transforms.resize(4).apply(x, new Random(0));
    // align_corners=False: source = (dst + 0.5) / 2 - 0.5, clamped at 0 -> weights 0, 0.25, 0.75, 1
    float[] expected = {
      1.00f, 1.25f, 1.75f, 2.00f,
      1.50f, 1.75f, 2.25f, 2.50f,
      2.50f, 2.75f, 3.25f, 3.50f,
      3.00f, 3.25f, 3.75f, 4.00f};
    assertArrayEquals(expected, y.reshape(16).toFloatVector(), 1e-6f);
  }

  @Test
  void resizeMatchesPytorchInterpolate() {
    INDArray x = pattern(2, 2, 5, 6);
    assertFixture("resize7x4", Transforms.resize(7, 4).apply(x, new Random(0)));
    assertFixture("resize3x3", Transforms.resize(3).apply(x, new Random(0)));
    assertFixture("resize11x13", Transforms.resize(11, 13).apply(x, new Random(0)));
  }

  @Test
  void grayscaleUsesTorchvisionWeightsAndToRgbRepeats() {
    INDArray x = Nd4j.createFromArray(new float[] {1, 0, 0, 1, 0, 1}).reshape(1, 3, 1, 2);
    INDArray g = Transforms.grayscale().apply(x, new Random(0));
    assertArrayEquals(new long[] {1, 1, 1, 2}, g.shape());
    assertArrayEquals(new float[] {0.2989f, 0.587f + 0.114f}, g.reshape(2).toFloatVector(), 1e-6f);
    INDArray g3 = Transforms.grayscale(3).apply(x, new Random(0));
    assertArrayEquals(new long[] {1, 3, 1, 2}, g3.shape());
    INDArray rgb = Transforms.toRgb().apply(g, new Random(0));
    assertEquals(g3, rgb);
    var e = assertThrows(IllegalArgumentException.class, () -> Transforms.toRgb().apply(x, new Random(0)));
    assertTrue(e.getMessage().contains("(N, 1, H, W)"), e.getMessage());
  }

  @Test
  void randomErasingBlanksOneRectangleWithinTheAreaRange() {
    INDArray x = pattern(40, 2, 16, 16).add(1);
    INDArray y = Transforms.randomErasing(1).apply(x, new Random(4));
    int erasedSamples = 0;
    for (int s = 0; s < 40; s++) {
      INDArray zeros = y.slice(s).slice(0).eq(0).castTo(DataType.FLOAT);
      double area = zeros.sumNumber().doubleValue();
      if (area > 0) {
        erasedSamples++;
        assertTrue(area >= 0.02 * 256 * 0.5 && area <= 0.33 * 256 * 1.5, "area " + area);
        // all channels erased at the same place, everything else untouched
        assertEquals(zeros, y.slice(s).slice(1).eq(0).castTo(DataType.FLOAT));
        INDArray keep = zeros.rsub(1);
        assertEquals(x.slice(s).slice(0).mul(keep), y.slice(s).slice(0));
      }
    }
    assertTrue(erasedSamples >= 38, "p = 1 erases (almost) every sample, got " + erasedSamples);
    assertEquals(x, Transforms.randomErasing(0).apply(x, new Random(4)));
  }

  @Test
  void randomAffineIsDeterministicForTheGeneratorAndKeepsShape() {
    INDArray x = random(9, 4, 1, 12, 12);
    Transform t = Transforms.randomAffine(30, 0.1, 0.1, 0.8, 1.2);
    INDArray a = t.apply(x, new Random(2));
    assertEquals(a, t.apply(x, new Random(2)));
    assertNotEquals(a, t.apply(x, new Random(3)));
    assertArrayEquals(x.shape(), a.shape());
    assertEquals(x, Transforms.randomAffine(0).apply(x, new Random(2)));
  }

  @Test
  void composeAppliesInOrder() {
    INDArray x = pattern(1, 3, 4, 6);
    Transform t = Transforms.compose(Transforms.centerCrop(2), Transforms.resize(4));
    INDArray expected = Transforms.resize(4).apply(Transforms.centerCrop(2).apply(x, null), null);
    assertEquals(expected, t.apply(x, new Random(0)));
    assertTrue(t.toString().contains("centerCrop(2x2)"), t.toString());
  }

  @Test
  void transformsLeaveTheInputUnchanged() {
    INDArray x = random(10, 2, 3, 8, 8);
    INDArray copy = x.dup();
    for (Transform t : List.of(Transforms.hflip(1), Transforms.rotate(30), Transforms.randomErasing(1),
        Transforms.scale(2), Transforms.normalize(new double[] {1, 1, 1}, new double[] {2, 2, 2}),
        Transforms.randomCrop(8, 2), Transforms.resize(5))) {
      t.apply(x, new Random(0));
      assertEquals(copy, x, t.toString());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 5})
  void imageTransformsRejectBatchesThatAreNotNchw(int rank) {
    INDArray x = Nd4j.zeros(DataType.FLOAT, rankShape(rank));
    var e = assertThrows(IllegalArgumentException.class, () -> Transforms.rotate(10).apply(x, new Random(0)));
    assertTrue(e.getMessage().contains("rotate expects a batch of images (N, C, H, W)"), e.getMessage());
  }

  private static long[] rankShape(int rank) {
    long[] s = new long[rank];
    java.util.Arrays.fill(s, 2);
    return s;
  }

  @Test
  void factoriesRejectBadArguments() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Transforms.hflip(1.5)).getMessage()
        .contains("p must be in [0, 1], got 1.5"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Transforms.randomCrop(0, 1)).getMessage()
        .contains("height must be positive, got 0"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Transforms.randomRotation(10, 5)).getMessage()
        .contains("minDegrees must be <= maxDegrees"));
    var big = assertThrows(IllegalArgumentException.class,
        () -> Transforms.randomCrop(40, 2).apply(Nd4j.zeros(DataType.FLOAT, 1, 1, 32, 32), new Random(0)));
    assertTrue(big.getMessage().contains("larger than the padded image 36x36"), big.getMessage());
  }

  @Test
  void globalContrastNormalizeGivesEverySampleMeanZeroStdOne() {
    INDArray x = random(11, 4, 3, 5, 5).mul(Nd4j.createFromArray(0.1f, 1f, 3f, 10f).reshape(4, 1, 1, 1)).add(2);
    INDArray y = Transforms.globalContrastNormalize().apply(x, new Random(0)).castTo(DataType.DOUBLE);
    assertArrayEquals(x.shape(), y.shape());
    for (int i = 0; i < 4; i++) {
      INDArray s = y.get(NDArrayIndex.point(i));
      assertEquals(0, s.meanNumber().doubleValue(), 1e-5, "sample " + i);
      assertEquals(1, s.stdNumber(false).doubleValue(), 1e-4, "sample " + i);
    }
    // pylearn2's formula with scale 2 and sqrtBias 10 on one sample, by hand
    INDArray one = x.get(NDArrayIndex.interval(0, 1)).castTo(DataType.DOUBLE);
    double mu = one.meanNumber().doubleValue();
    double var = one.sub(mu).mul(one.sub(mu)).meanNumber().doubleValue();
    INDArray expected = one.sub(mu).mul(2 / Math.sqrt(10 + var));
    INDArray got = Transforms.globalContrastNormalize(2, 10, 1e-8).apply(x, new Random(0)).get(NDArrayIndex.interval(0,
        1));
    assertTrue(expected.equalsWithEps(got.castTo(DataType.DOUBLE), 1e-5));
    INDArray flat = Transforms.globalContrastNormalize().apply(Nd4j.ones(DataType.FLOAT, 1, 1, 2, 2), new Random(0));
    assertEquals(0, flat.amaxNumber().doubleValue(), 0, "a constant sample becomes 0, not NaN");
  }

  @Test
  void lpNormalizeGivesUnitNormsLikeTorchNormalize() {
    INDArray x = random(12, 3, 2, 3, 3).sub(0.5);
    for (double p : new double[] {1, 2, 3}) {
      INDArray y = Transforms.lpNormalize(p).apply(x, new Random(0)).castTo(DataType.DOUBLE).reshape(3, 18);
      INDArray xs = x.castTo(DataType.DOUBLE).reshape(3, 18);
      for (int i = 0; i < 3; i++) {
        double norm = 0;
        for (int j = 0; j < 18; j++) {
          norm += Math.pow(Math.abs(xs.getDouble(i, j)), p);
        }
        norm = Math.pow(norm, 1 / p);
        for (int j = 0; j < 18; j++) {
          assertEquals(xs.getDouble(i, j) / norm, y.getDouble(i, j), 1e-6, "p " + p);
        }
      }
    }
    assertEquals(0, Transforms.lpNormalize(2).apply(Nd4j.zeros(DataType.FLOAT, 1, 4), new Random(0))
        .amaxNumber().doubleValue(), 0, "a zero sample stays 0");
    assertThrows(IllegalArgumentException.class, () -> Transforms.lpNormalize(0.5));
  }

  @Test
  void minMaxStretchesEverySampleToZeroOne() {
    INDArray x = random(13, 3, 3, 4, 4).mul(0.5).add(Nd4j.createFromArray(0f, 0.2f, 7f).reshape(3, 1, 1, 1));
    INDArray y = Transforms.minMax().apply(x, new Random(0));
    for (int i = 0; i < 3; i++) {
      INDArray s = y.get(NDArrayIndex.point(i));
      assertEquals(0, s.minNumber().doubleValue(), 1e-6);
      assertEquals(1, s.maxNumber().doubleValue(), 1e-6);
    }
    INDArray both = Nd4j.createFromArray(0f, 0.5f, 1f, 0.25f).reshape(1, 1, 2, 2);
    assertEquals(both, Transforms.minMax().apply(both, new Random(0)), "an image spanning [0, 1] is unchanged");
  }

  @Test
  void zcaWhiteningGivesTheTrainingSetIdentityCovarianceAndIsSymmetric() {
    // 400 correlated samples of 2x2x2 = 8 values: a random mixing of independent sources
    INDArray sources = random(14, 400, 8).sub(0.5);
    INDArray mixing = random(15, 8, 8).add(Nd4j.eye(8).castTo(DataType.FLOAT));
    INDArray f = sources.mmul(mixing).add(3).reshape(400, 2, 2, 2);
    var train = new TensorDataset(f, Nd4j.zeros(DataType.LONG, 400));
    for (boolean zca : new boolean[] {true, false}) {
      Transform w = zca ? Transforms.zcaWhiteningFrom(train, 1e-9) : Transforms.pcaWhiteningFrom(train, 1e-9);
      INDArray y = w.apply(f, new Random(0)).castTo(DataType.DOUBLE).reshape(400, 8);
      assertArrayEquals(new double[8], y.mean(0).toDoubleVector(), 1e-5);
      INDArray cov = y.transpose().mmul(y).div(400);
      assertTrue(cov.equalsWithEps(Nd4j.eye(8).castTo(DataType.DOUBLE), 1e-4), (zca ? "zca" : "pca") + " cov " + cov);
    }
    // ZCA is the symmetric whitening: as a matrix applied to centred rows it equals its transpose; its output stays
    // closer to the input than PCA's (it is the whitening that changes the data least)
    INDArray basis = Nd4j.eye(8).castTo(DataType.FLOAT).reshape(8, 2, 2, 2);
    INDArray zero = Nd4j.zeros(DataType.FLOAT, 1, 2, 2, 2);
    Transform zcaT = Transforms.zcaWhiteningFrom(train, 1e-9);
    INDArray m = zcaT.apply(basis, new Random(0)).sub(zcaT.apply(zero, new Random(0))).reshape(8, 8);
    assertTrue(m.equalsWithEps(m.transpose(), 1e-3), "ZCA matrix symmetric: " + m);
    Transform pcaT = Transforms.pcaWhiteningFrom(train, 1e-9);
    INDArray p = pcaT.apply(basis, new Random(0)).sub(pcaT.apply(zero, new Random(0))).reshape(8, 8);
    assertTrue(p.sub(p.transpose()).amaxNumber().doubleValue() > 1e-2, "PCA rotates: not symmetric");
    var e = assertThrows(IllegalArgumentException.class, () -> zcaT.apply(Nd4j.zeros(DataType.FLOAT, 1, 3, 2, 2),
        new Random(0)));
    assertTrue(e.getMessage().contains("8 values"), e.getMessage());
  }

  @Test
  void pcaWhiteningOrdersComponentsByDecreasingVariance() {
    // three independent coordinates with std 1, 5 and 2: PCA's first value is the std-5 coordinate, rescaled
    INDArray f = random(16, 2000, 3).sub(0.5).mul(Nd4j.createFromArray(1f, 5f, 2f).reshape(1, 3));
    var train = new TensorDataset(f, Nd4j.zeros(DataType.LONG, 2000));
    INDArray y = Transforms.pcaWhiteningFrom(train, 1e-9).apply(f, new Random(0)).castTo(DataType.DOUBLE);
    INDArray x = f.castTo(DataType.DOUBLE);
    double corr = Math.abs(y.getColumn(0).mul(x.getColumn(1).sub(x.getColumn(1).meanNumber())).meanNumber()
        .doubleValue()
        / x.getColumn(1).stdNumber(false).doubleValue());
    assertEquals(1, corr, 0.02, "component 0 is coordinate 1 (std 5)");
  }

  @Test
  void linearTransformationSubtractsTheMeanThenMultiplies() {
    INDArray m = Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}});
    INDArray y = Transforms.linearTransformation(m, Nd4j.createFromArray(1f, 1f))
        .apply(Nd4j.createFromArray(new float[][] {{2, 3}}), new Random(0));
    assertArrayEquals(new float[] {7, 10}, y.toFloatVector(), 0f); // (1, 2) x m
    assertThrows(IllegalArgumentException.class,
        () -> Transforms.linearTransformation(Nd4j.zeros(DataType.FLOAT, 2, 3), Nd4j.zeros(DataType.FLOAT, 2)));
  }
}
