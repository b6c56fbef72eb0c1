package dlcourse.train.bench;

import dlcourse.models.GPT;
import dlcourse.nn.F;
import dlcourse.nn.Init;
import dlcourse.nn.Module;
import dlcourse.tensor.Tensor;
import dlcourse.train.AdamW;
import dlcourse.train.GradClip;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The sequence models the benchmark times: the char-GPT of uva-dl1-hw2 part 2 ({@link GPT}), trained as a
 * notebook trains it. One step: forward, cross-entropy over all {@code B * T} next-token predictions,
 * {@code zeroGrad}, backward, gradient-norm clipping at 1.0, AdamW (PyTorch's defaults, lr 1e-3, weight decay 0.01
 * on every parameter). {@code bench/library/torch_models.py} builds the same model in PyTorch under the same names
 * (same sizes, parameter count, init, RoPE pairing, dropout in training mode).
 */
public final class SequenceModels {
  private SequenceModels() {}

  /** Vocabulary of the course's character data set. */
  public static final int VOCAB = 87;

  /** A GPT case: config, batch and sequence length (the config's block size). */
  public record Spec(String name, String description, GPT.Config config, int batch, int seqLen) {}

  /** Every name {@link #create} accepts, in the order the benchmark prints them. */
  public static final List<String> NAMES = List.of("gpt-nano", "gpt-micro");

  /** Builds the case called {@code name}; see {@link #NAMES}. */
  public static Spec create(String name) {
    int t = 128;
    return switch (name) {
      case "gpt-nano" -> new Spec(name, "char-GPT nano 3x3x48 T128 (HW 1.2)", GPT.Config.nano(VOCAB, t), 64, t);
      case "gpt-micro" -> new Spec(name, "char-GPT micro 4x4x128 T128 (HW 1.2)", GPT.Config.micro(VOCAB, t), 32, t);
      default -> throw new IllegalArgumentException("unknown sequence model '" + name + "', expected one of " + NAMES);
    };
  }

  /** Random token ids {@code (batch, seqLen)} in [0, VOCAB), int64. */
  static INDArray tokens(Random r, int batch, int seqLen) {
    long[][] ids = new long[batch][seqLen];
    for (long[] row : ids) {
      for (int j = 0; j < seqLen; j++) {
        row[j] = r.nextInt(VOCAB);
      }
    }
    return Nd4j.createFromArray(ids);
  }

  /** One GPT training step on a fixed random batch, in phases so that the profile can time each. */
  static final class Step implements Bench.EagerTraining {
    final Spec spec;
    final GPT model;
    final AdamW opt;
    final INDArray x;
    final INDArray y;

    Step(Spec spec, long seed) {
      this.spec = spec;
      Init.manualSeed(seed);
      model = new GPT(spec.config());
      model.train();
      opt = new AdamW(model.parameters(), 1e-3);
      Random r = new Random(seed);
      x = tokens(r, spec.batch(), spec.seqLen());
      y = tokens(r, spec.batch(), spec.seqLen());
    }

    @Override
    public Module model() {
      return model;
    }

    @Override
    public Tensor forwardLoss() {
      Tensor logits = model.call(Tensor.of(x)); // (B, T, V)
      long n = (long) spec.batch() * spec.seqLen();
      return F.crossEntropy(logits.reshape(n, VOCAB), Tensor.of(y.reshape(n)));
    }

    @Override
    public void update() {
      GradClip.clipGradNorm(model.parameters(), 1.0);
      opt.step();
    }

    @Override
    public String optimizerName() {
      return "clip + AdamW";
    }

    @Override
    public String engine() {
      return "eager";
    }
  }
}
