package dlcourse.nn;

import dlcourse.util.Check;
import dlcourse.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A multi-layer long short-term memory network over whole sequences, like {@code torch.nn.LSTM}: each layer runs
 * the {@link LSTMCell} equations over the time steps, the first layer on the input, every other layer on the h of
 * the layer below. Per layer one GEMM projects all time steps' inputs at once; then each step costs one GEMM
 * {@code h W_hh^T} and one recorded gate operation.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code (T, B, inputSize)}, or {@code (B, T, inputSize)} with {@code batchFirst(true)}; state
 *       {@code (h0, c0)} each {@code (numLayers, B, hiddenSize)} (null: zeros)</li>
 *   <li>Output: {@code output (T, B, hiddenSize)} (or {@code (B, T, hiddenSize)}), the last layer's h at every
 *       step, and the final state {@code (h_n, c_n)} each {@code (numLayers, B, hiddenSize)}</li>
 *   <li>Layer k: {@code weightIhLk (4*hiddenSize, inputSize)} for k = 0, {@code (4*hiddenSize, hiddenSize)} above,
 *       {@code weightHhLk (4*hiddenSize, hiddenSize)}, {@code biasIhLk, biasHhLk (4*hiddenSize)}; gate order input,
 *       forget, cell, output; all U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)) as in PyTorch. State-dict keys are
 *       PyTorch's {@code weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...} in camel case.</li>
 * </ul>
 * Example: {@code var lstm = new LSTM(100, 256).numLayers(2).batchFirst(true); var out = lstm.forward(x, null);}
 */
public class LSTM extends Module {
  /** The result of {@link #forward(Tensor, LSTMCell.State)}: every step's output and the final state. */
  public record Output(Tensor output, LSTMCell.State state) {}

  private final long inputSize;
  private final long hiddenSize;
  private int numLayers = 1;
  private boolean bias = true;
  private boolean batchFirst;
  private double dropout;

  public LSTM(long inputSize, long hiddenSize) {
    this.inputSize = Check.positive(inputSize, "inputSize");
    this.hiddenSize = Check.positive(hiddenSize, "hiddenSize");
    build();
  }

  /** Number of stacked layers (default 1); rebuilds and re-initialises the parameters. */
  public LSTM numLayers(int numLayers) {
    this.numLayers = (int) Check.positive(numLayers, "numLayers");
    build();
    return this;
  }

  /** With {@code false}, no layer has biases (default true); rebuilds and re-initialises the parameters. */
  public LSTM bias(boolean bias) {
    this.bias = bias;
    build();
    return this;
  }

  /** Whether input and output are (B, T, *) rather than (T, B, *) (default false); the state stays (L, B, H). */
  public LSTM batchFirst(boolean batchFirst) {
    this.batchFirst = batchFirst;
    return this;
  }

  /** Dropout probability on the outputs of every layer but the last, in training (default 0). */
  public LSTM dropout(double p) {
    this.dropout = Check.probability(p, "dropout");
    return this;
  }

  private void build() {
    for (String name : new ArrayList<>(namedParameters().keySet())) {
      removeParameter(name);
    }
    for (int k = 0; k < numLayers; k++) {
      long in = k == 0 ? inputSize : hiddenSize;
      addParameter("weightIhL" + k, Nd4j.create(DataType.FLOAT, 4 * hiddenSize, in));
      addParameter("weightHhL" + k, Nd4j.create(DataType.FLOAT, 4 * hiddenSize, hiddenSize));
      if (bias) {
        addParameter("biasIhL" + k, Nd4j.create(DataType.FLOAT, 4 * hiddenSize));
        addParameter("biasHhL" + k, Nd4j.create(DataType.FLOAT, 4 * hiddenSize));
      }
    }
    resetParameters();
  }

  @Override
  public void resetParameters() {
    double b = 1 / Math.sqrt(hiddenSize);
    for (Parameter p : parameters()) {
      Init.uniform(p.data(), -b, b);
    }
  }

  /** Runs the layers over {@code x} from {@code state} (null: zeros). */
  public Output forward(Tensor x, LSTMCell.State state) {
    return F.lstm(x, state, weights().toArray(new Tensor[0]), numLayers, batchFirst, dropout, training());
  }

  /** The output of every step from a zero state; {@link #forward(Tensor, LSTMCell.State)} also gives the state. */
  @Override
  public Tensor forward(Tensor x) {
    return forward(x, null).output();
  }

  /** The parameters in PyTorch's flat order: per layer weightIh, weightHh, then biasIh, biasHh if any. */
  public List<Parameter> weights() {
    return new ArrayList<>(namedParameters().values());
  }

  /** Layer {@code k}'s input weight (4H, I or H). */
  public Parameter weightIh(int k) {
    return param("weightIhL", k);
  }

  public Parameter weightHh(int k) {
    return param("weightHhL", k);
  }

  /** Layer {@code k}'s input-side bias, or null without bias. */
  public Parameter biasIh(int k) {
    return bias ? param("biasIhL", k) : null;
  }

  public Parameter biasHh(int k) {
    return bias ? param("biasHhL", k) : null;
  }

  private Parameter param(String prefix, int k) {
    Check.index(k, numLayers, "layer");
    return namedParameters().get(prefix + k);
  }

  public long inputSize() {
    return inputSize;
  }

  public long hiddenSize() {
    return hiddenSize;
  }

  public int numLayers() {
    return numLayers;
  }

  public boolean bias() {
    return bias;
  }

  public boolean batchFirst() {
    return batchFirst;
  }

  public double dropout() {
    return dropout;
  }

  @Override
  protected String extraRepr() {
    return inputSize + ", " + hiddenSize + (numLayers != 1 ? ", numLayers=" + numLayers : "")
        + (bias ? "" : ", bias=false") + (batchFirst ? ", batchFirst=true" : "")
        + (dropout != 0 ? ", dropout=" + dropout : "");
  }
}
