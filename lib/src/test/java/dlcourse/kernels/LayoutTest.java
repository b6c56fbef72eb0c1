package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.F;
import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A permuted array reports 'c' ordering, no view and offset 0, but its storage is not its elements in order: every
 * kernel that reads {@code data()} must see that (F.softmax read it in storage order before {@link Layout}).
 */
class LayoutTest {

  private static INDArray permuted() {
    return Nd4j.arange(24).castTo(DataType.FLOAT).reshape(2, 3, 4).dup('c').permute(0, 2, 1); // (2, 4, 3)
  }

  @Test
  void permutedArraysLookPlainToNd4jButNotToLayout() {
    INDArray p = permuted();
    assertEquals('c', p.ordering());
    assertFalse(p.isView());
    assertEquals(0, p.offset());
    assertFalse(Layout.isPlain(p));
    INDArray copy = Layout.plain(p);
    assertTrue(Layout.isPlain(copy));
    assertEquals(p, copy);
    // element (0, 0, 1) of the permuted array is (0, 1, 0) = 4 of the original, whose storage holds 1 there
    assertEquals(1f, p.data().getFloat(1));
    assertEquals(4f, copy.data().getFloat(1));

    INDArray c = Nd4j.rand(DataType.FLOAT, 3, 4);
    assertTrue(Layout.isPlain(c));
    assertSame(c, Layout.plain(c));
    assertFalse(Layout.isPlain(c.transpose()));
    assertFalse(Layout.isPlain(c.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all())));
    assertTrue(Layout.isPlain(Nd4j.rand(DataType.FLOAT, 5, 1)));
  }

  @Test
  void reshapesOfPlainArraysArePlainWithoutACopyAndRowRangesAreNot() {
    INDArray m = Nd4j.arange(60).castTo(DataType.FLOAT).reshape(6, 10); // an ND4J view of the arange's buffer
    assertTrue(m.isView());
    assertTrue(Layout.isPlain(m));
    assertSame(m, Layout.plain(m));
    INDArray head = m.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()).reshape(4, 5); // rows 0..1: from offset 0
    assertTrue(Layout.isPlain(head));
    assertEquals(Nd4j.arange(20).castTo(DataType.FLOAT).reshape(4, 5), head);
    assertEquals(java.util.Arrays.toString(Nd4j.arange(20).castTo(DataType.DOUBLE).data().asDouble()),
        java.util.Arrays.toString(LstmKernel.doubles(head)));
    for (INDArray notPlain : new INDArray[] {m.get(NDArrayIndex.interval(2, 4), NDArrayIndex.all()),
      m.get(NDArrayIndex.interval(2, 4), NDArrayIndex.all()).reshape(4, 5), m.slice(1),
      m.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 5))}) {
      assertFalse(Layout.isPlain(notPlain), java.util.Arrays.toString(notPlain.shape()));
      INDArray copy = Layout.plain(notPlain);
      assertEquals(notPlain, copy);
      assertEquals(notPlain.dup('c').getFloat(0), copy.data().asNioFloat().get(0), 0f); // the first element first
    }
    // a softmax over a reshaped array reads it in place and equals the softmax of a copy
    INDArray r = Nd4j.rand(DataType.FLOAT, 4, 15).reshape(2, 2, 15);
    assertEquals(0, GradCheck.maxAbsDiff(F.softmax(Tensor.of(r), -1), F.softmax(Tensor.of(r.dup('c')), -1)), 0);
  }

  @Test
  void aReshapedArrayIsNotGivenToTheBufferPool() {
    INDArray owner = Buffers.take(DataType.FLOAT, 128, 256); // 128 KB: pooled size
    assertFalse(Buffers.recycle(owner.reshape(256, 128)), "a reshape shares its owner's memory");
  }

  @Test
  void opsOnPermutedTensorsEqualTheSameOpsOnCopies() {
    INDArray p = Nd4j.rand(DataType.FLOAT, 2, 3, 5).permute(0, 2, 1); // (2, 5, 3)
    INDArray c = p.dup('c');
    for (int dim : new int[] {-1, 1}) {
      Tensor tp = Tensor.of(p).requiresGrad(true);
      Tensor tc = Tensor.of(c).requiresGrad(true);
      Tensor w = Tensor.of(Nd4j.rand(DataType.FLOAT, 2, 5, 3));
      Tensor yp = F.softmax(tp, dim);
      Tensor yc = F.softmax(tc, dim);
      assertEquals(0, GradCheck.maxAbsDiff(yp, yc), 1e-7, "softmax over " + dim);
      yp.mul(w).sum().backward();
      yc.mul(w).sum().backward();
      assertEquals(0, GradCheck.maxAbsDiff(tp.grad(), tc.grad()), 1e-7, "softmax gradient over " + dim);
      assertEquals(0, GradCheck.maxAbsDiff(F.logSoftmax(Tensor.of(p), dim), F.logSoftmax(Tensor.of(c), dim)), 1e-6);
    }
    assertEquals(0, GradCheck.maxAbsDiff(F.gelu(Tensor.of(p)), F.gelu(Tensor.of(c))), 1e-7);
    double[] fromPermuted = CrossEntropyKernel.doubles(p);
    double[] fromCopy = CrossEntropyKernel.doubles(c);
    for (int i = 0; i < fromCopy.length; i++) {
      assertEquals(fromCopy[i], fromPermuted[i], 0, "element " + i + " in row-major order");
    }
    assertEquals(java.util.Arrays.toString(LstmKernel.doubles(c)), java.util.Arrays.toString(LstmKernel.doubles(p)));
  }

  /**
   * {@link Layout#plainFloats} (one bulk copy) makes the same array as {@code Nd4j.create(float[], shape, 'c')} (the
   * path with its switch off), and the Java kernels that use it (concatenation and its split, embedding rows, the
   * attention weights) give the same values either way.
   */
  @Test
  void plainFloatsEqualsNd4jCreate() {
    float[] v = new float[2 * 3 * 5];
    for (int i = 0; i < v.length; i++) {
      v[i] = i * 0.37f - 4;
    }
    INDArray[] made = new INDArray[2];
    INDArray[] cats = new INDArray[2];
    INDArray[][] parts = new INDArray[2][];
    boolean before = Layout.bulkFill;
    try {
      for (int side = 0; side < 2; side++) {
        Layout.bulkFill = side == 0;
        made[side] = Layout.plainFloats(v, 2, 3, 5);
        INDArray a = Nd4j.create(v, new long[] {6, 5}, 'c');
        INDArray b = Nd4j.create(v, new long[] {6, 5}, 'c').mul(2);
        cats[side] = ConcatKernel.cat(1, a, b);
        parts[side] = ConcatKernel.split(cats[side], 1, new long[] {2, 8});
      }
    } finally {
      Layout.bulkFill = before;
    }
    assertEquals(made[1], made[0]);
    assertTrue(Layout.isPlain(made[0]));
    assertEquals('c', made[0].ordering());
    assertEquals(cats[1], cats[0]);
    assertEquals(parts[1][0], parts[0][0]);
    assertEquals(parts[1][1], parts[0][1]);
  }

  @Test
  void plainFloatsNamesTheCountAndTheShapeWhenTheyDisagree() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Layout.plainFloats(new float[7],
        2, 3));
    assertTrue(e.getMessage().contains("7 values for shape [2, 3]"), e.getMessage());
  }
}
