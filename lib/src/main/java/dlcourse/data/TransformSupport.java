package dlcourse.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** What the transforms share: batches copied to Java arrays ({@link Images}) and named transforms. */
final class TransformSupport {
  private TransformSupport() {}

  /** {@code batch} as float32 (the same array when it already is). */
  static INDArray floats(INDArray batch) {
    return batch.dataType() == DataType.FLOAT ? batch : batch.castTo(DataType.FLOAT);
  }

  /** A batch of images copied into a Java array, where per-sample loops are simple and fast. */
  static final class Images {
    final float[] d;
    final int n;
    final int c;
    final int h;
    final int w;

    private Images(float[] d, int n, int c, int h, int w) {
      this.d = d;
      this.n = n;
      this.c = c;
      this.h = h;
      this.w = w;
    }

    static Images of(INDArray batch, String op) {
      Objects.requireNonNull(batch, "batch");
      if (batch.rank() != 4) {
        throw new IllegalArgumentException(
            op + " expects a batch of images (N, C, H, W), got shape " + Arrays.toString(batch.shape()));
      }
      long[] s = batch.shape();
      INDArray f = floats(batch);
      // one copy: straight from the buffer when the array owns exactly its data in C order
      float[] d = dlcourse.kernels.Layout.isPlain(f)
          ? f.data().asFloat()
          : f.dup('c').reshape(f.length()).toFloatVector();
      return new Images(d, (int) s[0], (int) s[1], (int) s[2], (int) s[3]);
    }

    INDArray toArray(float[] data, int channels, int height, int width) {
      return Nd4j.create(data, new long[] {n, channels, height, width}, 'c');
    }

    /** Windows {@code (top[s], left[s])} of size {@code ch x cw}; pixels outside the image are 0. */
    INDArray crop(int[] top, int[] left, int ch, int cw) {
      float[] out = new float[n * c * ch * cw];
      for (int s = 0; s < n; s++) {
        int i0 = Math.max(0, -top[s]);
        int i1 = Math.min(ch, h - top[s]);
        int j0 = Math.max(0, -left[s]);
        int j1 = Math.min(cw, w - left[s]);
        if (j1 <= j0) {
          continue;
        }
        for (int k = 0; k < c; k++) {
          int in = (s * c + k) * h * w;
          int o = (s * c + k) * ch * cw;
          for (int i = i0; i < i1; i++) {
            System.arraycopy(d, in + (i + top[s]) * w + j0 + left[s], out, o + i * cw + j0, j1 - j0);
          }
        }
      }
      return toArray(out, c, ch, cw);
    }

    /**
     * Bilinear resampling with a per-sample inverse map {@code m[s]} (see {@link #inverseAffine}); neighbours
     * outside the image count as 0, like {@code grid_sample(padding_mode='zeros', align_corners=False)}.
     */
    INDArray warp(double[][] m) {
      float[] out = new float[d.length];
      int plane = h * w;
      // sampling grid of one sample: four neighbour offsets and weights per output pixel (-1 = outside)
      int[] idx = new int[4 * plane];
      float[] wt = new float[4 * plane];
      for (int s = 0; s < n; s++) {
        double[] a = m[s];
        for (int i = 0; i < h; i++) {
          double yc = i + 0.5 - h / 2.0;
          for (int j = 0; j < w; j++) {
            double xc = j + 0.5 - w / 2.0;
            double xs = a[0] * xc + a[1] * yc + a[2] + w / 2.0 - 0.5;
            double ys = a[3] * xc + a[4] * yc + a[5] + h / 2.0 - 0.5;
            double fx0 = Math.floor(xs);
            double fy0 = Math.floor(ys);
            double fx = xs - fx0;
            double fy = ys - fy0;
            int x0 = (int) Math.max(-2, Math.min(w + 1, fx0)); // clamp far-away points, they all weigh 0
            int y0 = (int) Math.max(-2, Math.min(h + 1, fy0));
            int k = 4 * (i * w + j);
            set(idx, wt, k, x0, y0, (1 - fx) * (1 - fy));
            set(idx, wt, k + 1, x0 + 1, y0, fx * (1 - fy));
            set(idx, wt, k + 2, x0, y0 + 1, (1 - fx) * fy);
            set(idx, wt, k + 3, x0 + 1, y0 + 1, fx * fy);
          }
        }
        for (int ch = 0; ch < c; ch++) {
          int base = (s * c + ch) * plane;
          for (int p = 0; p < plane; p++) {
            float v = 0;
            for (int q = 4 * p; q < 4 * p + 4; q++) {
              if (idx[q] >= 0) {
                v += wt[q] * d[base + idx[q]];
              }
            }
            out[base + p] = v;
          }
        }
      }
      return toArray(out, c, h, w);
    }

    private void set(int[] idx, float[] wt, int k, int x, int y, double weight) {
      boolean inside = x >= 0 && x < w && y >= 0 && y < h;
      idx[k] = inside ? y * w + x : -1;
      wt[k] = inside ? (float) weight : 0f;
    }
  }

  static Transform named(String name, Transform t) {
    return new Transform() {
      @Override
      public INDArray apply(INDArray batch, Random rng) {
        return t.apply(batch, rng);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }
}
