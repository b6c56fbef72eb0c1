package dlcourse.data;

import dlcourse.util.Check;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Factories for the usual {@link Transform}s, modelled on torchvision's {@code transforms} but applied to a batch.
 *
 * <p>Image transforms take float32 batches {@code (N, C, H, W)} and draw their random parameters separately for
 * every sample. Geometric transforms use torchvision's conventions: the image centre is the point between the
 * middle pixels, angles are in degrees counter-clockwise, sampling is bilinear and points that fall outside the
 * image are black (0).
 *
 * <pre>{@code
 * var train = Transforms.compose(Transforms.randomCrop(28, 0), Transforms.hflip(0.5));
 * var test = Transforms.centerCrop(28);
 * }</pre>
 */
public final class Transforms {
  private Transforms() {}

  /** Applies {@code transforms} in order, all drawing from the batch's generator. */
  public static Transform compose(Transform... transforms) {
    Objects.requireNonNull(transforms, "transforms");
    List<Transform> list = List.of(transforms); // rejects null elements
    return named("compose(" + list + ")", (batch, rng) -> {
      INDArray x = batch;
      for (Transform t : list) {
        x = t.apply(x, rng);
      }
      return x;
    });
  }

  /** Divides every value by {@code divisor}: {@code scale(255)} maps bytes 0..255 to [0, 1]. */
  public static Transform scale(double divisor) {
    if (!(divisor != 0 && Double.isFinite(divisor))) {
      throw new IllegalArgumentException("divisor must be finite and non-zero, got " + divisor);
    }
    return named("scale(" + divisor + ")", (batch, rng) -> floats(batch).div(divisor));
  }

  /**
   * Standardises every channel: {@code (x - mean[c]) / std[c]}, like torchvision's {@code Normalize}.
   *
   * @param mean per-channel mean, length {@code C} (the size of dimension 1 of the batch)
   * @param std per-channel standard deviation, length {@code C}, all positive
   */
  public static Normalize normalize(double[] mean, double[] std) {
    return new Normalize(mean, std);
  }

  /**
   * Standardisation with the per-channel mean and standard deviation of {@code train}'s features, so that the
   * training set has mean 0 and standard deviation 1 in every channel. Compute it on the training split only and
   * apply the same transform to validation and test data.
   *
   * <p>Statistics are over all examples and positions of a channel (dimension 1), in double precision; the
   * standard deviation is the population one (divides by the count, as {@code numpy.std}).
   */
  public static Normalize normalizeFrom(Dataset train) {
    return normalizeFrom(train, null);
  }

  /**
   * Like {@link #normalizeFrom(Dataset)}, with the statistics measured after {@code preprocess} (a deterministic
   * transform such as {@code scale(255)} that the loader applies before normalising).
   */
  public static Normalize normalizeFrom(Dataset train, Transform preprocess) {
    Objects.requireNonNull(train, "train");
    INDArray f = train.features();
    if (train.size() == 0 || f.rank() < 2) {
      throw new IllegalArgumentException(
          "normalizeFrom needs a non-empty data set with a channel dimension, got features of shape "
              + Arrays.toString(f.shape()));
    }
    int c = (int) f.size(1);
    long n = f.size(0);
    long perChunk = Math.max(1, (1L << 22) / Math.max(1, f.length() / n)); // ~4M values per chunk
    double[] sum = new double[c];
    long count = 0;
    for (long from = 0; from < n; from += perChunk) {
      INDArray x = chunk(f, from, Math.min(n, from + perChunk), preprocess);
      add(sum, x.sum(reduceDims(x.rank())));
      count += x.length() / c;
    }
    double[] mean = new double[c];
    for (int i = 0; i < c; i++) {
      mean[i] = sum[i] / count;
    }
    INDArray meanArr = Nd4j.createFromArray(mean).reshape(broadcastShape(c, f.rank()));
    double[] sq = new double[c];
    for (long from = 0; from < n; from += perChunk) { // second pass: exact for large means
      INDArray x = chunk(f, from, Math.min(n, from + perChunk), preprocess).sub(meanArr);
      add(sq, x.muli(x).sum(reduceDims(x.rank())));
    }
    double[] std = new double[c];
    for (int i = 0; i < c; i++) {
      std[i] = Math.sqrt(sq[i] / count);
      if (!(std[i] > 0)) {
        throw new IllegalArgumentException(
            "channel " + i + " of the training features is constant (std 0), cannot normalise it");
      }
    }
    return new Normalize(mean, std);
  }

