package dlcourse.plot;

import dlcourse.util.Check;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Point;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Lays out a batch of images in a grid with optional captions, as one {@link BufferedImage}.
 *
 * <p>Images are upscaled by an integer factor (nearest neighbour, so pixels stay sharp); by default the
 * factor makes each tile at least 84 pixels high, which makes 28x28 digits readable. Captions go under
 * their tile, each in its own colour; a caption wider than its tile is broken at {@code " / "} (and
 * always at newlines). Example:
 *
 * <pre>{@code
 * BufferedImage img = ImageGrid.of(batch.features())          // (N, 1, 28, 28)
 *     .columns(8)
 *     .predictions(batch.labels(), predicted, classNames)      // "7 / pred 1" in red when wrong
 *     .image();
 * }</pre>
 */
public final class ImageGrid {
  /** How pixel values are mapped to [0, 1] before drawing. */
  public enum Normalize {
    /** Values are used as they are and clipped to [0, 1]. */
    NONE,
    /** Each image is stretched so its own minimum is black and its maximum white. */
    IMAGE,
    /** All images share one stretch, from the batch minimum to the batch maximum. */
    ALL
  }

  static final Color WRONG = new Color(0xD62728);
  private static final int MIN_TILE = 84;
  private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  private final float[] data;
  private final int n;
  private final int channels;
  private final int height;
  private final int width;
  private int columns;
  private int scale;
  private int gap = 4;
  private Normalize normalize;
  private List<String> captions;
  private List<Color> captionColors;
  private float[] overlay;
  private int overlayH;
  private int overlayW;

  private ImageGrid(float[] data, int n, int channels, int height, int width) {
    this.data = data;
    this.n = n;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.columns = Math.min(n, 8);
  }

  /**
   * Starts a grid of {@code images}.
   *
   * @param images shape {@code (N, C, H, W)} with C = 1 (gray) or 3 (RGB), or {@code (N, H, W)} or
   *     {@code (H, W)} for gray images
   * @throws IllegalArgumentException if the shape is not one of these or N is 0
   */
  public static ImageGrid of(INDArray images) {
    if (images == null) {
      throw new IllegalArgumentException("images is null");
    }
    long[] s = images.shape();
    long[] nchw;
    if (s.length == 4) {
      nchw = s;
    } else if (s.length == 3) {
      nchw = new long[] {s[0], 1, s[1], s[2]};
    } else if (s.length == 2) {
      nchw = new long[] {1, 1, s[0], s[1]};
    } else {
      throw new IllegalArgumentException(
          "images must have shape (N, C, H, W), (N, H, W) or (H, W), got " + Arrays.toString(s));
    }
    if (nchw[1] != 1 && nchw[1] != 3) {
      throw new IllegalArgumentException(
          "images must have 1 or 3 channels (dimension 1 of NCHW), got shape " + Arrays.toString(s));
    }
    if (nchw[0] == 0 || nchw[2] == 0 || nchw[3] == 0) {
      throw new IllegalArgumentException("images is empty: shape " + Arrays.toString(s));
    }
    return new ImageGrid(
        ChartStyle.toFloats(images), (int) nchw[0], (int) nchw[1], (int) nchw[2], (int) nchw[3]);
  }

  /** Creates a grid from raw NCHW values, for callers that already hold a float array. */
  static ImageGrid of(float[] data, int n, int channels, int height, int width) {
    return new ImageGrid(data, n, channels, height, width);
  }

  /** Sets the number of tiles per row; default min(N, 8). */
  public ImageGrid columns(int columns) {
    Check.positive(columns, "columns");
    this.columns = columns;
    return this;
  }

  /** Returns the number of tiles per row. */
  public int columns() {
    return columns;
  }

  /** Sets the integer upscaling factor; 0 (default) picks the smallest giving tiles at least 84 px high. */
  public ImageGrid scale(int scale) {
    Check.nonNegative(scale, "scale");
    this.scale = scale;
    return this;
  }

  /** Returns the upscaling factor that {@link #image()} uses. */
  public int scale() {
    return scale > 0 ? scale : Math.max(1, (MIN_TILE + height - 1) / height);
  }

  /** Sets the gap between tiles, in pixels; default 4. */
  public ImageGrid gap(int gap) {
    Check.nonNegative(gap, "gap");
    this.gap = gap;
    return this;
  }

  /**
   * Sets how values are mapped to [0, 1]. By default values already in [0, 1] are drawn as they are
   * ({@link Normalize#NONE}) and anything else (standardised images) uses {@link Normalize#IMAGE}.
   */
  public ImageGrid normalize(Normalize normalize) {
    this.normalize = normalize;
    return this;
  }

