package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.models.GPT;
import dlcourse.nn.F;
import dlcourse.nn.Init;
import dlcourse.nn.Parameter;
import dlcourse.tensor.MemoryMeter;
import dlcourse.tensor.Tensor;
import dlcourse.train.AdamW;
import dlcourse.train.GradClip;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The buffer pool reuses memory only when nothing can read it any more: training with it gives bit-identical numbers
 * to training without it, and tensors, gradients and attention weights kept across steps keep their values.
 */
class BuffersTest {
  /** Above {@link Buffers#MIN_BYTES}: (8, 3, 64, 64) attention maps, (8, 64, 48) activations. */
  static final int BATCH = 8;
  static final int T = 64;

  @AfterEach
  void poolOnAgain() {
    Buffers.enabled = true;
  }

  /** Losses and every parameter's gradient of {@code steps} AdamW steps of a small GPT, with dropout, from seed 0. */
  static List<float[]> train(int steps, boolean pool) {
    Buffers.enabled = pool;
    Buffers.clear();
    Init.manualSeed(0);
    GPT model = new GPT(GPT.Config.nano(40, T));
    model.train();
    AdamW opt = new AdamW(model.parameters(), 1e-3);
    Random r = new Random(1);
    List<float[]> out = new ArrayList<>();
    for (int s = 0; s < steps; s++) {
      long[] idx = new long[BATCH * T];
      long[] tgt = new long[BATCH * T];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = r.nextInt(40);
        tgt[i] = r.nextInt(40);
      }
      Tensor logits = model.forward(Tensor.of(Nd4j.createFromArray(idx).reshape(BATCH, T))); // (B, T, V)
      Tensor loss = F.crossEntropy(logits.reshape(BATCH * T, 40), Tensor.of(Nd4j.createFromArray(tgt)));
      opt.zeroGrad();
      loss.backward();
      GradClip.clipGradNorm(model.parameters(), 1.0);
      out.add(new float[] {(float) loss.item()});
      for (Parameter p : model.parameters()) {
        if (p.grad() != null) { // the position table is unused with RoPE
          out.add(p.grad().array().dup().data().asFloat());
        }
      }
      opt.step();
    }
    return out;
  }

  @Test
  void trainingWithThePoolGivesTheSameNumbersAsWithout() {
    List<float[]> with = train(4, true);
    assertTrue(Buffers.hits() > 0, "the pool was not used");
    List<float[]> without = train(4, false);
    assertEquals(without.size(), with.size());
    for (int i = 0; i < with.size(); i++) {
      assertArrayEquals(without.get(i), with.get(i), 0f, "entry " + i + " (0: loss, then gradients, per step)");
    }
  }

  @Test
  void tensorsKeptAcrossStepsKeepTheirValues() {
    Buffers.clear();
    Init.manualSeed(0);
    GPT model = new GPT(GPT.Config.nano(40, T));
    model.train();
    AdamW opt = new AdamW(model.parameters(), 1e-3);
    Tensor idx = Tensor.of(Nd4j.createFromArray(new Random(2).longs(BATCH * T, 0, 40).toArray()).reshape(BATCH, T));
    Tensor tgt = Tensor.of(Nd4j.createFromArray(new Random(3).longs(BATCH * T, 0, 40).toArray()));
    Tensor keptLogits = null;
    float[] keptLogitValues = null;
    List<Tensor> keptGrads = new ArrayList<>();
    List<float[]> keptGradValues = new ArrayList<>();
    Tensor keptWeights = null;
    float[] keptWeightValues = null;
    for (int s = 0; s < 5; s++) {
      Tensor logits = model.forward(idx);
      Tensor loss = F.crossEntropy(logits.reshape(BATCH * T, 40), tgt);
      opt.zeroGrad();
      loss.backward();
      if (s == 0) {
        keptLogits = logits;
        keptLogitValues = logits.array().dup().data().asFloat();
        for (Parameter p : model.parameters()) {
          if (p.grad() == null) {
            continue; // the position table is unused with RoPE
          }
          keptGrads.add(p.grad());
          keptGradValues.add(p.grad().array().dup().data().asFloat());
        }
        // Attention weights returned to the caller, with a backward pass through them.
        Tensor q = Tensor.randn(5, BATCH, 3, T, 16).requiresGrad(true);
        var att = F.scaledDotProductAttentionWithWeights(q, q, q, null, true, 0.1, true);
        att.output().sum().backward();
        keptWeights = att.weights();
        keptWeightValues = keptWeights.array().dup().data().asFloat();
      }
      opt.step();
    }
    assertArrayEquals(keptLogitValues, keptLogits.array().dup().data().asFloat(), 0f, "logits of step 0");
    for (int i = 0; i < keptGrads.size(); i++) {
      assertArrayEquals(keptGradValues.get(i), keptGrads.get(i).array().dup().data().asFloat(), 0f,
          "gradient " + i + " of step 0");
    }
    assertArrayEquals(keptWeightValues, keptWeights.array().dup().data().asFloat(), 0f, "attention weights");
    assertTrue(Buffers.hits() > 0, "the pool was not used");
  }

  @Test
  void aLeafGradientThatIsAViewOfAPooledGradientIsNotReused() {
    Buffers.clear();
    Init.manualSeed(0);
    // dropout's backward takes its gradient from the pool; reshape's backward passes a view of it to the leaf.
    Tensor leaf = Tensor.randn(7, 32, 1024).requiresGrad(true);
    Tensor y = F.dropout(leaf.reshape(32, 32, 32), 0.5, true);
    Tensor up = Tensor.randn(8, 32, 32, 32);
    y.mul(up).sum().backward();
    float[] expected = leaf.grad().array().dup().data().asFloat();
    for (int i = 0; i < 3; i++) { // more passes that take arrays of that shape
      Tensor other = Tensor.randn(9 + i, 32, 32, 32).requiresGrad(true);
      F.dropout(other, 0.5, true).mul(up).sum().backward();
    }
    assertArrayEquals(expected, leaf.grad().array().dup().data().asFloat(), 0f);
  }

  @Test
  void aGradientHandedToTwoInputsIsReusedOnlyAfterBoth() {
    Buffers.clear();
    Init.manualSeed(0);
    Tensor a = Tensor.randn(1, 64, 1024).requiresGrad(true);
    Tensor b = Tensor.randn(2, 64, 1024).requiresGrad(true);
    Tensor up = Tensor.randn(3, 64, 1024);
    // d = dropout(a) + dropout(b): add's backward gives the same array to both dropouts.
    Tensor d = F.dropout(F.dropout(a, 0.3, true).add(F.dropout(b, 0.3, true)), 0.2, true);
    d.mul(up).sum().backward();
    float[] ga = a.grad().array().dup().data().asFloat();
    float[] gb = b.grad().array().dup().data().asFloat();
    Buffers.enabled = false;
    Init.manualSeed(0);
    Tensor a2 = Tensor.randn(1, 64, 1024).requiresGrad(true);
    Tensor b2 = Tensor.randn(2, 64, 1024).requiresGrad(true);
    Tensor d2 = F.dropout(F.dropout(a2, 0.3, true).add(F.dropout(b2, 0.3, true)), 0.2, true);
    d2.mul(up).sum().backward();
    assertArrayEquals(a2.grad().array().data().asFloat(), ga, 0f);
    assertArrayEquals(b2.grad().array().data().asFloat(), gb, 0f);
  }

  @Test
  void onlyArraysTakenDuringTheBackwardPassCanBeGivenBack() {
    INDArray forward = Buffers.take(DataType.FLOAT, 64, 1024);
    assertFalse(Buffers.give(forward), "outside a backward pass");
    Buffers.beginPass();
    try {
      assertFalse(Buffers.give(forward), "taken before the pass");
      INDArray g = Buffers.take(DataType.FLOAT, 64, 1024);
      assertSame(g, Buffers.takenThisPass(g.reshape(1024, 64)), "found through a view");
      assertTrue(Buffers.give(g));
      assertFalse(Buffers.give(g), "given twice");
      assertSame(g, Buffers.take(DataType.FLOAT, 64, 1024), "the free list hands it out again");
    } finally {
      Buffers.endPass();
    }
  }

  @Test
  void viewsOverlapTheirArrayAndNothingElse() {
    INDArray a = Nd4j.createUninitialized(DataType.FLOAT, 64, 1024);
    INDArray b = Nd4j.createUninitialized(DataType.FLOAT, 64, 1024);
    assertTrue(Buffers.overlaps(a, a.reshape(1024, 64)));
    assertTrue(Buffers.overlaps(a, a.get(NDArrayIndex.interval(10, 20), NDArrayIndex.all())));
    assertTrue(Buffers.overlaps(a.transpose(), a));
    assertFalse(Buffers.overlaps(a, b));
  }

  @Test
  void viewsSmallArraysAndWorkspaceArraysAreNotPooled() {
    INDArray a = Nd4j.createUninitialized(DataType.FLOAT, 64, 1024);
    assertFalse(Buffers.recycle(a.get(NDArrayIndex.interval(0, 32), NDArrayIndex.all())), "a view");
    assertFalse(Buffers.recycle(Nd4j.createUninitialized(DataType.FLOAT, 16, 16)), "below the pooling size");
    long before = Buffers.pooledBytes();
    long bytes = MemoryMeter.allocatedBytes(() -> {
      INDArray w = Buffers.take(DataType.FLOAT, 64, 1024);
      assertFalse(Buffers.recycle(w), "an array of a workspace");
    });
    assertEquals(64 * 1024 * 4, bytes, "a take inside a workspace allocates there (and is counted)");
    assertEquals(before, Buffers.pooledBytes());
    assertTrue(Buffers.recycle(a));
    assertSame(a, Buffers.take(DataType.FLOAT, 64, 1024), "last in, first out");
  }

  @Test
  void byteSizeSettingsAreParsedByOneHelperThatNamesABadProperty() {
    String name = "dlcourse.test.bytesProperty";
    System.clearProperty(name);
    try {
      org.junit.jupiter.api.Assertions.assertEquals(77, NativeMemory.bytesProperty(name, 77));
      System.setProperty(name, " 1048576 ");
      org.junit.jupiter.api.Assertions.assertEquals(1 << 20, NativeMemory.bytesProperty(name, 77));
      System.setProperty(name, "1g");
      var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> NativeMemory.bytesProperty(name, 77));
      org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(name) && e.getMessage().contains("'1g'"),
          e.getMessage());
    } finally {
      System.clearProperty(name);
    }
  }
}