  private static INDArray chunk(INDArray f, long from, long to, Transform preprocess) {
    INDArrayIndex[] ix = new INDArrayIndex[f.rank()];
    ix[0] = NDArrayIndex.interval(from, to);
    for (int d = 1; d < ix.length; d++) {
      ix[d] = NDArrayIndex.all();
    }
    INDArray x = f.get(ix);
    if (preprocess != null) {
      x = preprocess.apply(x, new Random(0));
    }
    return x.castTo(DataType.DOUBLE);
  }

  private static int[] reduceDims(int rank) {
    int[] dims = new int[rank - 1];
    dims[0] = 0;
    for (int d = 2; d < rank; d++) {
      dims[d - 1] = d;
    }
    return dims;
  }

  private static long[] broadcastShape(int c, int rank) {
    long[] shape = new long[rank];
    Arrays.fill(shape, 1);
    shape[1] = c;
    return shape;
  }

  private static void add(double[] acc, INDArray v) {
    double[] d = v.toDoubleVector();
    for (int i = 0; i < acc.length; i++) {
      acc[i] += d[i];
    }
  }

  /** Per-channel standardisation {@code (x - mean[c]) / std[c]}; see {@link Transforms#normalize}. */
  public static final class Normalize implements Transform {
    private final double[] mean;
    private final double[] std;

    private Normalize(double[] mean, double[] std) {
      Objects.requireNonNull(mean, "mean");
      Objects.requireNonNull(std, "std");
      if (mean.length == 0 || mean.length != std.length) {
        throw new IllegalArgumentException(
            "mean and std need the same non-zero length, got " + mean.length + " and " + std.length);
      }
      for (int i = 0; i < std.length; i++) {
        if (!(std[i] > 0) || !Double.isFinite(std[i]) || !Double.isFinite(mean[i])) {
          throw new IllegalArgumentException(
              "std must be positive and mean finite, got mean[" + i + "] = " + mean[i] + ", std[" + i + "] = "
                  + std[i]);
        }
      }
      this.mean = mean.clone();
      this.std = std.clone();
    }

    /** The per-channel means (a copy). */
    public double[] mean() {
      return mean.clone();
    }

    /** The per-channel standard deviations (a copy). */
    public double[] std() {
      return std.clone();
    }

    @Override
    public INDArray apply(INDArray batch, Random rng) {
      if (batch.rank() < 2 || batch.size(1) != mean.length) {
        throw new IllegalArgumentException(
            "normalize has " + mean.length + " channels but the batch has shape " + Arrays.toString(batch.shape())
                + " (channels are dimension 1)");
      }
      INDArray x = floats(batch);
      long[] shape = broadcastShape(mean.length, x.rank());
      INDArray m = Nd4j.createFromArray(mean).castTo(x.dataType()).reshape(shape);
      INDArray s = Nd4j.createFromArray(std).castTo(x.dataType()).reshape(shape);
      return x.sub(m).divi(s);
    }

    @Override
    public String toString() {
      return "normalize(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
    }
  }

  // ---------------------------------------------------------------- other normalisations

  /** {@link #globalContrastNormalize(double, double, double)} with scale 1, sqrtBias 0, eps 1e-8. */
  public static Transform globalContrastNormalize() {
    return globalContrastNormalize(1, 0, 1e-8);
  }

