package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The float passes of {@link AdditiveAttentionKernel} over blocks of key rows ({@code rowBlocks}) against its loops of
 * one row each (switch off): forward weights and keys gradient bit for bit, query and weight gradients (summed in
 * another order) within float rounding, bias gradient bit for bit.
 */
class AdditiveAttentionKernelTest {
  /**
   * The captioner's sizes (B 8, R 256, A 100) and an odd one whose last block is partial (R 21, A 7), the keys
   * gradient both new and added into a running sum, as the decoder's later steps do.
   */
  @Test
  void rowBlocksEqualTheRowLoops() {
    int[][] sizes = {{8, 256, 100}, {3, 21, 7}};
    for (int[] sz : sizes) {
      Random r = new Random(7);
      long nb = sz[0], nr = sz[1], na = sz[2];
      INDArray keys = Checks.f(Checks.random(r, nb, nr, na));
      INDArray query = Checks.f(Checks.random(r, nb, na));
      INDArray weight = Checks.f(Checks.random(r, 1, na));
      INDArray g = Checks.f(Checks.random(r, nb, nr));
      INDArray running = Checks.f(Checks.random(r, nb, nr, na));
      String what = "B " + nb + " R " + nr + " A " + na;
      INDArray[][] grads = new INDArray[2][];
      INDArray[][] added = new INDArray[2][];
      INDArray[] y = new INDArray[2];
      boolean before = AdditiveAttentionKernel.rowBlocks;
      try {
        for (int side = 0; side < 2; side++) {
          AdditiveAttentionKernel.rowBlocks = side == 0;
          y[side] = AdditiveAttentionKernel.forward(keys, query, weight, 0.25);
          grads[side] = backward(g, y[side], keys, query, weight, null);
          added[side] = backward(g, y[side], keys, query, weight, running.dup());
        }
      } finally {
        AdditiveAttentionKernel.rowBlocks = before;
      }
      assertArrayEquals(y[1].data().asFloat(), y[0].data().asFloat(), what + ": weights");
      for (INDArray[][] side : new INDArray[][][] {grads, added}) {
        assertArrayEquals(side[1][0].data().asFloat(), side[0][0].data().asFloat(), what + ": keys gradient");
        Checks.close(side[1][1], side[0][1], 1e-6, what + ": query gradient");
        Checks.close(side[1][2], side[0][2], 1e-6, what + ": weight gradient");
        assertEquals(side[1][3].getFloat(0), side[0][3].getFloat(0), what + ": bias gradient");
      }
    }
  }

  private static INDArray[] backward(INDArray g, INDArray y, INDArray keys, INDArray query, INDArray weight,
      INDArray keysInto) {
    long[][] shapes = {keys.shape(), query.shape(), weight.shape(), {1}};
    return AdditiveAttentionKernel.backward(g, y, keys, query, weight, new boolean[] {true, true, true, true},
        new INDArray[] {keysInto, null, null, null}, shapes);
  }
}
