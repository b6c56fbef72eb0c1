package dlcourse.nn;

import dlcourse.util.Check;
import dlcourse.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One step of a long short-term memory cell, like {@code torch.nn.LSTMCell}:
 * {@code i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four slices of x W_ih^T + b_ih + h W_hh^T + b_hh},
 * {@code c' = f * c + i * g}, {@code h' = o * tanh(c')}. Call it in a Java loop over time steps, e.g. a decoder that
 * feeds each step's prediction back in; {@link LSTM} runs whole sequences faster.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>Input: {@code x (B, inputSize)}, state {@code (h, c)} each {@code (B, hiddenSize)} (null: zeros)</li>
 *   <li>Output: the new state {@code (h', c')}, each {@code (B, hiddenSize)}</li>
 *   <li>weightIh: {@code (4*hiddenSize, inputSize)}, weightHh: {@code (4*hiddenSize, hiddenSize)}, biasIh and
 *       biasHh: {@code (4*hiddenSize)}; rows in gate order input, forget, cell, output; all
 *       U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)) as in PyTorch. State-dict keys {@code weightIh, weightHh,
 *       biasIh, biasHh} are PyTorch's {@code weight_ih, weight_hh, bias_ih, bias_hh}.</li>
 * </ul>
 * Example: {@code var cell = new LSTMCell(612, 256); var s = cell.forward(x, null); s = cell.forward(x2, s);}
 */
public class LSTMCell extends Module {
  /**
   * The state of an LSTM: hidden state {@code h} and cell state {@code c}, each (B, H) for a cell or
   * (numLayers, B, H) for {@link LSTM}.
   */
  public record State(Tensor h, Tensor c) {}

  private final long inputSize;
  private final long hiddenSize;
  private final Parameter weightIh;
  private final Parameter weightHh;
  private Parameter biasIh;
  private Parameter biasHh;

  public LSTMCell(long inputSize, long hiddenSize) {
    this.inputSize = Check.positive(inputSize, "inputSize");
    this.hiddenSize = Check.positive(hiddenSize, "hiddenSize");
    weightIh = addParameter("weightIh", Nd4j.create(DataType.FLOAT, 4 * hiddenSize, inputSize));
    weightHh = addParameter("weightHh", Nd4j.create(DataType.FLOAT, 4 * hiddenSize, hiddenSize));
    biasIh = addParameter("biasIh", Nd4j.create(DataType.FLOAT, 4 * hiddenSize));
    biasHh = addParameter("biasHh", Nd4j.create(DataType.FLOAT, 4 * hiddenSize));
    resetParameters();
  }

  /** With {@code false}, the cell has no biases (default true). */
  public LSTMCell bias(boolean enabled) {
    if (!enabled && biasIh != null) {
      biasIh = null;
      biasHh = null;
      removeParameter("biasIh");
      removeParameter("biasHh");
    }
    return this;
  }

  public boolean bias() {
    return biasIh != null;
  }

  @Override
  public void resetParameters() {
    double b = 1 / Math.sqrt(hiddenSize);
    for (Parameter p : parameters()) {
      Init.uniform(p.data(), -b, b);
    }
  }

  /** The new state from input {@code x} and the previous {@code state} (null: zeros). */
  public State forward(Tensor x, State state) {
    return F.lstmCell(x, state, weightIh, weightHh, biasIh, biasHh);
  }

  /** The new hidden state h' from a zero state; {@link #forward(Tensor, State)} gives h' and c'. */
  @Override
  public Tensor forward(Tensor x) {
    return forward(x, null).h();
  }

  public Parameter weightIh() {
    return weightIh;
  }

  public Parameter weightHh() {
    return weightHh;
  }

  /** The input-side bias, or null without bias. */
  public Parameter biasIh() {
    return biasIh;
  }

  /** The hidden-side bias, or null without bias. */
  public Parameter biasHh() {
    return biasHh;
  }

  public long inputSize() {
    return inputSize;
  }

  public long hiddenSize() {
    return hiddenSize;
  }

  @Override
  protected String extraRepr() {
    return inputSize + ", " + hiddenSize + (biasIh == null ? ", bias=false" : "");
  }
}
