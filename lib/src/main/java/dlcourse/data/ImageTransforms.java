package dlcourse.data;

import dlcourse.data.TransformSupport.Images;
import static dlcourse.data.TransformSupport.floats;
import static dlcourse.data.TransformSupport.named;

import dlcourse.util.Check;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Pixel-value and format transforms behind {@link Transforms}: scaling, resizing, grayscale and RGB. */
final class ImageTransforms {
  private ImageTransforms() {}

  static Transform scale(double divisor) {
    if (!(divisor != 0 && Double.isFinite(divisor))) {
      throw new IllegalArgumentException("divisor must be finite and non-zero, got " + divisor);
    }
    return named("scale(" + divisor + ")", (batch, rng) -> floats(batch).div(divisor));
  }

  static Transform resize(int height, int width) {
    Check.positive(height, "height");
    Check.positive(width, "width");
    return named("resize(" + height + "x" + width + ")", (batch, rng) -> {
      Images im = Images.of(batch, "resize");
      int[] y0 = new int[height];
      int[] y1 = new int[height];
      float[] ly = new float[height];
      sourceIndices(im.h, height, y0, y1, ly);
      int[] x0 = new int[width];
      int[] x1 = new int[width];
      float[] lx = new float[width];
      sourceIndices(im.w, width, x0, x1, lx);
      float[] out = new float[im.n * im.c * height * width];
      int inPlane = im.h * im.w;
      int outPlane = height * width;
      for (int p = 0; p < im.n * im.c; p++) {
        int ib = p * inPlane;
        int ob = p * outPlane;
        for (int i = 0; i < height; i++) {
          int r0 = ib + y0[i] * im.w;
          int r1 = ib + y1[i] * im.w;
          float wy1 = ly[i];
          float wy0 = 1 - wy1;
          for (int j = 0; j < width; j++) {
            float wx1 = lx[j];
            float wx0 = 1 - wx1;
            out[ob + i * width + j] = wy0 * (wx0 * im.d[r0 + x0[j]] + wx1 * im.d[r0 + x1[j]])
                + wy1 * (wx0 * im.d[r1 + x0[j]] + wx1 * im.d[r1 + x1[j]]);
          }
        }
      }
      return im.toArray(out, im.c, height, width);
    });
  }

  /** PyTorch's {@code upsample_bilinear2d} source indices and weights for align_corners=False. */
  static void sourceIndices(int in, int out, int[] i0, int[] i1, float[] lambda) {
    double scale = (double) in / out;
    for (int d = 0; d < out; d++) {
      double src = Math.max(0, scale * (d + 0.5) - 0.5);
      int lo = Math.min((int) src, in - 1);
      i0[d] = lo;
      i1[d] = lo < in - 1 ? lo + 1 : lo;
      lambda[d] = (float) (src - lo);
    }
  }

  static Transform grayscale(int numOutputChannels) {
    if (numOutputChannels != 1 && numOutputChannels != 3) {
      throw new IllegalArgumentException("numOutputChannels must be 1 or 3, got " + numOutputChannels);
    }
    return named("grayscale(" + numOutputChannels + ")", (batch, rng) -> {
      Images im = Images.of(batch, "grayscale");
      if (im.c != 3) {
        throw new IllegalArgumentException(
            "grayscale expects RGB images (N, 3, H, W), got shape " + Arrays.toString(batch.shape()));
      }
      int plane = im.h * im.w;
      float[] out = new float[im.n * numOutputChannels * plane];
      for (int s = 0; s < im.n; s++) {
        int in = s * 3 * plane;
        for (int k = 0; k < plane; k++) {
          float g = 0.2989f * im.d[in + k] + 0.587f * im.d[in + plane + k] + 0.114f * im.d[in + 2 * plane + k];
          for (int ch = 0; ch < numOutputChannels; ch++) {
            out[(s * numOutputChannels + ch) * plane + k] = g;
          }
        }
      }
      return im.toArray(out, numOutputChannels, im.h, im.w);
    });
  }

  static Transform toRgb() {
    return named("toRgb()", (batch, rng) -> {
      Images im = Images.of(batch, "toRgb");
      if (im.c != 1) {
        throw new IllegalArgumentException(
            "toRgb expects one-channel images (N, 1, H, W), got shape " + Arrays.toString(batch.shape()));
      }
      INDArray x = floats(batch);
      return Nd4j.concat(1, x, x, x);
    });
  }
}