  /**
   * Draws a coarse map over each image, such as attention weights over a grid of regions: each map cell covers
   * its block of the image (nearest neighbour), is scaled by the tile's largest value and blended (45%) with the
   * image in {@link Colormap#VIRIDIS}, so the most weighted regions are yellow and the least dark purple. Null
   * removes the maps.
   *
   * @param maps non-negative {@code (N, h, w)}, or {@code (N, R)} with R a square number (regions row by row)
   * @throws IllegalArgumentException if there is not one map per image or the shape is neither
   */
  public ImageGrid overlay(INDArray maps) {
    if (maps == null) {
      overlay = null;
      return this;
    }
    long[] s = maps.shape();
    int side = s.length == 2 ? (int) Math.round(Math.sqrt(s[1])) : -1;
    if (!(s.length == 3 || (s.length == 2 && (long) side * side == s[1])) || s[0] != n) {
      throw new IllegalArgumentException("overlay needs (N, h, w) or (N, R) with R square and N = " + n
          + " maps, got shape " + Arrays.toString(s));
    }
    overlayH = s.length == 3 ? (int) s[1] : side;
    overlayW = s.length == 3 ? (int) s[2] : side;
    overlay = ChartStyle.toFloats(maps.castTo(DataType.FLOAT));
    return this;
  }

