package dlcourse.data;

import dlcourse.util.Check;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The synthetic data set of the padding experiment (UvA Deep Learning 1, assignment 2, question 1.1): two coloured
 * boxes whose left-right order gives the class, and whose height differs between training and test.
 *
 * <p>Every image is {@code 3 x 32 x 32}, black, with two {@code 4 x 4} boxes of value 1.0: a red one (channel 0)
 * and a green one (channel 1). Example {@code i} has label {@code i % 2}.
 * <ul>
 *   <li>The left box starts at column {@code x1}, uniform in [0, 9]; the right box at {@code x2}, uniform in
 *       [x1, 27], redrawn together with its row until {@code |x1 - x2| >= 5}.</li>
 *   <li>Each box's top row is {@code base + u}, u uniform in [-4, 3], with base 7 (top half) for label 0 and 23
 *       (bottom half) for label 1.</li>
 *   <li>Label 0: red left, green right. Label 1: green left, red right.</li>
 * </ul>
 * As in the original, the generator is re-seeded with the same seed for every split, so the validation set equals
 * the first 1000 training images (which is why validation accuracy is ~100%). The test set is the validation set
 * with label-0 boxes moved down 16 pixels and label-1 boxes moved up 16 pixels: the classes swap halves, and only a
 * network that uses absolute position (through padding) can tell them apart. Random numbers come from
 * {@link java.util.Random}, so the images are not those of the original NumPy code, but they follow the same rules.
 *
 * <pre>{@code
 * var train = Boxes.train(0);   // 2000 images (3, 32, 32), labels int64
 * var test = Boxes.test(0);     // 1000 images, boxes in the other half
 * }</pre>
 */
public final class Boxes {
  /** Image height and width in pixels. */
  public static final int SIZE = 32;
  /** Box side in pixels. */
  public static final int BOX = 4;
  /** Number of training images. */
  public static final int TRAIN_SIZE = 2000;
  /** Number of validation (and test) images. */
  public static final int VAL_SIZE = 1000;
  /** The class names: label 0 has its boxes at the top with red on the left. */
  public static final List<String> CLASSES = List.of("red-green (top)", "green-red (bottom)");

  private static final int SHIFT = 16;

  private Boxes() {}

  /** The 2000 training images generated from {@code seed}. */
  public static TensorDataset train(long seed) {
    return render(positions(TRAIN_SIZE, seed), 0);
  }

  /** The 1000 validation images: identical to the first 1000 training images, as in the original. */
  public static TensorDataset val(long seed) {
    return render(positions(VAL_SIZE, seed), 0);
  }

  /** The 1000 test images: the validation images with label-0 boxes 16 px lower and label-1 boxes 16 px higher. */
  public static TensorDataset test(long seed) {
    return render(positions(VAL_SIZE, seed), SHIFT);
  }

  /**
   * {@code n} images from a generator freshly seeded with {@code seed}; the first {@code m} images of
   * {@code generate(n, s)} equal {@code generate(m, s)}.
   */
  public static TensorDataset generate(int n, long seed) {
    Check.nonNegative(n, "n");
    return render(positions(n, seed), 0);
  }

  /** Box positions per image: {@code {x1, y1, x2, y2}}, box 1 being the left one. */
  static int[][] positions(int n, long seed) {
    Random rng = new Random(seed);
    int[][] pos = new int[n][];
    for (int i = 0; i < n; i++) {
      int base = i % 2 == 0 ? 7 : 23;
      int x1 = rng.nextInt(10);
      int y1 = base + rng.nextInt(8) - 4;
      int x2;
      int y2;
      do {
        x2 = x1 + rng.nextInt(27 - x1 + 1);
        y2 = base + rng.nextInt(8) - 4;
      } while (Math.abs(x1 - x2) < 5);
      pos[i] = new int[] {x1, y1, x2, y2};
    }
    return pos;
  }

  /** Draws the boxes; {@code shift} moves label-0 boxes down and label-1 boxes up by that many pixels. */
  private static TensorDataset render(int[][] pos, int shift) {
    int n = pos.length;
    int plane = SIZE * SIZE;
    float[] x = new float[n * 3 * plane];
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      int label = i % 2;
      y[i] = label;
      int dy = label == 0 ? shift : -shift;
      int leftChannel = label == 0 ? 0 : 1; // red left for label 0, green left for label 1
      box(x, (i * 3 + leftChannel) * plane, pos[i][1] + dy, pos[i][0]);
      box(x, (i * 3 + 1 - leftChannel) * plane, pos[i][3] + dy, pos[i][2]);
    }
    return new TensorDataset(
        Nd4j.create(x, new long[] {n, 3, SIZE, SIZE}, 'c'), Nd4j.createFromArray(y), CLASSES);
  }

  private static void box(float[] x, int planeStart, int top, int left) {
    for (int r = top; r < top + BOX; r++) {
      for (int c = left; c < left + BOX; c++) {
        x[planeStart + r * SIZE + c] = 1f;
      }
    }
  }
}
