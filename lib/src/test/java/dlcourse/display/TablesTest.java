package dlcourse.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class TablesTest {
  private static Table table() {
    return Table.create("t", StringColumn.create("s"), IntColumn.create("i"), LongColumn.create("l"),
        DoubleColumn.create("d"), BooleanColumn.create("b"));
  }

  @Test
  void rowsGoToTheirColumnsAsTheColumnsTypesAndNullIsMissing() {
    Table t = Tables.addRow(table(), "a", 3, 4_000_000_000L, 2, true);
    Tables.addRow(t, 1.5, (short) 7, 5, 0.25f, null);
    Tables.addRow(t, null, null, null, null, false);
    assertEquals(3, t.rowCount());
    assertEquals("a", t.stringColumn("s").get(0));
    assertEquals("1.5", t.stringColumn("s").get(1)); // String.valueOf
    assertEquals(3, t.intColumn("i").getInt(0));
    assertEquals(7, t.intColumn("i").getInt(1));
    assertEquals(4_000_000_000L, t.longColumn("l").getLong(0));
    assertEquals(5L, t.longColumn("l").getLong(1));
    assertEquals(2.0, t.doubleColumn("d").getDouble(0));
    assertEquals(0.25, t.doubleColumn("d").getDouble(1));
    assertEquals(Boolean.TRUE, t.booleanColumn("b").get(0));
    assertTrue(t.booleanColumn("b").isMissing(1));
    for (String c : new String[] {"s", "i", "l", "d"}) {
      assertTrue(t.column(c).isMissing(2), c);
    }
    // the same table written column by column
    Table same = table();
    same.stringColumn(0).append("a").append("1.5").appendMissing();
    same.intColumn(1).append(3).append(7).appendMissing();
    same.longColumn(2).append(4_000_000_000L).append(5L).appendMissing();
    same.doubleColumn(3).append(2).append(0.25).appendMissing();
    same.booleanColumn(4).append(true).appendMissing().append(false);
    assertEquals(same.printAll(), t.printAll());
    assertEquals(same.write().toString("csv"), t.write().toString("csv"));
  }

  @Test
  void aValueThatDoesNotFitItsColumnIsRefusedAndLeavesNoPartialRow() {
    Table t = table();
    var e = assertThrows(IllegalArgumentException.class, () -> Tables.addRow(t, "a", 1.5, 1L, 1.0, true));
    assertTrue(e.getMessage().contains("column 'i' (INTEGER) cannot take Double 1.5"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Tables.addRow(t, "a", 1L << 40, 1L, 1.0, true));
    assertThrows(IllegalArgumentException.class, () -> Tables.addRow(t, "a", 1, 2.0, 1.0, true));
    assertThrows(IllegalArgumentException.class, () -> Tables.addRow(t, "a", 1, 1L, "x", true));
    assertThrows(IllegalArgumentException.class, () -> Tables.addRow(t, "a", 1, 1L, 1.0, "true"));
    assertEquals(0, t.rowCount());
    e = assertThrows(IllegalArgumentException.class, () -> Tables.addRow(t, "a", 1));
    assertEquals("addRow: table 't' has 5 columns, got 2 values", e.getMessage());
  }

  @Test
  void roundKeepsTheGivenDecimals() {
    assertEquals(0.12, Tables.round(0.1249, 2));
    assertEquals(98.77, Tables.round(98.765, 2));
    assertEquals(0.1235, Tables.round(0.12345678, 4));
    assertEquals(3.0, Tables.round(2.5, 0));
    assertThrows(IllegalArgumentException.class, () -> Tables.round(1, -1));
  }
}
