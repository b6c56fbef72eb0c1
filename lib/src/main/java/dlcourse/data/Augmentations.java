package dlcourse.data;

import dlcourse.data.TransformSupport.Images;
import static dlcourse.data.TransformSupport.named;

import dlcourse.util.Check;
import java.util.Arrays;

/** Random and fixed geometric augmentations behind {@link Transforms}: crops, flips, rotations, affine maps, erasing. */
final class Augmentations {
  private Augmentations() {}

  static Transform randomCrop(int height, int width, int padding) {
    Check.positive(height, "height");
    Check.positive(width, "width");
    Check.nonNegative(padding, "padding");
    return named("randomCrop(" + height + "x" + width + ", padding=" + padding + ")", (batch, rng) -> {
      Images im = Images.of(batch, "randomCrop");
      if (im.h + 2 * padding < height || im.w + 2 * padding < width) {
        throw new IllegalArgumentException(
            "randomCrop: crop " + height + "x" + width + " is larger than the padded image "
                + (im.h + 2 * padding) + "x" + (im.w + 2 * padding));
      }
      int[] top = new int[im.n];
      int[] left = new int[im.n];
      for (int s = 0; s < im.n; s++) {
        top[s] = rng.nextInt(im.h + 2 * padding - height + 1) - padding;
        left[s] = rng.nextInt(im.w + 2 * padding - width + 1) - padding;
      }
      return im.crop(top, left, height, width);
    });
  }

  static Transform centerCrop(int height, int width) {
    Check.positive(height, "height");
    Check.positive(width, "width");
    return named("centerCrop(" + height + "x" + width + ")", (batch, rng) -> {
      Images im = Images.of(batch, "centerCrop");
      int[] top = new int[im.n];
      int[] left = new int[im.n];
      Arrays.fill(top, centerOffset(im.h, height));
      Arrays.fill(left, centerOffset(im.w, width));
      return im.crop(top, left, height, width);
    });
  }

  static int centerOffset(int size, int crop) {
    return size >= crop ? (int) Math.rint((size - crop) / 2.0) : -((crop - size) / 2);
  }

  static Transform hflip(double p) {
    Check.probability(p, "p");
    return named("hflip(" + p + ")", (batch, rng) -> {
      Images im = Images.of(batch, "hflip");
      float[] out = im.d.clone();
      int plane = im.h * im.w;
      for (int s = 0; s < im.n; s++) {
        if (rng.nextDouble() < p) {
          for (int ch = 0; ch < im.c; ch++) {
            int base = (s * im.c + ch) * plane;
            for (int i = 0; i < im.h; i++) {
              int row = base + i * im.w;
              for (int j = 0; j < im.w; j++) {
                out[row + j] = im.d[row + im.w - 1 - j];
              }
            }
          }
        }
      }
      return im.toArray(out, im.c, im.h, im.w);
    });
  }

  static Transform rotate(double degrees) {
    Check.finite(degrees, "degrees");
    return named("rotate(" + degrees + ")", (batch, rng) -> {
      Images im = Images.of(batch, "rotate");
      double[][] m = new double[im.n][];
      Arrays.fill(m, inverseAffine(degrees, 0, 0, 1));
      return im.warp(m);
    });
  }

  static Transform randomRotation(double degrees) {
    Check.finite(degrees, "degrees");
    Check.nonNegative(degrees, "degrees");
    return randomRotation(-degrees, degrees);
  }

  static Transform randomRotation(double minDegrees, double maxDegrees) {
    Check.finite(minDegrees, "minDegrees");
    Check.finite(maxDegrees, "maxDegrees");
    if (minDegrees > maxDegrees) {
      throw new IllegalArgumentException(
          "minDegrees must be <= maxDegrees, got " + minDegrees + " and " + maxDegrees);
    }
    return named("randomRotation(" + minDegrees + ", " + maxDegrees + ")", (batch, rng) -> {
      Images im = Images.of(batch, "randomRotation");
      double[][] m = new double[im.n][];
      for (int s = 0; s < im.n; s++) {
        m[s] = inverseAffine(minDegrees + (maxDegrees - minDegrees) * rng.nextDouble(), 0, 0, 1);
      }
      return im.warp(m);
    });
  }

  static Transform affine(double degrees, double translateX, double translateY, double scale) {
    Check.finite(degrees, "degrees");
    Check.finite(translateX, "translateX");
    Check.finite(translateY, "translateY");
    Check.positive(Check.finite(scale, "scale"), "scale");
    return named("affine(" + degrees + ", " + translateX + ", " + translateY + ", " + scale + ")", (batch, rng) -> {
      Images im = Images.of(batch, "affine");
      double[][] m = new double[im.n][];
      Arrays.fill(m, inverseAffine(degrees, translateX, translateY, scale));
      return im.warp(m);
    });
  }

