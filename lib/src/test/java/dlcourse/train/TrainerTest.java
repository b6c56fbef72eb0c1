package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.data.Circles;
import dlcourse.data.DataLoader;
import dlcourse.data.TensorDataset;
import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.nn.Sequential;
import dlcourse.nn.ReLU;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TrainerTest {
  private static Sequential mlp() {
    return new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 2));
  }

  @Test
  void fitLearnsCirclesAndRecordsHistory() {
    Init.manualSeed(0);
    TensorDataset train = Circles.make(400, 0.05, 0.5, 1);
    TensorDataset test = Circles.make(200, 0.05, 0.5, 2);
    var model = mlp();
    var trainer = Trainer.of(model).optimizer(new Adam(model.parameters(), 0.05)).epochs(30).progress(false)
        .verbose(false);
    History h = trainer.fit(DataLoader.of(train).batchSize(20).shuffle(true).seed(0), DataLoader.of(test).batchSize(
        100));
    assertEquals(30, h.epochs());
    assertEquals(30 * 20, h.series("step", "loss").length);
    double first = h.series("train", "loss")[0];
    double last = h.last("train", "loss");
    assertTrue(last < first / 3, "loss should fall: " + first + " -> " + last);
    Trainer.Evaluation e = trainer.evaluate(DataLoader.of(test).batchSize(50));
    assertTrue(e.accuracy() > 0.95, "test accuracy " + e.accuracy());
    assertEquals(h.last("val", "accuracy"), e.accuracy(), 1e-9);
    INDArray logits = trainer.predict(DataLoader.of(test).batchSize(64));
    assertEquals(200, logits.size(0));
  }

  @Test
  void sameSeedGivesTheSameHistory() {
    double[][] losses = new double[2][];
    for (int run = 0; run < 2; run++) {
      Init.manualSeed(7);
      var model = mlp();
      var h = Trainer.of(model).optimizer(new SGD(model.parameters(), 0.1)).epochs(2).progress(false).verbose(false)
          .fit(DataLoader.of(Circles.make(100, 0.1, 0.5, 3)).batchSize(10).shuffle(true).seed(5));
      losses[run] = h.series("step", "loss");
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(losses[0], losses[1], 0.0);
  }

  @Test
  void earlyStoppingRestoresTheBestWeights() {
    Init.manualSeed(1);
    var model = mlp();
    var data = DataLoader.of(Circles.make(100, 0.1, 0.5, 4)).batchSize(10);
    // A huge learning rate makes validation loss jump around, so the best epoch is rarely the last.
    var stopper = new EarlyStopping(2);
    var trainer = Trainer.of(model).optimizer(new SGD(model.parameters(), 5.0)).epochs(20).earlyStopping(stopper)
        .progress(false).verbose(false);
    History h = trainer.fit(data, data);
    double bestVal = h.best("val", "loss", false);
    assertEquals(bestVal, trainer.evaluate(data).loss(), 1e-5);
    assertTrue(h.epochs() <= 20);
  }

  @Test
  void interruptStopsTheLoop() {
    var model = mlp();
    var trainer = Trainer.of(model).optimizer(new SGD(model.parameters(), 0.1)).epochs(5).progress(false).verbose(
        false);
    dlcourse.display.Display.requestInterrupt();
    try {
      assertThrows(CancellationException.class, () -> trainer.fit(DataLoader.of(Circles.make(50, 0.1, 0.5, 1))
          .batchSize(10)));
    } finally {
      dlcourse.display.Display.clearInterrupt();
    }
  }

  @Test
  void sequenceOutputsCountAccuracyPerPosition() {
    // a "model" that predicts the input token at every position: logits (B, T, C) one-hot of x
    var text = new dlcourse.data.TextCorpus("abababababababababab");
    var blocks = dlcourse.data.RandomBlocks.of(text, 4).batchSize(3).stepsPerEpoch(5).seed(0);
    var copy = new dlcourse.nn.Module() {
      final dlcourse.nn.Parameter bias = addParameter("bias", Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2));

      @Override
      public dlcourse.tensor.Tensor forward(dlcourse.tensor.Tensor x) {
        long[] ids = x.array().dup('c').data().asLong();
        float[] v = new float[ids.length * 2];
        for (int i = 0; i < ids.length; i++) {
          v[2 * i + (int) ids[i]] = 1;
        }
        INDArray oneHot = Nd4j.createFromArray(v).reshape(x.size(0), x.size(1), 2); // (B, T, 2)
        return dlcourse.tensor.Tensor.of(oneHot).add(bias);
      }
    };
    var trainer = Trainer.of(copy).optimizer(new SGD(copy.parameters(), 0.0)).progress(false).verbose(false)
        .loss((logits, y) -> dlcourse.nn.F.crossEntropy(logits.reshape(-1, 2), y.reshape(-1)));
    History h = trainer.fit(blocks);
    // on "abab..." the next token is never the current one: accuracy 0 per position, not 0 of B
    assertEquals(0.0, h.last("train", "accuracy"), 0.0);
    // predicting the other token is right at all 3 x 4 positions of every batch
    var flipped = Trainer.of(new dlcourse.nn.Module() {
      @Override
      public dlcourse.tensor.Tensor forward(dlcourse.tensor.Tensor x) {
        return copy.forward(x).neg();
      }
    }).loss((logits, y) -> dlcourse.nn.F.crossEntropy(logits.reshape(-1, 2), y.reshape(-1)));
    assertEquals(1.0, flipped.evaluate(blocks).accuracy(), 0.0);
    assertEquals(15, flipped.evaluate(blocks.stepsPerEpoch(5)).count());
  }
}