  /**
   * Global contrast normalisation of every sample on its own (Goodfellow et al. 2013, pylearn2's
   * {@code global_contrast_normalize}): {@code scale * (x - mean(x)) / max(eps, sqrt(sqrtBias + var(x)))}, mean and
   * (population) variance over all {@code C*H*W} values of the sample. With the defaults every sample has mean 0 and
   * standard deviation 1. Nothing is fitted, so train and test are treated alike.
   *
   * @param scale the standard deviation of the result
   * @param sqrtBias added to the variance, {@code >= 0}; damps the contrast of flat images
   * @param eps lower bound of the divisor, {@code > 0}
   */
  public static Transform globalContrastNormalize(double scale, double sqrtBias, double eps) {
    Check.finite(scale, "scale");
    Check.nonNegative(sqrtBias, "sqrtBias");
    Check.positive(eps, "eps");
    return named("globalContrastNormalize(" + scale + ", " + sqrtBias + ", " + eps + ")", (batch, rng) -> {
      INDArray x = perSample(batch, "globalContrastNormalize");
      INDArray centred = x.sub(x.mean(1).reshape(-1, 1));
      INDArray std = centred.mul(centred).mean(1).addi(sqrtBias);
      org.nd4j.linalg.ops.transforms.Transforms.sqrt(std, false);
      org.nd4j.linalg.ops.transforms.Transforms.max(std, eps, false);
      return centred.divi(std.reshape(-1, 1)).muli(scale).reshape(batch.shape());
    });
  }

  /**
   * Divides every sample by its L<sub>p</sub> norm over all its values, {@code x / max(||x||_p, 1e-12)}, as
   * {@code torch.nn.functional.normalize(x.flatten(1), p)} (and scikit-learn's {@code Normalizer}): {@code p = 1}
   * makes the absolute values of a sample sum to 1, {@code p = 2} gives it unit Euclidean length.
   *
   * @param p the norm's exponent, {@code >= 1}
   */
  public static Transform lpNormalize(double p) {
    if (!(p >= 1) || !Double.isFinite(p)) {
      throw new IllegalArgumentException("p must be finite and >= 1, got " + p);
    }
    return named("lpNormalize(" + p + ")", (batch, rng) -> {
      INDArray x = perSample(batch, "lpNormalize");
      INDArray norm = p == 1 ? x.norm1(1) : p == 2 ? x.norm2(1)
          : org.nd4j.linalg.ops.transforms.Transforms.pow(
              org.nd4j.linalg.ops.transforms.Transforms.pow(org.nd4j.linalg.ops.transforms.Transforms.abs(x), p)
                  .sum(1), 1 / p, false);
      org.nd4j.linalg.ops.transforms.Transforms.max(norm, 1e-12, false);
      return x.div(norm.reshape(-1, 1)).reshape(batch.shape());
    });
  }

  /**
   * Stretches every sample to [0, 1]: {@code (x - min(x)) / (max(x) - min(x))} over all its values (a constant sample
   * becomes 0). Per sample, so nothing is fitted; on images that already span [0, 1] it changes nothing.
   */
  public static Transform minMax() {
    return named("minMax()", (batch, rng) -> {
      INDArray x = perSample(batch, "minMax");
      INDArray min = x.min(1).reshape(-1, 1);
      INDArray range = x.max(1).reshape(-1, 1).subi(min);
      org.nd4j.linalg.ops.transforms.Transforms.max(range, 1e-12, false);
      return x.sub(min).divi(range).reshape(batch.shape());
    });
  }