  static Transform randomAffine(
      double degrees, double translateX, double translateY, double scaleMin, double scaleMax) {
    Check.finite(degrees, "degrees");
    Check.nonNegative(degrees, "degrees");
    Check.probability(translateX, "translateX");
    Check.probability(translateY, "translateY");
    if (!(scaleMin > 0) || !(scaleMin <= scaleMax) || !Double.isFinite(scaleMax)) {
      throw new IllegalArgumentException(
          "scale range must satisfy 0 < scaleMin <= scaleMax, got [" + scaleMin + ", " + scaleMax + "]");
    }
    String name = "randomAffine(degrees=" + degrees + ", translate=(" + translateX + ", " + translateY
        + "), scale=(" + scaleMin + ", " + scaleMax + "))";
    return named(name, (batch, rng) -> {
      Images im = Images.of(batch, "randomAffine");
      double[][] m = new double[im.n][];
      for (int s = 0; s < im.n; s++) {
        double angle = degrees * (2 * rng.nextDouble() - 1);
        double tx = Math.rint(translateX * im.w * (2 * rng.nextDouble() - 1));
        double ty = Math.rint(translateY * im.h * (2 * rng.nextDouble() - 1));
        double sc = scaleMin + (scaleMax - scaleMin) * rng.nextDouble();
        m[s] = inverseAffine(angle, tx, ty, sc);
      }
      return im.warp(m);
    });
  }

  /**
   * The map from an output pixel to the input point it samples, in coordinates centred on the image, as
   * {@code {a, b, c, d, e, f}}: {@code xIn = a x + b y + c}, {@code yIn = d x + e y + f}. Follows torchvision's
   * {@code _get_inverse_affine_matrix} (shear 0), with y pointing down.
   */
  static double[] inverseAffine(double degrees, double tx, double ty, double scale) {
    double rad = Math.toRadians(degrees);
    double cos = snap(Math.cos(rad));
    double sin = snap(Math.sin(rad));
    return new double[] {
      cos / scale, -sin / scale, -(cos * tx - sin * ty) / scale,
      sin / scale, cos / scale, -(sin * tx + cos * ty) / scale
    };
  }

  /** Rounds values within 1e-12 of -1, 0 or 1, so that multiples of 90 degrees sample pixel centres exactly. */
  static double snap(double v) {
    double r = Math.rint(v);
    return Math.abs(v - r) < 1e-12 ? r : v;
  }

  static Transform randomErasing(
      double p, double scaleMin, double scaleMax, double ratioMin, double ratioMax, double value) {
    Check.probability(p, "p");
    if (!(scaleMin >= 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
      throw new IllegalArgumentException(
          "scale range must satisfy 0 <= scaleMin <= scaleMax <= 1, got [" + scaleMin + ", " + scaleMax + "]");
    }
    if (!(ratioMin > 0 && ratioMin <= ratioMax && Double.isFinite(ratioMax))) {
      throw new IllegalArgumentException(
          "ratio range must satisfy 0 < ratioMin <= ratioMax, got [" + ratioMin + ", " + ratioMax + "]");
    }
    Check.finite(value, "value");
    double logMin = Math.log(ratioMin);
    double logMax = Math.log(ratioMax);
    String name = "randomErasing(p=" + p + ", scale=(" + scaleMin + ", " + scaleMax + "), ratio=(" + ratioMin
        + ", " + ratioMax + "), value=" + value + ")";
    return named(name, (batch, rng) -> {
      Images im = Images.of(batch, "randomErasing");
      float[] out = im.d.clone();
      double area = (double) im.h * im.w;
      for (int s = 0; s < im.n; s++) {
        if (!(rng.nextDouble() < p)) {
          continue;
        }
        for (int attempt = 0; attempt < 10; attempt++) {
          double erase = area * (scaleMin + (scaleMax - scaleMin) * rng.nextDouble());
          double aspect = Math.exp(logMin + (logMax - logMin) * rng.nextDouble());
          int eh = (int) Math.rint(Math.sqrt(erase * aspect));
          int ew = (int) Math.rint(Math.sqrt(erase / aspect));
          if (!(eh < im.h && ew < im.w)) {
            continue;
          }
          int top = rng.nextInt(im.h - eh + 1);
          int left = rng.nextInt(im.w - ew + 1);
          for (int ch = 0; ch < im.c; ch++) {
            int base = (s * im.c + ch) * im.h * im.w;
            for (int i = top; i < top + eh; i++) {
              Arrays.fill(out, base + i * im.w + left, base + i * im.w + left + ew, (float) value);
            }
          }
          break;
        }
      }
      return im.toArray(out, im.c, im.h, im.w);
    });
  }
}
