package dlcourse.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Same-shape arithmetic into arrays from the buffer pool, and the backward pass's sums of two gradients there
 * ({@link Tensor#arithPool}), against fresh ND4J arrays (switch off): the same values and gradients, for plain and
 * permuted operands, over repeated passes that reuse pooled memory.
 */
class ArithPoolTest {

  @AfterEach
  void on() {
    Tensor.arithPool = true;
  }

  /** Outputs and gradients of a graph with every op, a tensor used three times and permuted operands. */
  private static List<INDArray> run(boolean pool, int passes) {
    Tensor.arithPool = pool;
    List<INDArray> out = new ArrayList<>();
    for (int p = 0; p < passes; p++) {
      Tensor a = Tensor.randn(1, 64, 17, 32).requiresGrad(true); // 34,816 floats: pooled sizes
      Tensor b = Tensor.randn(2, 64, 17, 32).requiresGrad(true);
      Tensor c = Tensor.randn(3, 64, 32, 17).requiresGrad(true);
      Tensor ct = c.transpose(1, 2); // a permuted view
      Tensor h = a.add(b); // used three times below: the engine sums its gradients
      Tensor y = h.mul(ct).sub(h.div(b.mul(ct).mul(b.mul(3)).add(1))).add(h.mul(h).mul(c.transpose(1, 2).mul(2)));
      Tensor r = Tensor.randn(4, 64, 17, 32);
      y.mul(r).sum().backward();
      out.add(y.array().dup());
      out.add(a.grad().array().dup());
      out.add(b.grad().array().dup());
      out.add(c.grad().array().dup());
    }
    return out;
  }

  @Test
  void pooledArithmeticEqualsFreshArrays() {
    List<INDArray> pooled = run(true, 3);
    List<INDArray> fresh = run(false, 3);
    for (int i = 0; i < pooled.size(); i++) {
      assertEquals(fresh.get(i), pooled.get(i), "item " + i);
    }
  }
}
