package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TransformsByNameTest {
  private static INDArray images(long seed) {
    Random r = new Random(seed);
    float[] v = new float[6 * 2 * 3 * 3];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextFloat();
    }
    return Nd4j.create(v, new long[] {6, 2, 3, 3});
  }

  @Test
  void normalizationByNameEqualsTheFactoryItNames() {
    INDArray x = images(1);
    Dataset train = new TensorDataset(x, Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.LONG, 6));
    INDArray batch = images(2);
    Map<String, Transform> direct = Map.of("standardize", Transforms.normalizeFrom(train),
        "gcn", Transforms.globalContrastNormalize(), "zca", Transforms.zcaWhiteningFrom(train, 0.1),
        "pca", Transforms.pcaWhiteningFrom(train, 0.1), "l1", Transforms.lpNormalize(1),
        "l2", Transforms.lpNormalize(2), "minmax", Transforms.minMax());
    direct.forEach((name, want) -> assertEquals(want.apply(batch, new Random(0)),
        Transforms.normalization(name, train, 0.1).apply(batch, new Random(0)), name));
    assertNull(Transforms.normalization("none", train, 0.1));
    assertThrows(IllegalArgumentException.class, () -> Transforms.normalization("whiten", train, 0.1));
  }

  @Test
  void chainSkipsNullsAndAppliesTheRestInOrder() {
    Transform crop = Transforms.randomCrop(2, 0);
    Transform flip = Transforms.hflip(0.5);
    assertNull(Transforms.chain(null, null));
    assertSame(crop, Transforms.chain(null, crop));
    assertSame(flip, Transforms.chain(flip, null));
    INDArray batch = images(3);
    assertEquals(crop.andThen(flip).apply(batch, new Random(7)), Transforms.chain(crop, null, flip).apply(batch,
        new Random(7)));
    // order matters: scaling then min-max is not min-max then scaling
    Transform scale = Transforms.scale(2);
    assertEquals(Transforms.minMax().andThen(scale).apply(batch, new Random(0)),
        Transforms.chain(Transforms.minMax(), scale).apply(batch, new Random(0)));
  }
}
