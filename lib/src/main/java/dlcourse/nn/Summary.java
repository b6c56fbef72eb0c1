package dlcourse.nn;

import dlcourse.tensor.Shapes;
import java.util.List;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The result of {@link Module#summary}: one row per layer call with its output shape and the parameters that layer
 * holds beyond its listed sub-layers, so the column adds up to the total; a last row {@code (own)} holds what no
 * layer row shows: the model's own tensors (a class token) and those of children it never called (an unused table).
 */
public final class Summary {
  private final Table table;
  private final long totalParameters;
  private final long[] inputShape;

  Summary(Module model, long[] inputShape, List<Object[]> trace) {
    this.inputShape = inputShape.clone();
    StringColumn layer = StringColumn.create("layer");
    StringColumn type = StringColumn.create("type");
    StringColumn shape = StringColumn.create("output shape");
    LongColumn params = LongColumn.create("parameters");
    java.util.Set<Module> traced = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (Object[] row : trace) {
      traced.add((Module) row[0]);
    }
    String modelShape = null;
    for (Object[] row : trace) { // module, output shape, path
      Module m = (Module) row[0];
      if (m == model) {
        modelShape = Shapes.str((long[]) row[1]);
        continue;
      }
      layer.append((String) row[2]);
      type.append(m.getClass().getSimpleName());
      shape.append(Shapes.str((long[]) row[1]));
      params.append(ownParameters(m, traced));
    }
    // Parameters of the model itself (a class token) or of children it uses without calling them as modules.
    long top = ownParameters(model, traced);
    if (top > 0) {
      layer.append("(own)");
      type.append(model.getClass().getSimpleName());
      shape.append(modelShape == null ? "" : modelShape);
      params.append(top);
    }
    this.table = Table.create(model.getClass().getSimpleName() + " summary", layer, type, shape, params);
    this.totalParameters = model.numParameters();
  }

  /**
   * A module's parameters that no row of its own children shows: its own tensors (attention's in-projection) and
   * those of children used without a module call (attention's out-projection), so the column adds up to the total.
   */
  private static long ownParameters(Module m, java.util.Set<Module> traced) {
    long n = m.numParameters();
    for (Module c : m.namedChildren().values()) {
      if (traced.contains(c)) {
        n -= c.numParameters();
      }
    }
    return n;
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
