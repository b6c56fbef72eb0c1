package dlcourse.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import dlcourse.train.History;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.internal.series.Series;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class PlotTest {

  /** A history in the long format: rows (run, phase, epoch, step, loss, accuracy). */
  static final class HistoryBuilder {
    final StringColumn run = StringColumn.create("run");
    final StringColumn phase = StringColumn.create("phase");
    final IntColumn epoch = IntColumn.create("epoch");
    final IntColumn step = IntColumn.create("step");
    final DoubleColumn loss = DoubleColumn.create("loss");
    final DoubleColumn accuracy = DoubleColumn.create("accuracy");

    HistoryBuilder row(String r, String p, int e, int s, double l, double a) {
      run.append(r);
      phase.append(p);
      epoch.append(e);
      step.append(s);
      loss.append(l);
      accuracy.append(a);
      return this;
    }

    Table table() {
      return Table.create("history", run, phase, epoch, step, loss, accuracy);
    }
  }

  /** Two runs, two epochs of two steps each; accuracy is missing on step rows and on a's epoch-2 val. */
  static Table twoRuns() {
    HistoryBuilder h = new HistoryBuilder();
    for (String r : List.of("a", "b")) {
      double o = r.equals("a") ? 0 : 10;
      int s = 0;
      for (int e = 1; e <= 2; e++) {
        h.row(r, "step", e, s, o + 100 + s, Double.NaN);
        s++;
        h.row(r, "step", e, s, o + 100 + s, Double.NaN);
        s++;
        h.row(r, "train", e, s, o + e, 0.5 + e / 10.0);
        boolean missing = r.equals("a") && e == 2;
        h.row(r, "val", e, s, o + e + 0.5, missing ? Double.NaN : 0.4 + e / 10.0);
      }
    }
    return h.table();
  }

  private static XYSeries series(XYChart chart, String name) {
    XYSeries s = chart.getSeries(name);
    assertTrue(s != null, "no series '" + name + "' in " + names(chart));
    return s;
  }

  private static List<String> names(Chart<?, ?> chart) {
    List<String> names = new ArrayList<>();
    for (Series s : chart.getSeriesCollection()) {
      names.add(s.getName());
    }
    return names;
  }

  private static List<String> visibleSeries(XYChart chart) {
    List<String> names = new ArrayList<>();
    for (XYSeries s : chart.getSeriesCollection()) {
      if (s.isShowInLegend()) {
        names.add(s.getName());
      }
    }
    return names;
  }

  @Test
  void curvesDrawOneSeriesPerRunAndPhaseAgainstEpoch() {
    XYChart chart = Plot.curves(twoRuns(), "loss");
    assertEquals(List.of("a train", "a val", "b train", "b val"), visibleSeries(chart));
    assertArrayEquals(new double[] {1, 2}, series(chart, "a train").getXData());
    assertArrayEquals(new double[] {1, 2}, series(chart, "a train").getYData());
    assertArrayEquals(new double[] {11.5, 12.5}, series(chart, "b val").getYData());
    assertEquals("epoch", chart.getXAxisTitle());
    assertEquals("loss", chart.getYAxisTitle());
    // Same colour per run, dashed val.
    assertEquals(series(chart, "b train").getLineColor(), series(chart, "b val").getLineColor());
    assertNotEquals(series(chart, "a train").getLineColor(), series(chart, "b train").getLineColor());
    assertNotEquals(series(chart, "a train").getLineStyle(), series(chart, "a val").getLineStyle());
  }

  @Test
  void curvesSkipMissingValuesAndNameSeriesByPhaseForOneRun() {
    HistoryBuilder h = new HistoryBuilder();
    h.row("a", "train", 1, 2, 1, 0.6).row("a", "val", 1, 2, 1.5, 0.5);
    h.row("a", "train", 2, 4, 2, 0.7).row("a", "val", 2, 4, 2.5, Double.NaN);
    Table a = h.table();
    XYChart chart = Plot.curves(a, "accuracy");
    assertEquals(List.of("train", "val"), visibleSeries(chart));
    assertArrayEquals(new double[] {1}, series(chart, "val").getXData());
    assertArrayEquals(new double[] {0.5}, series(chart, "val").getYData(), 1e-12);
  }

  @Test
  void curvesExplainMissingColumnsAndStepOnlyMetrics() {
    var e = assertThrows(IllegalArgumentException.class, () -> Plot.curves(twoRuns(), "acc"));
    assertTrue(e.getMessage().contains("no column 'acc'"), e.getMessage());
    assertTrue(e.getMessage().contains("accuracy"), "lists the columns: " + e.getMessage());

    HistoryBuilder h = new HistoryBuilder().row("r", "step", 1, 0, 1.0, Double.NaN);
    e = assertThrows(IllegalArgumentException.class, () -> Plot.curves(h.table(), "loss"));
    assertTrue(e.getMessage().contains("Plot.stepCurves"), e.getMessage());
  }

  @Test
  void curvesReadAHistoryObject() {
    History h = new History();
    h.log("train", 1, 10, Map.of("loss", 2.0)).log("val", 1, 10, Map.of("loss", 2.5));
    h.log("train", 2, 20, Map.of("loss", 1.0)).log("val", 2, 20, Map.of("loss", 1.5));
    XYChart chart = Plot.curves(h, "loss");
    assertEquals(List.of("train", "val"), visibleSeries(chart));
    assertArrayEquals(new double[] {2.5, 1.5}, series(chart, "val").getYData());
  }

  @Test
  void stepCurvesUseStepRowsWithOptionalSmoothing() {
    XYChart raw = Plot.stepCurves(twoRuns(), "loss");
    assertEquals(List.of("a", "b"), visibleSeries(raw));
    assertArrayEquals(new double[] {0, 1, 2, 3}, series(raw, "a").getXData());
    assertArrayEquals(new double[] {110, 111, 112, 113}, series(raw, "b").getYData());

    XYChart smooth = Plot.stepCurves(twoRuns(), "loss", 0.5);
    assertEquals(List.of("a", "b"), visibleSeries(smooth));
    assertArrayEquals(new double[] {100, 101, 102, 103}, series(smooth, "a (raw)").getYData());
    assertArrayEquals(
        Plot.ema(new double[] {100, 101, 102, 103}, 0.5), series(smooth, "a").getYData(), 1e-12);
    assertFalse(series(smooth, "a (raw)").isShowInLegend());

    var e =
        assertThrows(IllegalArgumentException.class, () -> Plot.stepCurves(twoRuns(), "loss", 1.0));
    assertTrue(e.getMessage().contains("smoothing must be in [0, 1), got 1.0"), e.getMessage());
  }

  @Test
  void emaIsDebiased() {
    // s1 = 0.5 / (1 - 0.5) = 1; s2 = 0.25 / 0.75 = 1/3; s3 = 0.125 / 0.875 = 1/7.
    assertArrayEquals(
        new double[] {1, 1.0 / 3, 1.0 / 7}, Plot.ema(new double[] {1, 0, 0}, 0.5), 1e-12);
    assertArrayEquals(new double[] {3, 4}, Plot.ema(new double[] {3, 4}, 0), 0);
  }

  @Test
  void barsCarryMeansAndErrorBars() {
    Table t =
        Table.create(
            "t",
            StringColumn.create("conv", "zeros", "reflect"),
            DoubleColumn.create("mean", 0.5, 0.9),
            DoubleColumn.create("std", 0.1, Double.NaN));
    CategoryChart chart = Plot.bars(t, "conv", "mean", "std");
    CategorySeries s = chart.getSeries("mean");
    assertEquals(List.of("zeros", "reflect"), new ArrayList<>(s.getXData()));
    assertArrayEquals(new double[] {0.5, 0.9}, s.getYData());
    assertArrayEquals(new double[] {0.1, 0.0}, s.getExtraValues(), "NaN std draws no bar");

    var e =
        assertThrows(IllegalArgumentException.class, () -> Plot.bars(t, "conv", "conv", null));
    assertTrue(e.getMessage().contains("column 'conv' must be numeric"), e.getMessage());
  }

  @Test
  void groupedBarsHaveOneSeriesPerGroupAlignedOnCategories() {
    Table t =
        Table.create(
            "t",
            StringColumn.create("conv", "zeros", "zeros", "reflect"),
            StringColumn.create("net", "Net1", "Net2", "Net1"),
            DoubleColumn.create("mean", 0.5, 0.6, 0.9),
            DoubleColumn.create("std", 0.01, 0.02, 0.03));
    CategoryChart chart = Plot.groupedBars(t, "conv", "net", "mean", "std");
    assertEquals(List.of("Net1", "Net2"), names(chart));
    CategorySeries net2 = chart.getSeries("Net2");
    assertEquals(List.of("zeros", "reflect"), new ArrayList<>(net2.getXData()));
    assertArrayEquals(new double[] {0.6, 0.0}, net2.getYData(), "missing pair is empty");
    assertArrayEquals(new double[] {0.01, 0.03}, chart.getSeries("Net1").getExtraValues());
  }

  @Test
  void linesShareXAndCheckLengths() {
    Map<String, double[]> m = new LinkedHashMap<>();
    m.put("train", new double[] {0.9, 0.8, 0.7});
    m.put("test", new double[] {0.5, 0.5, 0.6});
    XYChart chart = Plot.lines(new double[] {0, 45, 90}, m, "angle", "accuracy");
    assertEquals(List.of("train", "test"), visibleSeries(chart));
    assertArrayEquals(new double[] {0, 45, 90}, series(chart, "test").getXData());
    assertArrayEquals(new double[] {0.5, 0.5, 0.6}, series(chart, "test").getYData());
    m.put("bad", new double[] {1});
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> Plot.lines(new double[] {0, 45, 90}, m, "a", "b"));
    assertTrue(e.getMessage().contains("series 'bad' has 1 values but x has 3"), e.getMessage());
  }

  @Test
  void logLogHasLogarithmicAxesAndRejectsNonPositiveValues() {
    Map<String, double[]> m = new LinkedHashMap<>();
    m.put("backprop", new double[] {1e-4, 2e-4, 4e-4});
    m.put("finite differences", new double[] {1e-3, 4e-3, 1.6e-2});
    XYChart chart = Plot.logLog(new double[] {10, 20, 40}, m, "parameters", "seconds");
    assertTrue(chart.getStyler().isXAxisLogarithmic() && chart.getStyler().isYAxisLogarithmic());
    assertEquals(List.of("backprop", "finite differences"), visibleSeries(chart));
    assertArrayEquals(new double[] {1e-3, 4e-3, 1.6e-2}, series(chart, "finite differences").getYData());
    m.put("zero", new double[] {1, 0, 1});
    var e = assertThrows(IllegalArgumentException.class, () -> Plot.logLog(new double[] {10, 20, 40}, m, "a", "b"));
    assertEquals("a log-log chart needs positive values, series 'zero' has 0.0", e.getMessage());
    m.remove("zero");
    e = assertThrows(IllegalArgumentException.class, () -> Plot.logLog(new double[] {0, 20, 40}, m, "a", "b"));
    assertEquals("a log-log chart needs positive x values, got 0.0", e.getMessage());
  }

  @Test
  void lrPlotsAScheduleFunctionPerStep() {
    XYChart chart = Plot.lr(i -> 0.1 * Math.pow(0.5, i / 10), 30);
    XYSeries s = series(chart, "lr");
    assertEquals(30, s.getXData().length);
    assertEquals(29, s.getXData()[29]);
    assertEquals(0.025, s.getYData()[25], 1e-15);
    var e = assertThrows(IllegalArgumentException.class, () -> Plot.lr(i -> 1, 0));
    assertTrue(e.getMessage().contains("steps must be positive, got 0"), e.getMessage());
  }

  @Test
  void longStepAxesGetRoundTicksWithoutChangingTheData() {
    double[] lrs = new double[200];
    java.util.Arrays.fill(lrs, 0.1);
    XYChart chart = Plot.lr(lrs);
    // One hidden helper point sits between steps 0 and 1 and is not in the legend.
    XYSeries helper = series(chart, " ticks");
    assertArrayEquals(new double[] {0.5}, helper.getXData());
    assertFalse(helper.isShowInLegend());
    assertEquals(200, series(chart, "lr").getXData().length);
  }

  private static List<Path> leftovers(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
    }
  }

  @Test
  void savePngWritesADecodableImageAtomically(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sub/curves.png");
    Plot.savePng(Plot.curves(twoRuns(), "loss"), file);
    BufferedImage img = ImageIO.read(file.toFile());
    assertEquals(Plot.WIDTH, img.getWidth());
    assertEquals(Plot.HEIGHT, img.getHeight());
    long first = Files.size(file);
    Plot.savePng(Plot.curves(twoRuns(), "accuracy"), file);
    assertNotEquals(first, Files.size(file), "the second chart replaced the first");
    assertEquals(List.of(), leftovers(file.getParent()));
  }

  @Test
  void saveSvgWritesChartsAsVectorGraphics(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("curves.svg");
    Plot.saveSvg(Plot.curves(twoRuns(), "loss"), file);
    String svg = Files.readString(file, StandardCharsets.UTF_8);
    assertTrue(svg.contains("<svg"), svg.substring(0, Math.min(200, svg.length())));
    assertTrue(svg.contains("width=\"" + Plot.WIDTH + "px\""), "chart size");
    // Both runs' lines are vector paths in their palette colours (tab10 blue and orange).
    assertTrue(svg.contains("rgb(31,119,180)"), "run a's colour");
    assertTrue(svg.contains("rgb(255,127,14)"), "run b's colour");
    assertEquals(List.of(), leftovers(dir));
  }

  @Test
  void saveSvgOfRasterChartEmbedsTheRaster(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("heatmap.svg");
    Plot.saveSvg(Plot.heatmap(org.nd4j.linalg.factory.Nd4j.rand(4, 6)), file);
    String svg = Files.readString(file);
    assertTrue(svg.contains("<svg") && svg.contains("<image"), "raster embedded as an image");
  }

  @Test
  void confusionMatrixNamesItsAxesAndClassesAndColoursCountsOrFractions() {
    // true 0 0 0 0 1 1 2 2, predicted 0 0 0 1 1 2 2 2: rows (3,1,0), (0,1,1), (0,0,2)
    var cm = dlcourse.train.ConfusionMatrix.of(3, org.nd4j.linalg.factory.Nd4j.createFromArray(0L, 0, 0, 1, 1, 2, 2, 2),
        org.nd4j.linalg.factory.Nd4j.createFromArray(0L, 0, 0, 0, 1, 1, 2, 2)).classNames(List.of("cat", "dog",
            "bird"));
    RasterChart counts = Plot.confusionMatrix(cm);
    assertEquals("predicted", counts.getXAxisTitle());
    assertEquals("true", counts.getYAxisTitle());
    assertTrue(counts.getTitle().contains("8 samples, accuracy 0.750"), counts.getTitle());
    int top = Colormap.VIRIDIS.rgb(1.0);
    assertEquals(top, counts.raster().getRGB(0, 0) & 0xFFFFFF, "3 cats predicted cat is the largest count");
    assertEquals(Colormap.VIRIDIS.rgb(0.0), counts.raster().getRGB(0, 2) & 0xFFFFFF, "no bird predicted cat");
    RasterChart fractions = Plot.confusionMatrix(cm, true);
    assertEquals(top, fractions.raster().getRGB(2, 2) & 0xFFFFFF, "every bird is predicted bird: fraction 1");
    assertTrue((fractions.raster().getRGB(0, 0) & 0xFFFFFF) != top, "3 of 4 cats: 0.75, not the top of the scale");
    // Ticks sit at cell indices: columns 0, 1, 2 across, rows at -0, -1, -2 down (row 0 on top).
    var x = counts.getStyler().getxAxisTickLabelsFormattingFunction();
    var y = counts.getStyler().getyAxisTickLabelsFormattingFunction();
    assertEquals(List.of("cat", "dog", "bird"), List.of(x.apply(0.0), x.apply(1.0), x.apply(2.0)));
    assertEquals(List.of("cat", "dog", "bird"), List.of(y.apply(-0.0), y.apply(-1.0), y.apply(-2.0)));
  }

  @Test
  void chartsPrintWhatTheyAreAndHowToSaveThemNotAnObjectAddress() {
    String curves = Plot.curves(twoRuns(), "loss").toString();
    assertTrue(curves.startsWith("XYChart") && curves.contains("Plot.savePng(chart, Path.of(\"chart.png\"))"), curves);
    assertTrue(curves.contains("4 series [a train, a val, b train, b val]"), curves);
    String heat = Plot.heatmap(org.nd4j.linalg.factory.Nd4j.rand(2, 2)).toString();
    assertTrue(heat.startsWith("RasterChart") && heat.contains("0 series []"), "helper series are hidden: " + heat);
  }

  @Test
  void saveSvgEmbedsImagesAsPng(@TempDir Path dir) throws Exception {
    BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    img.setRGB(2, 1, 0x12AB34);
    Path file = dir.resolve("img.svg");
    Plot.saveSvg(img, file);
    String svg = Files.readString(file);
    assertTrue(svg.contains("<svg") && svg.contains("width=\"3\" height=\"2\""), svg);
    String b64 = svg.substring(svg.indexOf("base64,") + 7, svg.indexOf('"', svg.indexOf("base64,")));
    BufferedImage back = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b64)));
    assertEquals(0x12AB34, back.getRGB(2, 1) & 0xFFFFFF);
    Plot.savePng(img, dir.resolve("img.png"));
    assertEquals(0x12AB34, ImageIO.read(dir.resolve("img.png").toFile()).getRGB(2, 1) & 0xFFFFFF);
  }

  @Test
  void saveReportsTheFileItCannotWrite(@TempDir Path dir) throws Exception {
    Path blocker = dir.resolve("file");
    Files.writeString(blocker, "x");
    var e =
        assertThrows(
            java.io.UncheckedIOException.class,
            () -> Plot.savePng(new BufferedImage(1, 1, 1), blocker.resolve("a.png")));
    assertTrue(e.getMessage().contains("a.png"), e.getMessage());
  }

  @Test
  void ticksPrintIntegersPlainlyAndOthersWithThreeDigits() {
    assertEquals("0", ChartStyle.formatTick(-0.0));
    assertEquals("12", ChartStyle.formatTick(12.0));
    assertEquals("-3", ChartStyle.formatTick(-3.0));
    assertEquals("0.25", ChartStyle.formatTick(0.25));
    assertEquals("0.333", ChartStyle.formatTick(1.0 / 3));
    assertEquals("1.00e-05", ChartStyle.formatTick(1e-5));
  }
}
