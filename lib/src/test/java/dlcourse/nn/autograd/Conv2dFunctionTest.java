package dlcourse.nn.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.nn.Conv2d;
import dlcourse.nn.Init;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Conv2dFunctionTest {
  /** input (B, C, H, W), out channels, kernel, stride, padding: strides, paddings, channels, non-square. */
  static Stream<Arguments> configs() {
    return Stream.of(
        Arguments.of(new long[] {2, 1, 5, 5}, 2, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}),
        Arguments.of(new long[] {2, 3, 7, 6}, 4, new int[] {3, 3}, new int[] {2, 2}, new int[] {0, 0}),
        Arguments.of(new long[] {1, 2, 6, 9}, 3, new int[] {2, 3}, new int[] {1, 2}, new int[] {2, 1}),
        Arguments.of(new long[] {3, 3, 8, 5}, 2, new int[] {5, 5}, new int[] {2, 1}, new int[] {1, 2}));
  }

  private static Conv2d conv(long in, long out, int[] k, int[] s, int[] p) {
    Init.manualSeed(11);
    return (Conv2d) new Conv2d(in, out, k).stride(s).padding(p).to(DataType.DOUBLE);
  }

  /** The eager layer's output and gradients for upstream gradient r; weight and bias grads land in the params. */
  private static INDArray[] eager(Conv2d c, INDArray x, INDArray r) {
    Variable xv = Variable.requiringGrad(x);
    Variable y = new EagerConv2d(c).forward(xv);
    y.backward(r);
    return new INDArray[] {y.data(), xv.grad(), c.weight().grad().array(), c.bias().grad().array()};
  }

  @ParameterizedTest
  @MethodSource("configs")
  void gradientsMatchFiniteDifferences(long[] shape, int out, int[] k, int[] s, int[] p) {
    Conv2d c = conv(shape[1], out, k, s, p);
    INDArray x = Nd4j.rand(DataType.DOUBLE, shape);
    Conv2dFunction f = new Conv2dFunction(s, p);
    INDArray w = c.weight().data();
    INDArray b = c.bias().data();
    INDArray r = Nd4j.rand(DataType.DOUBLE, f.apply(Variable.of(x), Variable.of(w), Variable.of(b)).shape());
    INDArray[] got = eager(c, x, r);
    // loss = sum(conv(x, w, b) * r), differentiated numerically in each argument.
    INDArray dx = GradCheck.numerical(
        a -> f.apply(Variable.of(a), Variable.of(w), Variable.of(b)).data().mul(r).sumNumber().doubleValue(), x, 1e-6);
    INDArray dw = GradCheck.numerical(
        a -> f.apply(Variable.of(x), Variable.of(a), Variable.of(b)).data().mul(r).sumNumber().doubleValue(), w, 1e-6);
    INDArray db = GradCheck.numerical(
        a -> f.apply(Variable.of(x), Variable.of(w), Variable.of(a)).data().mul(r).sumNumber().doubleValue(), b, 1e-6);
    assertTrue(GradCheck.maxAbsDiff(dx, got[1]) < 1e-7, "input gradient: " + GradCheck.maxAbsDiff(dx, got[1]));
    assertTrue(GradCheck.maxAbsDiff(dw, got[2]) < 1e-7, "weight gradient: " + GradCheck.maxAbsDiff(dw, got[2]));
    assertTrue(GradCheck.maxAbsDiff(db, got[3]) < 1e-7, "bias gradient: " + GradCheck.maxAbsDiff(db, got[3]));
  }

  @ParameterizedTest
  @MethodSource("configs")
  void outputAndGradientsMatchTheLibraryConvGraph(long[] shape, int out, int[] k, int[] s, int[] p) {
    Conv2d c = conv(shape[1], out, k, s, p);
    INDArray x = Nd4j.rand(DataType.DOUBLE, shape);
    INDArray r = Nd4j.rand(DataType.DOUBLE, c.forward(x).shape());
    GradCheck.Gradients lib = GradCheck.library(c, x, r);
    INDArray[] got = eager(c, x, r);
    assertTrue(GradCheck.maxAbsDiff(lib.output(), got[0]) < 1e-12, "output");
    assertTrue(GradCheck.maxAbsDiff(lib.input(), got[1]) < 1e-12, "input gradient");
    assertTrue(GradCheck.maxAbsDiff(lib.parameters().get("weight"), got[2]) < 1e-12, "weight gradient");
    assertTrue(GradCheck.maxAbsDiff(lib.parameters().get("bias"), got[3]) < 1e-12, "bias gradient");
  }

  @ParameterizedTest
  @MethodSource("configs")
  void gradientsMatchDl4jConvolutionLayer(long[] shape, int out, int[] k, int[] s, int[] p) {
    Conv2d c = conv(shape[1], out, k, s, p);
    INDArray x = Nd4j.rand(DataType.DOUBLE, shape);
    var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
        .layer(new ConvolutionLayer.Builder(k).nIn(shape[1]).nOut(out).stride(s).padding(p)
            .activation(Activation.IDENTITY).convolutionMode(ConvolutionMode.Truncate).build())
        .setInputType(InputType.convolutional(shape[2], shape[3], shape[1])).build();
    var net = new MultiLayerNetwork(conf);
    net.init();
    net.setParam("0_W", c.weight().data()); // DL4J's layout is PyTorch's (out, in, kH, kW)
    net.setParam("0_b", c.bias().data().reshape(1, out));
    INDArray expected = net.output(x);
    INDArray r = Nd4j.rand(DataType.DOUBLE, expected.shape());
    net.setInput(x);
    net.feedForward(true, false);
    var back = net.backpropGradient(r, LayerWorkspaceMgr.noWorkspaces());
    INDArray[] got = eager(c, x, r);
    assertTrue(GradCheck.maxAbsDiff(expected, got[0]) < 1e-12, "output");
    assertTrue(GradCheck.maxAbsDiff(back.getSecond(), got[1]) < 1e-12, "input gradient");
    assertTrue(GradCheck.maxAbsDiff(back.getFirst().getGradientFor("0_W"), got[2]) < 1e-12, "weight gradient");
    assertTrue(GradCheck.maxAbsDiff(back.getFirst().getGradientFor("0_b").reshape(out), got[3]) < 1e-12, "bias");
  }

  @Test
  void worksInFloatWithoutBias() {
    Init.manualSeed(2);
    Conv2d c = new Conv2d(2, 3, 3).padding(1).bias(false);
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 2, 5, 4);
    Variable y = new EagerConv2d(c).forward(Variable.of(x));
    assertTrue(GradCheck.maxAbsDiff(c.forward(x), y.data()) < 1e-5);
    y.backward(Nd4j.onesLike(y.data()));
    assertArrayEquals(new long[] {3, 2, 3, 3}, c.weight().grad().array().shape());
  }

  @Test
  void channelMismatchNamesBothShapes() {
    var f = new Conv2dFunction(1, 0);
    var e = assertThrows(IllegalArgumentException.class, () -> f.apply(Variable.of(Nd4j.rand(DataType.FLOAT, 1, 8, 5,
        5)), Variable.of(Nd4j.rand(DataType.FLOAT, 16, 3, 3, 3))));
    assertTrue(e.getMessage().contains("expected x (B, 3, H, W)") && e.getMessage().contains("[1, 8, 5, 5]"),
        e.getMessage());
  }
}
