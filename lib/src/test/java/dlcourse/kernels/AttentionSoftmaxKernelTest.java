package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.F;
import dlcourse.nn.Init;
import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float attention path on {@link AttentionSoftmaxKernel} (scale on q, oneDNN softmax with the causal mask, dropout
 * in the same op) against the Java loops it replaced (switch off): outputs, weights and gradients; dropout's zeros,
 * scaling and gradient against the same mask applied by hand.
 */
class AttentionSoftmaxKernelTest {

  @AfterEach
  void on() {
    AttentionSoftmaxKernel.dnnl = true;
  }

  private static Tensor[] inputs(long seed, long[] qs, long[] ks, long[] vs) {
    Init.manualSeed(seed);
    return new Tensor[] {Tensor.randn(seed, qs).mul(2).detach().requiresGrad(true),
      Tensor.randn(seed + 1, ks).mul(2).detach().requiresGrad(true), Tensor.randn(seed + 2, vs).requiresGrad(true)};
  }

  /** Output, weights and the gradients of q, k, v for sum(output * r), with the kernel on or off. */
  private static INDArray[] run(boolean kernel, Tensor[] in, boolean causal, INDArray r) {
    AttentionSoftmaxKernel.dnnl = kernel;
    for (Tensor t : in) {
      t.zeroGrad();
    }
    F.Attention a = F.scaledDotProductAttentionWithWeights(in[0], in[1], in[2], null, causal, 0, false);
    a.output().mul(Tensor.of(r)).sum().backward();
    return new INDArray[] {a.output().array().dup(), a.weights().array().dup(), in[0].grad().array().dup(),
      in[1].grad().array().dup(), in[2].grad().array().dup()};
  }

  @Test
  void matchesTheJavaLoopsWithAndWithoutTheCausalMask() {
    long[][][] shapes = {
      {{2, 3, 7, 4}, {2, 3, 7, 4}, {2, 3, 7, 5}},
      {{3, 5, 6}, {3, 9, 6}, {3, 9, 2}}, // more keys than queries
      {{1, 2, 130, 8}, {1, 2, 130, 8}, {1, 2, 130, 8}}, // rows longer than a vector register, odd length
      {{2, 9, 4}, {2, 3, 4}, {2, 3, 4}}, // more queries than keys: causal rows past the last key see all keys
    };
    String[] names = {"out", "weights", "dq", "dk", "dv"};
    for (long[][] s : shapes) {
      for (boolean causal : new boolean[] {false, true}) {
        Tensor[] in = inputs(7, s[0], s[1], s[2]);
        long[] os = s[0].clone();
        os[os.length - 1] = s[2][s[2].length - 1];
        INDArray r = Nd4j.randn(DataType.FLOAT, os);
        INDArray[] fused = run(true, in, causal, r);
        INDArray[] loops = run(false, in, causal, r);
        for (int i = 0; i < names.length; i++) {
          assertEquals(0, GradCheck.maxAbsDiff(Tensor.of(fused[i]), Tensor.of(loops[i])), 2e-5,
              names[i] + " " + java.util.Arrays.toString(s[0]) + " causal " + causal);
        }
        if (causal) {
          INDArray w = fused[1].reshape(-1, s[0][s[0].length - 2], s[1][s[1].length - 2]);
          for (int m = 0; m < w.size(0); m++) {
            for (int i = 0; i < w.size(1); i++) {
              for (int j = i + 1; j < w.size(2); j++) {
                assertEquals(0f, w.getFloat(m, i, j), "masked weight " + m + ", " + i + ", " + j);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void dropoutZeroesWeightsScalesTheRestAndItsGradientUsesTheSameMask() {
    double p = 0.3;
    long[] shape = {2, 3, 40, 8};
    Tensor[] in = inputs(11, shape, shape, shape);
    INDArray r = Nd4j.randn(DataType.FLOAT, shape);
    F.Attention a = F.scaledDotProductAttentionWithWeights(in[0], in[1], in[2], null, true, p, true);
    a.output().mul(Tensor.of(r)).sum().backward();
    INDArray w = a.weights().array().dup();
    INDArray[] grads = {in[0].grad().array().dup(), in[1].grad().array().dup(), in[2].grad().array().dup()};

    // By hand: the probabilities without dropout, times the mask the fused op drew (a kept weight is never 0).
    for (Tensor t : in) {
      t.zeroGrad();
    }
    Tensor probs = F.scaledDotProductAttentionWithWeights(in[0], in[1], in[2], null, true, 0, false).weights();
    INDArray keep = w.neq(0).castTo(DataType.FLOAT).muli(1 / (1 - p));
    Tensor byHand = probs.mul(Tensor.of(keep));
    assertEquals(0, GradCheck.maxAbsDiff(Tensor.of(w), byHand), 1e-6, "weights = probabilities * mask / (1 - p)");
    byHand.matmul(in[2]).mul(Tensor.of(r)).sum().backward();
    String[] names = {"dq", "dk", "dv"};
    for (int i = 0; i < 3; i++) {
      assertEquals(0, GradCheck.maxAbsDiff(Tensor.of(grads[i]), in[i].grad()), 2e-5, names[i]);
    }
    long unmasked = 2 * 3 * 40 * 41 / 2;
    long dropped = unmasked - keep.neq(0).castTo(DataType.INT32).sumNumber().longValue();
    double rate = (double) dropped / unmasked;
    assertTrue(Math.abs(rate - p) < 0.05, "dropped " + dropped + " of " + unmasked + " causal weights: " + rate);
  }

  @Test
  void rowsSumToOneAndMaskedWeightsAreZero() {
    INDArray x = Nd4j.randn(DataType.FLOAT, 4, 16, 16).muli(10);
    AttentionSoftmaxKernel.forwardInPlace(x, true);
    for (int m = 0; m < 4; m++) {
      for (int i = 0; i < 16; i++) {
        assertEquals(1, x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(m), org.nd4j.linalg.indexing.NDArrayIndex
            .point(i)).sumNumber().doubleValue(), 1e-5, "row " + i);
        assertEquals(0, x.getFloat(m, i, Math.min(i + 1, 15)) * (i < 15 ? 1 : 0), "masked");
      }
    }
    System.out.println("attention softmax: " + AttentionSoftmaxKernel.implementations());
  }
}
