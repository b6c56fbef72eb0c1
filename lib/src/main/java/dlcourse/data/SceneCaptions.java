package dlcourse.data;

import dlcourse.util.Check;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An image-captioning set composed offline from labelled object images (CIFAR-10), in which the caption depends on
 * where the objects are.
 *
 * <p>Each image is a 3x3 grid of cells the size of one object image (32x32 for CIFAR-10, so 96x96 in all). One to
 * three cells (30%, 45%, 25%) hold a randomly drawn object image; the others are filled with a background colour
 * ({@link #BACKGROUNDS}). Each image has five captions, one per template, that name every object and its cell in
 * reading order, with synonyms drawn at random:
 *
 * <pre>
 * a cat in the top left corner and a ship at the bottom
 * there is a kitten at the top left and a boat in the bottom middle
 * a grey canvas with a cat in the upper left and a ship at the bottom centre
 * we can see a cat in the upper left corner and a boat at the bottom
 * two objects on a grey background a cat at the top left and a ship at the bottom
 * </pre>
 *
 * Captions have at most {@link #MAX_WORDS} words. A decoder that sees only the mean region feature knows which
 * objects there are but not where: the position words (half of every caption) are what attention must find.
 * Same objects, size and seed, same data.
 */
public final class SceneCaptions {
  /** Cells per side. */
  public static final int GRID = 3;
  /** The most words in a caption, so that {@code <start>} + words + {@code <end>} fit the homework's 22 tokens. */
  public static final int MAX_WORDS = 20;
  /** Background colour names, in index order; see {@link #background(int)}. */
  public static final List<String> BACKGROUNDS = List.of("grey", "black", "white", "blue", "green");

  private static final float[][] BACKGROUND_RGB = {
    {0.5f, 0.5f, 0.5f}, {0.06f, 0.06f, 0.06f}, {0.94f, 0.94f, 0.94f}, {0.2f, 0.3f, 0.65f}, {0.2f, 0.55f, 0.27f}
  };
  private static final double[] COUNT_PROBS = {0.30, 0.45, 0.25};
  private static final String[] COUNT_WORDS = {"one", "two", "three"};
  private static final List<String> ANIMALS = List.of("bird", "cat", "deer", "dog", "frog", "horse");
  private static final List<String> VEHICLES = List.of("airplane", "automobile", "ship", "truck");
  private static final Map<String, List<String>> NAMES = Map.of(
      "airplane", List.of("airplane", "plane", "aircraft", "jet"),
      "automobile", List.of("car", "automobile"),
      "bird", List.of("bird"),
      "cat", List.of("cat", "kitten"),
      "deer", List.of("deer"),
      "dog", List.of("dog", "puppy"),
      "frog", List.of("frog", "toad"),
      "horse", List.of("horse", "pony"),
      "ship", List.of("ship", "boat"),
      "truck", List.of("truck", "lorry"));
  /** Phrases for each cell, row by row; the shortest first. */
  private static final String[][] WHERE = {
    {"at the top left", "in the upper left", "in the top left corner", "in the upper left corner"},
    {"at the top", "in the top middle", "at the top centre", "in the upper middle"},
    {"at the top right", "in the upper right", "in the top right corner", "in the upper right corner"},
    {"on the left", "on the left side", "at the left edge", "in the middle left"},
    {"in the centre", "in the middle", "at the centre", "in the very middle"},
    {"on the right", "on the right side", "at the right edge", "in the middle right"},
    {"at the bottom left", "in the lower left", "in the bottom left corner", "in the lower left corner"},
    {"at the bottom", "in the bottom middle", "at the bottom centre", "in the lower middle"},
    {"at the bottom right", "in the lower right", "in the bottom right corner", "in the lower right corner"},
  };

  private final CaptionDataset dataset;
  private final int[][] cells;
  private final int[] background;
  private final List<String> classes;

  private SceneCaptions(CaptionDataset dataset, int[][] cells, int[] background, List<String> classes) {
    this.dataset = dataset;
    this.cells = cells;
    this.background = background;
    this.classes = classes;
  }

  /**
   * Composes {@code n} images from {@code objects}.
   *
   * @param objects square RGB object images {@code (M, 3, S, S)} in [0, 1] with class labels and class names
   *     ({@code Datasets.cifar10(split)}); names other than CIFAR-10's are used as they are, without synonyms
   * @param n images to compose
   * @param seed fixes the layouts, the drawn objects, the backgrounds and the captions
   * @return images {@code (n, 3, 3S, 3S)} with five captions each
   */
  public static SceneCaptions compose(Dataset objects, int n, long seed) {
    INDArray x = objects.features();
    if (x.rank() != 4 || x.size(1) != 3 || x.size(2) != x.size(3)) {
      throw new IllegalArgumentException("objects must be square RGB images (M, 3, S, S), got "
          + Arrays.toString(x.shape()));
    }
    if (objects.classes().isEmpty()) {
      throw new IllegalArgumentException("objects must have class names (they become the captions' nouns)");
    }
    Check.positive(n, "n");
    int m = (int) x.size(0);
    int s = (int) x.size(2);
    int side = GRID * s;
    float[] src = x.castTo(DataType.FLOAT).dup('c').data().asFloat();
    long[] labels = objects.labels().castTo(DataType.LONG).reshape(m).toLongVector();
    List<String> classes = objects.classes();
    Random rnd = new Random(seed);
    float[] out = new float[Math.multiplyExact(n, 3 * side * side)];
    int[][] cells = new int[n][GRID * GRID];
    int[] bg = new int[n];
    List<List<List<String>>> captions = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Arrays.fill(cells[i], -1);
      bg[i] = rnd.nextInt(BACKGROUNDS.size());
      int k = pick(rnd, COUNT_PROBS) + 1;
      int[] order = shuffled(GRID * GRID, rnd);
      int[] objCells = Arrays.copyOf(order, k);
      Arrays.sort(objCells); // reading order
      int[] objClass = new int[k];
      int base = i * 3 * side * side;
      for (int c = 0; c < 3; c++) {
        Arrays.fill(out, base + c * side * side, base + (c + 1) * side * side, BACKGROUND_RGB[bg[i]][c]);
      }
      for (int j = 0; j < k; j++) {
        int o = rnd.nextInt(m);
        objClass[j] = (int) labels[o];
        cells[i][objCells[j]] = objClass[j];
        int top = (objCells[j] / GRID) * s;
        int left = (objCells[j] % GRID) * s;
        for (int c = 0; c < 3; c++) {
          for (int y = 0; y < s; y++) {
            System.arraycopy(src, ((o * 3 + c) * s + y) * s, out, base + (c * side + top + y) * side + left, s);
          }
        }
      }
      List<List<String>> five = new ArrayList<>();
      for (int t = 0; t < 5; t++) {
        five.add(caption(t, objCells, objClass, classes, BACKGROUNDS.get(bg[i]), rnd));
      }
      captions.add(five);
      names.add(String.format(Locale.ROOT, "scene_%05d.png", i));
    }
    INDArray images = Nd4j.create(out, new long[] {n, 3, side, side}, DataType.FLOAT);
    return new SceneCaptions(new CaptionDataset(images, captions, names), cells, bg, classes);
  }

  /** Caption of template {@code t}; random phrasings until it fits {@link #MAX_WORDS}, else the shortest. */
  private static List<String> caption(int t, int[] objCells, int[] objClass, List<String> classes, String bg,
      Random rnd) {
    for (int attempt = 0; attempt < 10; attempt++) {
      List<String> c = words(t, objCells, objClass, classes, bg, rnd, false);
      if (c.size() <= MAX_WORDS) {
        return c;
      }
    }
    List<String> c = words(t, objCells, objClass, classes, bg, rnd, true);
    return c.size() <= MAX_WORDS ? c : words(0, objCells, objClass, classes, bg, rnd, true);
  }

  private static List<String> words(int t, int[] objCells, int[] objClass, List<String> classes, String bg,
      Random rnd, boolean shortest) {
    int k = objCells.length;
    StringBuilder b = new StringBuilder();
    switch (t) {
      case 0 -> {}
      case 1 -> b.append("there is ");
      case 2 -> b.append("a ").append(bg).append(rnd.nextBoolean() ? " background" : " canvas").append(" with ");
      case 3 -> b.append("we can see ");
      default -> {
        b.append(COUNT_WORDS[k - 1]).append(' ').append(kind(objClass, classes)).append(k > 1 ? "s " : " ");
        if (!shortest) {
          b.append("on a ").append(bg).append(" background ");
        }
      }
    }
    for (int j = 0; j < k; j++) {
      if (j > 0) {
        b.append(" and ");
      }
      List<String> syn = NAMES.getOrDefault(classes.get(objClass[j]), List.of(classes.get(objClass[j])));
      String noun = shortest ? syn.get(0) : syn.get(rnd.nextInt(syn.size()));
      String[] where = WHERE[objCells[j]];
      b.append(article(noun)).append(' ').append(noun).append(' ')
          .append(shortest ? where[0] : where[rnd.nextInt(where.length)]);
    }
    return List.of(b.toString().strip().split(" +"));
  }

  private static String kind(int[] objClass, List<String> classes) {
    boolean animals = true;
    boolean vehicles = true;
    for (int c : objClass) {
      animals &= ANIMALS.contains(classes.get(c));
      vehicles &= VEHICLES.contains(classes.get(c));
    }
    return animals ? "animal" : vehicles ? "vehicle" : "object";
  }

  private static String article(String noun) {
    return "aeiou".indexOf(noun.charAt(0)) >= 0 ? "an" : "a";
  }

  private static int pick(Random rnd, double[] probs) {
    double u = rnd.nextDouble();
    for (int i = 0; i < probs.length - 1; i++) {
      u -= probs[i];
      if (u < 0) {
        return i;
      }
    }
    return probs.length - 1;
  }

  private static int[] shuffled(int n, Random rnd) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }

  /** The images, their captions and names ({@code scene_00000.png}, ...). */
  public CaptionDataset dataset() {
    return dataset;
  }

  /** The number of images. */
  public int size() {
    return cells.length;
  }

  /** The class index of the object in cell {@code cell} (row-major, 0..8) of image {@code image}, or -1 if empty. */
  public int cell(int image, int cell) {
    return cells[image][cell];
  }

  /** The index into {@link #BACKGROUNDS} of image {@code image}'s background colour. */
  public int background(int image) {
    return background[image];
  }

  /** The object class names, indexed by class. */
  public List<String> classes() {
    return classes;
  }

  /** The class a caption word names ("kitten" -> cat's index), or -1 when the word names no class. */
  public int classOf(String word) {
    for (int c = 0; c < classes.size(); c++) {
      if (NAMES.getOrDefault(classes.get(c), List.of(classes.get(c))).contains(word)) {
        return c;
      }
    }
    return -1;
  }

  /** An object a caption names: its class and the cell (row-major, 0..8) its position phrase names. */
  public record Mention(int cls, int cell) {}

  /**
   * The objects a caption names, in order: each word that names a class ({@link #classOf}), with the cell named by
   * the words after it up to the next "and" (or the end): "top"/"upper" and "bottom"/"lower" pick the row,
   * "left"/"right" the column, the middle otherwise. Works on generated captions, which need not follow a template.
   */
  public List<Mention> mentions(List<String> caption) {
    List<Mention> out = new ArrayList<>();
    for (int w = 0; w < caption.size(); w++) {
      int c = classOf(caption.get(w));
      if (c < 0) {
        continue;
      }
      int row = 1;
      int col = 1;
      for (int v = w + 1; v < caption.size() && !caption.get(v).equals("and") && classOf(caption.get(v)) < 0; v++) {
        switch (caption.get(v)) {
          case "top", "upper" -> row = 0;
          case "bottom", "lower" -> row = 2;
          case "left" -> col = 0;
          case "right" -> col = 2;
          default -> {}
        }
      }
      out.add(new Mention(c, row * GRID + col));
    }
    return out;
  }

  /** Whether {@code word} is part of a position phrase ("top", "left", "corner", "centre", ...). */
  public static boolean isPositionWord(String word) {
    return POSITION_WORDS.contains(word);
  }

  private static final List<String> POSITION_WORDS = List.of("top", "upper", "bottom", "lower", "left", "right",
      "middle", "centre", "corner", "side", "edge");

  @Override
  public String toString() {
    return "SceneCaptions(" + size() + " images " + Arrays.toString(Arrays.copyOfRange(dataset.images().shape(), 1,
        4)) + ", " + GRID + "x" + GRID + " cells, 5 captions each)";
  }
}
