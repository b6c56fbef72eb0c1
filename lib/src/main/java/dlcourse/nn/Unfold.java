package dlcourse.nn;

import dlcourse.util.Check;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Convolution by patches on plain arrays, like {@code torch.nn.functional.unfold} and {@code fold}: extract every
 * sliding window as a column, or sum columns back into an image.
 *
 * <p>A convolution is then one matrix product: {@code unfold(x)} is {@code (B, C*kH*kW, L)} with
 * {@code L = H_out * W_out}; the weight reshaped to {@code (out, C*kH*kW)} times those columns gives
 * {@code (B, out, L)}. Rows of a column run over channels, then kernel rows, then kernel columns (PyTorch's
 * order). {@link #fold} is the adjoint of {@link #unfold}: it adds every column back into the window it came from,
 * which is exactly the input gradient of an unfold. Arrays keep their data type (float or double).
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>unfold: {@code (B, C, H, W) -> (B, C*kH*kW, L)}, {@code L = H_out * W_out},
 *       {@code H_out = floor((H + 2*padding - kH) / stride) + 1}</li>
 *   <li>fold: {@code (B, C*kH*kW, L) -> (B, C, H, W)}</li>
 * </ul>
 */
public final class Unfold {
  /**
   * Whether unfold and fold use ND4J's native im2col/col2im (the default) or the strided-view loops over kernel
   * offsets below, which read like the math but are 3-8x slower (every strided view assign is a generic op).
   */
  private static final boolean NATIVE = !Boolean.getBoolean("dlcourse.unfold.views");

  private Unfold() {}

  /**
   * The sliding windows of {@code x} as columns, vectorised: no Java loop over positions (ND4J's native im2col,
   * which makes one strided copy per kernel offset, as the fallback code here does with views).
   *
   * @param x input {@code (B, C, H, W)}
   * @param kernel {@code (kH, kW)}
   * @param stride {@code (sH, sW)}
   * @param padding zero padding {@code (pH, pW)} on both sides
   * @return {@code (B, C*kH*kW, L)}
   */
  public static INDArray unfold(INDArray x, int[] kernel, int[] stride, int[] padding) {
    return unfold(x, kernel, stride, padding, 0.0);
  }

  /** As {@link #unfold(INDArray, int[], int[], int[])}, padding with {@code padValue} (max pooling pads with -inf). */
  public static INDArray unfold(INDArray x, int[] kernel, int[] stride, int[] padding, double padValue) {
    Geometry g = Geometry.of(x.shape(), kernel, stride, padding);
    if (NATIVE && (padValue == 0.0 || (g.ph == 0 && g.pw == 0))) {
      // ND4J's native im2col does the same copies in one op, several times faster than strided views.
      INDArray cols = Nd4j.create(x.dataType(), g.b, g.c, g.kh, g.kw, g.oh, g.ow);
      Convolution.im2col(x, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, 1, 1, false, cols);
      return cols.reshape('c', g.b, g.c * g.kh * g.kw, g.oh * g.ow); // (B, C*kH*kW, L)
    }
    INDArray padded = pad(x, g, padValue);
    INDArray cols = Nd4j.create(x.dataType(), g.b, g.c, g.kh, g.kw, g.oh, g.ow);
    for (int i = 0; i < g.kh; i++) {
      for (int j = 0; j < g.kw; j++) {
        // Offset (i, j) of every window at once: rows i, i+s, i+2s, ... of the padded input.
        cols.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.point(j),
            NDArrayIndex.all(), NDArrayIndex.all()).assign(padded.get(g.window(i, j)));
      }
    }
    return cols.reshape('c', g.b, g.c * g.kh * g.kw, g.oh * g.ow); // (B, C*kH*kW, L)
  }

  /**
   * Sums columns back into an image: the adjoint of {@link #unfold}, so {@code fold(unfold(x))} multiplies each
   * pixel by the number of windows that cover it.
   *
   * @param cols {@code (B, C*kH*kW, L)}
   * @param outputSize {@code (H, W)} of the image the columns came from
   * @return {@code (B, C, H, W)}
   * @throws IllegalArgumentException if the column shape does not match the image size and kernel
   */
  public static INDArray fold(INDArray cols, long[] outputSize, int[] kernel, int[] stride, int[] padding) {
    if (cols.rank() != 3 || outputSize.length != 2) {
      throw new IllegalArgumentException("fold: expected cols (B, C*kH*kW, L) and outputSize (H, W), got cols "
          + java.util.Arrays.toString(cols.shape()) + " and outputSize " + java.util.Arrays.toString(outputSize));
    }
    int[] kk = Check.pair(kernel, "kernel");
    long k = (long) kk[0] * kk[1];
    if (cols.size(1) % k != 0) {
      throw new IllegalArgumentException(
          "fold: cols.size(1) (" + cols.size(1) + ") must be divisible by kH*kW (" + k + ")");
    }
    long c = cols.size(1) / k;
    Geometry g = Geometry.of(new long[] {cols.size(0), c, outputSize[0], outputSize[1]}, kernel, stride, padding);
    if (cols.size(2) != g.oh * g.ow) {
      throw new IllegalArgumentException("fold: cols has L = " + cols.size(2) + " windows, but a "
          + outputSize[0] + "x" + outputSize[1] + " image gives " + g.oh + "x" + g.ow + " = " + g.oh * g.ow);
    }
    INDArray blocks = cols.dup('c').reshape('c', g.b, g.c, g.kh, g.kw, g.oh, g.ow);
    if (NATIVE) {
      // Native col2im: adds every column back into its window, as the loop below does with views.
      INDArray image = Nd4j.create(cols.dataType(), g.b, g.c, g.h, g.w);
      Convolution.col2im(blocks, image, g.sh, g.sw, g.ph, g.pw, (int) g.h, (int) g.w, 1, 1);
      return image;
    }
    INDArray padded = Nd4j.create(cols.dataType(), g.b, g.c, g.h + 2L * g.ph, g.w + 2L * g.pw);
    for (int i = 0; i < g.kh; i++) {
      for (int j = 0; j < g.kw; j++) {
        padded.get(g.window(i, j)).addi(blocks.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i),
            NDArrayIndex.point(j), NDArrayIndex.all(), NDArrayIndex.all()));
      }
    }
    if (g.ph == 0 && g.pw == 0) {
      return padded;
    }
    return padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(g.ph, g.ph + g.h),
        NDArrayIndex.interval(g.pw, g.pw + g.w)).dup('c');
  }

  /**
   * Unfold written with loops over batch, windows and window entries, as the homework's first version; slow,
   * for checking {@link #unfold} on small inputs.
   */
  public static INDArray unfoldNaive(INDArray x, int[] kernel, int[] stride, int[] padding) {
    Geometry g = Geometry.of(x.shape(), kernel, stride, padding);
    INDArray cols = Nd4j.create(x.dataType(), g.b, g.c * g.kh * g.kw, g.oh * g.ow);
    for (long n = 0; n < g.b; n++) {
      for (long oy = 0; oy < g.oh; oy++) {
        for (long ox = 0; ox < g.ow; ox++) {
          long l = oy * g.ow + ox;
          long row = 0;
          for (long ch = 0; ch < g.c; ch++) {
            for (long i = 0; i < g.kh; i++) {
              for (long j = 0; j < g.kw; j++) {
                long y = oy * g.sh - g.ph + i;
                long xx = ox * g.sw - g.pw + j;
                boolean inside = y >= 0 && y < g.h && xx >= 0 && xx < g.w;
                cols.putScalar(new long[] {n, row++, l}, inside ? x.getDouble(n, ch, y, xx) : 0.0);
              }
            }
          }
        }
      }
    }
    return cols;
  }

  /**
   * Convolution written with loops over batch, output channel and output position (cross-correlation, zero
   * padding), as the homework's first version; slow, for checking.
   *
   * @param x {@code (B, C, H, W)}
   * @param weight {@code (out, C, kH, kW)}
   * @param bias {@code (out)} or null
   * @return {@code (B, out, H_out, W_out)}
   */
  public static INDArray conv2dLoops(INDArray x, INDArray weight, INDArray bias, int[] stride, int[] padding) {
    long[] ws = weight.shape();
    if (weight.rank() != 4 || x.rank() != 4 || x.size(1) != ws[1]) {
      throw new IllegalArgumentException("conv2dLoops: expected x (B, " + (weight.rank() == 4 ? ws[1] : "C")
          + ", H, W) and weight (out, C, kH, kW), got x " + java.util.Arrays.toString(x.shape()) + " and weight "
          + java.util.Arrays.toString(ws));
    }
    Geometry g = Geometry.of(x.shape(), new int[] {(int) ws[2], (int) ws[3]}, stride, padding);
    INDArray out = Nd4j.create(x.dataType(), g.b, ws[0], g.oh, g.ow);
    for (long n = 0; n < g.b; n++) {
      for (long o = 0; o < ws[0]; o++) {
        for (long oy = 0; oy < g.oh; oy++) {
          for (long ox = 0; ox < g.ow; ox++) {
            double s = bias == null ? 0.0 : bias.getDouble(o);
            for (long ch = 0; ch < g.c; ch++) {
              for (long i = 0; i < g.kh; i++) {
                for (long j = 0; j < g.kw; j++) {
                  long y = oy * g.sh - g.ph + i;
                  long xx = ox * g.sw - g.pw + j;
                  if (y >= 0 && y < g.h && xx >= 0 && xx < g.w) {
                    s += x.getDouble(n, ch, y, xx) * weight.getDouble(o, ch, i, j);
                  }
                }
              }
            }
            out.putScalar(new long[] {n, o, oy, ox}, s);
          }
        }
      }
    }
    return out;
  }

  private static INDArray pad(INDArray x, Geometry g, double value) {
    if (g.ph == 0 && g.pw == 0) {
      return x;
    }
    INDArray padded = Nd4j.valueArrayOf(new long[] {g.b, g.c, g.h + 2L * g.ph, g.w + 2L * g.pw}, value, x.dataType());
    padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(g.ph, g.ph + g.h),
        NDArrayIndex.interval(g.pw, g.pw + g.w)).assign(x);
    return padded;
  }

  /** Sizes of one unfold: input (b, c, h, w), kernel, stride, padding and the output grid (oh, ow). */
  private record Geometry(long b, long c, long h, long w, int kh, int kw, int sh, int sw, int ph, int pw, long oh,
      long ow) {
    static Geometry of(long[] shape, int[] kernel, int[] stride, int[] padding) {
      if (shape.length != 4) {
        throw new IllegalArgumentException("expected input (B, C, H, W), got " + java.util.Arrays.toString(shape));
      }
      int[] k = Check.pair(kernel, "kernel");
      int[] s = Check.pair(stride, "stride");
      int[] p = Check.pair(padding, "padding");
      for (int d = 0; d < 2; d++) {
        Check.positive(k[d], "kernel");
        Check.positive(s[d], "stride");
        Check.nonNegative(p[d], "padding");
      }
      long oh = F.convOutputSize(shape[2], k[0], s[0], p[0], 1);
      long ow = F.convOutputSize(shape[3], k[1], s[1], p[1], 1);
      if (oh < 1 || ow < 1) {
        throw new IllegalArgumentException("input " + shape[2] + "x" + shape[3] + " with padding " + p[0] + "x" + p[1]
            + " is smaller than the kernel " + k[0] + "x" + k[1]);
      }
      return new Geometry(shape[0], shape[1], shape[2], shape[3], k[0], k[1], s[0], s[1], p[0], p[1], oh, ow);
    }

    /** Indices of the padded input that kernel offset (i, j) reads across all windows. */
    INDArrayIndex[] window(int i, int j) {
      return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(), strided(i, sh, oh), strided(j, sw, ow)};
    }

    /** Indices start, start + step, ..., count of them. */
    private static INDArrayIndex strided(long start, long step, long count) {
      // ND4J mangles a strided interval that holds a single index, so that case is a plain interval.
      return count == 1 ? NDArrayIndex.interval(start, start + 1)
          : NDArrayIndex.interval(start, step, start + (count - 1) * step + 1);
    }
  }
}