  /**
   * Sets one caption per image, drawn in black under its tile; null removes them.
   *
   * @throws IllegalArgumentException if the list size differs from the number of images
   */
  public ImageGrid captions(List<String> captions) {
    if (captions == null) {
      this.captions = null;
      this.captionColors = null;
      return this;
    }
    if (captions.size() != n) {
      throw new IllegalArgumentException(
          "captions has " + captions.size() + " entries but there are " + n + " images");
    }
    this.captions = new ArrayList<>(captions);
    this.captionColors = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      captionColors.add(Color.BLACK);
    }
    return this;
  }

  /**
   * Captions each image with its label and prediction ({@code "7 / pred 1"}), in red when they differ.
   *
   * @param labels true classes, shape (N), integer values
   * @param predicted predicted classes, shape (N)
   * @param classNames names indexed by class, or null to print the class numbers
   */
  public ImageGrid predictions(INDArray labels, INDArray predicted, List<String> classNames) {
    if (labels == null || predicted == null) {
      throw new IllegalArgumentException("labels and predicted must not be null");
    }
    return predictions(
        labels.castTo(DataType.LONG).reshape(labels.length()).toLongVector(),
        predicted.castTo(DataType.LONG).reshape(predicted.length()).toLongVector(),
        classNames);
  }

  /** Like {@link #predictions(INDArray, INDArray, List)} with Java arrays. */
  public ImageGrid predictions(long[] labels, long[] predicted, List<String> classNames) {
    if (labels.length != n || predicted.length != n) {
      throw new IllegalArgumentException(
          "labels ("
              + labels.length
              + ") and predicted ("
              + predicted.length
              + ") must have one entry per image ("
              + n
              + ")");
    }
    List<String> text = new ArrayList<>();
    List<Color> colors = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      text.add(className(labels[i], classNames) + " / pred " + className(predicted[i], classNames));
      colors.add(labels[i] == predicted[i] ? Color.BLACK : WRONG);
    }
    this.captions = text;
    this.captionColors = colors;
    return this;
  }

  private static String className(long c, List<String> names) {
    if (names == null) {
      return Long.toString(c);
    }
    if (c < 0 || c >= names.size()) {
      throw new IllegalArgumentException(
          "class " + c + " has no name: classNames has " + names.size() + " entries");
    }
    return names.get((int) c);
  }

  /**
   * Returns the top-left pixel of tile {@code index} in {@link #image()}.
   *
   * @throws IndexOutOfBoundsException if {@code index} is not in [0, N)
   */
  public Point tileOrigin(int index) {
    if (index < 0 || index >= n) {
      throw new IndexOutOfBoundsException("tile index " + index + " not in [0, " + n + ")");
    }
    return origin(index, layout());
  }

  private Point origin(int index, Layout l) {
    int row = index / columns;
    int col = index % columns;
    return new Point(
        gap + col * (l.cellW + gap) + (l.cellW - l.tileW) / 2, gap + row * (l.cellH + gap));
  }

  private record Layout(
      int tileW, int tileH, int cellW, int cellH, List<List<String>> lines, FontMetrics fm) {}

  private Layout layout() {
    int s = scale();
    int tileW = width * s;
    int tileH = height * s;
    BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = scratch.createGraphics();
    g.setFont(FONT);
    FontMetrics fm = g.getFontMetrics();
    g.dispose();
    int cellW = tileW;
    int captionH = 0;
    List<List<String>> lines = new ArrayList<>();
    if (captions != null) {
      int maxLines = 1;
      for (String c : captions) {
        List<String> ls = captionLines(c == null ? "" : c, tileW, fm);
        lines.add(ls);
        maxLines = Math.max(maxLines, ls.size());
        for (String line : ls) {
          cellW = Math.max(cellW, fm.stringWidth(line) + 4);
        }
      }
      captionH = maxLines * fm.getHeight() + 2;
    }
    return new Layout(tileW, tileH, cellW, tileH + captionH, lines, fm);
  }

  /** Splits a caption at newlines, and at " / " when it is wider than the tile, so grids stay narrow. */
  private static List<String> captionLines(String c, int tileW, FontMetrics fm) {
    List<String> out = new ArrayList<>();
    for (String line : c.split("\n", -1)) {
      int cut = line.indexOf(" / ");
      if (fm.stringWidth(line) + 4 > tileW && cut > 0) {
        out.add(line.substring(0, cut));
        out.add(line.substring(cut + 3));
      } else {
        out.add(line);
      }
    }
    return out;
  }

  /** Renders the grid: white background, tiles left to right and top to bottom. */
  public BufferedImage image() {
    Layout l = layout();
    int rows = (n + columns - 1) / columns;
    int cols = Math.min(columns, n);
    int w = gap + cols * (l.cellW + gap);
    int h = gap + rows * (l.cellH + gap);
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    float[] v = normalized();
    int s = scale();
    int plane = height * width;
    for (int i = 0; i < n; i++) {
      Point o = origin(i, l);
      int base = i * channels * plane;
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int p = base + y * width + x;
          int r = toByte(v[p]);
          int gg = channels == 3 ? toByte(v[p + plane]) : r;
          int b = channels == 3 ? toByte(v[p + 2 * plane]) : r;
          int rgb = (r << 16) | (gg << 8) | b;
          if (overlay != null) {
            rgb = blend(rgb, i, y, x);
          }
          for (int dy = 0; dy < s; dy++) {
            for (int dx = 0; dx < s; dx++) {
              out.setRGB(o.x + x * s + dx, o.y + y * s + dy, rgb);
            }
          }
        }
      }
    }
    if (captions != null) {
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(FONT);
      for (int i = 0; i < n; i++) {
        Point o = origin(i, l);
        int cy = o.y + l.tileH + 1 + l.fm.getAscent();
        g.setColor(captionColors.get(i));
        for (String line : l.lines.get(i)) {
          g.drawString(line, o.x + l.tileW / 2 - l.fm.stringWidth(line) / 2, cy);
          cy += l.fm.getHeight();
        }
      }
    }
    g.dispose();
    return out;
  }

  /** The pixel {@code rgb} at (y, x) of tile i with 45% of the overlay's colour there. */
  private int blend(int rgb, int i, int y, int x) {
    int per = overlayH * overlayW;
    float max = 0;
    for (int k = 0; k < per; k++) {
      max = Math.max(max, overlay[i * per + k]);
    }
    float v = overlay[i * per + (y * overlayH / height) * overlayW + x * overlayW / width];
    int c = Colormap.VIRIDIS.rgb(max > 0 ? v / max : 0);
    double a = 0.45;
    int r = (int) Math.round((1 - a) * ((rgb >> 16) & 0xFF) + a * ((c >> 16) & 0xFF));
    int g = (int) Math.round((1 - a) * ((rgb >> 8) & 0xFF) + a * ((c >> 8) & 0xFF));
    int b = (int) Math.round((1 - a) * (rgb & 0xFF) + a * (c & 0xFF));
    return (r << 16) | (g << 8) | b;
  }

  private static int toByte(float v) {
    if (Float.isNaN(v)) {
      return 0;
    }
    return Math.round(Math.min(1f, Math.max(0f, v)) * 255f);
  }

  private float[] normalized() {
    Normalize mode = normalize;
    if (mode == null) {
      mode = Normalize.NONE;
      for (float f : data) {
        if (f < 0f || f > 1f) {
          mode = Normalize.IMAGE;
          break;
        }
      }
    }
    if (mode == Normalize.NONE) {
      return data;
    }
    float[] out = data.clone();
    int per = channels * height * width;
    int groups = mode == Normalize.ALL ? 1 : n;
    int len = mode == Normalize.ALL ? data.length : per;
    for (int gi = 0; gi < groups; gi++) {
      ChartStyle.stretch(out, gi * len, len);
    }
    return out;
  }
}
