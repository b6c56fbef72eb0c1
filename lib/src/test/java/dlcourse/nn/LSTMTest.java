package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.tensor.GradCheck;
import dlcourse.tensor.Tensor;
import dlcourse.train.Adam;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LSTMTest {
  private static Tensor rand(long seed, double scale, long... shape) {
    return Tensor.of(Tensor.randn(seed, shape).array().castTo(DataType.DOUBLE).muli(scale)).requiresGrad(true);
  }

  /** The cell's equations written with ~15 tensor operations: the reference for the fused gate operation. */
  static LSTMCell.State composite(Tensor x, LSTMCell.State s, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh) {
    Tensor gates = F.linear(x, wIh, bIh).add(F.linear(s.h(), wHh, bHh)); // (B, 4H)
    return compositeGates(gates, s.c(), wHh.size(1));
  }

  static LSTMCell.State compositeGates(Tensor gates, Tensor c, long h) {
    Tensor i = gates.narrow(1, 0, h).sigmoid();
    Tensor f = gates.narrow(1, h, h).sigmoid();
    Tensor g = gates.narrow(1, 2 * h, h).tanh();
    Tensor o = gates.narrow(1, 3 * h, h).sigmoid();
    Tensor c2 = f.mul(c).add(i.mul(g));
    return new LSTMCell.State(o.mul(c2.tanh()), c2);
  }

  /**
   * One layer over (T, B, I) with the same single input GEMM as {@link F#lstm} but the gates as separate tensor
   * operations (narrow of the projection, add, 4 narrows, 3 sigmoids, 2 tanh, 3 muls, add per step).
   */
  static LSTM.Output compositeLayer(Tensor x, LSTMCell.State s, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh) {
    long t = x.size(0);
    long b = x.size(1);
    long h = wHh.size(1);
    Tensor xg = F.linear(x.reshape(t * b, x.size(2)), wIh, bIh.add(bHh)); // (T*B, 4H)
    List<Tensor> out = new ArrayList<>();
    for (long k = 0; k < t; k++) {
      s = compositeGates(xg.narrow(0, k * b, b).add(F.linear(s.h(), wHh, null)), s.c(), h);
      out.add(s.h());
    }
    return new LSTM.Output(Tensor.stack(0, out.toArray(new Tensor[0])), s);
  }

  private static Tensor flatCat(Tensor... ts) {
    Tensor[] flat = new Tensor[ts.length];
    for (int i = 0; i < ts.length; i++) {
      flat[i] = ts[i].reshape(-1);
    }
    return Tensor.cat(0, flat);
  }

  @Test
  void cellGradientsMatchFiniteDifferences() {
    Tensor x = rand(1, 1, 3, 5);
    Tensor h = rand(2, 1, 3, 4);
    Tensor c = rand(3, 1, 3, 4);
    Tensor wIh = rand(4, 0.5, 16, 5);
    Tensor wHh = rand(5, 0.5, 16, 4);
    Tensor bIh = rand(6, 0.5, 16);
    Tensor bHh = rand(7, 0.5, 16);
    double err = GradCheck.check(in -> {
      LSTMCell.State s = F.lstmCell(in[0], new LSTMCell.State(in[1], in[2]), in[3], in[4], in[5], in[6]);
      return flatCat(s.h(), s.c());
    }, x, h, c, wIh, wHh, bIh, bHh);
    assertTrue(err < 1e-7, "max gradient error " + err);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void lstmGradientsMatchFiniteDifferences(boolean bias) {
    int layers = 2;
    Tensor x = rand(1, 1, 3, 4, 5); // (B, T, I), batch first
    Tensor h0 = rand(2, 1, layers, 3, 4);
    Tensor c0 = rand(3, 1, layers, 3, 4);
    List<Tensor> all = new ArrayList<>(List.of(x, h0, c0));
    for (int l = 0; l < layers; l++) {
      all.add(rand(10 + l, 0.5, 16, l == 0 ? 5 : 4));
      all.add(rand(20 + l, 0.5, 16, 4));
      if (bias) {
        all.add(rand(30 + l, 0.5, 16));
        all.add(rand(40 + l, 0.5, 16));
      }
    }
    double err = GradCheck.check(in -> {
      Tensor[] w = java.util.Arrays.copyOfRange(in, 3, in.length);
      LSTM.Output o = F.lstm(in[0], new LSTMCell.State(in[1], in[2]), w, layers, true, 0, false);
      return flatCat(o.output(), o.state().h(), o.state().c());
    }, all.toArray(new Tensor[0]));
    assertTrue(err < 1e-7, "max gradient error " + err);
  }

  @Test
  void fusedStepsEqualTheCompositeOnesWhenOnlyAnEarlyOutputIsUsed() {
    // later steps get no gradient at all: their rows of the input projection's gradient must stay zero
    Tensor x = rand(1, 1, 5, 2, 3);
    Tensor wIh = rand(4, 0.5, 8, 3);
    Tensor wHh = rand(5, 0.5, 8, 2);
    Tensor bIh = rand(6, 0.5, 8);
    Tensor bHh = rand(7, 0.5, 8);
    Tensor[] params = {x, wIh, wHh, bIh, bHh};
    LSTM.Output fused = F.lstm(x, null, new Tensor[] {wIh, wHh, bIh, bHh}, 1, false, 0, false);
    fused.output().narrow(0, 1, 1).pow(2).sum().backward();
    List<INDArray> got = new ArrayList<>();
    for (Tensor p : params) {
      got.add(p.grad().array().dup());
      p.zeroGrad();
    }
    LSTMCell.State zero = new LSTMCell.State(Tensor.of(Nd4j.zeros(DataType.DOUBLE, 2, 2)),
        Tensor.of(Nd4j.zeros(DataType.DOUBLE, 2, 2)));
    LSTM.Output ref = compositeLayer(x, zero, wIh, wHh, bIh, bHh);
    assertTrue(GradCheck.maxAbsDiff(fused.output().array(), ref.output().array()) < 1e-14);
    ref.output().narrow(0, 1, 1).pow(2).sum().backward();
    for (int i = 0; i < params.length; i++) {
      assertTrue(GradCheck.maxAbsDiff(got.get(i), params[i].grad().array()) < 1e-13, "input " + i);
    }
    assertEquals(0, got.get(0).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 5)).amaxNumber().doubleValue());
  }

  @Test
  void aRetainedGraphGivesTheSameGradientTwice() {
    Tensor x = rand(1, 1, 4, 2, 3);
    Tensor wIh = rand(4, 0.5, 8, 3);
    Tensor wHh = rand(5, 0.5, 8, 2);
    LSTM.Output o = F.lstm(x, null, new Tensor[] {wIh, wHh}, 1, false, 0, false);
    Tensor loss = o.output().sum().add(o.state().c().sum());
    loss.backward(Tensor.of(Nd4j.scalar(1.0)), true);
    INDArray once = wIh.grad().array().dup();
    INDArray onceX = x.grad().array().dup();
    loss.backward(Tensor.of(Nd4j.scalar(1.0)), false);
    assertTrue(GradCheck.maxAbsDiff(wIh.grad().array(), once.mul(2)) < 1e-13);
    assertTrue(GradCheck.maxAbsDiff(x.grad().array(), onceX.mul(2)) < 1e-13);
  }

  @Test
  void floatCellMatchesTheDoubleOne() {
    Init.manualSeed(3);
    LSTMCell cell = new LSTMCell(6, 5);
    Tensor x = Tensor.randn(8, 4, 6);
    LSTMCell.State s = cell.forward(x, cell.forward(x, null));
    assertEquals(DataType.FLOAT, s.h().dtype());
    cell.to(DataType.DOUBLE);
    LSTMCell.State d = cell.forward(x.to(DataType.DOUBLE), cell.forward(x.to(DataType.DOUBLE), null));
    assertTrue(GradCheck.maxAbsDiff(s.h().array(), d.h().array()) < 1e-6);
    assertTrue(GradCheck.maxAbsDiff(s.c().array(), d.c().array()) < 1e-6);
  }

  /**
   * The float cell (LstmKernel's float step) against the same cell in double: three steps from a given state, a loss
   * reading h and c of every step, and the gradients of the input, the initial state and all four weights. Large
   * pre-activations (weights x 3) put gates near saturation, where a wrong derivative shows most.
   */
  @Test
  void floatCellGradientsMatchTheDoubleOnes() {
    Init.manualSeed(5);
    LSTMCell cell = new LSTMCell(7, 6);
    for (Parameter p : cell.parameters()) {
      p.data().muli(3);
    }
    double[][] grads = new double[2][];
    INDArray[] values = new INDArray[2];
    for (int run = 0; run < 2; run++) {
      DataType type = run == 0 ? DataType.FLOAT : DataType.DOUBLE;
      cell.to(type);
      cell.zeroGrad();
      Tensor x = Tensor.of(Tensor.randn(11, 3, 4, 7).array().castTo(type)).requiresGrad(true);
      Tensor h0 = Tensor.of(Tensor.randn(12, 4, 6).array().castTo(type)).requiresGrad(true);
      Tensor c0 = Tensor.of(Tensor.randn(13, 4, 6).array().castTo(type)).requiresGrad(true);
      Tensor u = Tensor.of(Tensor.randn(14, 4, 6).array().castTo(type));
      ThreeSteps steps = threeSteps(cell, x, h0, c0, u);
      steps.loss().backward();
      List<Double> all = new ArrayList<>();
      for (Tensor t : List.of(x, h0, c0, cell.weightIh(), cell.weightHh(), cell.biasIh(), cell.biasHh())) {
        for (double v : t.grad().array().castTo(DataType.DOUBLE).data().asDouble()) {
          all.add(v);
        }
      }
      grads[run] = all.stream().mapToDouble(Double::doubleValue).toArray();
      values[run] = steps.last().h().array().castTo(DataType.DOUBLE);
    }
    assertTrue(GradCheck.maxAbsDiff(values[0], values[1]) < 1e-6);
    double worst = 0;
    for (int i = 0; i < grads[0].length; i++) {
      worst = Math.max(worst, Math.abs(grads[0][i] - grads[1][i]) / (1 + Math.abs(grads[1][i])));
    }
    assertTrue(worst < 1e-5, "float vs double gradients differ by " + worst);
  }

  @Test
  void layersHavePyTorchShapesNamesAndInit() {
    Init.manualSeed(0);
    LSTM lstm = new LSTM(10, 7).numLayers(2);
    assertEquals(List.of("weightIhL0", "weightHhL0", "biasIhL0", "biasHhL0", "weightIhL1", "weightHhL1", "biasIhL1",
        "biasHhL1"), new ArrayList<>(lstm.stateDict().keySet()));
    assertArrayEquals(new long[] {28, 10}, lstm.weightIh(0).shape());
    assertArrayEquals(new long[] {28, 7}, lstm.weightIh(1).shape());
    // PyTorch: 4H (I + H + 2) for layer 0, 4H (2H + 2) above
    assertEquals(28 * (10 + 7 + 2) + 28 * (7 + 7 + 2), lstm.numParameters());
    double bound = 1 / Math.sqrt(7);
    for (Parameter p : lstm.parameters()) {
      assertTrue(p.array().amaxNumber().doubleValue() <= bound, p.toString());
    }
    assertEquals("LSTM(10, 7, numLayers=2, batchFirst=true)", lstm.batchFirst(true).toString());
    LSTM noBias = new LSTM(3, 2).bias(false);
    assertEquals(2, noBias.parameters().size());
    assertNull(noBias.biasIh(0));
    LSTMCell cell = new LSTMCell(3, 2);
    assertEquals(List.of("weightIh", "weightHh", "biasIh", "biasHh"), new ArrayList<>(cell.stateDict().keySet()));
    assertEquals("LSTMCell(3, 2, bias=false)", new LSTMCell(3, 2).bias(false).toString());
  }

  @Test
  void shapesFollowBatchFirstAndWrongShapesNameTheExpectation() {
    LSTM lstm = new LSTM(3, 4).numLayers(2).batchFirst(true);
    LSTM.Output o = lstm.forward(Tensor.randn(0, 5, 7, 3), null); // (B, T, I)
    assertArrayEquals(new long[] {5, 7, 4}, o.output().shape());
    assertArrayEquals(new long[] {2, 5, 4}, o.state().h().shape());
    assertArrayEquals(new long[] {2, 5, 4}, o.state().c().shape());
    // the last output step is the top layer's final h
    assertTrue(GradCheck.maxAbsDiff(o.output().narrow(1, 6, 1).reshape(5, 4).array(),
        o.state().h().narrow(0, 1, 1).reshape(5, 4).array()) == 0);
    var e = assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.randn(0, 5, 7, 2), null));
    assertTrue(e.getMessage().contains("expected input (B, T, 3), got (5, 7, 2)"), e.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.randn(0, 5, 7, 3),
        new LSTMCell.State(Tensor.zeros(1, 5, 4), Tensor.zeros(2, 5, 4))));
    assertTrue(e2.getMessage().contains("expected h0 of shape (2, 5, 4), got (1, 5, 4)"), e2.getMessage());
  }

  /**
   * End to end: an embedding, an LSTM and a linear layer learn to output at step t the token seen at step t-1
   * (vocabulary 5, length 8), which needs the recurrent state.
   */
  @Test
  void learnsToCopyTheTokenOfThePreviousStep() {
    Init.manualSeed(0);
    int vocab = 5;
    int len = 8;
    int batch = 32;
    Embedding emb = new Embedding(vocab, 16);
    LSTM lstm = new LSTM(16, 32).batchFirst(true);
    Linear head = new Linear(32, vocab);
    List<Parameter> params = new ArrayList<>(emb.parameters());
    params.addAll(lstm.parameters());
    params.addAll(head.parameters());
    Adam opt = new Adam(params, 0.01);
    Random rng = new Random(1);
    double untrained = copyAccuracy(emb, lstm, head, new Random(99), vocab, len);
    assertTrue(untrained < 0.5, "untrained accuracy " + untrained);
    long start = System.nanoTime();
    double acc = 0;
    int step = 0;
    for (; step < 400 && acc < 0.99; step++) {
      long[][] xy = copyBatch(rng, batch, len, vocab);
      Tensor x = Tensor.of(Nd4j.createFromArray(xy[0]).reshape(batch, len));
      Tensor logits = head.forward(lstm.forward(emb.forward(x))); // (B, T, V)
      Tensor loss = F.crossEntropy(logits.reshape((long) batch * len, vocab),
          Tensor.of(Nd4j.createFromArray(xy[1])));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      if (step % 20 == 19) {
        acc = copyAccuracy(emb, lstm, head, new Random(99), vocab, len);
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("copy task: accuracy %.4f after %d steps, %.1f s%n", acc, step, seconds);
    assertTrue(acc > 0.95, "accuracy " + acc + " after " + seconds + " s");
    assertTrue(seconds < 60, "took " + seconds + " s");
  }

  /** Inputs (B*T) and targets (B*T): target at t is the input at t-1, and 0 at t = 0. */
  private static long[][] copyBatch(Random rng, int batch, int len, int vocab) {
    long[] x = new long[batch * len];
    long[] y = new long[batch * len];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < len; t++) {
        x[b * len + t] = rng.nextInt(vocab);
        y[b * len + t] = t == 0 ? 0 : x[b * len + t - 1];
      }
    }
    return new long[][] {x, y};
  }

  /** Accuracy over steps 1..T-1 of 256 fresh sequences. */
  private static double copyAccuracy(Embedding emb, LSTM lstm, Linear head, Random rng, int vocab, int len) {
    int n = 256;
    long[][] xy = copyBatch(rng, n, len, vocab);
    try (var g = Tensor.noGrad()) {
      Tensor logits = head.forward(lstm.forward(emb.forward(Tensor.of(Nd4j.createFromArray(xy[0]).reshape(n, len)))));
      Tensor pred = Sampling.argmax(logits); // (B, T)
      long[] p = pred.array().reshape(-1).toLongVector();
      int right = 0;
      for (int i = 0; i < p.length; i++) {
        if (i % len != 0 && p[i] == xy[1][i]) {
          right++;
        }
      }
      return right / (double) (n * (len - 1));
    }
  }

  /**
   * A decoder loop (cell steps, a projection of h fed back into the next input) whose weights are batched by
   * {@link F#batchWeightGradients}: gradients by finite differences in double, and float gradients equal to the
   * per-call ones, with one weight also used outside the scope and the scope's outputs only partly in the loss.
   */
  @Test
  void batchedRecurrentWeightGradientsEqualThePerStepOnes() {
    java.util.function.BiFunction<Tensor[], Boolean, Tensor> decoder = (in, batched) -> {
      Tensor wIh = in[0], wHh = in[1], bIh = in[2], bHh = in[3], wP = in[4], bP = in[5], x0 = in[6];
      LSTMCell.State s = new LSTMCell.State(x0.narrow(1, 0, 4).tanh(), x0.narrow(1, 0, 4));
      Tensor loss = F.linear(s.h(), wHh, null).sum(); // wHh used once outside the scope too
      try (var b = batched ? F.batchWeightGradients(wIh, wHh, wP) : null) {
        for (int t = 0; t < 4; t++) {
          Tensor in2 = Tensor.cat(1, x0, F.linear(s.h(), wP, bP)); // (B, 5 + 3)
          s = F.lstmCell(in2, s, wIh, wHh, bIh, bHh);
          if (t != 2) {
            loss = loss.add(s.h().mul(s.h()).sum().mul(t + 1));
          }
        }
      }
      return loss;
    };
    Tensor[] d = {rand(1, 0.5, 16, 8), rand(2, 0.5, 16, 4), rand(3, 0.5, 16), rand(4, 0.5, 16), rand(5, 0.5, 3, 4),
      rand(6, 0.5, 3), rand(7, 1, 3, 5)};
    double err = GradCheck.check(in -> decoder.apply(in, true), d);
    assertTrue(err < 1e-7, "max gradient error " + err);
    Tensor[][] f = new Tensor[2][];
    for (int k = 0; k < 2; k++) {
      f[k] = new Tensor[d.length];
      for (int i = 0; i < d.length; i++) {
        f[k][i] = Tensor.of(d[i].array().castTo(DataType.FLOAT)).requiresGrad(true);
      }
      decoder.apply(f[k], k == 0).backward();
    }
    for (int i = 0; i < d.length; i++) {
      assertEquals(0, GradCheck.maxAbsDiff(f[0][i].grad(), f[1][i].grad()), 1e-5, "input " + i);
    }
  }

  /** The loss of {@link #threeSteps} and the state after the last step. */
  record ThreeSteps(Tensor loss, LSTMCell.State last) {}

  /**
   * Three steps of {@code cell} on {@code x} (3, B, in) from {@code h0, c0} in which both h' and c' carry gradient: the
   * loss is the sum over steps of {@code sum(h' * u) + sum(c'^2) / 2}.
   */
  static ThreeSteps threeSteps(LSTMCell cell, Tensor x, Tensor h0, Tensor c0, Tensor u) {
    LSTMCell.State s = new LSTMCell.State(h0, c0);
    Tensor loss = null;
    for (int t = 0; t < 3; t++) {
      s = cell.forward(x.narrow(0, t, 1).reshape(x.shape()[1], x.shape()[2]), s);
      Tensor term = s.h().mul(u).sum().add(s.c().mul(s.c()).sum().mul(0.5));
      loss = loss == null ? term : loss.add(term);
    }
    return new ThreeSteps(loss, s);
  }
}
