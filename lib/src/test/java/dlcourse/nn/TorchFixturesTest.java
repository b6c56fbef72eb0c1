package dlcourse.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dlcourse.tensor.Tensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Forward values and gradients against PyTorch: every JSON file in {@code src/test/resources/torch-fixtures}
 * (written by {@code make_fixtures.py} there, torch 1.13, float64) is one case. The test runs the same computation
 * with {@link Tensor} and {@link F} in DOUBLE precision, calls {@code backward} with the fixture's upstream
 * gradient, and compares the output, every input gradient and any updated buffer (batch norm's running statistics).
 * The cases of ops with a layer class run a second time through that layer ({@link #layerMatchesPyTorch}).
 *
 * <p>Tolerance: 1e-9 relative, element by element; an element much smaller than the largest of its array (a
 * gradient that cancels to nearly zero) is compared relative to a thousandth of that largest value instead of to
 * itself. The fixtures store 15 significant digits. A fixture whose {@code op} this test does not know fails.
 */
class TorchFixturesTest {
  private static final String DIR = "/torch-fixtures";
  private static final double RTOL = 1e-9;

  static Stream<String> fixtures() throws IOException, URISyntaxException {
    URL url = TorchFixturesTest.class.getResource(DIR);
    assertNotNull(url, "resource folder " + DIR + " is missing");
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
      files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted()
          .forEach(n -> names.add(n.substring(0, n.length() - ".json".length())));
    }
    return names.stream();
  }

  @Test
  void theFixtureFolderHoldsTheGeneratedCases() throws Exception {
    // make_fixtures.py writes 155 cases; a lost or unreadable folder must not pass as "zero cases, all green".
    assertTrue(fixtures().count() >= 155, "expected the torch fixtures in " + DIR);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void matchesPyTorch(String name) throws IOException {
    JsonObject fx = load(name);
    assertEquals(name, fx.get("case").getAsString(), "file name and case differ");
    JsonObject s = fx.getAsJsonObject("settings");

    Map<String, Tensor> in = new LinkedHashMap<>();
    for (JsonElement e : fx.getAsJsonArray("inputs")) {
      JsonObject o = e.getAsJsonObject();
      String dtype = o.get("dtype").getAsString();
      INDArray a = switch (dtype) {
        case "float64" -> doubles(o);
        case "int64" -> longs(o);
        case "bool" -> bools(o);
        default -> throw new AssertionError(name + ": unknown dtype " + dtype);
      };
      in.put(o.get("name").getAsString(), Tensor.of(a).requiresGrad(o.get("grad").getAsBoolean()));
    }

    String op = fx.get("op").getAsString();
    Tensor y = run(op, s, in, name);

    assertEquals(DataType.DOUBLE, y.dtype(), name + ": output dtype");
    compare(name + " output", fx.getAsJsonObject("output"), y.array());
    y.backward(Tensor.of(doubles(fx.getAsJsonObject("upstream"))));

    JsonObject grads = fx.getAsJsonObject("grads");
    for (Map.Entry<String, Tensor> e : in.entrySet()) {
      String input = e.getKey();
      Tensor t = e.getValue();
      if (grads.has(input)) {
        assertNotNull(t.grad(), name + ": no gradient for " + input);
        assertEquals(DataType.DOUBLE, t.grad().dtype(), name + ": gradient dtype of " + input);
        compare(name + " d/d" + input, grads.getAsJsonObject(input), t.grad().array());
      } else {
        assertNull(t.grad(), name + ": " + input + " got a gradient it should not have");
      }
    }
    for (String g : grads.keySet()) {
      assertTrue(in.containsKey(g), name + ": gradient for an unknown input " + g);
    }
    if (fx.has("state")) {
      JsonObject state = fx.getAsJsonObject("state");
      assertFalse(state.keySet().isEmpty(), name);
      for (String b : state.keySet()) {
        assertTrue(in.containsKey(b), name + ": state of an unknown input " + b);
        compare(name + " " + b + " after the call", state.getAsJsonObject(b), in.get(b).array());
      }
    }
  }

  /** Fixture ops that a layer class also computes; {@link #layerMatchesPyTorch} runs those through the layer. */
  private static final java.util.Set<String> LAYER_OPS =
      java.util.Set.of("linear", "conv2d", "batch_norm", "layer_norm", "rms_norm", "embedding", "gelu");

  static Stream<String> layerFixtures() throws Exception {
    return fixtures().filter(n -> LAYER_OPS.contains(load(n).get("op").getAsString()));
  }

  /**
   * The same fixture through the layer class (Linear, Conv2d, BatchNorm1d/2d, LayerNorm, RMSNorm, Embedding, GELU)
   * converted with {@code to(DataType.DOUBLE)}, the fixture's weights copied in: checks that the layer hands its
   * settings to {@link F} as PyTorch's module does.
   */
  @ParameterizedTest(name = "{0} (layer)")
  @MethodSource("layerFixtures")
  void layerMatchesPyTorch(String name) throws IOException {
    JsonObject fx = load(name);
    JsonObject s = fx.getAsJsonObject("settings");
    Map<String, JsonObject> in = new LinkedHashMap<>();
    for (JsonElement e : fx.getAsJsonArray("inputs")) {
      in.put(e.getAsJsonObject().get("name").getAsString(), e.getAsJsonObject());
    }
    String op = fx.get("op").getAsString();
    String xName = op.equals("embedding") ? "indices" : "x";
    JsonObject xj = in.get(xName);
    long[] xs = longs(xj.getAsJsonArray("shape"));
    long[] ws = in.containsKey("weight") ? longs(in.get("weight").getAsJsonArray("shape")) : null;
    Module m = switch (op) {
      case "linear" -> new Linear(ws[1], ws[0]).bias(in.containsKey("bias"));
      case "conv2d" -> new Conv2d(ws[1], ws[0], (int) ws[2], (int) ws[3]).stride(ints(s.getAsJsonArray("stride")))
          .padding(ints(s.getAsJsonArray("padding"))).dilation(ints(s.getAsJsonArray("dilation")))
          .bias(in.containsKey("bias"));
      case "batch_norm" -> (xs.length == 4 ? new BatchNorm2d(xs[1]) : new BatchNorm1d(xs[1]))
          .momentum(s.get("momentum").getAsDouble()).eps(s.get("eps").getAsDouble())
          .affine(in.containsKey("weight")).train(s.get("training").getAsBoolean());
      case "layer_norm" -> new LayerNorm(Arrays.copyOfRange(xs, xs.length - s.get("normalized_dims").getAsInt(),
          xs.length)).eps(s.get("eps").getAsDouble()).elementwiseAffine(in.containsKey("weight"));
      case "rms_norm" -> new RMSNorm(Arrays.copyOfRange(xs, xs.length - s.get("normalized_dims").getAsInt(),
          xs.length)).eps(s.get("eps").getAsDouble()).elementwiseAffine(in.containsKey("weight"));
      case "embedding" -> new Embedding(ws[0], ws[1]);
      case "gelu" -> new GELU(s.get("approximate").getAsString());
      default -> fail(name + ": no layer for op '" + op + "'");
    };
    m.to(DataType.DOUBLE);
    Map<String, Tensor> params = new LinkedHashMap<>();
    for (String p : in.keySet()) {
      if (p.equals(xName)) {
        continue;
      }
      Tensor t = switch (p) {
        case "weight" -> op.equals("batch_norm") ? ((BatchNorm) m).weight() : layerWeight(m);
        case "bias" -> op.equals("batch_norm") ? ((BatchNorm) m).bias() : layerBias(m);
        case "running_mean" -> ((BatchNorm) m).runningMean();
        case "running_var" -> ((BatchNorm) m).runningVar();
        default -> fail(name + ": input " + p + " has no layer counterpart");
      };
      assertNotNull(t, name + ": layer has no " + p);
      assertEquals(DataType.DOUBLE, t.dtype(), name + ": " + p + " after to(DOUBLE)");
      try (var g = Tensor.noGrad()) {
        t.assign(Tensor.of(doubles(in.get(p))));
      }
      params.put(p, t);
    }
    Tensor x = Tensor.of(op.equals("embedding") ? longs(xj) : doubles(xj))
        .requiresGrad(xj.get("grad").getAsBoolean());
    Tensor y = m.forward(x);
    assertEquals(DataType.DOUBLE, y.dtype(), name + ": output dtype");
    compare(name + " layer output", fx.getAsJsonObject("output"), y.array());
    y.backward(Tensor.of(doubles(fx.getAsJsonObject("upstream"))));
    JsonObject grads = fx.getAsJsonObject("grads");
    if (grads.has(xName)) {
      compare(name + " layer d/d" + xName, grads.getAsJsonObject(xName), x.grad().array());
    }
    for (Map.Entry<String, Tensor> e : params.entrySet()) {
      if (grads.has(e.getKey())) {
        assertNotNull(e.getValue().grad(), name + ": no gradient for the layer's " + e.getKey());
        compare(name + " layer d/d" + e.getKey(), grads.getAsJsonObject(e.getKey()), e.getValue().grad().array());
      }
    }
    if (fx.has("state")) {
      JsonObject state = fx.getAsJsonObject("state");
      for (String b : state.keySet()) {
        compare(name + " layer " + b + " after the call", state.getAsJsonObject(b), params.get(b).array());
      }
    }
  }

  private static Tensor layerWeight(Module m) {
    if (m instanceof Linear l) {
      return l.weight();
    } else if (m instanceof Conv2d c) {
      return c.weight();
    } else if (m instanceof LayerNorm l) {
      return l.weight();
    } else if (m instanceof RMSNorm r) {
      return r.weight();
    } else if (m instanceof Embedding e) {
      return e.weight();
    }
    throw new AssertionError("no weight in " + m.getClass().getSimpleName());
  }

  private static Tensor layerBias(Module m) {
    if (m instanceof Linear l) {
      return l.bias();
    } else if (m instanceof Conv2d c) {
      return c.bias();
    } else if (m instanceof LayerNorm l) {
      return l.bias();
    }
    throw new AssertionError("no bias in " + m.getClass().getSimpleName());
  }

  static JsonObject load(String name) {
    try (var in = TorchFixturesTest.class.getResourceAsStream(DIR + "/" + name + ".json")) {
      assertNotNull(in, name);
      return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(name, e);
    }
  }

  /** The library's version of fixture op {@code op}; an op this test does not know fails. */
  private static Tensor run(String op, JsonObject s, Map<String, Tensor> in, String name) {
    return switch (op) {
      case "matmul" -> in.get("a").matmul(in.get("b"));
      case "softmax" -> in.get("x").softmax(s.get("dim").getAsInt());
      case "log_softmax" -> in.get("x").logSoftmax(s.get("dim").getAsInt());
      case "sum", "mean", "max" -> {
        Tensor x = in.get("x");
        int[] dims = ints(s.getAsJsonArray("dims"));
        boolean keep = s.get("keepdim").getAsBoolean();
        if (dims.length == 0) {
          yield switch (op) {
            case "sum" -> x.sum();
            case "mean" -> x.mean();
            default -> throw new AssertionError(name + ": max over all dimensions is not a fixture op");
          };
        }
        yield switch (op) {
          case "sum" -> x.sum(keep, dims);
          case "mean" -> x.mean(keep, dims);
          default -> x.max(keep, dims);
        };
      }
      case "add" -> in.get("a").add(in.get("b"));
      case "mul" -> in.get("a").mul(in.get("b"));
      case "div" -> in.get("a").div(in.get("b"));
      case "pow" -> in.get("x").pow(s.get("p").getAsDouble());
      case "exp" -> in.get("x").exp();
      case "log" -> in.get("x").log();
      case "tanh" -> in.get("x").tanh();
      case "sigmoid" -> in.get("x").sigmoid();
      case "relu" -> in.get("x").relu();
      case "cat" -> Tensor.cat(s.get("dim").getAsInt(), in.values().toArray(new Tensor[0]));
      case "permute_reshape" ->
        in.get("x").permute(ints(s.getAsJsonArray("perm"))).reshape(longs(s.getAsJsonArray("shape")));
      case "reshape_permute" ->
        in.get("x").reshape(longs(s.getAsJsonArray("shape"))).permute(ints(s.getAsJsonArray("perm")));
      case "linear" -> F.linear(in.get("x"), in.get("weight"), in.get("bias"));
      case "conv2d" -> F.conv2d(in.get("x"), in.get("weight"), in.get("bias"), ints(s.getAsJsonArray("stride")),
          ints(s.getAsJsonArray("padding")), ints(s.getAsJsonArray("dilation")));
      case "max_pool2d" -> F.maxPool2d(in.get("x"), ints(s.getAsJsonArray("kernel")),
          ints(s.getAsJsonArray("stride")), ints(s.getAsJsonArray("padding")), s.get("ceil_mode").getAsBoolean());
      case "avg_pool2d" -> F.avgPool2d(in.get("x"), ints(s.getAsJsonArray("kernel")),
          ints(s.getAsJsonArray("stride")), ints(s.getAsJsonArray("padding")), s.get("ceil_mode").getAsBoolean(),
          s.get("count_include_pad").getAsBoolean());
      case "adaptive_max_pool2d", "adaptive_avg_pool2d" -> {
        int[] out = ints(s.getAsJsonArray("output_size"));
        yield op.equals("adaptive_max_pool2d")
            ? F.adaptiveMaxPool2d(in.get("x"), out[0], out[1])
            : F.adaptiveAvgPool2d(in.get("x"), out[0], out[1]);
      }
      case "pad" -> F.pad(in.get("x"), ints(s.getAsJsonArray("pad")), switch (s.get("mode").getAsString()) {
        case "reflect" -> PaddingMode.REFLECT;
        case "replicate" -> PaddingMode.REPLICATE;
        case "circular" -> PaddingMode.CIRCULAR;
        case "constant" -> PaddingMode.ZEROS;
        default -> throw new AssertionError(name + ": unknown pad mode " + s.get("mode"));
      });
      case "cross_entropy" -> F.crossEntropy(in.get("logits"), in.get("target"),
          Reduction.of(s.get("reduction").getAsString()), s.get("ignore_index").getAsLong(),
          s.get("label_smoothing").getAsDouble());
      case "nll_loss" -> F.nllLoss(in.get("logp"), in.get("target"), Reduction.of(s.get("reduction").getAsString()),
          s.get("ignore_index").getAsLong());
      case "mse_loss" -> F.mseLoss(in.get("input"), in.get("target"), Reduction.of(s.get("reduction").getAsString()));
      case "batch_norm" -> F.batchNorm(in.get("x"), in.get("running_mean"), in.get("running_var"), in.get("weight"),
          in.get("bias"), s.get("training").getAsBoolean(), s.get("momentum").getAsDouble(),
          s.get("eps").getAsDouble());
      case "layer_norm" -> F.layerNorm(in.get("x"), s.get("normalized_dims").getAsInt(), in.get("weight"),
          in.get("bias"), s.get("eps").getAsDouble());
      case "rms_norm" -> F.rmsNorm(in.get("x"), s.get("normalized_dims").getAsInt(), in.get("weight"),
          s.get("eps").getAsDouble());
      case "embedding" -> F.embedding(in.get("indices"), in.get("weight"));
      case "gelu" -> F.gelu(in.get("x"), s.get("approximate").getAsString());
      case "masked_fill" -> in.get("x").maskedFill(in.get("mask"), s.get("value").getAsDouble());
      case "tril" -> in.get("x").tril(s.get("diagonal").getAsInt());
      case "triu" -> in.get("x").triu(s.get("diagonal").getAsInt());
      case "sdpa", "sdpa_weights" -> {
        F.Attention a = F.scaledDotProductAttentionWithWeights(in.get("q"), in.get("k"), in.get("v"),
            in.get("attn_mask"), s.get("is_causal").getAsBoolean(), 0.0, false);
        yield op.equals("sdpa") ? a.output() : a.weights();
      }
      case "flash_attention" -> F.flashAttention(in.get("q"), in.get("k"), in.get("v"),
          s.get("is_causal").getAsBoolean(), s.get("tile_size").getAsInt());
      case "sliding_window_attention" -> F.slidingWindowAttention(in.get("q"), in.get("k"), in.get("v"),
          s.get("window").getAsInt(), s.get("is_causal").getAsBoolean());
      case "multihead_attention", "multihead_attention_weights" -> {
        boolean self = s.get("self_attention").getAsBoolean();
        Tensor q = self ? in.get("x") : in.get("query");
        F.Attention a = F.multiheadAttention(q, self ? q : in.get("key"), self ? q : in.get("value"),
            s.get("num_heads").getAsInt(), in.get("in_proj_weight"), in.get("in_proj_bias"), in.get("out_proj_weight"),
            in.get("out_proj_bias"), in.get("key_padding_mask"), true, in.get("attn_mask"), false, 0.0, false);
        yield op.equals("multihead_attention") ? a.output() : a.weights();
      }
      case "rope" -> F.rope(in.get("x"), s.get("offset").getAsLong());
      case "lstm" -> {
        int layers = s.get("num_layers").getAsInt();
        boolean bias = s.get("bias").getAsBoolean();
        List<Tensor> w = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
          for (String p : bias ? List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh") : List.of("weight_ih",
              "weight_hh")) {
            w.add(in.get(p + "_l" + l));
          }
        }
        LSTMCell.State h0 = in.containsKey("h0") ? new LSTMCell.State(in.get("h0"), in.get("c0")) : null;
        LSTM.Output o = F.lstm(in.get("x"), h0, w.toArray(new Tensor[0]), layers, s.get("batch_first").getAsBoolean(),
            0, false);
        yield flatCat(o.output(), o.state().h(), o.state().c());
      }
      case "lstm_cell" -> {
        LSTMCell.State next = F.lstmCell(in.get("x"), new LSTMCell.State(in.get("h"), in.get("c")),
            in.get("weight_ih"), in.get("weight_hh"), in.get("bias_ih"), in.get("bias_hh"));
        yield flatCat(next.h(), next.c());
      }
      case "graph_conv" -> dlcourse.graph.GraphF.graphConv(in.get("x"), graph(s), in.get("weight"),
          in.get("root_weight"), dlcourse.graph.Aggregation.valueOf(s.get("aggregation").getAsString().toUpperCase(
              java.util.Locale.ROOT)), s.get("relu").getAsBoolean());
      case "gat" -> dlcourse.graph.GraphF.gat(in.get("x"), graph(s), in.get("weight"), in.get("att_src"),
          in.get("att_dst"), s.get("concat").getAsBoolean(), s.get("negative_slope").getAsDouble(),
          s.get("relu").getAsBoolean()).output();
      case "tanh_mlp_cross_entropy" -> F.crossEntropy(F.linear(F.tanh(F.linear(in.get("x"), in.get("wh"), in.get(
          "bh"))),
          in.get("wy"), in.get("by")), in.get("target"));
      case "additive_attention_weights" -> F.additiveAttentionWeights(in.get("keys"), in.get("query"), in.get(
          "weight"), in.get("bias"));
      default -> fail(name + ": fixture op '" + op + "' is unknown to TorchFixturesTest; teach run() this op");
    };
  }

  /** The directed graph of a graph fixture: {@code num_nodes} and {@code edges} as [source, target] pairs. */
  private static dlcourse.graph.Graph graph(JsonObject s) {
    JsonArray edges = s.getAsJsonArray("edges");
    int[][] e = new int[edges.size()][];
    for (int i = 0; i < e.length; i++) {
      e[i] = ints(edges.get(i).getAsJsonArray());
    }
    return dlcourse.graph.Graph.directed(s.get("num_nodes").getAsInt(), e);
  }

  /** The tensors flattened and concatenated: how the recurrent fixtures pack output and state into one output. */
  private static Tensor flatCat(Tensor... ts) {
    Tensor[] flat = new Tensor[ts.length];
    for (int i = 0; i < ts.length; i++) {
      flat[i] = ts[i].reshape(-1);
    }
    return Tensor.cat(0, flat);
  }

  static Stream<String> recurrentFixtures() throws Exception {
    return fixtures().filter(n -> List.of("lstm", "lstm_cell").contains(load(n).get("op").getAsString()));
  }

  /**
   * The recurrent fixtures through {@link LSTM} and {@link LSTMCell} built from the settings, converted to double,
   * with the fixture's weights loaded by {@code loadStateDict} under the documented keys (PyTorch's names in camel
   * case: {@code weight_ih_l0} is {@code weightIhL0}).
   */
  @ParameterizedTest(name = "{0} (layer)")
  @MethodSource("recurrentFixtures")
  void recurrentLayerMatchesPyTorch(String name) {
    JsonObject fx = load(name);
    JsonObject s = fx.getAsJsonObject("settings");
    Map<String, INDArray> in = new LinkedHashMap<>();
    for (JsonElement e : fx.getAsJsonArray("inputs")) {
      in.put(e.getAsJsonObject().get("name").getAsString(), doubles(e.getAsJsonObject()));
    }
    boolean cell = fx.get("op").getAsString().equals("lstm_cell");
    long size = in.get("x").size(-1);
    long hidden = s.get("hidden_size").getAsLong();
    boolean bias = s.get("bias").getAsBoolean();
    Module m = cell ? new LSTMCell(size, hidden).bias(bias)
        : new LSTM(size, hidden).numLayers(s.get("num_layers").getAsInt()).bias(bias)
            .batchFirst(s.get("batch_first").getAsBoolean());
    m.to(DataType.DOUBLE);
    Map<String, INDArray> state = new LinkedHashMap<>();
    Map<String, String> keyOf = new LinkedHashMap<>();
    for (var e : in.entrySet()) {
      if (e.getKey().startsWith("weight") || e.getKey().startsWith("bias")) {
        String key = camel(e.getKey());
        state.put(key, e.getValue());
        keyOf.put(e.getKey(), key);
      }
    }
    m.loadStateDict(state);
    Tensor x = Tensor.of(in.get("x")).requiresGrad(true);
    Tensor y;
    if (cell) {
      LSTMCell.State next = ((LSTMCell) m).forward(x, new LSTMCell.State(Tensor.of(in.get("h")), Tensor.of(in.get(
          "c"))));
      y = flatCat(next.h(), next.c());
    } else {
      LSTMCell.State h0 = in.containsKey("h0")
          ? new LSTMCell.State(Tensor.of(in.get("h0")), Tensor.of(in.get("c0"))) : null;
      LSTM.Output o = ((LSTM) m).forward(x, h0);
      y = flatCat(o.output(), o.state().h(), o.state().c());
    }
    compare(name + " layer output", fx.getAsJsonObject("output"), y.array());
    y.backward(Tensor.of(doubles(fx.getAsJsonObject("upstream"))));
    JsonObject grads = fx.getAsJsonObject("grads");
    compare(name + " layer d/dx", grads.getAsJsonObject("x"), x.grad().array());
    Map<String, Parameter> params = m.namedParameters();
    assertEquals(new java.util.HashSet<>(keyOf.values()), params.keySet(), name + ": parameter names");
    for (var e : keyOf.entrySet()) {
      compare(name + " layer d/d" + e.getValue(), grads.getAsJsonObject(e.getKey()),
          params.get(e.getValue()).grad().array());
    }
  }

  /** PyTorch's parameter name in the library's camel case: {@code weight_ih_l0} to {@code weightIhL0}. */
  private static String camel(String snake) {
    StringBuilder b = new StringBuilder();
    boolean up = false;
    for (char ch : snake.toCharArray()) {
      if (ch == '_') {
        up = true;
      } else {
        b.append(up ? Character.toUpperCase(ch) : ch);
        up = false;
      }
    }
    return b.toString();
  }

  /** Element-wise comparison with {@link #RTOL}; reports the worst element. */
  static void compare(String what, JsonObject expected, INDArray got) {
    long[] shape = longs(expected.getAsJsonArray("shape"));
    assertArrayEquals(shape, got.shape(), what + ": shape");
    double[] e = values(expected);
    double[] g = got.dup('c').castTo(DataType.DOUBLE).data().asDouble();
    assertEquals(e.length, g.length, what + ": size");
    double scale = 0;
    for (double v : e) {
      scale = Math.max(scale, Math.abs(v));
    }
    int worst = -1;
    double worstRatio = 0;
    for (int i = 0; i < e.length; i++) {
      double ref = Math.max(Math.abs(e[i]), 1e-3 * scale);
      double err = Math.abs(g[i] - e[i]);
      double ratio = ref == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : err / ref;
      if (!(ratio <= worstRatio) || Double.isNaN(g[i])) {
        worstRatio = Double.isNaN(g[i]) ? Double.POSITIVE_INFINITY : ratio;
        worst = i;
      }
    }
    if (worstRatio > RTOL) {
      fail(String.format("%s: element %d (flat, of %d) expected %.17g, got %.17g (relative error %.3g > %.0e)",
          what, worst, e.length, e[worst], g[worst], worstRatio, RTOL));
    }
  }

  static INDArray doubles(JsonObject o) {
    long[] shape = longs(o.getAsJsonArray("shape"));
    double[] v = values(o);
    return shape.length == 0 ? Nd4j.scalar(v[0]) : Nd4j.createFromArray(v).reshape('c', shape);
  }

  static INDArray bools(JsonObject o) {
    long[] shape = longs(o.getAsJsonArray("shape"));
    JsonArray a = o.getAsJsonArray("values");
    boolean[] v = new boolean[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).getAsBoolean();
    }
    return Nd4j.createFromArray(v).reshape('c', shape);
  }

  static INDArray longs(JsonObject o) {
    long[] shape = longs(o.getAsJsonArray("shape"));
    long[] v = longs(o.getAsJsonArray("values"));
    return Nd4j.createFromArray(v).reshape('c', shape);
  }

  private static double[] values(JsonObject o) {
    JsonArray a = o.getAsJsonArray("values");
    double[] v = new double[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).getAsDouble();
    }
    return v;
  }

  private static long[] longs(JsonArray a) {
    long[] v = new long[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).getAsLong();
    }
    return v;
  }

  private static int[] ints(JsonArray a) {
    int[] v = new int[a.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = a.get(i).getAsInt();
    }
    return v;
  }
}
