package dlcourse.train.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Field;
import java.util.*;

/**
 * In-JVM A/B of one training step of the bench (session 10 of bench/library/README.md): alternates blocks of steps
 * with a static boolean switch on and off (set by reflection, e.g. {@code dlcourse.kernels.Gemm#dnnl}) and prints the
 * median per-step wall and thread CPU time of each side and the median (min-max) of the per-block ratios on/off. Thread
 * CPU time is far less disturbed by other jobs on a shared machine than the bench's wall-time rounds. Not a test; run
 * after {@code mvn -o -q -pl lib test-compile}:
 *
 * <pre>{@code
 * OMP_NUM_THREADS=1 taskset -c 0 java -Xmx4g -Xmn8m \
 *   -cp lib/target/test-classes:lib/target/classes:$(cat lib/target-bench/classpath.txt) \
 *   dlcourse.train.bench.InJvmAB captioner dlcourse.kernels.Gemm#dnnl 8 4   # case, switch, blocks, steps per block
 * }</pre>
 *
 * Cases: {@code gpt-nano}, {@code gpt-micro}, {@code vit}, {@code captioner}, {@code cifar-bn} (SGD; the captured
 * step or the eager one by the switch {@code dlcourse.train.bench.InJvmAB#captured}, default eager), and
 * {@code captured:MODEL} for the bench's CNNs ({@code captured:mnist}, {@code captured:cifar}, {@code captured:net1-zeros}
 * ...): two captured steps of one model, one built with the switches on and one with them off (switches of
 * {@code CapturedCnnStep} are read when a step is built), stepped by the switches' current value. The switch
 * {@code dlcourse.train.bench.InJvmAB#sixteen} there picks 16-channel blocks (on) or 8 (off); without it the
 * block is the one this CPU gets.
 */
public class InJvmAB {
  /** cifar-bn: the captured CNN step ({@code CapturedCnnStep}) instead of the eager one; a switch for the A/B. */
  static volatile boolean captured;

  /** captured:MODEL: activations in 16-channel blocks (on) or 8 (off); a switch for the A/B of the two layouts. */
  static volatile boolean sixteen;

