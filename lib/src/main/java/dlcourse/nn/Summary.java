package dlcourse.nn;

import dlcourse.nn.internal.Graph;
import dlcourse.tensor.Shapes;
import java.util.List;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/** The result of {@link Module#summary}: one row per layer call with its output shape and parameter count. */
public final class Summary {
  private final Table table;
  private final long totalParameters;
  private final long[] inputShape;

  Summary(Module model, long[] inputShape, List<Graph.TraceRow> trace) {
    this.inputShape = inputShape.clone();
    StringColumn layer = StringColumn.create("layer");
    StringColumn type = StringColumn.create("type");
    StringColumn shape = StringColumn.create("output shape");
    LongColumn params = LongColumn.create("parameters");
    for (Graph.TraceRow row : trace) {
      if (row.module() == model) {
        continue;
      }
      layer.append(row.path());
      type.append(row.module().getClass().getSimpleName());
      shape.append(Shapes.str(row.outputShape()));
      // Only the module's own parameters, so containers don't double count their children.
      params.append(row.module().namedChildren().isEmpty() ? row.module().numParameters() : 0);
    }
    this.table = Table.create(model.getClass().getSimpleName() + " summary", layer, type, shape, params);
    this.totalParameters = model.numParameters();
  }

  public Table table() {
    return table;
  }

  /** Trainable scalars of the whole model. */
  public long totalParameters() {
    return totalParameters;
  }

  /** Output shapes in call order, as strings like {@code (1, 32, 16, 16)}. */
  public List<String> outputShapes() {
    return table.stringColumn("output shape").asList();
  }

  @Override
  public String toString() {
    return table.printAll() + "\nInput " + Shapes.str(inputShape) + ", total trainable parameters: "
        + String.format("%,d", totalParameters);
  }
}
