package dlcourse.train;

import dlcourse.display.Rich;
import dlcourse.util.Check;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/**
 * Counts of (true class, predicted class) pairs, accumulated over batches.
 *
 * <pre>{@code
 * var cm = new ConfusionMatrix(10).classNames(FashionMnist.CLASSES);
 * for (var batch : testLoader) cm.add(model.forward(batch.x()), batch.y());
 * cm.toTable();   // rows: true class; columns: predicted class, then per-class accuracy
 * }</pre>
 */
public final class ConfusionMatrix implements Rich {
  private final int numClasses;
  private final long[][] counts;
  private List<String> names;

  /** An empty matrix for {@code numClasses} classes named "0", "1", .... */
  public ConfusionMatrix(int numClasses) {
    Check.positive(numClasses, "numClasses");
    this.numClasses = numClasses;
    this.counts = new long[numClasses][numClasses];
    this.names = new ArrayList<>();
    for (int i = 0; i < numClasses; i++) {
      names.add(Integer.toString(i));
    }
  }

  /** A matrix filled from one set of logits (or predictions) and labels. */
  public static ConfusionMatrix of(int numClasses, INDArray logitsOrPredictions, INDArray labels) {
    return new ConfusionMatrix(numClasses).add(logitsOrPredictions, labels);
  }

  /** Names the classes in the table, one name per class. */
  public ConfusionMatrix classNames(List<String> classNames) {
    if (classNames.size() != numClasses) {
      throw new IllegalArgumentException(
          "classNames has " + classNames.size() + " names for " + numClasses + " classes");
    }
    this.names = List.copyOf(classNames);
    return this;
  }

  public List<String> classNames() {
    return names;
  }

  public int numClasses() {
    return numClasses;
  }

  /**
   * Adds a batch.
   *
   * @param logitsOrPredictions logits {@code (N, C)} or predicted classes {@code (N)}
   * @param labels true classes {@code (N)}
   */
  public ConfusionMatrix add(INDArray logitsOrPredictions, INDArray labels) {
    long[] p = Metrics.toPredictions(logitsOrPredictions, labels).dup('c').data().asLong();
    long[] y = labels.castTo(DataType.LONG).dup('c').data().asLong();
    for (int i = 0; i < y.length; i++) {
      Metrics.checkLabel(y[i], numClasses);
      Metrics.checkLabel(p[i], numClasses);
    }
    for (int i = 0; i < y.length; i++) {
      counts[(int) y[i]][(int) p[i]]++;
    }
    return this;
  }

  /** The number of samples of class {@code trueClass} predicted as {@code predicted}. */
  public long count(int trueClass, int predicted) {
    return counts[trueClass][predicted];
  }

  /** A copy of the counts, indexed {@code [true][predicted]}. */
  public long[][] counts() {
    long[][] out = new long[numClasses][];
    for (int i = 0; i < numClasses; i++) {
      out[i] = counts[i].clone();
    }
    return out;
  }

  /** Number of samples added. */
  public long total() {
    long t = 0;
    for (long[] row : counts) {
      for (long c : row) {
        t += c;
      }
    }
    return t;
  }

  /** Overall accuracy: the diagonal over the total. */
  public double accuracy() {
    long diag = 0;
    for (int i = 0; i < numClasses; i++) {
      diag += counts[i][i];
    }
    return (double) diag / total();
  }

  /** For each true class, the fraction predicted correctly (recall); NaN for a class with no samples. */
  public double[] perClassAccuracy() {
    double[] out = new double[numClasses];
    for (int i = 0; i < numClasses; i++) {
      long row = 0;
      for (long c : counts[i]) {
        row += c;
      }
      out[i] = row == 0 ? Double.NaN : (double) counts[i][i] / row;
    }
    return out;
  }

  /**
   * The matrix as a table: a String column {@code true} with the class names, one long column per predicted class
   * (named by class), and a double column {@code accuracy} with the per-class accuracy.
   */
  public Table toTable() {
    Table t = Table.create("confusion matrix", StringColumn.create("true", names));
    for (int j = 0; j < numClasses; j++) {
      LongColumn c = LongColumn.create(names.get(j));
      for (int i = 0; i < numClasses; i++) {
        c.append(counts[i][j]);
      }
      t.addColumns(c);
    }
    DoubleColumn accuracy = DoubleColumn.create("accuracy", perClassAccuracy());
    // Printed (text/plain) with 3 decimals like the HTML; the values themselves stay exact.
    accuracy.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(3));
    t.addColumns(accuracy);
    return t;
  }

  @Override
  public Map<String, Object> mimeBundle() {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("text/plain", toTable().printAll());
    StringBuilder h = new StringBuilder("<table><thead><tr><th>true \\ predicted</th>");
    for (String n : names) {
      h.append("<th>").append(escape(n)).append("</th>");
    }
    h.append("<th>accuracy</th></tr></thead><tbody>");
    double[] acc = perClassAccuracy();
    for (int i = 0; i < numClasses; i++) {
      h.append("<tr><th>").append(escape(names.get(i))).append("</th>");
      for (int j = 0; j < numClasses; j++) {
        h.append(i == j ? "<td><b>" : "<td>").append(counts[i][j]).append(i == j ? "</b></td>" : "</td>");
      }
      h.append("<td>").append(Double.isNaN(acc[i]) ? "" : String.format(java.util.Locale.ROOT, "%.3f", acc[i]))
          .append("</td></tr>");
    }
    b.put("text/html", h.append("</tbody></table>").toString());
    return b;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  @Override
  public String toString() {
    return "ConfusionMatrix(" + numClasses + " classes, " + total() + " samples)";
  }
}
