package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.Map;

import javax.imageio.ImageIO;

import dlcourse.display.Rich;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.Table;

class RenderersTest {

  static final Renderer RENDERER = Renderers.create();

  private static BufferedImage decode(Object base64) throws Exception {
    return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode((String) base64)));
  }

  @Test
  void tableGivesHtmlAndText() {
    Table t = Table.create("scores", DoubleColumn.create("loss", new double[] {0.5, 0.25}));
    Map<String, Object> d = Renderers.data(RENDERER.render(t));
    assertTrue(((String) d.get("text/html")).contains("<th>loss</th><"), d.toString());
    assertTrue(((String) d.get("text/html")).contains("<td>0.25</td>"), d.toString());
    assertTrue(((String) d.get("text/plain")).contains("scores"), d.toString());
  }

  @Test
  void tableDoublesDisplayWithoutBinaryNoiseButKeepTheirValues() {
    // The first value is integral: Tablesaw prints it as "100", which must not pass for a format of the column's own.
    DoubleColumn acc = DoubleColumn.create("acc", new double[] {100, 89.60000000000001, 94.69999999999999,
      4.012345678912e-9});
    DoubleColumn formatted = DoubleColumn.create("pct", new double[] {0.123456, 0.5, 1, 0.25});
    formatted.setPrintFormatter(tech.tablesaw.columns.numbers.NumberColumnFormatter.percent(1));
    Table t = Table.create("runs", acc, formatted);
    Map<String, Object> d = Renderers.data(RENDERER.render(t));
    String html = (String) d.get("text/html");
    String text = (String) d.get("text/plain");
    for (String shown : new String[] {"100", "89.6", "94.7", "0.000000004012345679"}) {
      assertTrue(html.contains("<td>" + shown + "</td>"), html);
      assertTrue(text.contains(shown), text);
    }
    assertFalse(html.contains("89.60000000000001") || text.contains("94.69999999999999"), html + text);
    assertTrue(html.contains("<td>12.3%</td>"), "a column's own format wins: " + html);
    assertTrue(text.contains("runs"), text);
    assertEquals(89.60000000000001, t.doubleColumn("acc").getDouble(1), 0.0, "the table keeps the exact value");
  }

  @Test
  void chartGivesAPngOfItsSizeAndSvgWhenAsked() throws Exception {
    XYChart chart = new XYChartBuilder().width(300).height(200).title("c").build();
    chart.addSeries("s", new double[] {1, 2}, new double[] {3, 4});
    Map<String, Object> d = Renderers.data(RENDERER.render(chart));
    BufferedImage img = decode(d.get("image/png"));
    assertEquals(300, img.getWidth());
    assertEquals(200, img.getHeight());
    Map<String, Object> svg = Renderers.data(RENDERER.renderAs(chart, "image/svg+xml"));
    assertTrue(((String) svg.get("image/svg+xml")).contains("<svg"), svg.keySet().toString());
  }

  @Test
  void bufferedImageGivesPng() throws Exception {
    BufferedImage img = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);
    img.setRGB(1, 1, 0xff0000);
    BufferedImage back = decode(Renderers.data(RENDERER.render(img)).get("image/png"));
    assertEquals(0xff0000, back.getRGB(1, 1) & 0xffffff);
  }

  @Test
  void arrayTextIsNumpyLikeAndAbbreviated() {
    String small = (String) Renderers.data(RENDERER.render(Nd4j.createFromArray(new float[][] {{1, 2}, {3, 4.5f}})))
        .get("text/plain");
    assertEquals("array([[1., 2.],\n       [3., 4.5]], shape=(2, 2), dtype=FLOAT)", small);
    Map<String, Object> big = Renderers.data(RENDERER.render(Nd4j.arange(5000).castTo(DataType.LONG)));
    String text = (String) big.get("text/plain");
    assertTrue(text.startsWith("array([0, 1, 2, ..., 4997, 4998, 4999], shape=(5000,), dtype=LONG)"), text);
    Map<String, Object> matrix = Renderers.data(RENDERER.render(Nd4j.zeros(DataType.FLOAT, 30, 4)));
    assertTrue(((String) matrix.get("text/html")).contains("&vellip;"), matrix.toString());
  }

  @Test
  void richObjectsUseTheirOwnBundle() {
    Rich r = () -> Map.of("text/plain", "p", "text/markdown", "**m**");
    Map<String, Object> d = Renderers.data(RENDERER.render(r));
    assertEquals("p", d.get("text/plain"));
    assertEquals("**m**", d.get("text/markdown"));
  }
}
