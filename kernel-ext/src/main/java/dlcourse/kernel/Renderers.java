package dlcourse.kernel;

import java.awt.image.RenderedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.imageio.ImageIO;

import dlcourse.display.Rich;
import org.dflib.jjava.jupyter.Extension;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.nd4j.linalg.api.ndarray.INDArray;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/**
 * Registers the course's renderers with jjava's {@link Renderer}: tables, charts, images, arrays, {@link Rich}.
 *
 * <p>Loaded by jjava through {@link java.util.ServiceLoader} at start-up and whenever the class path grows;
 * the runner calls {@link #register(Renderer)} directly.
 */
public final class Renderers implements Extension {

  /** Rows shown in a table's HTML before it is cut. */
  static final int TABLE_ROWS = 50;

  @Override
  public void install(BaseKernel kernel) {
    register(kernel.getRenderer());
  }

  /** Returns a renderer with jjava's defaults and every course renderer registered. */
  public static Renderer create() {
    Renderer r = new Renderer();
    org.dflib.jjava.jupyter.kernel.display.common.Text.registerAll(r);
    register(r);
    return r;
  }

  /** Registers the course renderers with {@code r}. */
  public static void register(Renderer r) {
    r.createRegistration(Table.class)
        .preferring(MIMEType.TEXT_HTML, MIMEType.TEXT_PLAIN)
        .register((t, ctx) -> {
          ctx.renderIfRequested(MIMEType.TEXT_PLAIN, () -> forDisplay(t).print(TABLE_ROWS));
          ctx.renderIfRequested(MIMEType.TEXT_HTML, () -> tableHtml(forDisplay(t)));
        });
    r.createRegistration(Chart.class)
        .preferring(MIMEType.IMAGE_PNG, MIMEType.TEXT_PLAIN)
        .supporting(MIMEType.IMAGE_SVG)
        .register((c, ctx) -> {
          ctx.renderIfRequested(MIMEType.IMAGE_PNG, () -> png(BitmapEncoder.getBufferedImage(c)));
          ctx.renderIfRequested(MIMEType.IMAGE_SVG, () -> svg(c));
          ctx.renderIfRequested(MIMEType.TEXT_PLAIN, () -> chartText(c));
        });
    r.createRegistration(RenderedImage.class)
        .preferring(MIMEType.IMAGE_PNG, MIMEType.TEXT_PLAIN)
        .register((img, ctx) -> {
          ctx.renderIfRequested(MIMEType.IMAGE_PNG, () -> png(img));
          ctx.renderIfRequested(MIMEType.TEXT_PLAIN,
              () -> img.getClass().getSimpleName() + " " + img.getWidth() + "x" + img.getHeight());
        });
    r.createRegistration(INDArray.class)
        .preferring(MIMEType.TEXT_PLAIN, MIMEType.TEXT_HTML)
        .register((a, ctx) -> {
          ctx.renderIfRequested(MIMEType.TEXT_PLAIN, () -> ArrayFormat.text(a));
          if (a.rank() == 2 && !a.isEmpty()) {
            ctx.renderIfRequested(MIMEType.TEXT_HTML, () -> ArrayFormat.html(a));
          }
        });
    r.createRegistration(Rich.class)
        .preferring(MIMEType.ANY)
        .register((rich, ctx) -> {
          Map<String, Object> bundle = rich.mimeBundle();
          if (bundle == null) {
            return;
          }
          bundle.forEach((mime, value) -> {
            if (value != null) {
              ctx.getOutputContainer().putData(mime, value);
            }
          });
        });
  }

  static String chartText(Chart<?, ?> c) {
    String title = c.getTitle();
    return c.getClass().getSimpleName() + (title == null || title.isEmpty() ? "" : " '" + title + "'")
        + " " + c.getWidth() + "x" + c.getHeight();
  }

