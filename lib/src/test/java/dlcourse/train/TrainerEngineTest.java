package dlcourse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.data.Boxes;
import dlcourse.data.Circles;
import dlcourse.data.DataLoader;
import dlcourse.data.TensorDataset;
import dlcourse.nn.AdaptiveMaxPool2d;
import dlcourse.nn.Conv2d;
import dlcourse.nn.Flatten;
import dlcourse.nn.Init;
import dlcourse.nn.Linear;
import dlcourse.nn.Module;
import dlcourse.nn.PaddingMode;
import dlcourse.nn.ReLU;
import dlcourse.nn.Sequential;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The captured oneDNN step inside {@link Trainer}: the same training as the eager step, and the choice made visible. */
class TrainerEngineTest {
  private static Module net1(PaddingMode mode) {
    var f = new Sequential();
    int[][] layers = {{3, 32, 1}, {32, 32, 2}, {32, 64, 2}, {64, 64, 2}};
    for (int[] l : layers) {
      f.add(new Conv2d(l[0], l[1], 3).stride(l[2]).padding(2).paddingMode(mode).bias(false)).add(new ReLU());
    }
    return new Sequential(f, new AdaptiveMaxPool2d(1), new Flatten(), new Linear(64, 2));
  }

  private static double[] train(Trainer.Engine engine) {
    Init.manualSeed(3);
    Module model = net1(PaddingMode.REPLICATE);
    TensorDataset train = Boxes.train(0).take(400);
    var trainer = Trainer.of(model).engine(engine).epochs(3).progress(false).verbose(false)
        .optimizer(new Adadelta(model.parameters()).lr(1.0).rho(0.9).eps(1e-6).weightDecay(5e-5));
    History h = trainer.fit(DataLoader.of(train).batchSize(200), DataLoader.of(Boxes.val(0).take(200)).batchSize(100));
    double[] losses = h.series("step", "loss");
    double[] out = new double[losses.length + 1];
    System.arraycopy(losses, 0, out, 0, losses.length);
    out[losses.length] = h.last("val", "loss");
    return out;
  }

  @Test
  void oneDnnTrainsLikeTheEagerPath() {
    double[] sameDiff = train(Trainer.Engine.EAGER);
    double[] oneDnn = train(Trainer.Engine.ONEDNN);
    assertEquals(7, oneDnn.length); // 3 epochs x 2 steps, then the last val loss
    for (int i = 0; i < sameDiff.length; i++) {
      // float32 on both sides, different summation orders: a small drift over 6 Adadelta steps
      assertEquals(sameDiff[i], oneDnn[i], 1e-3 * Math.max(1, Math.abs(sameDiff[i])), "loss " + i);
    }
    assertTrue(oneDnn[5] != oneDnn[0], "the loss should change while training");
  }

  @Test
  void autoPicksOneDnnForCnnsAndTheEagerStepForTheRest() {
    Init.manualSeed(0);
    var mlp = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 2));
    var trainer = Trainer.of(mlp).engine(Trainer.Engine.ONEDNN).optimizer(new SGD(mlp.parameters(), 0.1))
        .progress(false).verbose(false);
    var e = assertThrows(IllegalArgumentException.class,
        () -> trainer.fit(DataLoader.of(Circles.make(40, 0.1, 0.5, 1)).batchSize(20)));
    assertTrue(e.getMessage().contains("engine ONEDNN cannot run this model"), e.getMessage());
    // AUTO trains the same MLP eagerly.
    History h = trainer.engine(Trainer.Engine.AUTO).fit(DataLoader.of(Circles.make(40, 0.1, 0.5, 1)).batchSize(20));
    assertEquals(1, h.epochs());
  }

  @Test
  void stepKindSaysWhichStepRunsAndWhy() {
    Trainer cnn = Trainer.of(net1(PaddingMode.REFLECT));
    assertEquals("captured oneDNN step (a sequential CNN with the default cross-entropy)",
        cnn.stepKind(200, 3, 32, 32).toString());
    assertTrue(cnn.stepKind(200, 3, 32, 32).captured());
    Trainer.StepKind eager = cnn.engine(Trainer.Engine.EAGER).stepKind(200, 3, 32, 32);
    assertEquals(new Trainer.StepKind(false, "engine EAGER"), eager);
    assertEquals("eager step (engine EAGER)", eager.toString());
    Trainer.StepKind loss = Trainer.of(net1(PaddingMode.REFLECT)).loss(dlcourse.nn.F::crossEntropy).stepKind(200, 3,
        32, 32);
    assertEquals("eager step (a custom loss or a regression)", loss.toString());
    Trainer dropout = Trainer.of(new Sequential(new Conv2d(3, 4, 3), new dlcourse.nn.Dropout(0.5), new Flatten(),
        new Linear(4, 2)));
    assertTrue(dropout.stepKind(2, 3, 3, 3).reason().contains("Dropout"), dropout.stepKind(2, 3, 3, 3).reason());
    // RDFIA's CIFAR net with batch norm and dropout after Flatten is captured too (the bench's cifar-bn)
    assertTrue(Trainer.of(dlcourse.train.bench.ReferenceModels.cifarBnDropout()).stepKind(128, 3, 32, 32).captured());
    Trainer mlp = Trainer.of(new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 2)));
    assertTrue(mlp.stepKind(20, 2).reason().contains("(N, C, H, W)"), mlp.stepKind(20, 2).reason());
    var e = assertThrows(IllegalArgumentException.class, () -> mlp.engine(Trainer.Engine.ONEDNN).stepKind(20, 2));
    assertTrue(e.getMessage().contains("engine ONEDNN cannot run this model"), e.getMessage());
  }

  @Test
  void shapeErrorsOfACapturedModelNameTheLayerPathAndBothShapesAsTheEagerStepDoes() {
    TensorDataset data = new TensorDataset(org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT,
        4, 3, 12, 12), org.nd4j.linalg.factory.Nd4j.createFromArray(0L, 1L, 0L, 1L), null);
    Module wrongLinear = new Sequential(new Sequential(new Conv2d(3, 8, 3), new ReLU()), new dlcourse.nn.MaxPool2d(2),
        new Flatten(), new Linear(100, 2)); // (4, 8, 5, 5) = 200 features
    Module wrongChannels = new Sequential(new Sequential(new Conv2d(3, 8, 3), new ReLU(), new Conv2d(4, 8, 3)),
        new Flatten(), new Linear(8 * 8 * 8, 2));
    for (Module m : List.of(wrongLinear, wrongChannels)) {
      String[] messages = new String[2];
      for (Trainer.Engine engine : List.of(Trainer.Engine.EAGER, Trainer.Engine.AUTO)) {
        Trainer t = Trainer.of(m).engine(engine).optimizer(new SGD(m.parameters(), 0.1)).progress(false)
            .verbose(false);
        assertEquals(engine == Trainer.Engine.AUTO, t.stepKind(4, 3, 12, 12).captured());
        messages[engine.ordinal() % 2] = assertThrows(IllegalArgumentException.class, () -> t.fit(DataLoader.of(data)
            .batchSize(4))).getMessage();
      }
      assertEquals(messages[0], messages[1]);
      assertTrue(messages[0].matches("\\[[0-9.]+ \\((Linear|Conv2d)\\)\\] expected input .*, got .*"), messages[0]);
    }
  }
}
