package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Known facts about the real data sets, read from the offline mirror ({@code DLCOURSE_DATA}). */
class MirrorTest {
  @TempDir
  static Path cache;
  static Path mirror;

  @BeforeAll
  static void mirror() {
    String d = System.getProperty("dlcourse.data", System.getenv("DLCOURSE_DATA"));
    // Unset, the mirror beside the checkout (../shared/data, as CI lays it out); the test runs in lib/.
    Path p = d != null ? Path.of(d) : Path.of("../../shared/data").toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(p.resolve("mnist")),
        "no offline data mirror at " + p + ": set DLCOURSE_DATA to the folder laid out like shared/data");
    mirror = p;
    Datasets.registry(new DataRegistry().dataRoot(p).cacheDir(cache).download(false));
  }

  private static long[] counts(INDArray labels, int k) {
    long[] c = new long[k];
    for (long l : labels.toLongVector()) {
      c[(int) l]++;
    }
    return c;
  }

  @Test
  void mnistTestHasTheKnownLabelCountsAndFirstLabels() {
    var test = Datasets.mnist(Split.TEST);
    assertArrayEquals(new long[] {10000, 1, 28, 28}, test.features().shape());
    assertEquals(DataType.FLOAT, test.features().dataType());
    assertArrayEquals(new long[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, counts(test.labels(), 10));
    assertArrayEquals(new long[] {7, 2, 1, 0, 4, 1, 4, 9, 5, 9},
        test.labels().get(NDArrayIndex.interval(0, 10)).toLongVector());
    assertEquals(0f, test.features().minNumber().floatValue());
    assertEquals(1f, test.features().maxNumber().floatValue());
  }

  @Test
  void mnistVarresTestHasThreeResolutionsAndTheMnistCounts() {
    var v = Datasets.mnistVarres(Split.TEST);
    assertEquals(List.of("32x32", "48x48", "64x64"), v.sizes());
    assertEquals(10000, v.size());
    long[] c = new long[10];
    for (var ds : v.groups().values()) {
      assertEquals(1, ds.features().size(1));
      long[] g = counts(ds.labels(), 10);
      for (int k = 0; k < 10; k++) {
        c[k] += g[k];
      }
    }
    assertArrayEquals(new long[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, c);
  }

  @Test
  void cifar10TestFromTheJpegMirrorHas1000PerClassInRgbOrder() {
    assertTrue(Files.isRegularFile(mirror.resolve("cifar10-jpg.tgz")), "cifar10-jpg.tgz is not in " + mirror);
    var test = Datasets.cifar10(Split.TEST);
    assertArrayEquals(new long[] {10000, 3, 32, 32}, test.features().shape());
    assertEquals(Cifar10Binary.CLASSES, test.classes());
    for (long n : counts(test.labels(), 10)) {
      assertEquals(1000, n);
    }
    // CIFAR-10 test channel means are about (0.494, 0.485, 0.450): blue is clearly the darkest.
    INDArray mean = test.features().mean(0, 2, 3);
    assertEquals(0.494, mean.getDouble(0), 0.01);
    assertEquals(0.485, mean.getDouble(1), 0.01);
    assertEquals(0.450, mean.getDouble(2), 0.01);
    // Interleaved like the canonical files: the first 500 images hold every class about 50 times, where the
    // mirror's class folders would give 500 airplanes.
    for (long n : counts(test.take(500).labels(), 10)) {
      assertTrue(n >= 25 && n <= 75, "class count in the first 500: " + n);
    }
    // Second call comes from the binary cache and gives the same tensors.
    var again = Datasets.cifar10(Split.TEST);
    assertTrue(Files.isRegularFile(cache.resolve("cifar10-jpg-interleaved/test_batch.bin")));
    assertEquals(test.labels(), again.labels());
    assertEquals(0.0, test.features().sub(again.features()).amaxNumber().doubleValue(), 1e-6);
  }

  @Test
  void grimmsHasTheKnownLengthWithoutItsBom() {
    var t = Datasets.text("grimms_fairy_tales");
    // The README counts 540,241 characters and 87 distinct including the BOM, which the corpus drops.
    assertEquals(540_240, t.length());
    assertEquals(86, t.vocabSize());
    assertFalse(t.text().startsWith("\uFEFF"));
    assertEquals(1_115_394, Datasets.text("tiny_shakespeare").length() + 1, "1,115,393 ASCII bytes");
  }

  @Test
  void circlesMatchesAnIndependentParse() {
    Map<String, INDArray> m = MatFile.read(mirror.resolve("circles.mat"));
    assertEquals(List.of("Xtest", "Xtrain", "Ytest", "Ytrain"), m.keySet().stream().sorted().toList());
    INDArray x = m.get("Xtrain");
    assertArrayEquals(new long[] {200, 2}, x.shape());
    // Values from a separate Python/zlib parse of the file.
    assertEquals(0.90421312, x.getDouble(0, 0), 1e-8);
    assertEquals(-0.19382447, x.getDouble(0, 1), 1e-8);
    assertEquals(-8.01043424496188, x.sumNumber().doubleValue(), 1e-9);
    assertEquals(4.9783971487175425, m.get("Xtest").sumNumber().doubleValue(), 1e-9);
    var train = Datasets.circles(Split.TRAIN);
    assertArrayEquals(new long[] {200}, train.labels().shape());
    assertEquals(DataType.LONG, train.labels().dataType());
    long[] c = counts(train.labels(), 2);
    assertEquals(200, c[0] + c[1]);
    assertEquals(m.get("Ytrain").getDouble(0, 1), (double) train.labels().getLong(0));
  }

  @Test
  void fashionMnistTestHasTenBalancedClasses() {
    assertTrue(Files.isDirectory(DataRegistry.SYSTEM_ROOT.resolve("fashion-mnist"))
        || Files.isDirectory(mirror.resolve("fashion-mnist")), "Fashion-MNIST: apt-get install dataset-fashion-mnist");
    Datasets.registry(new DataRegistry().dataRoot(mirror).cacheDir(cache).download(false));
    var t = Datasets.fashionMnist(Split.TEST);
    assertArrayEquals(new long[] {10000, 1, 28, 28}, t.features().shape());
    for (long n : counts(t.labels(), 10)) {
      assertEquals(1000, n);
    }
    assertEquals("Ankle boot", t.classes().get((int) t.labels().getLong(0)));
  }

  @Test
  void byNameGivesTheNamedSetAndListsTheKnownNames() {
    assertEquals(Datasets.mnist(Split.TEST).labels(), Datasets.byName("mnist", Split.TEST).labels());
    assertEquals(Datasets.fashionMnist(Split.TEST).labels(), Datasets.byName("fashion", Split.TEST).labels());
    var e = assertThrows(IllegalArgumentException.class, () -> Datasets.byName("fashion-mnist", Split.TEST));
    assertTrue(e.getMessage().contains("'fashion-mnist'") && e.getMessage().contains("[mnist, fashion, cifar10]"),
        e.getMessage());
  }
}
