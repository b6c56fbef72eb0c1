package dlcourse.train.bench;

import dlcourse.models.Captioner;
import dlcourse.models.ViT;
import dlcourse.nn.F;
import dlcourse.nn.Init;
import dlcourse.nn.Module;
import dlcourse.tensor.Tensor;
import dlcourse.train.Adam;
import dlcourse.train.GradClip;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The sequence-model cases of {@code ./dlcourse bench}: {@code vit} (the RDFIA ViT, base configuration, on
 * MNIST-shaped random data, batch 128) and {@code captioner} (the IST Q3 LSTM captioner with additive attention:
 * 256 regions x 512 features, 22 teacher-forced steps, batch 8, element-wise gradient clamp 5), both trained with
 * Adam on the eager path; {@code bench/library/torch_models.py} builds the same under the same names and asserts
 * the same parameter counts.
 */
final class SequenceCases {
  private SequenceCases() {}

  /** The case names {@code --models} accepts for these models. */
  static final List<String> NAMES = List.of("vit", "captioner");

  static final int CAPTION_STEPS = 22;
  static final int VOCAB = 190;

  /** One eager training step split into its phases, so that the profile can time each. */
  abstract static class Step implements Bench.EagerTraining {
    final Module model;
    final Adam opt;
    final String description;
    final int batch;

    Step(Module model, Adam opt, String description, int batch) {
      this.model = model;
      this.opt = opt;
      this.description = description;
      this.batch = batch;
    }

    @Override
    public Module model() {
      return model;
    }

    @Override
    public void update() {
      opt.step();
    }

    @Override
    public String optimizerName() {
      return "Adam";
    }

    @Override
    public String engine() {
      return "eager";
    }
  }

  static Step create(String name, long seed) {
    Init.manualSeed(seed);
    Nd4j.getRandom().setSeed(seed);
    Random r = new Random(seed);
    return switch (name) {
      case "vit" -> {
        int batch = 128;
        var model = new ViT(ViT.Config.base());
        Tensor x = Tensor.of(Nd4j.randn(DataType.FLOAT, batch, 1, 28, 28));
        long[] labels = new long[batch];
        for (int i = 0; i < batch; i++) {
          labels[i] = r.nextInt(10);
        }
        Tensor y = Tensor.of(Nd4j.createFromArray(labels));
        yield new Step(model, new Adam(model.parameters(), 1e-3), "ViT base (HW sec. 4 ch. 3), Adam", batch) {
          @Override
          public Tensor forwardLoss() {
            return F.crossEntropy(model.call(x), y);
          }
        };
      }
      case "captioner" -> {
        int batch = 8;
        var model = new Captioner(Captioner.Config.course(VOCAB));
        Tensor features = Tensor.of(Nd4j.randn(DataType.FLOAT, batch, 256, 512));
        long[][] caption = new long[batch][CAPTION_STEPS + 1];
        for (long[] row : caption) {
          for (int t = 0; t < row.length; t++) {
            row[t] = r.nextInt(VOCAB);
          }
        }
        Tensor cap = Tensor.of(Nd4j.createFromArray(caption));
        Tensor in = cap.narrow(1, 0, CAPTION_STEPS); // (B, 22)
        Tensor target = cap.narrow(1, 1, CAPTION_STEPS).reshape((long) batch * CAPTION_STEPS); // (B * 22)
        yield new Step(model, new Adam(model.parameters(), 4e-4),
            "captioner LSTM+attention (HW 3 Q3), Adam", batch) {
          @Override
          public Tensor forwardLoss() {
            Tensor logits = ((Captioner) model).forward(features, in).logits(); // (B, 22, V)
            return F.crossEntropy(logits.reshape((long) batch * CAPTION_STEPS, VOCAB), target);
          }

          @Override
          public void update() {
            GradClip.clipGradValue(model.parameters(), 5);
            opt.step();
          }

          @Override
          public String optimizerName() {
            return "clip + Adam";
          }
        };
      }
      default -> throw new IllegalArgumentException("unknown sequence case '" + name + "', expected one of " + NAMES);
    };
  }

  /** Builds both sides and measures them in interleaved rounds, one line. */
  static void measure(String name, int threads, Bench.Plan plan, double budget, TorchProcess torch, long seed)
      throws IOException {
    Step ours = create(name, seed);
    torch.build(name, ours.batch, seed);
    Bench.measure(name, ours.description, String.format(Locale.ROOT, "%3d", ours.batch), threads, plan, budget,
        ours, torch, null);
  }

  /** Our step by phase and by operation (dlcourse.tensor.Profiler), then PyTorch's autograd profile. */
  static void profile(String name, int threads, TorchProcess torch, long seed) throws IOException {
    Step ours = create(name, seed);
    torch.build(name, ours.batch, seed);
    Bench.profileEager(ours.description + ", batch " + ours.batch, threads, ours, 5);
    torch.run(name, 2);
    Bench.printTorchProfile(name, torch, 5);
  }
}
