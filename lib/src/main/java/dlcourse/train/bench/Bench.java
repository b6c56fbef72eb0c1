package dlcourse.train.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dlcourse.nn.F;
import dlcourse.nn.Init;
import dlcourse.nn.Module;
import dlcourse.compile.CapturedCnnStep;
import dlcourse.compile.CapturedStep;
import dlcourse.tensor.Tensor;
import dlcourse.train.SGD;
import dlcourse.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code ./dlcourse bench}: the training-step time (forward, backward, SGD update, cross-entropy on a random
 * batch) of the {@link ReferenceModels}, and the fixed cost per op ({@link OpCost}), against the same in PyTorch,
 * measured in alternating rounds in one run, one line per case ending with the median per-round ratio
 * ours/PyTorch and its range ({@link RoundStats}). Before measuring it prints which BLAS each side runs on and
 * exits with {@link #EXIT_REFERENCE_BLAS} when PyTorch runs on the reference BLAS ({@link BlasCheck}).
 *
 * <p>Usage: {@code Bench [--models a,b] [--scale F] [--budget seconds per model] [--header] [--profile]
 * [--script torch_models.py] [--python /usr/bin/python3]}. The thread count is {@code OMP_NUM_THREADS}, which must be set before the JVM
 * starts (ND4J reads it once); PyTorch gets the same count.
 */
public final class Bench {
  private static final long SEED = 0;

  private Bench() {}

  /** Name of the fixed-cost-per-op case: 100 tiny adds, a sum and backward (not a model). */
  static final String OP_COST = "op-cost";

  /** Every case name {@code --models} accepts. */
  static final List<String> CASES = cases();

  /** Fewest rounds a case runs, however far past its budget. */
  static final int MIN_ROUNDS = 3;

  /** Exit code when the PyTorch reference runs on the reference BLAS. */
  static final int EXIT_REFERENCE_BLAS = 3;

  private static List<String> cases() {
    List<String> all = new ArrayList<>(ReferenceModels.NAMES);
    all.addAll(SequenceModels.NAMES);
    all.add(OP_COST);
    all.addAll(SequenceCases.NAMES);
    return List.copyOf(all);
  }

  /**
   * Steps per case: warm-up steps per side, rounds, measured steps per round; and {@code warmupSeconds}, the least time
   * our side keeps warming up after its warm-up steps. Each round runs one extra, discarded step per side first, so
   * that each side is warm again after the other one ran.
   */
  record Plan(int warmup, double warmupSeconds, int rounds, int perRound) {
    Plan(int warmup, int rounds, int perRound) {
      this(warmup, 0, rounds, perRound);
    }
  }

  /**
   * Our eager sequence models' warm-up time. On the pinned core the JIT's compiler threads take turns with the step
   * until the step's code is compiled: in session 14 (-XX:+PrintCompilation, 1 core) C2 still compiled 100-300
   * methods per 50 steps and our step's wall time ran 1.3-4x its CPU time in some rounds, settling after ~12 s
   * (captioner ~200 steps, ViT ~200, gpt-nano ~30); a training run has thousands of steps. PyTorch has no JIT.
   */
  static final double SEQUENCE_WARMUP_SECONDS = 15;

  static Plan plan(String name, double scale) {
    Plan p = switch (name) {
      case "mnist" -> new Plan(10, 7, 8);
      case "cifar" -> new Plan(3, 7, 4);
      case "cifar-bn" -> new Plan(3, 7, 3);
      case OP_COST -> new Plan(300, 7, 100);
      // 7 rounds of 3: with 5 of 2, PyTorch's own step moving 20-30% between rounds let one run's median cross 1.0x
      case "gpt-nano", "gpt-micro" -> new Plan(1, SEQUENCE_WARMUP_SECONDS, 7, 3);
      // 12 per round: at ~20 ms a step, 4 left one pause or descheduling deciding a round
      case "vit" -> new Plan(40, SEQUENCE_WARMUP_SECONDS, 7, 12);
      case "captioner" -> new Plan(20, SEQUENCE_WARMUP_SECONDS, 7, 4);
      default -> new Plan(2, 7, 4);
    };
    return new Plan(p.warmup(), p.warmupSeconds(), Math.max(MIN_ROUNDS, (int) Math.round(p.rounds() * scale)),
        p.perRound());
  }

  /** Our side's warm-up: {@code plan.warmup()} steps, then more until {@code plan.warmupSeconds()} have passed. */
  static void warmUp(Side ours, Plan plan) {
    long start = System.nanoTime();
    for (int i = 0; i < plan.warmup() || System.nanoTime() - start < plan.warmupSeconds() * 1e9; i++) {
      ours.step();
    }
  }

  public static void main(String[] args) throws Exception {
    List<String> models = ReferenceModels.NAMES;
    double scale = 1;
    double budget = 60;
    boolean header = false;
    boolean profile = false;
    String python = "/usr/bin/python3";
    Path script = Path.of("bench/library/torch_models.py");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--models" -> models = List.of(value(args, ++i, "--models").split(","));
        case "--scale" -> scale = Double.parseDouble(value(args, ++i, "--scale"));
        case "--budget" -> budget = Double.parseDouble(value(args, ++i, "--budget"));
        case "--header" -> header = true;
        case "--profile" -> profile = true;
        case "--python" -> python = value(args, ++i, "--python");
        case "--script" -> script = Path.of(value(args, ++i, "--script"));
        default -> throw new IllegalArgumentException("unknown argument '" + args[i]
            + "'; expected --models, --scale, --budget, --header, --profile, --python or --script");
      }
    }
    for (String m : models) {
      if (!CASES.contains(m)) { // fail on a bad name before the slow start of PyTorch
        throw new IllegalArgumentException("unknown case '" + m + "', expected one of " + CASES);
      }
      if (profile && m.equals(OP_COST)) {
        throw new IllegalArgumentException("--profile profiles models; '" + OP_COST + "' has nothing to profile");
      }
    }
    int threads = threads();
    try (TorchProcess torch = new TorchProcess(python, script, threads)) {
      if (header) {
        printHeader(threads, torch.ask("info"), profile);
      }
      if (!checkBlas(threads, torch, profile)) {
        torch.close();
        System.exit(EXIT_REFERENCE_BLAS);
      }
      for (String name : models) {
        if (SequenceCases.NAMES.contains(name)) {
          if (profile) {
            SequenceCases.profile(name, threads, torch, SEED);
          } else {
            SequenceCases.measure(name, threads, plan(name, scale), budget, torch, SEED);
          }
        } else if (profile) {
          profile(name, threads, torch);
        } else if (name.equals(OP_COST)) {
          measureOpCost(threads, plan(name, scale), budget, torch);
        } else if (SequenceModels.NAMES.contains(name)) {
          SequenceModels.Spec spec = SequenceModels.create(name);
          SequenceModels.Step ours = buildSequence(spec, torch);
          measure(name, spec.description(), batchLabel(spec), threads, plan(name, scale), budget, ours, torch, null);
        } else {
          ReferenceModels.Spec spec = ReferenceModels.create(name);
          Side ours = build(name, spec, torch, false);
          measure(name, spec.description(), String.format(Locale.ROOT, "%3d", spec.batch()), threads,
              plan(name, scale), budget, ours, torch, null);
        }
      }
    }
  }

  /**
   * Prints which BLAS each side runs on and their 1024x1024 sgemm speed; returns false (after printing why and
   * how to fix it) when PyTorch runs on the reference BLAS and ratios would be meaningless. In profile mode
   * that is only a warning.
   */
  private static boolean checkBlas(int threads, TorchProcess torch, boolean profile) throws IOException {
    BlasCheck.TorchBlas tb = BlasCheck.TorchBlas.parse(torch.ask("blas"));
    String vendor = BlasCheck.nd4jVendor();
    double oursGflops = BlasCheck.nd4jSgemmGflops();
    List<String> jvmFiles = BlasCheck.jvmBlasFiles();
    System.out.printf(Locale.ROOT,
        "  BLAS, %d thr, 1024x1024 float32 sgemm: ours %.1f GFLOP/s, ND4J blas.vendor=%s (%s)%s%n",
        threads, oursGflops, vendor, BlasCheck.classify(vendor).name(),
        jvmFiles.isEmpty() ? "" : "; mapped: " + BlasCheck.compact(jvmFiles));
    System.out.printf(Locale.ROOT, "                                         PyTorch %.1f GFLOP/s, %s%n", tb.gflops(),
        tb.describe());
    for (String f : jvmFiles) {
      if (BlasCheck.classify(f).kind() == BlasCheck.Kind.REFERENCE) {
        System.out.println("  warning: this JVM has the reference BLAS mapped too (" + f + ", LD_PRELOAD?): ND4J's "
            + "matrix products may resolve to it (see our GFLOP/s above)");
      }
    }
    if (tb.blas().kind() == BlasCheck.Kind.UNKNOWN) {
      System.out.println("  warning: PyTorch's BLAS was not recognised; if its GFLOP/s are far below ours, install an "
          + "optimised one (" + BlasCheck.FIX + ")");
    }
    System.out.flush();
    String refusal = BlasCheck.refusal(tb, oursGflops, System.getenv("LD_PRELOAD"));
    if (refusal == null) {
      return true;
    }
    if (profile) {
      System.out.println("  warning (profile only; measuring would stop here): "
          + refusal.replace("bench: refusing to print ours/PyTorch ratios: ", "").replace("\n", "\n  "));
      return true;
    }
    System.err.println(refusal);
    System.err.flush();
    return false;
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }

  private static int threads() {
    String env = System.getenv("OMP_NUM_THREADS");
    if (env == null || env.isBlank()) {
      throw new IllegalStateException("set OMP_NUM_THREADS before starting the JVM (ND4J reads it once at load); "
          + "bench/library/run does this per model");
    }
    try {
      return Integer.parseInt(env.trim());
    } catch (NumberFormatException e) {
      throw new IllegalStateException("OMP_NUM_THREADS must be a positive integer, got '" + env + "'", e);
    }
  }

  /** One side's training step, timed. */
  interface Side {
    /** Runs one step; returns its wall time in ms. */
    double step();

    /** Engine label printed on the line (oneDNN, eager, PyTorch). */
    String engine();
  }

  /**
   * An eager training step in three phases (forward and loss; zeroGrad and backward; optimizer update, with
   * clipping where the case clips), so that the profile can time each; {@link #step} runs all three. The
   * classification models' eager path and the sequence models ({@link SequenceModels}, {@link SequenceCases})
   * implement it.
   */
  interface EagerTraining extends Side {
    /** The model, to report its size. */
    Module model();

    /** Forward pass and loss on the case's fixed batch. */
    Tensor forwardLoss();

    /** zeroGrad, then backward from {@code loss}. */
    default void backward(Tensor loss) {
      model().zeroGrad();
      loss.backward();
    }

    /** The optimizer's update (and gradient clipping, if the case clips). */
    void update();

    /** How the profile names the update phase. */
    String optimizerName();

    @Override
    default double step() {
      long t0 = System.nanoTime();
      backward(forwardLoss());
      update();
      return (System.nanoTime() - t0) / 1e6;
    }
  }

  /** Batch column of a sequence case: sequences x tokens. */
  static String batchLabel(SequenceModels.Spec spec) {
    return String.format(Locale.ROOT, "%3dx%d", spec.batch(), spec.seqLen());
  }

  private static SequenceModels.Step buildSequence(SequenceModels.Spec spec, TorchProcess torch) throws IOException {
    torch.build(spec.name(), spec.batch(), SEED);
    return new SequenceModels.Step(spec, SEED);
  }

  /**
   * One training step of our library, on the engine {@code Trainer} would pick (system property
   * {@code dlcourse.engine}: auto, eager or onednn): forward and backward, then SGD updates in place.
   */
  private static final class OurStep implements Side {
    final CapturedStep exe;
    final String engine;
    final SGD opt;
    final INDArray x;
    final INDArray y;

    OurStep(ReferenceModels.Spec spec, boolean eagerOnly) {
      Module model = spec.model();
      long[] xShape = new long[spec.inputShape().length + 1];
      xShape[0] = spec.batch();
      System.arraycopy(spec.inputShape(), 0, xShape, 1, spec.inputShape().length);
      Nd4j.getRandom().setSeed(SEED);
      x = Nd4j.randn(DataType.FLOAT, xShape);
      Random r = new Random(SEED);
      long[] labels = new long[spec.batch()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = r.nextInt(spec.classes());
      }
      y = Nd4j.createFromArray(labels);
      // The step Trainer would pick (one decision, Trainer.stepKind), which throws for engine onednn on other models.
      boolean captured;
      try {
        captured = !eagerOnly && Trainer.of(model).stepKind(x.shape()).captured();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(spec.description() + ": " + e.getMessage(), e);
      }
      if (captured) {
        exe = new CapturedCnnStep(model, x.shape(), true);
        engine = "oneDNN";
      } else {
        exe = new EagerStep(model);
        engine = "eager";
      }
      opt = new SGD(model.parameters(), 0.01);
    }

    @Override
    public double step() {
      long t0 = System.nanoTime();
      exe.step(x, y);
      opt.step();
      return (System.nanoTime() - t0) / 1e6;
    }

    @Override
    public String engine() {
      return engine;
    }
  }

  private static OurStep build(String name, ReferenceModels.Spec spec, TorchProcess torch, boolean eagerOnly)
      throws IOException {
    Init.manualSeed(SEED);
    torch.build(name, spec.batch(), SEED);
    return new OurStep(spec, eagerOnly);
  }

  /**
   * Times {@code ours} and PyTorch's case {@code name} in interleaved rounds and prints one line. {@code perOp}:
   * divide the step times by this count for a "per add" note (or null).
   */
  static void measure(String name, String description, String batch, int threads, Plan plan,
      double budgetSeconds, Side ours, TorchProcess torch, Integer perOp) throws IOException {
    warmUp(ours, plan);
    torch.run(name, plan.warmup());
    List<List<Double>> a = new ArrayList<>();
    List<List<Double>> b = new ArrayList<>();
    long deadline = System.nanoTime() + (long) (budgetSeconds * 1e9);
    // Past the budget (a loaded machine) stop after MIN_ROUNDS rounds, so the whole run stays within minutes.
    for (int round = 0; round < plan.rounds() && (round < MIN_ROUNDS || System.nanoTime() < deadline); round++) {
      ours.step(); // warm again after PyTorch's round
      List<Double> r = new ArrayList<>();
      for (int i = 0; i < plan.perRound(); i++) {
        r.add(ours.step());
      }
      a.add(r);
      List<Double> t = torch.run(name, plan.perRound() + 1); // its first step is the same warm-up
      b.add(t.subList(1, t.size()));
    }
    RoundStats st = RoundStats.of(a, b);
    String line = String.format(Locale.ROOT,
        "%-40s batch %s  %d thr  %3d steps  ours %-8s %8s ms  pytorch %8s ms  %5.2fx  (%.2f-%.2f over %d rounds)",
        description, batch, threads, st.steps(), ours.engine(), ms(st.ours()), ms(st.torch()), st.ratio(),
        st.ratioMin(), st.ratioMax(), st.rounds());
    if (perOp != null) {
      line += String.format(Locale.ROOT, "  per add: ours %.1f us, pytorch %.1f us", 1e3 * st.ours() / perOp,
          1e3 * st.torch() / perOp);
    }
    System.out.println(line);
    System.out.flush();
  }

  /** A step time for a line: one decimal, more below 10 ms (the op-cost case). */
  static String ms(double v) {
    return String.format(Locale.ROOT, v < 1 ? "%.3f" : v < 10 ? "%.2f" : "%.1f", v);
  }

  /** The fixed cost per op: {@link OpCost#CHAIN} tiny adds, a sum and backward, ours (eager Tensor) vs PyTorch. */
  private static void measureOpCost(int threads, Plan plan, double budgetSeconds, TorchProcess torch)
      throws IOException {
    torch.build(OP_COST, 1, SEED);
    measure(OP_COST, "op cost: " + OpCost.CHAIN + " adds (4,4) + sum + backward", "  -", threads, plan,
        budgetSeconds, OpCost.create(SEED), torch, OpCost.CHAIN);
  }

  /** Times every op of our graph over a few steps and prints the ops that take the most time. */
  private static void profile(String name, int threads, TorchProcess torch) throws IOException {
    int steps;
    if (SequenceModels.NAMES.contains(name)) {
      SequenceModels.Spec spec = SequenceModels.create(name);
      SequenceModels.Step ours = buildSequence(spec, torch);
      profileEager(spec.description() + ", batch " + spec.batch() + " x " + spec.seqLen() + " tokens", threads,
          ours, 3);
      torch.run(name, 1);
      steps = 3;
    } else {
      ReferenceModels.Spec spec = ReferenceModels.create(name);
      OurStep ours = build(name, spec, torch, false);
      if (ours.exe instanceof CapturedCnnStep net) {
        profileOneDnn(spec, threads, ours, net);
      } else {
        profileEager(spec.description() + ", batch " + spec.batch(), threads, new ClassifierEager(ours),
            spec.batch() <= 64 ? 20 : 6);
      }
      torch.run(name, 3);
      steps = spec.batch() <= 64 ? 10 : 4;
    }
    printTorchProfile(name, torch, steps);
  }

  /** PyTorch's autograd profile of {@code steps} steps of case {@code name}: the ops with the most self time. */
  static void printTorchProfile(String name, TorchProcess torch, int steps) throws IOException {
    JsonObject tp = JsonParser.parseString(torch.ask("profile " + name + " " + steps)).getAsJsonObject();
    double torchMs = tp.get("step_ms").getAsDouble();
    System.out.printf(Locale.ROOT, "  PyTorch, same model and threads (autograd profiler, self CPU time): "
        + "%.1f ms/step mean over %d steps (profiled)%n", torchMs, steps);
    System.out.println("    op                                            ms/step   % of step  calls/step");
    for (JsonElement row : tp.getAsJsonArray("ops")) {
      JsonArray r = row.getAsJsonArray();
      double ms = r.get(1).getAsDouble();
      System.out.printf(Locale.ROOT, "    %-44s %8.2f %8.1f%% %8d%n", r.get(0).getAsString(), ms, 100 * ms / torchMs,
          r.get(2).getAsLong());
    }
  }

  /** Milliseconds per primitive call of the oneDNN path, over a few steps after warm-up. */
  private static void profileOneDnn(ReferenceModels.Spec spec, int threads, OurStep ours, CapturedCnnStep net) {
    // Enough warm-up for the JIT to compile the host-side code (linear layers, loss, SGD) too.
    for (int i = 0; i < 10; i++) {
      ours.step();
    }
    net.resetTimings();
    int steps = spec.batch() <= 64 ? 30 : 8;
    List<Double> totals = new ArrayList<>();
    double optimizerMs = 0;
    for (int i = 0; i < steps; i++) {
      long t0 = System.nanoTime();
      ours.exe.step(ours.x, ours.y);
      long t1 = System.nanoTime();
      ours.opt.step();
      long t2 = System.nanoTime();
      totals.add((t2 - t0) / 1e6);
      optimizerMs += (t2 - t1) / 1e6;
    }
    double mean = totals.stream().mapToDouble(Double::doubleValue).sum() / steps;
    System.out.printf(Locale.ROOT, "profile %s, batch %d, %d threads, oneDNN: %.1f ms/step mean over %d steps "
        + "(median %.1f), SGD update %.2f ms/step%n", spec.description(), spec.batch(), threads, mean, steps,
        median(totals), optimizerMs / steps);
    System.out.println("  oneDNN implementations: " + net.implementations());
    System.out.println("  by primitive call:  ms/step   % of step");
    double sum = 0;
    for (var e : net.timings().entrySet()) {
      double ms = e.getValue();
      sum += ms;
      System.out.printf(Locale.ROOT, "    %-60s %8.2f %8.1f%%%n", e.getKey(), ms, 100 * ms / mean);
    }
    System.out.printf(Locale.ROOT, "    %-60s %8.2f %8.1f%%  (the rest: loss, SGD, copies)%n",
        "(sum of rows)", sum, 100 * sum / mean);
  }

  /** A classification model's eager step (forward, cross-entropy, zeroGrad, backward, SGD) in phases. */
  private static final class ClassifierEager implements EagerTraining {
    final OurStep ours;
    final EagerStep step;

    ClassifierEager(OurStep ours) {
      this.ours = ours;
      this.step = (EagerStep) ours.exe;
    }

    @Override
    public Module model() {
      return step.model;
    }

    @Override
    public Tensor forwardLoss() {
      return step.loss(ours.x, ours.y);
    }

    @Override
    public void update() {
      ours.opt.step();
    }

    @Override
    public String optimizerName() {
      return "SGD";
    }

    @Override
    public String engine() {
      return ours.engine();
    }
  }

  /** The eager step, timed by phase (forward and loss, backward, optimizer) and by operation. */
  static void profileEager(String description, int threads, EagerTraining step, int steps) {
    for (int i = 0; i < 3; i++) {
      step.step();
    }
    double[] phases = new double[3];
    String ops;
    try (var prof = dlcourse.tensor.Profiler.start()) {
      for (int i = 0; i < steps; i++) {
        long t0 = System.nanoTime();
        Tensor loss = step.forwardLoss();
        long t1 = System.nanoTime();
        step.backward(loss);
        long t2 = System.nanoTime();
        step.update();
        long t3 = System.nanoTime();
        phases[0] += (t1 - t0) / 1e6 / steps;
        phases[1] += (t2 - t1) / 1e6 / steps;
        phases[2] += (t3 - t2) / 1e6 / steps;
      }
      StringBuilder b = new StringBuilder();
      for (var e : prof.entries()) {
        b.append(String.format(Locale.ROOT, "    %-60s %8.2f %8.1f%% %8d%n", e.op() + " " + e.pass(),
            e.millis() / steps, 100 * e.millis() / steps / (phases[0] + phases[1]), e.calls() / steps));
      }
      ops = b.toString();
    }
    double total = phases[0] + phases[1] + phases[2];
    System.out.printf(Locale.ROOT, "%s, %d thread(s), eager, %d parameters, %d steps: %.1f ms/step%n",
        description, threads, step.model().numParameters(), steps, total);
    String[] names = {"forward and loss", "zeroGrad and backward", "optimizer (" + step.optimizerName() + ")"};
    System.out.println("  by phase:           ms/step   % of step");
    for (int i = 0; i < 3; i++) {
      System.out.printf(Locale.ROOT, "    %-60s %8.2f %8.1f%%%n", names[i], phases[i], 100 * phases[i] / total);
    }
    System.out.println("  by operation (forward: time since the previous op; backward: the op's own), ms/step, % of "
        + "forward+backward, calls/step:");
    System.out.print(ops);
  }

  /** The training step as a notebook writes it: forward, cross-entropy, zeroGrad, backward. */
  static final class EagerStep implements CapturedStep {
    final Module model;

    EagerStep(Module model) {
      this.model = model;
    }

    Tensor loss(INDArray x, INDArray y) {
      return F.crossEntropy(model.call(Tensor.of(x)), Tensor.of(y));
    }

    @Override
    public CapturedStep.StepResult run(INDArray x, INDArray y) {
      try (var g = Tensor.noGrad()) {
        Tensor out = model.call(Tensor.of(x));
        return new CapturedStep.StepResult(F.crossEntropy(out, Tensor.of(y)).item(), out.array());
      }
    }

    @Override
    public CapturedStep.StepResult step(INDArray x, INDArray y) {
      Tensor out = model.call(Tensor.of(x));
      Tensor l = F.crossEntropy(out, Tensor.of(y));
      model.zeroGrad();
      l.backward();
      return new CapturedStep.StepResult(l.item(), out.array());
    }
  }

  static double median(List<Double> values) {
    return RoundStats.median(values);
  }

  private static void printHeader(int threads, String torchInfo, boolean profile) {
    System.out.println("dlcourse bench: one training step (forward + backward + SGD, cross-entropy, random batch) "
        + "per model, both sides warm; char-GPT rows: cross-entropy over all B x T tokens, clip 1.0, AdamW; op cost: "
        + OpCost.CHAIN + " adds on (4, 4) tensors, sum, backward");
    if (!profile) {
      System.out.println("  rounds:  ours and PyTorch alternate in rounds (ours k steps, PyTorch k steps, ...), each "
          + "round after one discarded step per side; ms = median of the round medians; ratio = median of the "
          + "per-round ratios (ours/PyTorch), in brackets their min-max");
    }
    System.out.println("  CPU:     " + cpuName() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
    System.out.println(
        "  ours:    dlcourse: eager tensors on dlcourse.kernels (oneDNN 2.5.2 for convolutions and pooling), "
            + "sequential CNNs as a captured oneDNN step (dlcourse.compile); ND4J " + nd4jVersion() + ", Java "
            + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
    System.out.println("  PyTorch: " + torchInfo);
    System.out.println("  threads: OMP_NUM_THREADS per model (same for both sides), shown on each line");
  }

  private static String cpuName() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: fall through to the JVM's view
    }
    return System.getProperty("os.arch");
  }

  private static String nd4jVersion() {
    Matcher m = Pattern.compile("nd4j-native-(\\d[^" + java.io.File.pathSeparator + "/]*?)-(linux|macosx|windows)"
        + "([^" + java.io.File.pathSeparator + "/]*)\\.jar").matcher(System.getProperty("java.class.path"));
    if (m.find()) {
      return m.group(1) + " (" + m.group(2) + m.group(3) + ")";
    }
    String v = Nd4j.class.getPackage().getImplementationVersion();
    return (v == null ? "?" : v) + " (" + Nd4j.getBackend().getClass().getSimpleName() + ")";
  }
}
