package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.Init;
import dlcourse.nn.MultiheadAttention;
import dlcourse.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link MultiheadAttention}'s self-attention on {@link HeadsAttentionKernel} (heads split and merged by reorders, the
 * scale in the scores' matmul) against the general path (narrow, reshape, transpose, scale, batched matmuls, softmax),
 * switch off: the output and every gradient, with and without the causal mask, for several shapes; the cases the
 * kernel leaves to the general path; and the saved arrays going back to the buffer pool.
 */
class HeadsAttentionKernelTest {

  @AfterEach
  void on() {
    HeadsAttentionKernel.enabled = true;
  }

  /** The output and the gradients of x and of every parameter for sum(out * r), the kernel on or off. */
  private static List<INDArray> run(boolean kernel, MultiheadAttention mha, Tensor x, boolean causal, INDArray r) {
    HeadsAttentionKernel.enabled = kernel;
    mha.zeroGrad();
    x.zeroGrad();
    Tensor out = mha.forward(x, x, x, null, false, null, causal).output();
    out.mul(Tensor.of(r)).sum().backward();
    List<INDArray> res = new ArrayList<>();
    res.add(out.array().dup());
    res.add(x.grad().array().dup());
    mha.parameters().forEach(p -> res.add(p.grad().array().dup()));
    return res;
  }

  @Test
  void selfAttentionMatchesTheGeneralPath() {
    int[][] cases = {{3, 17, 32, 4}, {2, 5, 12, 3}, {1, 40, 16, 1}, {4, 9, 48, 6}}; // B, T, E, heads
    for (int[] c : cases) {
      for (boolean causal : new boolean[] {false, true}) {
        Init.manualSeed(3);
        MultiheadAttention mha = new MultiheadAttention(c[2], c[3]);
        Init.normal(mha.inProjBias().data(), 0, 0.5); // non-zero biases, so their gradients are tested too
        Init.normal(mha.outProj().bias().data(), 0, 0.5);
        Tensor x = Tensor.randn(5, c[0], c[1], c[2]).mul(2).detach().requiresGrad(true);
        INDArray r = Nd4j.randn(DataType.FLOAT, c[0], c[1], c[2]);
        List<INDArray> fast = run(true, mha, x, causal, r);
        List<INDArray> general = run(false, mha, x, causal, r);
        assertEquals(general.size(), fast.size());
        for (int i = 0; i < fast.size(); i++) {
          double scale = general.get(i).amaxNumber().doubleValue() + 1e-3;
          double err = fast.get(i).sub(general.get(i)).amaxNumber().doubleValue();
          assertTrue(err <= 1e-5 * scale, java.util.Arrays.toString(c) + " causal " + causal + " item " + i
              + ": max error " + err + " of " + scale);
        }
      }
    }
  }

  @Test
  void noGradAndRepeatedStepsGiveTheSameValues() {
    Init.manualSeed(4);
    MultiheadAttention mha = new MultiheadAttention(32, 4);
    Tensor x = Tensor.randn(6, 8, 17, 32).requiresGrad(true);
    INDArray r = Nd4j.randn(DataType.FLOAT, 8, 17, 32);
    List<INDArray> first = run(true, mha, x, false, r);
    List<INDArray> second = run(true, mha, x, false, r); // arrays from the pool this time
    for (int i = 0; i < first.size(); i++) {
      assertEquals(first.get(i), second.get(i), "item " + i);
    }
    try (var g = Tensor.noGrad()) {
      assertEquals(first.get(0), mha.call(x).array());
    }
  }

  @Test
  void leavesMasksWeightsAndDropoutToTheGeneralPath() {
    Init.manualSeed(5);
    MultiheadAttention mha = new MultiheadAttention(16, 2);
    Tensor x = Tensor.randn(7, 2, 6, 16).requiresGrad(true);
    Tensor y = Tensor.randn(8, 2, 6, 16);
    Tensor pad = Tensor.of(Nd4j.zeros(DataType.BOOL, 2, 6));
    assertTrue(fused(() -> mha.forward(x, x, x, null, false, null, false)));
    assertTrue(fused(() -> mha.forward(x, x, x, null, false, null, true)));
    assertFalse(fused(() -> assertTrue(mha.forward(x, x, x, null, true, null, false).weights() != null)));
    assertFalse(fused(() -> mha.forward(x, x, x, pad, false, null, false)));
    assertFalse(fused(() -> mha.forward(x, y, y, null, false, null, false)));
    mha.dropout(0.1);
    mha.train();
    assertFalse(fused(() -> mha.forward(x, x, x, null, false, null, false)));
    mha.eval(); // no dropout in eval mode: the kernel applies
    assertTrue(fused(() -> assertNull(mha.forward(x, x, x, null, false, null, false).weights())));
    HeadsAttentionKernel.enabled = false;
    assertFalse(fused(() -> mha.forward(x, x, x, null, false, null, false)));
  }

  /** Whether {@code r} ran the fused op. */
  private static boolean fused(Runnable r) {
    try (var p = dlcourse.tensor.Profiler.start()) {
      r.run();
      return p.entries().stream().anyMatch(e -> e.op().equals("headsAttention"));
    }
  }

  @Test
  void plainHeadsRunOnBrgemm() {
    Init.manualSeed(6);
    MultiheadAttention mha = new MultiheadAttention(32, 4);
    Tensor x = Tensor.randn(9, 128, 17, 32).requiresGrad(true);
    mha.call(x).sum().backward();
    List<String> impl = HeadsAttentionKernel.implementations();
    assertTrue(impl.stream().noneMatch(s -> s.contains("ref")), impl.toString());
    System.out.println("heads attention: " + impl);
  }
}
