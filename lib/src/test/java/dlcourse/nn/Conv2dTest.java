package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Conv2dTest {
  /** kernel (kH, kW), stride, padding, dilation, bias. */
  static Stream<Arguments> configs() {
    return Stream.of(
        Arguments.of(new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, true),
        Arguments.of(new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, false),
        Arguments.of(new int[] {2, 3}, new int[] {1, 2}, new int[] {2, 1}, new int[] {1, 1}, true),
        Arguments.of(new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 0}, new int[] {2, 1}, true),
        Arguments.of(new int[] {3, 3}, new int[] {1, 1}, new int[] {2, 2}, new int[] {2, 2}, false));
  }

  private static Conv2d conv(int[] k, int[] s, int[] p, int[] d, boolean bias) {
    Init.manualSeed(7);
    return (Conv2d) new Conv2d(3, 4, k).stride(s).padding(p).dilation(d).bias(bias).to(DataType.DOUBLE);
  }

  @ParameterizedTest
  @MethodSource("configs")
  void forwardAndGradientsMatchLoopConvolution(int[] k, int[] s, int[] p, int[] d, boolean bias) {
    Conv2d c = conv(k, s, p, d, bias);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 7, 6);
    INDArray b = bias ? c.bias().data() : null;
    INDArray expected = Ref.conv(x, c.weight().data(), b, s, p, d, null)[0];
    INDArray y = c.forward(x);
    assertArrayEquals(expected.shape(), y.shape());
    assertTrue(expected.equalsWithEps(y, 1e-10), "forward differs");
    INDArray r = Nd4j.rand(DataType.DOUBLE, y.shape());
    INDArray dx = GradCheck.inputGradient(c::call, x.dup(), r);
    INDArray[] g = Ref.conv(x, c.weight().data(), b, s, p, d, r);
    assertTrue(g[0].equalsWithEps(dx, 1e-10), "input gradient differs");
    assertTrue(g[1].equalsWithEps(c.weight().grad().array(), 1e-10), "weight gradient differs");
    if (bias) {
      assertTrue(g[2].equalsWithEps(c.bias().grad().array(), 1e-10), "bias gradient differs");
    }
  }

  @ParameterizedTest
  @MethodSource("configs")
  void forwardAndGradientsMatchDl4jConvolutionLayer(int[] k, int[] s, int[] p, int[] d, boolean bias) {
    Conv2d c = conv(k, s, p, d, bias);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 7, 6);
    var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
        .layer(new ConvolutionLayer.Builder(k).nIn(3).nOut(4).stride(s).padding(p).dilation(d).hasBias(bias)
            .activation(Activation.IDENTITY).convolutionMode(ConvolutionMode.Truncate).build())
        .setInputType(InputType.convolutional(7, 6, 3)).build();
    var net = new MultiLayerNetwork(conf);
    net.init();
    net.setParam("0_W", c.weight().data()); // DL4J's layout is PyTorch's (out, in, kH, kW)
    if (bias) {
      net.setParam("0_b", c.bias().data().reshape(1, 4));
    }
    INDArray expected = net.output(x);
    INDArray y = c.forward(x);
    assertTrue(expected.equalsWithEps(y, 1e-10), "forward differs from DL4J");
    INDArray r = Nd4j.rand(DataType.DOUBLE, y.shape());
    net.setInput(x);
    net.feedForward(true, false);
    var back = net.backpropGradient(r, LayerWorkspaceMgr.noWorkspaces());
    INDArray dx = GradCheck.inputGradient(c::call, x.dup(), r);
    assertTrue(back.getSecond().equalsWithEps(dx, 1e-10), "input gradient differs from DL4J");
    assertTrue(back.getFirst().getGradientFor("0_W").equalsWithEps(c.weight().grad().array(), 1e-10),
        "weight gradient");
    if (bias) {
      assertTrue(back.getFirst().getGradientFor("0_b").reshape(4).equalsWithEps(c.bias().grad().array(), 1e-10),
          "bias");
    }
  }

  @ParameterizedTest
  @EnumSource(PaddingMode.class)
  void gradientsMatchFiniteDifferencesForEveryPaddingMode(PaddingMode mode) {
    Init.manualSeed(8);
    var c = new Conv2d(2, 3, 3).padding(2, 1).stride(2, 1).paddingMode(mode);
    GradCheck.module(c, Nd4j.rand(DataType.DOUBLE, 2, 2, 4, 5));
  }

  @Test
  void outputShapesOfHomeworkQ10() {
    var c = new Sequential(new Conv2d(3, 16, 5).padding(1).stride(2));
    assertEquals("(1, 16, 511, 383)", c.summary(1, 3, 1024, 768).outputShapes().get(0));
    assertEquals("(1, 16, 959, 539)", c.summary(1, 3, 1920, 1080).outputShapes().get(0));
    var e = assertThrows(IllegalArgumentException.class, () -> c.summary(1, 8, 1024, 768));
    assertTrue(e.getMessage().contains("expected input (N, 3, H, W), got (1, 8, 1024, 768)"), e.getMessage());
  }

  @Test
  void toStringShowsOnlyNonDefaultSettings() {
    assertEquals("Conv2d(3, 32, kernelSize=(3, 3), stride=(2, 2), paddingMode=reflect, bias=false)",
        new Conv2d(3, 32, 3).stride(2).paddingMode(PaddingMode.REFLECT).bias(false).toString());
  }

  @Test
  void defaultInitIsPytorchsKaimingUniform() {
    Init.manualSeed(1);
    var c = new Conv2d(16, 32, 3);
    double bound = 1 / Math.sqrt(16 * 9);
    assertTrue(c.weight().data().amaxNumber().doubleValue() <= bound);
    assertTrue(c.weight().data().amaxNumber().doubleValue() > 0.95 * bound);
    assertTrue(c.bias().data().amaxNumber().doubleValue() <= bound);
  }
}