  /** Returns the base64 PNG of {@code img}, as Jupyter expects it. */
  static String png(RenderedImage img) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException("could not encode the image as PNG", e);
    }
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  static String svg(Chart<?, ?> c) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      VectorGraphicsEncoder.saveVectorGraphic(c, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    } catch (IOException e) {
      throw new UncheckedIOException("could not encode the chart as SVG", e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Doubles rounded to 10 significant digits for display, in Tablesaw's own style (89.60000000000001 -> 89.6,
   * 97.89999999999999 -> 97.9, 100 stays 100): the binary noise of the last digits helps nobody reading a results
   * table. The table itself (and every CSV written from it) keeps the exact values.
   */
  static String displayDouble(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) {
      return TABLESAW_DOUBLE.format(v);
    }
    return TABLESAW_DOUBLE.format(new java.math.BigDecimal(v).round(new java.math.MathContext(10)).doubleValue());
  }

  /** How Tablesaw prints a double column nobody has given a format. */
  private static final NumberColumnFormatter TABLESAW_DOUBLE = NumberColumnFormatter.floatingPointDefault();

  static {
    TABLESAW_DOUBLE.setColumnType(ColumnType.DOUBLE);
  }

  /** A copy of {@code t} whose double columns print with {@link #displayDouble}, unless their owner set a format. */
  static Table forDisplay(Table t) {
    if (t.columns().stream().noneMatch(c -> c instanceof DoubleColumn d && hasDefaultFormat(d))) {
      return t;
    }
    Table copy = t.copy();
    copy.setName(t.name());
    for (tech.tablesaw.columns.Column<?> c : copy.columns()) {
      if (c instanceof DoubleColumn d && hasDefaultFormat(d)) {
        NumberColumnFormatter rounded = new NumberColumnFormatter() {
          @Override
          public String format(double value) {
            return displayDouble(value);
          }
        };
        rounded.setColumnType(ColumnType.DOUBLE);
        d.setPrintFormatter(rounded);
      }
    }
    return copy;
  }

  /** True when the column prints its first value as Tablesaw's default format does (no format of its own). */
  private static boolean hasDefaultFormat(DoubleColumn d) {
    for (int r = 0; r < d.size(); r++) {
      if (!d.isMissing(r)) {
        return d.getString(r).equals(TABLESAW_DOUBLE.format(d.getDouble(r)));
      }
    }
    return false; // nothing to round
  }

  static String tableHtml(Table t) {
    StringBuilder sb = new StringBuilder("<table class=\"dlcourse-table\">");
    if (t.name() != null && !t.name().isEmpty()) {
      sb.append("<caption>").append(escape(t.name())).append("</caption>");
    }
    sb.append("<thead><tr>");
    for (String name : t.columnNames()) {
      sb.append("<th>").append(escape(name)).append("</th>");
    }
    sb.append("</tr></thead><tbody>");
    int rows = t.rowCount();
    int shown = Math.min(rows, TABLE_ROWS);
    for (int r = 0; r < shown; r++) {
      sb.append("<tr>");
      for (int c = 0; c < t.columnCount(); c++) {
        sb.append("<td>").append(escape(t.column(c).getString(r))).append("</td>");
      }
      sb.append("</tr>");
    }
    sb.append("</tbody></table>");
    if (rows > shown) {
      sb.append("<p>").append(rows - shown).append(" more rows (").append(rows).append(" in all)</p>");
    }
    return sb.toString();
  }

  static String escape(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static final Field DATA;
  private static final Field METADATA;

  static {
    try {
      DATA = DisplayData.class.getDeclaredField("data");
      DATA.setAccessible(true);
      METADATA = DisplayData.class.getDeclaredField("metadata");
      METADATA.setAccessible(true);
    } catch (NoSuchFieldException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Returns the MIME bundle of {@code d} (jjava keeps it private). */
  @SuppressWarnings("unchecked")
  static Map<String, Object> data(DisplayData d) {
    try {
      Map<String, Object> m = (Map<String, Object>) DATA.get(d);
      return m == null ? Map.of() : new LinkedHashMap<>(m);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Returns the metadata of {@code d}. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> metadata(DisplayData d) {
    try {
      Map<String, Object> m = (Map<String, Object>) METADATA.get(d);
      return m == null ? Map.of() : new LinkedHashMap<>(m);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

}