  /**
   * Flattens every sample to its {@code D = C*H*W} values, subtracts {@code mean} and multiplies by {@code matrix}:
   * {@code (x - mean) matrix}, reshaped back to the sample's shape, as torchvision's {@code LinearTransformation}.
   * {@link #zcaWhiteningFrom} and {@link #pcaWhiteningFrom} build one.
   *
   * @param matrix {@code (D, D)}
   * @param mean {@code (D)}
   */
  public static Transform linearTransformation(INDArray matrix, INDArray mean) {
    Objects.requireNonNull(matrix, "matrix");
    Objects.requireNonNull(mean, "mean");
    if (matrix.rank() != 2 || matrix.size(0) != matrix.size(1) || mean.length() != matrix.size(0)) {
      throw new IllegalArgumentException("linearTransformation needs a square matrix (D, D) and a mean of D values, got "
          + Arrays.toString(matrix.shape()) + " and " + Arrays.toString(mean.shape()));
    }
    INDArray m = matrix.castTo(DataType.FLOAT).dup('c');
    INDArray mu = mean.castTo(DataType.FLOAT).reshape(1, mean.length()).dup('c');
    return named("linearTransformation(D=" + m.size(0) + ")", (batch, rng) -> {
      INDArray x = perSample(batch, "linearTransformation");
      if (x.size(1) != m.size(0)) {
        throw new IllegalArgumentException("linearTransformation is for samples of " + m.size(0) + " values, got shape "
            + Arrays.toString(batch.shape()));
      }
      return x.sub(mu).mmul(m).reshape(batch.shape());
    });
  }

  /**
   * ZCA whitening fitted on {@code train}: with the covariance of the flattened training samples
   * {@code Sigma = U diag(lambda) U^T}, the transform is {@code (x - mean) U diag(1/sqrt(lambda + eps)) U^T}. The
   * training set then has (nearly, as eps allows) the identity covariance, and a whitened image still looks like an
   * image (edges enhanced), since the rotation into the eigenbasis is undone. Fit on the training split only.
   *
   * @param eps added to every eigenvalue, {@code > 0}; larger values whiten the weak, noisy directions less
   */
  public static Transform zcaWhiteningFrom(Dataset train, double eps) {
    return whitening(train, eps, true);
  }

  /**
   * PCA whitening fitted on {@code train}: {@code (x - mean) U diag(1/sqrt(lambda + eps))} with {@code U} the
   * eigenvectors of the training covariance by decreasing eigenvalue (see {@link #zcaWhiteningFrom}). The result has
   * the sample's shape but holds principal components in order, not pixels: value {@code i} of the flattened sample
   * is component {@code i}, so a convolution no longer sees neighbouring pixels side by side.
   */
  public static Transform pcaWhiteningFrom(Dataset train, double eps) {
    return whitening(train, eps, false);
  }

  private static Transform whitening(Dataset train, double eps, boolean zca) {
    Objects.requireNonNull(train, "train");
    Check.positive(Check.finite(eps, "eps"), "eps");
    INDArray f = train.features();
    long n = f.size(0);
    long d = f.length() / n;
    if (n < 2) {
      throw new IllegalArgumentException("whitening needs at least 2 training samples, got " + n);
    }
    long perChunk = Math.max(1, (1L << 22) / d);
    INDArray sum = Nd4j.zeros(DataType.DOUBLE, 1, d);
    for (long from = 0; from < n; from += perChunk) {
      sum.addi(chunk(f, from, Math.min(n, from + perChunk), null).reshape(-1, d).sum(true, 0));
    }
    INDArray mean = sum.divi(n);
    INDArray cov = Nd4j.zeros(DataType.DOUBLE, d, d);
    for (long from = 0; from < n; from += perChunk) {
      INDArray x = chunk(f, from, Math.min(n, from + perChunk), null).reshape(-1, d).sub(mean);
      cov.addi(x.transpose().mmul(x));
    }
    cov.divi(n);
    // LAPACK syev: ascending eigenvalues; cov is overwritten with the eigenvectors as columns
    INDArray lambda = org.nd4j.linalg.eigen.Eigen.symmetricGeneralizedEigenvalues(cov, true);
    double[] ascending = lambda.toDoubleVector();
    int[] order = new int[(int) d];
    double[] scale = new double[(int) d];
    for (int i = 0; i < d; i++) {
      order[i] = (int) d - 1 - i;
      // round-off can make the tiny eigenvalues of a rank-deficient covariance negative
      scale[i] = 1 / Math.sqrt(Math.max(0, ascending[order[i]]) + eps);
    }
    INDArray u = cov.getColumns(order).dup('c'); // (D, D), columns by decreasing eigenvalue
    INDArray m = u.mul(Nd4j.createFromArray(scale).reshape(1, d));
    if (zca) {
      m = m.mmul(u.transpose());
    }
    return named((zca ? "zca" : "pca") + "WhiteningFrom(n=" + n + ", eps=" + eps + ")",
        linearTransformation(m, mean.reshape(d)));
  }

