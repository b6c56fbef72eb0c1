package dlcourse.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class TensorTest {
  private static long seed = 1;

  /** A double leaf of random values in [-1, 1) (away from 0 where asked, for log/sqrt/div). */
  static Tensor leaf(long... shape) {
    return Tensor.of(Tensor.randn(seed++, shape).array().castTo(DataType.DOUBLE)).requiresGrad(true);
  }

  static Tensor positive(long... shape) {
    Tensor t = leaf(shape);
    return Tensor.of(t.array().mul(t.array()).addi(0.5)).requiresGrad(true);
  }

  private static void assertGrad(Function<Tensor[], Tensor> f, Tensor... in) {
    double err = GradCheck.check(f, in);
    assertTrue(err < 1e-6, "gradient error " + err + " of " + f.apply(in).gradFnName());
  }

  /**
   * What {@code run} returns with a static switch on, then off: the switch is set through {@code set} and put back to
   * {@code before} afterwards.
   */
  private static <T> List<T> onAndOff(boolean before, Consumer<Boolean> set, Supplier<T> run) {
    try {
      set.accept(true);
      T on = run.get();
      set.accept(false);
      return List.of(on, run.get());
    } finally {
      set.accept(before);
    }
  }

  @Test
  void elementwiseGradientsMatchFiniteDifferences() {
    assertGrad(t -> t[0].add(t[1]), leaf(3, 4), leaf(3, 4));
    assertGrad(t -> t[0].sub(t[1]), leaf(3, 4), leaf(4));
    assertGrad(t -> t[0].mul(t[1]), leaf(2, 3, 4), leaf(3, 1));
    assertGrad(t -> t[0].div(t[1]), leaf(3, 4), positive(1, 4));
    assertGrad(t -> t[0].mul(2.5).add(1).sub(3).div(4).neg().rsub(1), leaf(5));
    assertGrad(t -> t[0].pow(3), leaf(3, 3));
    assertGrad(t -> t[0].exp(), leaf(3, 3));
    assertGrad(t -> t[0].log(), positive(3, 3));
    assertGrad(t -> t[0].sqrt(), positive(3, 3));
    assertGrad(t -> t[0].abs(), positive(3, 3));
    assertGrad(t -> t[0].tanh(), leaf(3, 3));
    assertGrad(t -> t[0].sigmoid(), leaf(3, 3));
    assertGrad(t -> t[0].relu(), Tensor.of(Nd4j.createFromArray(-1.5, -0.2, 0.3, 2.0)).requiresGrad(true));
    assertGrad(t -> t[0].clamp(-0.5, 0.5), leaf(4, 4));
  }

  @Test
  void shapeAndReductionGradientsMatchFiniteDifferences() {
    assertGrad(t -> t[0].reshape(4, -1).mul(t[0].reshape(4, 3)), leaf(2, 6));
    assertGrad(t -> t[0].permute(2, 0, 1).mul(t[1]), leaf(2, 3, 4), leaf(4, 2, 3));
    assertGrad(t -> t[0].transpose(0, 1).matmul(t[1]), leaf(3, 2), leaf(3, 5));
    assertGrad(t -> t[0].flatten(1).unsqueeze(0).squeeze(0), leaf(2, 3, 4));
    assertGrad(t -> t[0].narrow(1, 1, 2).mul(t[0].narrow(1, 0, 2)), leaf(3, 4));
    assertGrad(t -> Tensor.cat(1, t[0], t[1], t[0]), leaf(2, 3), leaf(2, 1));
    assertGrad(t -> Tensor.stack(0, t[0], t[1]), leaf(2, 3), leaf(2, 3));
    assertGrad(t -> t[0].sum(), leaf(3, 4));
    assertGrad(t -> t[0].mean(), leaf(3, 4));
    assertGrad(t -> t[0].sum(false, 1), leaf(3, 4, 2));
    assertGrad(t -> t[0].mean(true, 0, 2), leaf(3, 4, 2));
    assertGrad(t -> t[0].max(false, 1), leaf(3, 5));
    assertGrad(t -> t[0].softmax(1), leaf(3, 5));
    assertGrad(t -> t[0].softmax(0), leaf(3, 5));
    assertGrad(t -> t[0].logSoftmax(-1), leaf(2, 3, 5));
  }

  @Test
  void matmulGradientsMatchFiniteDifferences() {
    assertGrad(t -> t[0].matmul(t[1]), leaf(3, 4), leaf(4, 2));
    assertGrad(t -> t[0].matmul(t[1]), leaf(2, 3, 4), leaf(4, 5));
    assertGrad(t -> t[0].matmul(t[1]), leaf(2, 3, 4), leaf(2, 4, 5));
    assertGrad(t -> t[0].matmul(t[1]), leaf(2, 2, 3, 4), leaf(2, 2, 4, 1));
  }

  @Test
  void floatOneRowBatchedMatmulMatchesTheDoublePath() {
    Tensor xd = leaf(3, 1, 4);
    Tensor wd = leaf(3, 4, 5);
    Tensor cd = leaf(3, 1, 5);
    xd.matmul(wd).mul(cd).sum().backward();
    Tensor xf = Tensor.of(xd.array().castTo(DataType.FLOAT)).requiresGrad(true);
    Tensor wf = Tensor.of(wd.array().castTo(DataType.FLOAT)).requiresGrad(true);
    Tensor cf = Tensor.of(cd.array().castTo(DataType.FLOAT));
    Tensor yf = xf.matmul(wf);
    yf.mul(cf).sum().backward();
    assertTrue(yf.array().castTo(DataType.DOUBLE).equalsWithEps(xd.matmul(wd).array(), 1e-5));
    assertTrue(xf.grad().array().castTo(DataType.DOUBLE).equalsWithEps(xd.grad().array(), 1e-5));
    assertTrue(wf.grad().array().castTo(DataType.DOUBLE).equalsWithEps(wd.grad().array(), 1e-5));
    // a view on the left (permuted), a right side without gradient
    Tensor xv = Tensor.of(xd.array().castTo(DataType.FLOAT).reshape(3, 4).dup()).requiresGrad(true);
    Tensor wn = Tensor.of(wd.array().castTo(DataType.FLOAT));
    xv.unsqueeze(1).matmul(wn).mul(cf).sum().backward();
    assertTrue(xv.grad().array().castTo(DataType.DOUBLE).reshape(3, 1, 4).equalsWithEps(xd.grad().array(), 1e-5));
    assertNull(wn.grad());
    // a permuted right side (ND4J reports it as 'c' ordered, not a view, offset 0: its strides must be checked)
    Tensor wp = Tensor.of(wd.array().castTo(DataType.FLOAT).permute(0, 2, 1).dup('c').permute(0, 2, 1))
        .requiresGrad(true);
    Tensor xp = Tensor.of(xd.array().castTo(DataType.FLOAT)).requiresGrad(true);
    Tensor yp = xp.matmul(wp);
    yp.mul(cf).sum().backward();
    assertTrue(yp.array().castTo(DataType.DOUBLE).equalsWithEps(xd.matmul(wd).array(), 1e-5));
    assertTrue(xp.grad().array().castTo(DataType.DOUBLE).equalsWithEps(xd.grad().array(), 1e-5));
    assertTrue(wp.grad().array().castTo(DataType.DOUBLE).equalsWithEps(wd.grad().array(), 1e-5));
  }

  @Test
  void floatOneRowBatchedMatmulMatchesTheDoublePathWithTheJavaBackwardLoop() {
    boolean was = Tensor.rowBatchSgemm;
    Tensor.rowBatchSgemm = false; // the loop that oneDNN's batched GEMVs replace by default
    try {
      floatOneRowBatchedMatmulMatchesTheDoublePath();
    } finally {
      Tensor.rowBatchSgemm = was;
    }
  }

  /**
   * The one-row batched product's forward pass on oneDNN's GEMVs ({@code rowBatchForwardSgemm}) against its Java loop,
   * at the captioner's context sizes (8, 1, 256) x (8, 256, 512): values within float rounding of a 256-term sum (the
   * two sum in different orders), gradients bit for bit (the backward pass does not depend on the switch); and the
   * double-path check above with the Java loop.
   */
  @Test
  void floatOneRowBatchedMatmulForwardOnGemvEqualsTheJavaLoop() {
    boolean was = Tensor.rowBatchForwardSgemm;
    try {
      Tensor.rowBatchForwardSgemm = false;
      floatOneRowBatchedMatmulMatchesTheDoublePath();
      INDArray x = Tensor.randn(5, 8, 1, 256).array().castTo(DataType.FLOAT);
      INDArray w = Tensor.randn(6, 8, 256, 512).array().castTo(DataType.FLOAT);
      INDArray c = Tensor.randn(7, 8, 1, 512).array().castTo(DataType.FLOAT);
      INDArray[][] runs = new INDArray[2][];
      for (int run = 0; run < 2; run++) {
        Tensor.rowBatchForwardSgemm = run == 0;
        Tensor xt = Tensor.of(x.dup()).requiresGrad(true);
        Tensor wt = Tensor.of(w.dup()).requiresGrad(true);
        Tensor y = xt.matmul(wt);
        y.mul(Tensor.of(c)).sum().backward();
        runs[run] = new INDArray[] {y.array().dup(), xt.grad().array(), wt.grad().array()};
      }
      double scale = runs[1][0].castTo(DataType.DOUBLE).amaxNumber().doubleValue();
      double diff = runs[0][0].castTo(DataType.DOUBLE).sub(runs[1][0].castTo(DataType.DOUBLE)).amaxNumber()
          .doubleValue();
      assertTrue(diff <= 1e-5 * scale, "GEMV and loop differ by " + diff + " at scale " + scale);
      assertEquals(runs[1][1], runs[0][1]);
      assertEquals(runs[1][2], runs[0][2]);
    } finally {
      Tensor.rowBatchForwardSgemm = was;
    }
  }

  /** The Java concatenation of small float arrays equals ND4J's concat op, values and split gradients, exactly. */
  @Test
  void floatCatInJavaEqualsNd4jsConcat() {
    boolean was = Tensor.catInJava;
    try {
      for (int d = 0; d < 3; d++) {
        long[] s1 = {2, 3, 4};
        long[] s2 = s1.clone();
        s2[d] = 5;
        INDArray[] results = new INDArray[2];
        INDArray[][] grads = new INDArray[2][];
        for (int run = 0; run < 2; run++) {
          Tensor.catInJava = run == 0;
          Tensor a = Tensor.of(Tensor.randn(1, s1).array()).requiresGrad(true);
          Tensor b = Tensor.of(Tensor.randn(2, s2[0] * s2[1] * s2[2]).array()).requiresGrad(true);
          Tensor c = Tensor.of(Tensor.randn(3, s1[2], s1[1], s1[0]).array()).requiresGrad(true);
          // a plain array, a reshaped view, a permuted array (ND4J's path for it: not row-major)
          Tensor y = Tensor.cat(d, a, b.reshape(s2), c.permute(2, 1, 0));
          y.mul(Tensor.randn(4, y.shape())).sum().backward();
          results[run] = y.array().dup();
          grads[run] = new INDArray[] {a.grad().array(), b.grad().array(), c.grad().array()};
        }
        assertEquals(results[1], results[0], "dim " + d);
        for (int i = 0; i < 3; i++) {
          assertEquals(grads[1][i], grads[0][i], "dim " + d + " gradient " + i);
        }
      }
      Tensor.catInJava = true;
      Tensor x = Tensor.of(Tensor.randn(5, 2, 3).array()).requiresGrad(true);
      Tensor st = Tensor.stack(1, x, x.mul(2)); // (2, 2, 3), through unsqueezed views
      assertEquals(x.array().mul(2), st.array().get(NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all()));
    } finally {
      Tensor.catInJava = was;
    }
  }

  @Test
  void valuesAreNumpys() {
    Tensor a = Tensor.of(1, 2, 3);
    Tensor b = Tensor.of(Nd4j.createFromArray(new float[][] {{10}, {20}}));
    assertEquals(Nd4j.createFromArray(new float[][] {{11, 12, 13}, {21, 22, 23}}), a.add(b).array());
    assertEquals(6.0, a.sum().item(), 1e-6);
    assertEquals(2.0, a.mean().item(), 1e-6);
    INDArray m = Tensor.of(Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4}})).matmul(
        Tensor.of(Nd4j.createFromArray(new float[][] {{5}, {6}}))).array();
    assertEquals(Nd4j.createFromArray(new float[][] {{17}, {39}}), m);
    assertEquals(1.0, Tensor.of(1, 2, 3).softmax(0).sum().item(), 1e-6);
  }

  @Test
  void gradientsAccumulateUntilReset() {
    Tensor w = Tensor.of(2.0).requiresGrad(true);
    w.mul(w).sum().backward();
    w.mul(3).sum().backward();
    assertEquals(4 + 3, w.grad().item(), 1e-6);
    w.zeroGrad();
    assertNull(w.grad());
  }

  @Test
  void aValueUsedTwiceGetsTheSumAndLeavesGetTheirOwnArrays() {
    Tensor x = Tensor.of(3.0).requiresGrad(true);
    Tensor y = Tensor.of(5.0).requiresGrad(true);
    x.add(y).add(x).sum().backward();
    assertEquals(2, x.grad().item(), 1e-6);
    assertEquals(1, y.grad().item(), 1e-6);
    Tensor a = Tensor.of(1.0).requiresGrad(true);
    Tensor b = Tensor.of(1.0).requiresGrad(true);
    a.add(b).sum().backward();
    assertNotSame(a.grad().array(), b.grad().array());
  }

  @Test
  void noGradRecordsNothing() {
    Tensor w = Tensor.of(1, 2).requiresGrad(true);
    Tensor y;
    try (var g = Tensor.noGrad()) {
      y = w.mul(w);
      assertFalse(GradMode.isEnabled());
    }
    assertTrue(GradMode.isEnabled());
    assertFalse(y.requiresGrad());
    assertTrue(y.isLeaf());
    Tensor d = w.mul(2).detach();
    assertFalse(d.requiresGrad());
  }

  @Test
  void backwardErrorsAreClear() {
    Tensor w = Tensor.of(1, 2).requiresGrad(true);
    var e1 = assertThrows(IllegalStateException.class, () -> w.mul(w).backward());
    assertTrue(e1.getMessage().contains("needs a scalar, got shape (2,)"), e1.getMessage());
    var e2 = assertThrows(IllegalStateException.class, () -> Tensor.of(1, 2).sum().backward());
    assertTrue(e2.getMessage().contains("does not require a gradient"), e2.getMessage());
    Tensor loss = w.mul(w).sum();
    loss.backward();
    var e3 = assertThrows(IllegalStateException.class, loss::backward);
    assertTrue(e3.getMessage().contains("second time"), e3.getMessage());
    Tensor kept = w.exp().sum();
    kept.backward(Tensor.of(Nd4j.scalar(1f)), true);
    kept.backward(); // the tape was retained
    var e4 = assertThrows(IllegalArgumentException.class, () -> w.add(Tensor.of(1, 2, 3)));
    assertTrue(e4.getMessage().contains("(2,) and (3,) cannot be broadcast"), e4.getMessage());
    var e5 = assertThrows(IllegalArgumentException.class, () -> w.add(Tensor.of(Nd4j.createFromArray(1.0, 2.0))));
    assertTrue(e5.getMessage().contains("data types differ"), e5.getMessage());
  }

  @Test
  void inPlaceChangesOfNeededTensorsFail() {
    Tensor w = Tensor.of(1, 2).requiresGrad(true);
    Tensor x = Tensor.of(3, 4);
    Tensor loss = w.mul(x).sum();
    x.muli(2); // x is needed by mul's backward pass
    var e = assertThrows(IllegalStateException.class, loss::backward);
    assertTrue(e.getMessage().contains("modified in place"), e.getMessage());
    var leaf = assertThrows(IllegalStateException.class, () -> w.addi(Tensor.of(1, 1)));
    assertTrue(leaf.getMessage().contains("noGrad"), leaf.getMessage());
    try (var g = Tensor.noGrad()) {
      w.addi(Tensor.of(1, 1));
    }
    assertEquals(2.0, w.array().getDouble(0), 1e-6);
    // a view shares the version counter
    Tensor v = Tensor.of(1, 2, 3, 4);
    Tensor lossV = w.mul(v.reshape(2, 2).sum(false, 0)).sum();
    Tensor viewOfV = v.reshape(4);
    viewOfV.muli(3);
    lossV.backward(); // reshape's backward does not read v: fine
    Tensor lossM = w.mul(v.narrow(0, 0, 2)).sum();
    v.reshape(2, 2).muli(2);
    assertThrows(IllegalStateException.class, lossM::backward);
  }

  @Test
  void customFunctionsJoinTheTape() {
    class Cube extends AutogradFunction {
      @Override
      public INDArray forward(Context ctx, INDArray... in) {
        ctx.saveForBackward(in[0]);
        return in[0].mul(in[0]).muli(in[0]);
      }

      @Override
      public INDArray[] backward(Context ctx, INDArray g) {
        INDArray x = ctx.saved(0);
        return new INDArray[] {g.mul(x.mul(x)).muli(3)};
      }
    }
    assertGrad(t -> new Cube().apply(t[0].tanh()).mul(t[1]), leaf(3, 2), leaf(2));
    Tensor x = Tensor.of(2).requiresGrad(true);
    new Cube().apply(x).sum().backward();
    assertEquals(12, x.grad().item(), 1e-5);
  }

  @Test
  void longChainsDoNotOverflowTheStack() {
    Tensor x = Tensor.of(1.0).requiresGrad(true);
    Tensor y = x;
    for (int i = 0; i < 20000; i++) {
      y = y.add(0.0);
    }
    y.sum().backward();
    assertEquals(1, x.grad().item(), 1e-6);
  }

  @Test
  void aWeightUsedManyTimesGetsItsProductsAddedIntoItsGradient() {
    // The third and later uses find an owned .grad and add their GEMM into it (beta 1): same gradients as the
    // finite differences, on the 2-D, the folded (B, n, k) x (k, m) and a transposed-view left side.
    assertGrad(t -> t[1].matmul(t[0]).add(t[1].matmul(t[0].tanh())).add(t[1].matmul(t[0]).mul(2))
        .add(t[2].matmul(t[0])).tanh(), leaf(3, 4), leaf(2, 3), leaf(2, 3));
    assertGrad(t -> t[1].matmul(t[0]).add(t[1].mul(t[1]).matmul(t[0])).add(t[1].tanh().matmul(t[0]))
        .add(t[1].matmul(t[0]).mul(-1.5)).tanh(), leaf(3, 4), leaf(2, 5, 3));
    assertGrad(t -> t[1].transpose(0, 1).matmul(t[0]).add(t[1].transpose(0, 1).matmul(t[0].mul(t[0])))
        .add(t[1].transpose(0, 1).tanh().matmul(t[0])).add(t[1].transpose(0, 1).matmul(t[0])).tanh(),
        leaf(3, 4), leaf(3, 2));
  }

  @Test
  void aWeightAccumulatesInFloatAsIfEachUseHadItsOwnCopy() {
    Tensor w = Tensor.randn(7, 16, 8).requiresGrad(true);
    Tensor[] copies = new Tensor[6];
    Tensor total = null;
    Tensor totalRef = null;
    for (int i = 0; i < copies.length; i++) {
      Tensor x = Tensor.randn(100 + i, 5, 16);
      copies[i] = w.detach().clone().requiresGrad(true);
      Tensor y = x.matmul(w).tanh().sum();
      Tensor yRef = x.matmul(copies[i]).tanh().sum();
      total = total == null ? y : total.add(y);
      totalRef = totalRef == null ? yRef : totalRef.add(yRef);
    }
    total.backward();
    totalRef.backward();
    INDArray expected = copies[0].grad().array().dup();
    for (int i = 1; i < copies.length; i++) {
      expected.addi(copies[i].grad().array());
    }
    assertTrue(GradCheck.maxAbsDiff(expected, w.grad().array()) < 1e-5);
    // a second backward pass without zeroGrad keeps accumulating into the same gradient
    INDArray before = w.grad().array().dup();
    Tensor.randn(99, 5, 16).matmul(w).sum().backward();
    INDArray ones = Tensor.randn(99, 5, 16).array().sum(0).reshape(16, 1).broadcast(16, 8);
    assertTrue(GradCheck.maxAbsDiff(before.add(ones), w.grad().array()) < 1e-5);
  }

  @Test
  void theEngineOffersAnAccumulatorOnlyWhereItOwnsOne() {
    java.util.List<String> seen = new java.util.ArrayList<>();
    Function<Tensor, Tensor> op = in -> Tensor.record("probe", in.array().dup(), new Tensor[] {in}, (g, into) -> {
      seen.add(into[0] == null ? "-" : "into");
      if (into[0] != null) {
        into[0].addi(g);
        return new INDArray[] {into[0]};
      }
      return new INDArray[] {g.dup()};
    });
    Tensor w = Tensor.of(Nd4j.createFromArray(1.0, 2.0)).requiresGrad(true);
    op.apply(w).add(op.apply(w)).add(op.apply(w)).add(op.apply(w)).sum().backward();
    // 1st: adopted as .grad (not owned); 2nd: the engine's sum (owned); 3rd and 4th: added into it
    assertEquals(java.util.List.of("-", "-", "into", "into"), seen);
    assertEquals(Nd4j.createFromArray(4.0, 4.0), w.grad().array());
    seen.clear();
    Tensor h = w.mul(3); // a non-leaf used four times: its running sum is offered from the third use on
    op.apply(h).add(op.apply(h)).add(op.apply(h)).add(op.apply(h)).sum().backward();
    assertEquals(java.util.List.of("-", "-", "into", "into"), seen);
    assertEquals(Nd4j.createFromArray(16.0, 16.0), w.grad().array());
    // a sum passed on by add to both of its inputs must not be offered to either afterwards
    seen.clear();
    Tensor v = Tensor.of(Nd4j.createFromArray(1.0, 1.0)).requiresGrad(true);
    Tensor a = v.mul(1);
    Tensor b = v.mul(1);
    Tensor s = a.add(b);
    op.apply(s).add(op.apply(s)).add(op.apply(a)).add(op.apply(b)).sum().backward();
    assertEquals(Nd4j.createFromArray(6.0, 6.0), v.grad().array());
  }

  @Test
  void aNewLossThroughAFreedPartOfTheTapeFails() {
    Tensor w = Tensor.of(1, 2).requiresGrad(true);
    Tensor h = w.exp();
    h.sum().backward(); // frees exp's node
    var e = assertThrows(IllegalStateException.class, () -> h.mul(2).sum().backward());
    assertTrue(e.getMessage().contains("second time"), e.getMessage());
  }

  /**
   * Same-shape arithmetic on arrays of up to 64 elements runs as a Java loop into a buffer from ND4J's allocator; it
   * must give ND4J's values on both sides of that size, in float and double, for dense arrays, views (transposed,
   * narrowed: these take ND4J's op) and broadcasts, and its results must be independent arrays.
   */
  @Test
  void smallArithmeticGivesNd4jsValuesOnBothSidesOfTheThreshold() {
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      for (long[] shape : new long[][] {{4, 4}, {8, 8}, {5, 13}, {1, 64}, {65}, {3}}) {
        INDArray a = Tensor.randn(seed++, shape).array().castTo(type);
        INDArray b = Tensor.randn(seed++, shape).array().castTo(type).addi(3); // away from 0 for div
        Tensor x = Tensor.of(a.dup());
        Tensor z = Tensor.of(b.dup());
        assertEquals(a.add(b), x.add(z).array(), type + " add " + java.util.Arrays.toString(shape));
        assertEquals(a.sub(b), x.sub(z).array(), type + " sub");
        assertEquals(a.mul(b), x.mul(z).array(), type + " mul");
        assertEquals(a.div(b), x.div(z).array(), type + " div");
        Tensor y = x.add(z);
        assertNotSame(x.array().data(), y.array().data());
        assertEquals(a, x.array(), "the operands are unchanged");
        assertEquals(type, y.dtype());
        org.junit.jupiter.api.Assertions.assertArrayEquals(shape, y.shape());
      }
      INDArray m = Tensor.randn(seed++, 4, 6).array().castTo(type);
      INDArray n = Tensor.randn(seed++, 6, 4).array().castTo(type);
      assertEquals(m.transpose().add(n), Tensor.of(m).permute(1, 0).add(Tensor.of(n)).array(), "a transposed view");
      assertEquals(m.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3)).mul(m.get(
          org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 4))), Tensor.of(m).narrow(0, 1, 2).mul(Tensor.of(m)
              .narrow(0, 2, 2)).array(), "narrowed views");
      INDArray row = Tensor.randn(seed++, 1, 6).array().castTo(type);
      assertEquals(m.add(row.broadcast(m.shape())), Tensor.of(m).add(Tensor.of(row)).array(), "a broadcast row");
    }
  }

  /** Gradients through the Java path (a chain of tiny ops, broadcast and views included) against central differences. */
  @Test
  void smallArithmeticGradientsMatchFiniteDifferences() {
    assertGrad(t -> t[0].add(t[1]).mul(t[1]).sub(t[0]).div(t[1].add(3)), leaf(4, 4), leaf(4, 4));
    assertGrad(t -> t[0].add(t[1]).mul(t[1]).sub(t[0]).div(t[1].add(3)), leaf(5, 13), leaf(5, 13));
    assertGrad(t -> t[0].mul(t[1]).add(t[0]), leaf(65), leaf(65));
    assertGrad(t -> t[0].permute(1, 0).mul(t[1]).add(t[1]), leaf(3, 4), leaf(4, 3));
    assertGrad(t -> t[0].mul(t[1]).div(t[1].add(4)), leaf(4, 4), leaf(1, 4));
    Tensor x = Tensor.of(Tensor.randn(seed++, 4, 4).array()).requiresGrad(true); // float: the benchmark's chain
    Tensor c = Tensor.randn(seed++, 4, 4);
    Tensor y = x;
    for (int i = 0; i < 100; i++) {
      y = y.add(c).mul(c);
    }
    y.sum().backward();
    INDArray expected = Nd4j.ones(DataType.FLOAT, 4, 4);
    for (int i = 0; i < 100; i++) {
      expected.muli(c.array());
    }
    assertEquals(expected, x.grad().array());
  }

  /** A tape kept by backward(g, true) is walked again in full by the next pass (its nodes' marks are a pass old). */
  @Test
  void aRetainedTapeIsWalkedAgainInFull() {
    Tensor x = Tensor.of(1.0, 2.0).requiresGrad(true);
    Tensor h = x.mul(x);
    Tensor loss = h.add(h.mul(3)).sum(); // a diamond: h reaches the loss twice
    loss.backward(Tensor.scalar(1), true);
    assertEquals(Nd4j.createFromArray(8f, 16f), x.grad().array());
    loss.backward(Tensor.scalar(1), false);
    assertEquals(Nd4j.createFromArray(16f, 32f), x.grad().array());
  }
  /**
   * The pieces of a split fill one gradient array (narrow's backward adds into the slices of the first piece's
   * array): the gradients equal finite differences and the per-piece arrays summed by the engine, with a piece
   * unused, the parent used again beside its pieces, pieces of a leaf and overlapping narrows.
   */
  @Test
  void narrowPiecesOfOneTensorFillOneGradient() {
    assertGrad(t -> {
      Tensor[] qkv = t[0].matmul(t[1]).chunk(3, -1); // 3 x (4, 2)
      return qkv[0].mul(qkv[1]).add(qkv[2].exp());
    }, leaf(4, 3), leaf(3, 6));
    assertGrad(t -> {
      Tensor h = t[0].tanh();
      Tensor[] p = h.chunk(3, 1); // the middle piece unused; h used again as a whole
      return p[0].mul(p[2]).sum().add(h.mul(h).sum());
    }, leaf(2, 6));
    assertGrad(t -> t[0].narrow(0, 0, 2).mul(t[0].narrow(0, 1, 2)).add(t[0].narrow(0, 2, 2)), leaf(4, 3));
    assertGrad(t -> t[0].exp().narrow(0, 0, 2).mul(t[0].exp().narrow(0, 1, 2)), leaf(4, 3));
    for (int dim : new int[] {0, 1, 2}) {
      Tensor x = Tensor.of(Tensor.randn(seed++, 3, 6, 4).array()).requiresGrad(true); // float
      Tensor w = Tensor.randn(seed++, 3, 6, 4);
      List<Tensor> grads = onAndOff(Tensor.narrowInPlace, on -> Tensor.narrowInPlace = on, () -> {
        x.zeroGrad();
        Tensor y = x.mul(w).exp();
        Tensor[] p = y.split(2, dim);
        Tensor loss = y.mul(w).sum();
        for (int i = 0; i < p.length; i++) {
          loss = loss.add(p[i].mul(i + 1).mul(p[i]).sum());
        }
        loss.backward();
        return x.grad();
      });
      assertEquals(0, GradCheck.maxAbsDiff(grads.get(0), grads.get(1)), 1e-5, "split along " + dim);
    }
  }
  /** stack records one op (no unsqueeze per part): gradients by finite differences, float values as before. */
  @Test
  void stackIsOneOpWithTheGradientsOfUnsqueezeAndCat() {
    for (int dim : new int[] {0, 1, 2, -1}) {
      assertGrad(t -> Tensor.stack(dim, t[0], t[1].exp(), t[0]), leaf(2, 3), leaf(2, 3));
    }
    assertGrad(t -> Tensor.stack(0, t[0].sum(), t[1].sum()), leaf(2), leaf(3)); // scalars -> (2)
    for (int dim : new int[] {0, 1, 2}) {
      Tensor a = Tensor.of(Tensor.randn(seed++, 8, 5).array()).requiresGrad(true); // float: the Java copies
      Tensor b = Tensor.of(Tensor.randn(seed++, 8, 5).array()).requiresGrad(true);
      long[] shape = dim == 0 ? new long[] {2, 8, 5} : dim == 1 ? new long[] {8, 2, 5} : new long[] {8, 5, 2};
      Tensor w = Tensor.randn(seed++, shape);
      List<Tensor[]> r = onAndOff(Tensor.stackInOne, on -> Tensor.stackInOne = on, () -> { // {y, a's gradient}
        a.zeroGrad();
        Tensor y = Tensor.stack(dim, a, b.mul(2));
        y.mul(w).sum().backward();
        return new Tensor[] {y, a.grad()};
      });
      assertEquals(r.get(1)[0].array(), r.get(0)[0].array(), "stack along " + dim);
      assertEquals(r.get(1)[1].array(), r.get(0)[1].array(), "gradient along " + dim);
      assertEquals("stack", r.get(0)[0].gradFnName());
    }
  }
}
