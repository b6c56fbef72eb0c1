package dlcourse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class BoxesTest {
  private static TensorDataset train;
  private static TensorDataset val;
  private static TensorDataset test;
  private static float[] trainPixels;

  @BeforeAll
  static void generate() {
    train = Boxes.train(0);
    val = Boxes.val(0);
    test = Boxes.test(0);
    trainPixels = train.features().reshape(train.features().length()).toFloatVector();
  }

  /**
   * The (top, left) corner of the single 4x4 box of value 1 in channel {@code ch} of image {@code i}, found from
   * the pixels; fails unless the channel holds exactly one such box on a zero background.
   */
  static int[] findBox(float[] pixels, int i, int ch) {
    int base = (i * 3 + ch) * 32 * 32;
    int top = -1;
    int left = -1;
    int count = 0;
    for (int r = 0; r < 32; r++) {
      for (int c = 0; c < 32; c++) {
        float v = pixels[base + r * 32 + c];
        if (v != 0f && v != 1f) {
          fail("image " + i + " channel " + ch + " pixel value " + v);
        }
        if (v == 1f) {
          if (count == 0) {
            top = r;
            left = c;
          }
          count++;
        }
      }
    }
    if (count != 16) {
      fail("image " + i + " channel " + ch + " has " + count + " lit pixels, not one 4x4 box");
    }
    for (int r = top; r < top + 4; r++) {
      for (int c = left; c < left + 4; c++) {
        if (pixels[base + r * 32 + c] != 1f) {
          fail("image " + i + " channel " + ch + ": box at " + top + "," + left + " is not solid");
        }
      }
    }
    return new int[] {top, left};
  }

  @Test
  void splitsHaveTheDocumentedSizesShapesAndTypes() {
    assertArrayEquals(new long[] {2000, 3, 32, 32}, train.features().shape());
    assertArrayEquals(new long[] {1000, 3, 32, 32}, val.features().shape());
    assertArrayEquals(new long[] {1000, 3, 32, 32}, test.features().shape());
    assertEquals(DataType.FLOAT, train.features().dataType());
    assertEquals(DataType.LONG, train.labels().dataType());
    assertEquals(2, train.classes().size());
  }

  @Test
  void everyTrainingImageFollowsTheRules() {
    long[] labels = train.labels().toLongVector();
    Set<Integer> x1Seen = new TreeSet<>();
    Set<Integer> dySeen = new TreeSet<>();
    for (int i = 0; i < 2000; i++) {
      assertEquals(i % 2, labels[i], "even index label 0, odd label 1");
      int[] red = findBox(trainPixels, i, 0);
      int[] green = findBox(trainPixels, i, 1);
      int base = labels[i] == 0 ? 7 : 23;
      int[] left = labels[i] == 0 ? red : green; // label 0: red left; label 1: green left
      int[] right = labels[i] == 0 ? green : red;
      assertTrue(left[1] < right[1], "image " + i + ": wrong colour on the left");
      assertTrue(left[1] >= 0 && left[1] <= 9, "image " + i + ": x1 = " + left[1]);
      assertTrue(right[1] - left[1] >= 5 && right[1] <= 27, "image " + i + ": x1 " + left[1] + ", x2 " + right[1]);
      for (int[] box : new int[][] {left, right}) {
        int dy = box[0] - base;
        assertTrue(dy >= -4 && dy <= 3, "image " + i + ": y " + box[0] + " with base " + base);
        dySeen.add(dy);
      }
      x1Seen.add(left[1]);
    }
    // the whole ranges are used: x1 in [0, 9], y offsets in [-4, 3]
    assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), x1Seen);
    assertEquals(Set.of(-4, -3, -2, -1, 0, 1, 2, 3), dySeen);
    // and the blue channel stays black
    INDArray blue = train.features().get(NDArrayIndex.all(), NDArrayIndex.point(2));
    assertEquals(0.0, blue.maxNumber().doubleValue());
  }

  @Test
  void valEqualsTheFirstThousandTrainingImages() {
    assertEquals(train.take(1000).features(), val.features());
    assertEquals(train.take(1000).labels(), val.labels());
    assertEquals(val.features(), Boxes.generate(1000, 0).features());
  }

  @Test
  void testIsValWithLabelZeroBoxesDownAndLabelOneBoxesUpSixteenPixels() {
    float[] v = val.features().reshape(val.features().length()).toFloatVector();
    float[] t = test.features().reshape(test.features().length()).toFloatVector();
    assertEquals(val.labels(), test.labels());
    for (int i = 0; i < 1000; i++) {
      int shift = i % 2 == 0 ? 16 : -16;
      for (int ch = 0; ch < 2; ch++) {
        int[] before = findBox(v, i, ch);
        int[] after = findBox(t, i, ch);
        assertEquals(before[0] + shift, after[0], "image " + i + " channel " + ch + " row");
        assertEquals(before[1], after[1], "image " + i + " channel " + ch + " column");
      }
    }
  }

  @Test
  void seedChangesTheImagesAndIsRepeatable() {
    assertEquals(train.features(), Boxes.train(0).features());
    assertNotEquals(train.features(), Boxes.train(1).features());
    var e = assertThrows(IllegalArgumentException.class, () -> Boxes.generate(-1, 0));
    assertEquals("n must be non-negative, got -1", e.getMessage());
  }
}