  /** The batch as float32 rows, one per sample: {@code (N, C*H*W)}. */
  private static INDArray perSample(INDArray batch, String op) {
    Objects.requireNonNull(batch, "batch");
    if (batch.rank() < 2) {
      throw new IllegalArgumentException(op + " expects a batch (N, ...), got shape " + Arrays.toString(batch.shape()));
    }
    return floats(batch).dup('c').reshape(batch.size(0), batch.length() / batch.size(0));
  }

  /**
   * Pads every side with {@code padding} zeros and cuts a random {@code size x size} window per sample, like
   * torchvision's {@code RandomCrop(size, padding)}.
   */
  public static Transform randomCrop(int size, int padding) {
    return randomCrop(size, size, padding);
  }

  /** Pads with {@code padding} zeros and cuts a random {@code height x width} window per sample. */
  public static Transform randomCrop(int height, int width, int padding) {
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

  /** Cuts the central {@code size x size} window, like torchvision's {@code CenterCrop(size)}. */
  public static Transform centerCrop(int size) {
    return centerCrop(size, size);
  }

  /**
   * Cuts the central {@code height x width} window; the offset rounds half to even as torchvision does, and a
   * window larger than the image is padded with zeros.
   */
  public static Transform centerCrop(int height, int width) {
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

  private static int centerOffset(int size, int crop) {
    return size >= crop ? (int) Math.rint((size - crop) / 2.0) : -((crop - size) / 2);
  }

  /** Mirrors each sample left-right with probability {@code p}; {@code hflip(1)} always flips. */
  public static Transform hflip(double p) {
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

  /**
   * Rotates every sample by {@code degrees} counter-clockwise around the image centre with bilinear sampling and
   * black corners, like torchvision's {@code F.rotate(img, degrees, BILINEAR)}. Multiples of 90 degrees on square
   * images are exact.
   *
   * <p>This is torchvision's default {@code fill=None}: neighbours outside the image count as 0. With an explicit
   * {@code fill=0} (as {@code RandomRotation} passes) torchvision also multiplies the border pixels by the sampled
   * coverage mask, which darkens the one-pixel rim along the rotated edges slightly more.
   */
  public static Transform rotate(double degrees) {
    Check.finite(degrees, "degrees");
    return named("rotate(" + degrees + ")", (batch, rng) -> {
      Images im = Images.of(batch, "rotate");
      double[][] m = new double[im.n][];
      Arrays.fill(m, inverseAffine(degrees, 0, 0, 1));
      return im.warp(m);
    });
  }

  /** Rotates every sample by its own angle drawn uniformly from {@code [-degrees, degrees]}. */
  public static Transform randomRotation(double degrees) {
    Check.finite(degrees, "degrees");
    Check.nonNegative(degrees, "degrees");
    return randomRotation(-degrees, degrees);
  }

  /**
   * Rotates every sample by its own angle drawn uniformly from {@code [minDegrees, maxDegrees)}, counter-clockwise,
   * with bilinear sampling and black corners; {@code randomRotation(0, 360)} for any orientation.
   */
  public static Transform randomRotation(double minDegrees, double maxDegrees) {
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

  /**
   * Rotates by {@code degrees} counter-clockwise, scales by {@code scale} and then shifts by
   * ({@code translateX}, {@code translateY}) pixels (right and down), all around the image centre; bilinear, black
   * fill. Note that torchvision's {@code F.affine} counts its angle clockwise.
   */
  public static Transform affine(double degrees, double translateX, double translateY, double scale) {
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

  /** A random rotation in {@code [-degrees, degrees]} without translation or scaling. */
  public static Transform randomAffine(double degrees) {
    return randomAffine(degrees, 0, 0, 1, 1);
  }

  /**
   * A random affine map per sample, like torchvision's {@code RandomAffine(degrees, translate, scale)}: angle
   * uniform in {@code [-degrees, degrees]}, shift a whole number of pixels up to {@code translateX * W} and
   * {@code translateY * H}, scale uniform in {@code [scaleMin, scaleMax]}.
   *
   * @param translateX largest horizontal shift as a fraction of the width, in [0, 1]
   * @param translateY largest vertical shift as a fraction of the height, in [0, 1]
   */
  public static Transform randomAffine(
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
  private static double snap(double v) {
    double r = Math.rint(v);
    return Math.abs(v - r) < 1e-12 ? r : v;
  }

  /** Random erasing with torchvision's defaults: area 2-33% of the image, aspect ratio 0.3-3.3, value 0. */
  public static Transform randomErasing(double p) {
    return randomErasing(p, 0.02, 0.33, 0.3, 3.3, 0);
  }

  /**
   * With probability {@code p} per sample, sets a random rectangle of all channels to {@code value}, like
   * torchvision's {@code RandomErasing}: the area is a fraction in {@code [scaleMin, scaleMax]} of the image and
   * the aspect ratio (height / width) is log-uniform in {@code [ratioMin, ratioMax]}; after 10 draws that do not
   * fit, the sample is left unchanged.
   */
  public static Transform randomErasing(
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

  /** Resizes to {@code size x size}; see {@link #resize(int, int)}. */
  public static Transform resize(int size) {
    return resize(size, size);
  }

  /**
   * Resizes every image to {@code height x width} by bilinear interpolation, exactly as PyTorch's
   * {@code F.interpolate(x, size=(height, width), mode='bilinear', align_corners=False)} (no antialiasing).
   * Unlike torchvision's {@code Resize(int)}, both sides are given.
   */
  public static Transform resize(int height, int width) {
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
  private static void sourceIndices(int in, int out, int[] i0, int[] i1, float[] lambda) {
    double scale = (double) in / out;
    for (int d = 0; d < out; d++) {
      double src = Math.max(0, scale * (d + 0.5) - 0.5);
      int lo = Math.min((int) src, in - 1);
      i0[d] = lo;
      i1[d] = lo < in - 1 ? lo + 1 : lo;
      lambda[d] = (float) (src - lo);
    }
  }

  /** RGB to one gray channel with torchvision's weights {@code 0.2989 R + 0.587 G + 0.114 B}. */
  public static Transform grayscale() {
    return grayscale(1);
  }

  /**
   * RGB {@code (N, 3, H, W)} to gray with torchvision's weights, repeated to {@code numOutputChannels} (1 or 3)
   * channels, like {@code Grayscale(numOutputChannels)}.
   */
  public static Transform grayscale(int numOutputChannels) {
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

  /** Gray {@code (N, 1, H, W)} to RGB {@code (N, 3, H, W)} by repeating the channel. */
  public static Transform toRgb() {
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

  /** {@code batch} as float32 (the same array when it already is). */
  private static INDArray floats(INDArray batch) {
    return batch.dataType() == DataType.FLOAT ? batch : batch.castTo(DataType.FLOAT);
  }

  /** A batch of images copied into a Java array, where per-sample loops are simple and fast. */
  private static final class Images {
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
      float[] d = f.ordering() == 'c' && f.offset() == 0 && f.data().length() == f.length() && !f.isView()
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

  private static Transform named(String name, Transform t) {
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
