package dlcourse.display;

import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.FloatColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.ShortColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Filling a Tablesaw table one row at a time, the way a notebook builds its result tables:
 *
 * <pre>{@code
 * Table t = Table.create("runs", StringColumn.create("run"), IntColumn.create("epochs"), DoubleColumn.create("acc %"));
 * Tables.addRow(t, "baseline", 10, 91.2);
 * Tables.addRow(t, "dropout", 10, null);   // null: a missing value
 * }</pre>
 */
public final class Tables {
  private Tables() {}

  /**
   * Appends one row: value {@code i} to column {@code i}, as that column's type. A number goes to any numeric column
   * it fits exactly (an integer column takes only whole numbers in its range; a floating-point column takes any), a
   * String column takes any value's {@code String.valueOf}, a Boolean column a Boolean, other columns what their
   * {@code appendObj} takes; {@code null} is a missing value.
   *
   * @return {@code table}, to add the next row
   * @throws IllegalArgumentException if the number of values is not the number of columns, or a value does not fit
   *         its column (the table is then left unchanged)
   */
  public static Table addRow(Table table, Object... values) {
    if (values.length != table.columnCount()) {
      throw new IllegalArgumentException("addRow: table '" + table.name() + "' has " + table.columnCount()
          + " columns, got " + values.length + " values");
    }
    for (int i = 0; i < values.length; i++) {
      check(table.column(i), values[i]); // all first, so that a bad value leaves no partial row
    }
    for (int i = 0; i < values.length; i++) {
      append(table.column(i), values[i]);
    }
    return table;
  }

  /** {@code v} rounded to {@code digits} decimals (half up), for a table cell that shows what it stores. */
  public static double round(double v, int digits) {
    if (digits < 0 || digits > 15) {
      throw new IllegalArgumentException("round: digits must be in 0..15, got " + digits);
    }
    double scale = Math.pow(10, digits);
    return Math.round(v * scale) / scale;
  }

  private static void check(Column<?> c, Object v) {
    if (v == null || c instanceof StringColumn) {
      return;
    }
    boolean integral = v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte;
    boolean fits;
    if (c instanceof DoubleColumn || c instanceof FloatColumn) {
      fits = v instanceof Number;
    } else if (c instanceof LongColumn) {
      fits = integral;
    } else if (c instanceof IntColumn) {
      fits = integral && ((Number) v).longValue() == ((Number) v).intValue();
    } else if (c instanceof ShortColumn) {
      fits = integral && ((Number) v).longValue() == ((Number) v).shortValue();
    } else if (c instanceof BooleanColumn) {
      fits = v instanceof Boolean;
    } else {
      return; // appendObj decides
    }
    if (!fits) {
      throw new IllegalArgumentException("addRow: column '" + c.name() + "' (" + c.type() + ") cannot take "
          + v.getClass().getSimpleName() + " " + v);
    }
  }

  private static void append(Column<?> c, Object v) {
    if (v == null) {
      c.appendMissing();
    } else if (c instanceof StringColumn s) {
      s.append(String.valueOf(v));
    } else if (c instanceof DoubleColumn d) {
      d.append(((Number) v).doubleValue());
    } else if (c instanceof FloatColumn f) {
      f.append(((Number) v).floatValue());
    } else if (c instanceof LongColumn l) {
      l.append(((Number) v).longValue());
    } else if (c instanceof IntColumn n) {
      n.append(((Number) v).intValue());
    } else if (c instanceof ShortColumn s) {
      s.append(((Number) v).shortValue());
    } else if (c instanceof BooleanColumn b) {
      b.append((Boolean) v);
    } else {
      c.appendObj(v);
    }
  }
}
