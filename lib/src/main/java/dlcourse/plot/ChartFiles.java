package dlcourse.plot;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import dlcourse.io.AtomicFiles;

/** PNG and SVG writers behind {@link Plot}, and the text a chart prints as. */
final class ChartFiles {
  private ChartFiles() {}

  /**
   * What a chart is and how to see it, for places that print it as text (JShell, a log): a notebook shows the chart
   * itself, elsewhere it must be saved.
   */
  static String describe(Chart<?, ?> chart) {
    List<String> series = chart.getSeriesCollection().stream().map(x -> x.getName())
        .filter(n -> !n.startsWith(" ")).toList(); // names starting with a space are the hidden helper series
    String title = chart.getTitle() == null || chart.getTitle().isBlank() ? "" : " \"" + chart.getTitle() + "\"";
    return String.format(Locale.ROOT, "%s%s, %d x %d px, %d series %s: a notebook shows it as an image; elsewhere"
        + " save it with Plot.savePng(chart, Path.of(\"chart.png\")) or Plot.saveSvg(chart, Path.of(\"chart.svg\"))",
        chart instanceof RasterChart ? "RasterChart" : chart instanceof CategoryChart ? "CategoryChart" : "XYChart",
        title, chart.getWidth(), chart.getHeight(), series.size(), series);
  }

  static void savePng(Chart<?, ?> chart, Path file) {
    writeAtomically(file, os -> BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG));
  }

  static void savePng(BufferedImage image, Path file) {
    writeAtomically(file, os -> ImageIO.write(image, "png", os));
  }

  static void saveSvg(Chart<?, ?> chart, Path file) {
    writeAtomically(
        file,
        os -> VectorGraphicsEncoder.saveVectorGraphic(
            chart, os, VectorGraphicsEncoder.VectorGraphicsFormat.SVG));
  }

  static void saveSvg(BufferedImage image, Path file) {
    writeAtomically(file, os -> os.write(svgOf(image).getBytes(StandardCharsets.UTF_8)));
  }

  static String svgOf(BufferedImage image) {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int w = image.getWidth();
    int h = image.getHeight();
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\""
        + " width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\">\n"
        + "<image width=\"" + w + "\" height=\"" + h + "\" style=\"image-rendering:pixelated\""
        + " xlink:href=\"data:image/png;base64,"
        + Base64.getEncoder().encodeToString(png.toByteArray())
        + "\"/>\n</svg>\n";
  }

  static void writeAtomically(Path file, AtomicFiles.Body body) {
    if (file == null) {
      throw new IllegalArgumentException("file is null");
    }
    try {
      AtomicFiles.write(file, body);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
