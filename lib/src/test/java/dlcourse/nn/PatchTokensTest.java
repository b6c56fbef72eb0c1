package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link F#patchTokens}: the ViT's class token, patch tokens and positions, one op for float tensors. */
class PatchTokensTest {
  private static Tensor leaf(long seed, DataType type, long... shape) {
    return Tensor.of(Tensor.randn(seed, shape).array().castTo(type)).requiresGrad(true);
  }

  @Test
  void gradientsOfTheGeneralPathMatchFiniteDifferencesInDouble() {
    double err = GradCheck.check(in -> F.patchTokens(in[0], in[1], in[2]), leaf(1, DataType.DOUBLE, 2, 3, 2, 2),
        leaf(2, DataType.DOUBLE, 1, 1, 3), leaf(3, DataType.DOUBLE, 5, 3));
    assertTrue(err < 1e-6, "gradient error " + err);
  }

  /** Output and the three gradients for sum(tokens * r), float, the fused op on or off. */
  private static List<INDArray> run(boolean fused, boolean positionsTrained) {
    boolean old = F.fusedPatchTokens;
    F.fusedPatchTokens = fused;
    try {
      Tensor patches = leaf(11, DataType.FLOAT, 3, 4, 2, 3); // (B, C, h, w): 6 patches
      Tensor cls = leaf(12, DataType.FLOAT, 1, 1, 4);
      Tensor pos = Tensor.of(Tensor.randn(13, 7, 4).array()).requiresGrad(positionsTrained);
      Tensor out = F.patchTokens(patches, cls, pos);
      out.mul(Tensor.randn(14, 3, 7, 4)).sum().backward();
      List<INDArray> res = new ArrayList<>(List.of(out.array().dup(), patches.grad().array().dup(),
          cls.grad().array().dup()));
      if (positionsTrained) {
        res.add(pos.grad().array().dup());
      }
      return res;
    } finally {
      F.fusedPatchTokens = old;
    }
  }

  @Test
  void theFusedOpEqualsCatExpandTransposeAndAdd() {
    for (boolean trained : new boolean[] {false, true}) {
      List<INDArray> fused = run(true, trained);
      List<INDArray> general = run(false, trained);
      assertEquals(general.size(), fused.size());
      for (int i = 0; i < fused.size(); i++) {
        assertEquals(java.util.Arrays.toString(general.get(i).shape()), java.util.Arrays.toString(fused.get(i)
            .shape()));
        double err = GradCheck.maxAbsDiff(fused.get(i), general.get(i));
        assertTrue(err <= 1e-5, "positions trained " + trained + ", item " + i + ": max error " + err);
      }
    }
  }

  @Test
  void mismatchedShapesNameWhatIsExpected() {
    Tensor patches = Tensor.zeros(2, 4, 2, 2);
    var e = assertThrows(IllegalArgumentException.class,
        () -> F.patchTokens(patches, Tensor.zeros(1, 1, 4), Tensor.zeros(4, 4)));
    assertTrue(e.getMessage().contains("positions (5, 4)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> F.patchTokens(Tensor.zeros(2, 4, 2), Tensor.zeros(1, 1, 4),
        Tensor.zeros(5, 4)));
  }
}