  public static void main(String[] args) throws Exception {
    String name = args[0];
    // Several switches, comma-separated, flip together (e.g. a branch's code path against main's).
    String[] names = args[1].split(",");
    Field[] fs = new Field[names.length];
    boolean[] origs = new boolean[names.length];
    for (int i = 0; i < names.length; i++) {
      String[] cf = names[i].split("#");
      fs[i] = Class.forName(cf[0]).getDeclaredField(cf[1]);
      fs[i].setAccessible(true);
      origs[i] = fs[i].getBoolean(null);
    }
    int blocks = Integer.parseInt(args[2]);
    int per = Integer.parseInt(args[3]);
    Bench.Side step = name.startsWith("captured:") ? capturedCnn(name.substring("captured:".length()), fs)
        : name.startsWith("gpt") ? new SequenceModels.Step(SequenceModels.create(name), 42)
        : name.equals("cifar-bn") ? cifar() : SequenceCases.create(name, 42);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 3 * per; i++)
      step.step();
    Map<Boolean, List<Double>> wall = new TreeMap<>(), cpu = new TreeMap<>();
    List<Double> ratiosW = new ArrayList<>(), ratiosC = new ArrayList<>();
    for (int b = 0; b < blocks; b++) {
      double[] medW = new double[2], medC = new double[2];
      for (int s = 0; s < 2; s++) {
        boolean on = (b + s) % 2 == 0;
        for (Field f : fs) {
          f.setBoolean(null, on);
        }
        step.step();
        List<Double> w = new ArrayList<>(), c = new ArrayList<>();
        for (int i = 0; i < per; i++) {
          long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
          step.step();
          w.add((System.nanoTime() - t0) / 1e6);
          c.add((mx.getCurrentThreadCpuTime() - c0) / 1e6);
        }
        wall.computeIfAbsent(on, k -> new ArrayList<>()).addAll(w);
        cpu.computeIfAbsent(on, k -> new ArrayList<>()).addAll(c);
        medW[on ? 0 : 1] = med(w);
        medC[on ? 0 : 1] = med(c);
      }
      ratiosW.add(medW[0] / medW[1]);
      ratiosC.add(medC[0] / medC[1]);
    }
    for (int i = 0; i < fs.length; i++) {
      fs[i].setBoolean(null, origs[i]);
    }
    System.out.printf(Locale.ROOT,
        "%s %s: on wall %.1f ms cpu %.1f ms | off wall %.1f ms cpu %.1f ms | on/off wall %.3f (%.2f-%.2f) cpu %.3f (%.2f-%.2f), %d blocks x %d%n",
        name, args[1], med(wall.get(true)), med(cpu.get(true)), med(wall.get(false)), med(cpu.get(false)),
        med(ratiosW), Collections.min(ratiosW), Collections.max(ratiosW), med(ratiosC), Collections.min(ratiosC),
        Collections.max(ratiosC), blocks, per);
  }

  /**
   * The bench's CNN {@code model} (its batch, random inputs, SGD) as two captured steps, built with {@code switches}
   * on and off; each step runs the one the first switch's current value picks.
   */
  static Bench.Side capturedCnn(String model, Field[] switches) throws IllegalAccessException {
    dlcourse.nn.Init.manualSeed(42);
    ReferenceModels.Spec spec = ReferenceModels.create(model);
    dlcourse.nn.Module m = spec.model();
    m.train();
    var opt = new dlcourse.train.SGD(m.parameters(), 0.01);
    long[] in = spec.inputShape();
    var x = org.nd4j.linalg.factory.Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, spec.batch(), in[0], in[1],
        in[2]);
    long[] ys = new long[spec.batch()];
    for (int i = 0; i < ys.length; i++)
      ys[i] = i % spec.classes();
    var y = org.nd4j.linalg.factory.Nd4j.createFromArray(ys);
    boolean layoutAB = Arrays.stream(switches).anyMatch(f -> f.getName().equals("sixteen"));
    var nets = new dlcourse.compile.CapturedCnnStep[2];
    for (int side = 0; side < 2; side++) {
      for (Field f : switches) {
        f.setBoolean(null, side == 0);
      }
      int block = layoutAB ? (sixteen ? 16 : 8) : dlcourse.compile.CapturedCnnStep.channelBlock(m);
      nets[side] = new dlcourse.compile.CapturedCnnStep(m, x.shape(), true, block);
    }
    return new Bench.Side() {
      @Override
      public double step() {
        long t0 = System.nanoTime();
        try {
          nets[switches[0].getBoolean(null) ? 0 : 1].step(x, y);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
        opt.step();
        return (System.nanoTime() - t0) / 1e6;
      }

      @Override
      public String engine() {
        return "oneDNN";
      }
    };
  }

  static Bench.EagerTraining cifar() {
    dlcourse.nn.Init.manualSeed(42);
    ReferenceModels.Spec spec = ReferenceModels.create("cifar-bn");
    dlcourse.nn.Module model = spec.model();
    model.train();
    var opt = new dlcourse.train.SGD(model.parameters(), 0.01);
    var x = dlcourse.tensor.Tensor.of(org.nd4j.linalg.factory.Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 128,
        3, 32, 32));
    long[] ys = new long[128];
    for (int i = 0; i < 128; i++)
      ys[i] = i % 10;
    var y = dlcourse.tensor.Tensor.of(org.nd4j.linalg.factory.Nd4j.createFromArray(ys));
    var net = new dlcourse.compile.CapturedCnnStep(model, x.shape(), true);
    return new Bench.EagerTraining() {
      public dlcourse.nn.Module model() {
        return model;
      }
      @Override
      public double step() {
        if (!captured) {
          return Bench.EagerTraining.super.step();
        }
        long t0 = System.nanoTime();
        net.step(x.array(), y.array());
        opt.step();
        return (System.nanoTime() - t0) / 1e6;
      }
      public dlcourse.tensor.Tensor forwardLoss() {
        return dlcourse.nn.F.crossEntropy(model.call(x), y);
      }
      public void update() {
        opt.step();
      }
      public String optimizerName() {
        return "SGD";
      }
      public String engine() {
        return "eager";
      }
    };
  }

  static double med(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
