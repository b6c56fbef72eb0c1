package dlcourse.train;

import dlcourse.data.Batch;
import dlcourse.nn.F;
import dlcourse.nn.Module;
import dlcourse.compile.CapturedCnnStep;
import dlcourse.compile.CapturedStep;
import dlcourse.display.Display;
import dlcourse.display.ProgressBar;
import dlcourse.tensor.Tensor;
import dlcourse.util.Check;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains, evaluates and runs a model: the loop every homework question writes, written once.
 *
 * <pre>{@code
 * var trainer = Trainer.of(model).optimizer(new Adam(model.parameters(), 1e-3)).epochs(10);
 * History h = trainer.fit(trainLoader, valLoader);
 * Trainer.Evaluation test = trainer.evaluate(testLoader);
 * }</pre>
 *
 * <p>Each step is the loop a notebook would write: forward on tensors, loss, {@code zeroGrad}, {@code backward},
 * gradient clipping if asked, optimizer step; it records the loss (and accuracy for classification) per step and
 * per epoch in a {@link History}. The loop checks for a kernel interrupt every batch.
 */
public final class Trainer {
  /** Loss and accuracy over a data set (accuracy is NaN for non-classification losses). */
  public record Evaluation(double loss, double accuracy, long count) {
    /** As a metrics map with the given prefix-free names {@code loss}, {@code accuracy}. */
    public Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("loss", loss);
      if (!Double.isNaN(accuracy)) {
        m.put("accuracy", accuracy);
      }
      return m;
    }
  }

  /**
   * How the steps run. {@code EAGER}: the tensor operations one by one, as written. {@code ONEDNN}: the step of a
   * sequential CNN with the default cross-entropy captured once per input shape as bound oneDNN primitives
   * ({@link CapturedCnnStep}; the same layers and numbers, checked against the eager step in tests, without the per-op
   * overhead); it fails with the reason on other models. {@code AUTO} (the default) captures when it can and runs
   * eagerly otherwise. The system property {@code dlcourse.engine} ({@code auto}, {@code eager}, {@code onednn})
   * sets the default.
   * oneDNN runs its primitives on TBB, which uses every CPU the process may run on (not {@code OMP_NUM_THREADS}):
   * train one model at a time, or pin the JVM with {@code taskset}, rather than several in parallel threads.
   */
  public enum Engine {
    AUTO, EAGER, ONEDNN
  }

  private final Module model;
  private Optimizer<?> optimizer;
  private BiFunction<Tensor, Tensor, Tensor> loss = F::crossEntropy;
  private boolean defaultLoss = true;
  private Engine engine = defaultEngine();
  private Function<Tensor, Tensor> forward;
  private boolean classification = true;
  private int epochs = 1;
  private LRScheduler scheduler;
  private double clipNorm = Double.NaN;
  private double clipValue = Double.NaN;
  private EarlyStopping earlyStopping;
  private boolean progress = true;
  private boolean verbose = true;
  private String run = "";
  private final Map<String, CapturedStep> trainGraphs = new HashMap<>();
  private final Map<String, CapturedStep> evalGraphs = new HashMap<>();
  private int globalStep;
  private TrainingMonitor monitor;

  private Trainer(Module model) {
    this.model = model;
    this.forward = model::call;
  }

  public static Trainer of(Module model) {
    return new Trainer(model);
  }

  public Module model() {
    return model;
  }

  public Trainer optimizer(Optimizer<?> optimizer) {
    this.optimizer = optimizer;
    return this;
  }

  public Optimizer<?> optimizer() {
    return optimizer;
  }

  /**
   * The loss of (model output, target); default {@link F#crossEntropy} on logits and class indices. With
   * {@code classification(false)} no accuracy is recorded.
   */
  public Trainer loss(BiFunction<Tensor, Tensor, Tensor> loss) {
    this.loss = loss;
    this.defaultLoss = false;
    trainGraphs.clear();
    evalGraphs.clear();
    return this;
  }

  /** Which engine runs the steps (default: the {@code dlcourse.engine} property, else {@code AUTO}). */
  public Trainer engine(Engine engine) {
    this.engine = java.util.Objects.requireNonNull(engine, "engine");
    trainGraphs.clear();
    evalGraphs.clear();
    return this;
  }

  public Engine engine() {
    return engine;
  }

  private static Engine defaultEngine() {
    String v = System.getProperty("dlcourse.engine", "auto");
    try {
      return Engine.valueOf(v.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("system property dlcourse.engine must be auto, eager or onednn, got '"
          + v + "'");
    }
  }

  /**
   * Whether outputs are class logits (N, C) and targets class indices (N), or per position (B, T, C) and (B, T) for a
   * sequence model: then accuracy (the fraction of targets whose logit is the largest) is recorded.
   */
  public Trainer classification(boolean classification) {
    this.classification = classification;
    return this;
  }

  /** Maximum number of epochs of {@link #fit}; default 1. */
  public Trainer epochs(int epochs) {
    this.epochs = Check.positive(epochs, "epochs");
    return this;
  }

  /** A learning-rate schedule, stepped after every epoch or every batch as its {@code interval()} says. */
  public Trainer scheduler(LRScheduler scheduler) {
    this.scheduler = scheduler;
    return this;
  }

  /** Clips the global gradient norm to {@code maxNorm} before each step, like {@code clip_grad_norm_}. */
  public Trainer clipGradNorm(double maxNorm) {
    this.clipNorm = maxNorm;
    return this;
  }

  /** Clamps every gradient element to [-value, value], like {@code clip_grad_value_}. */
  public Trainer clipGradValue(double value) {
    this.clipValue = value;
    return this;
  }

  /** Stops when the monitored validation metric stops improving and restores the best weights. */
  public Trainer earlyStopping(EarlyStopping earlyStopping) {
    this.earlyStopping = earlyStopping;
    return this;
  }

  /** Show a progress bar (default true). */
  public Trainer progress(boolean progress) {
    this.progress = progress;
    return this;
  }

  /** Print one line per epoch (default true). */
  public Trainer verbose(boolean verbose) {
    this.verbose = verbose;
    return this;
  }

  /** Name of this run in the history's {@code run} column. */
  public Trainer run(String run) {
    this.run = run;
    return this;
  }

  /**
   * Reports every step and epoch of {@link #fit} to {@code monitor} (null: none), e.g. {@code
   * monitor(LiveChart.of("loss", "accuracy"))} for a chart that updates while the model trains.
   */
  public Trainer monitor(TrainingMonitor monitor) {
    this.monitor = monitor;
    return this;
  }

  /** Steps taken so far by this trainer. */
  public int globalStep() {
    return globalStep;
  }

  /**
   * Trains for {@link #epochs(int)} epochs, evaluating on {@code val} (may be null) after each, and returns the
   * history of per-step and per-epoch metrics. With early stopping, the best weights are restored at the end.
   */
  public History fit(Iterable<Batch> train, Iterable<Batch> val) {
    if (optimizer == null) {
      throw new IllegalStateException("no optimizer: call optimizer(new Adam(model.parameters(), 1e-3)) first");
    }
    History history = new History().run(run);
    long batchesPerEpoch = train instanceof dlcourse.data.DataLoader dl ? dl.size()
        : train instanceof dlcourse.data.RandomBlocks rb ? rb.size() : -1;
    ProgressBar bar = progress && batchesPerEpoch > 0
        ? ProgressBar.of(run.isEmpty() ? "train" : run, batchesPerEpoch * epochs) : null;
    try {
      for (int epoch = 1; epoch <= epochs; epoch++) {
        long started = System.nanoTime();
        model.train();
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        long labelsSeen = 0; // targets counted by the accuracy: N, or B x T for a sequence model
        for (Batch b : train) {
          Display.checkInterrupted();
          CapturedStep.StepResult r = step(b);
          clipGradients();
          optimizer.step();
          globalStep++;
          long n = b.size();
          lossSum += r.loss() * n;
          seen += n;
          Map<String, Double> stepMetrics = new LinkedHashMap<>();
          stepMetrics.put("loss", r.loss());
          if (classification) {
            long c = correct(r.output(), b.y().array());
            long labels = b.y().array().length();
            correct += c;
            labelsSeen += labels;
            stepMetrics.put("accuracy", c / (double) labels);
          }
          stepMetrics.put("lr", optimizer.lr());
          history.log("step", epoch, globalStep, stepMetrics);
          if (monitor != null) {
            monitor.step(globalStep, stepMetrics);
          }
          if (scheduler != null && scheduler.interval() == LRScheduler.Interval.STEP) {
            scheduler.step();
          }
          if (bar != null) {
            bar.update(bar.done() + 1, Map.of("loss", lossSum / seen));
          }
        }
        Map<String, Double> trainMetrics = new LinkedHashMap<>();
        trainMetrics.put("loss", lossSum / seen);
        if (classification) {
          trainMetrics.put("accuracy", correct / (double) labelsSeen);
        }
        trainMetrics.put("lr", optimizer.lr());
        history.log("train", epoch, globalStep, trainMetrics);
        Evaluation v = val == null ? null : evaluate(val);
        if (v != null) {
          history.log("val", epoch, globalStep, v.metrics());
        }
        if (monitor != null) {
          monitor.epoch(epoch, globalStep, trainMetrics, v == null ? null : v.metrics());
        }
        if (scheduler != null && scheduler.interval() == LRScheduler.Interval.EPOCH) {
          scheduler.step();
        }
        if (verbose) {
          System.out.println(epochLine(epoch, trainMetrics, v, (System.nanoTime() - started) / 1e9));
        }
        if (earlyStopping != null && v != null) {
          boolean stop = earlyStopping.update(history, model.parameters());
          if (stop) {
            if (verbose) {
              System.out.println("early stopping after epoch " + epoch + "; best epoch " + earlyStopping.bestEpoch());
            }
            break;
          }
        }
      }
    } finally {
      if (bar != null) {
        bar.close();
      }
      if (monitor != null) {
        monitor.end();
      }
    }
    if (earlyStopping != null && earlyStopping.bestEpoch() > 0) {
      earlyStopping.restoreBest(model.parameters());
    }
    return history;
  }

  /** Trains without validation data. */
  public History fit(Iterable<Batch> train) {
    return fit(train, null);
  }

  private String epochLine(int epoch, Map<String, Double> train, Evaluation val, double seconds) {
    StringBuilder b = new StringBuilder(String.format("epoch %d/%d: train loss %.4f", epoch, epochs, train.get(
        "loss")));
    if (train.containsKey("accuracy")) {
      b.append(String.format(", acc %.4f", train.get("accuracy")));
    }
    if (val != null) {
      b.append(String.format(" | val loss %.4f", val.loss()));
      if (!Double.isNaN(val.accuracy())) {
        b.append(String.format(", acc %.4f", val.accuracy()));
      }
    }
    return b.append(String.format(" (%.1f s)", seconds)).toString();
  }

  private void clipGradients() {
    if (!Double.isNaN(clipNorm)) {
      GradClip.clipGradNorm(model.parameters(), clipNorm);
    }
    if (!Double.isNaN(clipValue)) {
      GradClip.clipGradValue(model.parameters(), clipValue);
    }
  }

  /** Mean loss and accuracy of the model in eval mode over {@code data}. */
  public Evaluation evaluate(Iterable<Batch> data) {
    boolean wasTraining = model.training();
    model.eval();
    try {
      double lossSum = 0;
      long correct = 0;
      long seen = 0;
      long labelsSeen = 0;
      for (Batch b : data) {
        Display.checkInterrupted();
        CapturedStep.StepResult out = run(b);
        long n = b.size();
        lossSum += out.loss() * n;
        if (classification) {
          correct += correct(out.output(), b.y().array());
          labelsSeen += b.y().array().length();
        }
        seen += n;
      }
      if (seen == 0) {
        throw new IllegalArgumentException("evaluate: the data has no batches");
      }
      return new Evaluation(lossSum / seen, classification ? correct / (double) labelsSeen : Double.NaN, seen);
    } finally {
      model.train(wasTraining);
    }
  }

  /** The model's outputs in eval mode for every batch of {@code data}, concatenated along the batch axis. */
  public INDArray predict(Iterable<Batch> data) {
    boolean wasTraining = model.training();
    model.eval();
    try {
      List<INDArray> outs = new ArrayList<>();
      for (Batch b : data) {
        outs.add(model.forward(b.x().array()));
      }
      return Nd4j.concat(0, outs.toArray(new INDArray[0]));
    } finally {
      model.train(wasTraining);
    }
  }

  /** One training step: forward, loss, backward (gradients set on the parameters); the optimizer steps after. */
  private CapturedStep.StepResult step(Batch b) {
    CapturedStep captured = captured(true, b);
    if (captured != null) {
      return captured.step(b.x().array(), b.y().array());
    }
    Tensor out = forward.apply(b.x());
    Tensor l = loss.apply(out, b.y());
    optimizer.zeroGrad();
    l.backward();
    return new CapturedStep.StepResult(l.item(), out.array());
  }

  /** Forward and loss without recording. */
  private CapturedStep.StepResult run(Batch b) {
    CapturedStep captured = captured(false, b);
    if (captured != null) {
      return captured.run(b.x().array(), b.y().array());
    }
    try (var g = Tensor.noGrad()) {
      Tensor out = forward.apply(b.x());
      return new CapturedStep.StepResult(loss.apply(out, b.y()).item(), out.array());
    }
  }

  /**
   * Which step {@link #fit} and {@link #evaluate} run for this model on float batches of {@code inputShape}, e.g.
   * {@code (N, C, H, W)}: the captured oneDNN step ({@link CapturedCnnStep}, chosen automatically for a sequential CNN
   * with the default cross-entropy) or the eager step, with the reason. Builds nothing. With {@code engine(ONEDNN)}
   * it throws, as {@code fit} would, when the model cannot be captured.
   *
   * <pre>{@code
   * Trainer.of(net).stepKind(200, 3, 32, 32)  // captured oneDNN step (a sequential CNN with the default cross-entropy)
   * Trainer.of(mlp).stepKind(20, 2)           // eager step (needs float input (N, C, H, W), got FLOAT [20, 2])
   * }</pre>
   */
  public StepKind stepKind(long... inputShape) {
    String why = whyEager(inputShape, org.nd4j.linalg.api.buffer.DataType.FLOAT);
    return new StepKind(why == null, why == null ? "a sequential CNN with the default cross-entropy" : why);
  }

  /**
   * The step a {@link Trainer} runs: {@code captured} (the training step recorded once per input shape as bound oneDNN
   * primitives and replayed, the same layers and numbers as the eager step) or eager (the tensor operations one by
   * one), and why. {@code toString()}: {@code "captured oneDNN step (...)"} or {@code "eager step (...)"}.
   */
  public record StepKind(boolean captured, String reason) {
    @Override
    public String toString() {
      return (captured ? "captured oneDNN step (" : "eager step (") + reason + ")";
    }
  }

  /** Why batches of this shape and type run eagerly, or null when the step is captured. */
  private String whyEager(long[] shape, org.nd4j.linalg.api.buffer.DataType type) {
    if (engine == Engine.EAGER) {
      return "engine EAGER";
    }
    String why = defaultLoss && classification ? CapturedCnnStep.unsupported(model, shape, type)
        : "a custom loss or a regression";
    if (why != null && engine == Engine.ONEDNN) {
      throw new IllegalArgumentException("engine ONEDNN cannot run this model: " + why);
    }
    return why;
  }

  /** The captured oneDNN step for this batch's shape and mode, or null when the step runs eagerly. */
  private CapturedStep captured(boolean training, Batch b) {
    if (engine == Engine.EAGER) {
      return null;
    }
    String key = training + java.util.Arrays.toString(b.x().shape()) + b.x().dtype();
    Map<String, CapturedStep> cache = training ? trainGraphs : evalGraphs;
    if (cache.containsKey(key)) {
      return cache.get(key);
    }
    String why = whyEager(b.x().shape(), b.x().dtype());
    CapturedStep c = null;
    if (why == null) {
      try {
        c = new CapturedCnnStep(model, b.x().shape(), training);
      } catch (RuntimeException e) {
        // A shape error: the eager forward pass reports it as it would without the capture, naming the layer path,
        // the expected and the actual shape (as without the capture, batch norms before the failing layer have moved
        // their running statistics by then).
        try (var g = Tensor.noGrad()) {
          forward.apply(b.x());
        }
        throw e;
      }
    }
    cache.put(key, c);
    return c;
  }

  /**
   * Number of rows whose arg-max of {@code logits} (N, C) equals the class index in {@code labels} (N); for a
   * sequence model, logits (B, T, C) and labels (B, T), the number of positions.
   */
  static long correct(INDArray logits, INDArray labels) {
    INDArray predicted = logits.argMax(logits.rank() - 1).castTo(org.nd4j.linalg.api.buffer.DataType.LONG);
    return predicted.eq(labels.reshape(predicted.shape()).castTo(org.nd4j.linalg.api.buffer.DataType.LONG))
        .castTo(org.nd4j.linalg.api.buffer.DataType.INT).sumNumber().longValue();
  }
}
