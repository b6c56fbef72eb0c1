package dlcourse.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Images with several tokenised captions each, for image captioning: the Sydney-Captions / RSICD
 * {@code dataset.json} layout, or a synthetic set built offline.
 *
 * <p>Images are float32 {@code (N, 3, S, S)} in [0, 1], resized (bilinear) to {@code S x S}. {@link #captions()}
 * holds, per image, its sentences as lists of lower-case tokens. {@link #vocabulary(int)} and {@link #encode}
 * turn them into int64 token tensors with {@code <pad>}=0, {@code <start>}=1, {@code <end>}=2, {@code <unk>}=3.
 */
public final class CaptionDataset {
  /** Special tokens at the start of every vocabulary, in index order. */
  public static final List<String> SPECIALS = List.of("<pad>", "<start>", "<end>", "<unk>");

  private final INDArray images;
  private final List<List<List<String>>> captions;
  private final List<String> fileNames;

  /** Wraps images {@code (N, 3, S, S)}, their captions and their file names (same order). */
  public CaptionDataset(INDArray images, List<List<List<String>>> captions, List<String> fileNames) {
    if (images.size(0) != captions.size() || captions.size() != fileNames.size()) {
      throw new IllegalArgumentException(
          "images (" + images.size(0) + "), captions (" + captions.size() + ") and fileNames ("
              + fileNames.size() + ") must have the same length");
    }
    this.images = images;
    this.captions = List.copyOf(captions);
    this.fileNames = List.copyOf(fileNames);
  }

  /** The images, float32 {@code (N, 3, S, S)} in [0, 1]. */
  public INDArray images() {
    return images;
  }

  /** Per image, its captions as token lists. */
  public List<List<List<String>>> captions() {
    return captions;
  }

  /** The image file names (or generated names), in row order. */
  public List<String> fileNames() {
    return fileNames;
  }

  /** The number of images. */
  public int size() {
    return captions.size();
  }

  /**
   * The vocabulary: {@link #SPECIALS} followed by the tokens seen at least {@code minCount} times, most frequent
   * first (ties alphabetical).
   */
  public List<String> vocabulary(int minCount) {
    Map<String, Integer> counts = new TreeMap<>();
    for (List<List<String>> img : captions) {
      for (List<String> s : img) {
        for (String t : s) {
          counts.merge(t, 1, Integer::sum);
        }
      }
    }
    List<String> words = new ArrayList<>();
    counts.entrySet().stream()
        .filter(e -> e.getValue() >= minCount)
        .sorted((a, b) -> b.getValue() - a.getValue())
        .forEach(e -> words.add(e.getKey()));
    List<String> v = new ArrayList<>(SPECIALS);
    v.addAll(words);
    return v;
  }

  /**
   * Caption {@code k} of every image as tokens, int64 {@code (N, maxLen)}: {@code <start> w1 ... <end>} padded with
   * {@code <pad>} (cut to {@code maxLen}); unknown words become {@code <unk>}. Images with fewer captions use
   * their last one.
   */
  public INDArray encode(List<String> vocabulary, int k, int maxLen) {
    if (maxLen < 2) {
      throw new IllegalArgumentException("maxLen must be >= 2, got " + maxLen);
    }
    Map<String, Integer> index = new LinkedHashMap<>();
    for (int i = 0; i < vocabulary.size(); i++) {
      index.put(vocabulary.get(i), i);
    }
    long[][] out = new long[size()][maxLen];
    for (int i = 0; i < size(); i++) {
      List<List<String>> caps = captions.get(i);
      List<String> s = caps.get(Math.min(k, caps.size() - 1));
      out[i][0] = 1;
      int t = 1;
      for (String w : s) {
        if (t >= maxLen - 1) {
          break;
        }
        out[i][t++] = index.getOrDefault(w, 3);
      }
      out[i][t] = 2;
    }
    return Nd4j.createFromArray(out);
  }

  /** Tokens of the longest caption with {@code <start>} and {@code <end>}: the {@code maxLen} that cuts nothing. */
  public int longestEncoded() {
    return 2 + captions.stream().flatMap(List::stream).mapToInt(List::size).max().orElse(0);
  }

  /**
   * Every (image, caption) pair once, for teacher forcing: x is {@code features} repeated once per caption slot,
   * {@code (K * N, ...)}, y is caption {@code k} of every image for {@code k = 0 .. K - 1} ({@link #encode}), stacked
   * in the same order, {@code (K * N, maxLen)}; K is the number of captions of the first image.
   *
   * @param features one row per image, in this data set's order (e.g. region features {@code (N, R, E)})
   * @throws IllegalArgumentException if {@code features} has not one row per image
   */
  public TensorDataset captionPairs(INDArray features, List<String> vocabulary, int maxLen) {
    if (features.rank() == 0 || features.size(0) != size()) {
      throw new IllegalArgumentException("captionPairs: features need one row per image (" + size() + "), got shape "
          + java.util.Arrays.toString(features.shape()));
    }
    int perImage = captions.get(0).size();
    INDArray[] x = new INDArray[perImage];
    INDArray[] y = new INDArray[perImage];
    for (int k = 0; k < perImage; k++) {
      x[k] = features;
      y[k] = encode(vocabulary, k, maxLen);
    }
    return new TensorDataset(Nd4j.concat(0, x), Nd4j.concat(0, y));
  }

  /**
   * The words of token ids, as decoding gives them: up to the first {@code <end>} (excluded), without
   * {@code <pad>} and {@code <start>}; {@code <unk>} stays.
   *
   * @param vocabulary {@link #vocabulary(int)}
   * @param ids token ids, e.g. one row of a greedy decoding
   */
  public static List<String> words(List<String> vocabulary, long[] ids) {
    List<String> out = new ArrayList<>();
    for (long id : ids) {
      if (id == 2) {
        break;
      }
      if (id < 0 || id >= vocabulary.size()) {
        throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + vocabulary.size());
      }
      if (id != 0 && id != 1) {
        out.add(vocabulary.get((int) id));
      }
    }
    return out;
  }

  /**
   * Reads split {@code split} ({@code "train"}, {@code "val"} or {@code "test"}) of a data set in the
   * Sydney-Captions / RSICD layout: {@code root/dataset.json} and the images in {@code root/images},
   * {@code root/imgs} or {@code root}, resized to {@code imageSize}.
   */
  public static CaptionDataset readDatasetJson(Path root, String split, int imageSize) {
    Path json = Files.isDirectory(root) ? root.resolve("dataset.json") : root;
    Path base = json.getParent() == null ? Path.of(".") : json.getParent();
    Path imagesDir = base;
    for (String d : List.of("images", "imgs", "RSICD_images")) {
      if (Files.isDirectory(base.resolve(d))) {
        imagesDir = base.resolve(d);
        break;
      }
    }
    JsonObject doc;
    try {
      doc = JsonParser.parseString(Files.readString(json, StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + json, e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(json + " is not valid JSON: " + e.getMessage(), e);
    }
    if (!doc.has("images")) {
      throw new IllegalArgumentException(json + " has no \"images\" array (not a dataset.json)");
    }
    List<BufferedImage> imgs = new ArrayList<>();
    List<List<List<String>>> caps = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (JsonElement e : doc.getAsJsonArray("images")) {
      JsonObject o = e.getAsJsonObject();
      if (!split.equals(o.get("split").getAsString())) {
        continue;
      }
      String name = o.get("filename").getAsString();
      List<List<String>> sentences = new ArrayList<>();
      for (JsonElement s : o.getAsJsonArray("sentences")) {
        List<String> tokens = new ArrayList<>();
        for (JsonElement t : s.getAsJsonObject().getAsJsonArray("tokens")) {
          tokens.add(t.getAsString().toLowerCase(Locale.ROOT));
        }
        sentences.add(tokens);
      }
      Path file = imagesDir.resolve(name);
      try {
        imgs.add(ImageFolder.decodeImage(Files.readAllBytes(file), file.toString()));
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot read image " + file + " named in " + json, ex);
      }
      caps.add(sentences);
      names.add(name);
    }
    if (names.isEmpty()) {
      throw new IllegalArgumentException(json + " has no images in split '" + split + "'");
    }
    return new CaptionDataset(toTensor(imgs, imageSize), caps, names);
  }

  private static INDArray toTensor(List<BufferedImage> imgs, int size) {
    int hw = size * size;
    float[] x = new float[imgs.size() * 3 * hw];
    for (int i = 0; i < imgs.size(); i++) {
      BufferedImage src = imgs.get(i);
      BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
      Graphics2D g = img.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(src, 0, 0, size, size, null);
      g.dispose();
      byte[] px = ImageFolder.pixels(img, 3);
      for (int j = 0; j < px.length; j++) {
        x[i * 3 * hw + j] = (px[j] & 0xff) / 255f;
      }
    }
    return Nd4j.create(x, new long[] {imgs.size(), 3, size, size}, DataType.FLOAT);
  }

  // ---- synthetic captions -------------------------------------------------------------------------------

  private static final String[] COLOURS = {"red", "green", "blue", "yellow", "white"};
  private static final Color[] RGB = {
    new Color(220, 30, 30), new Color(30, 180, 30), new Color(40, 60, 230), new Color(235, 220, 30), Color.WHITE
  };
  private static final String[] SHAPES = {"circle", "square", "triangle"};

  /**
   * A synthetic captioning set built offline: {@code n} black {@code size x size} images each holding two shapes
   * (circle, square or triangle) of different colours, one above or left of the other, with five captions such as
   * "a red circle above a blue square" and "a blue square below a red circle". Same seed, same data.
   */
  public static CaptionDataset synthetic(int n, int size, long seed) {
    if (n <= 0 || size < 16) {
      throw new IllegalArgumentException("need n > 0 and size >= 16, got n=" + n + ", size=" + size);
    }
    Random rnd = new Random(seed);
    List<BufferedImage> imgs = new ArrayList<>();
    List<List<List<String>>> caps = new ArrayList<>();
    List<String> names = new ArrayList<>();
    int half = size / 2;
    int r = Math.max(4, size / 6);
    for (int i = 0; i < n; i++) {
      int c1 = rnd.nextInt(COLOURS.length);
      int c2 = (c1 + 1 + rnd.nextInt(COLOURS.length - 1)) % COLOURS.length;
      int s1 = rnd.nextInt(SHAPES.length);
      int s2 = rnd.nextInt(SHAPES.length);
      boolean vertical = rnd.nextBoolean();
      BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
      Graphics2D g = img.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      // The first shape sits in the top (or left) half, the second in the other half, with jitter.
      int j = Math.max(1, half - 2 * r);
      int ax = vertical ? r + rnd.nextInt(size - 2 * r) : r + rnd.nextInt(j);
      int ay = vertical ? r + rnd.nextInt(j) : r + rnd.nextInt(size - 2 * r);
      int bx = vertical ? r + rnd.nextInt(size - 2 * r) : half + r + rnd.nextInt(j);
      int by = vertical ? half + r + rnd.nextInt(j) : r + rnd.nextInt(size - 2 * r);
      draw(g, SHAPES[s1], RGB[c1], ax, ay, r);
      draw(g, SHAPES[s2], RGB[c2], bx, by, r);
      g.dispose();
      String a = COLOURS[c1] + " " + SHAPES[s1];
      String b = COLOURS[c2] + " " + SHAPES[s2];
      List<String> sentences =
          vertical
              ? List.of(
                  "a " + a + " above a " + b,
                  "a " + b + " below a " + a,
                  "there is a " + a + " over a " + b,
                  "a " + b + " under a " + a,
                  "a " + a + " and a " + b)
              : List.of(
                  "a " + a + " left of a " + b,
                  "a " + b + " right of a " + a,
                  "there is a " + a + " beside a " + b,
                  "a " + b + " next to a " + a,
                  "a " + a + " and a " + b);
      List<List<String>> tokens = new ArrayList<>();
      for (String s : sentences) {
        tokens.add(Arrays.asList(s.split(" ")));
      }
      imgs.add(img);
      caps.add(tokens);
      names.add(String.format(Locale.ROOT, "synthetic_%06d.png", i));
    }
    return new CaptionDataset(toTensor(imgs, size), caps, names);
  }

  private static void draw(Graphics2D g, String shape, Color c, int x, int y, int r) {
    g.setColor(c);
    switch (shape) {
      case "circle" -> g.fillOval(x - r, y - r, 2 * r, 2 * r);
      case "square" -> g.fillRect(x - r, y - r, 2 * r, 2 * r);
      default -> g.fillPolygon(new int[] {x, x - r, x + r}, new int[] {y - r, y + r, y + r}, 3);
    }
  }

  @Override
  public String toString() {
    return "CaptionDataset(images=" + Arrays.toString(images.shape()) + ", captions/image="
        + (captions.isEmpty() ? 0 : captions.get(0).size()) + ")";
  }
}
