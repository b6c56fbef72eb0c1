package dlcourse.data;

import static dlcourse.data.Normalizations.broadcastShape;
import static dlcourse.data.Normalizations.whitening;
import static dlcourse.data.TransformSupport.floats;
import static dlcourse.data.TransformSupport.named;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
    return ImageTransforms.scale(divisor);
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
    return Normalizations.normalizeFrom(train, preprocess);
  }

  /** Per-channel standardisation {@code (x - mean[c]) / std[c]}; see {@link Transforms#normalize}. */
  public static final class Normalize implements Transform {
    private final double[] mean;
    private final double[] std;

    Normalize(double[] mean, double[] std) {
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
    return Normalizations.globalContrastNormalize(scale, sqrtBias, eps);
  }

  /**
   * Divides every sample by its L<sub>p</sub> norm over all its values, {@code x / max(||x||_p, 1e-12)}, as
   * {@code torch.nn.functional.normalize(x.flatten(1), p)} (and scikit-learn's {@code Normalizer}): {@code p = 1}
   * makes the absolute values of a sample sum to 1, {@code p = 2} gives it unit Euclidean length.
   *
   * @param p the norm's exponent, {@code >= 1}
   */
  public static Transform lpNormalize(double p) {
    return Normalizations.lpNormalize(p);
  }

  /**
   * Stretches every sample to [0, 1]: {@code (x - min(x)) / (max(x) - min(x))} over all its values (a constant sample
   * becomes 0). Per sample, so nothing is fitted; on images that already span [0, 1] it changes nothing.
   */
  public static Transform minMax() {
    return Normalizations.minMax();
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
    return Normalizations.linearTransformation(matrix, mean);
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

  /**
   * Pads every side with {@code padding} zeros and cuts a random {@code size x size} window per sample, like
   * torchvision's {@code RandomCrop(size, padding)}.
   */
  public static Transform randomCrop(int size, int padding) {
    return randomCrop(size, size, padding);
  }

  /** Pads with {@code padding} zeros and cuts a random {@code height x width} window per sample. */
  public static Transform randomCrop(int height, int width, int padding) {
    return Augmentations.randomCrop(height, width, padding);
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
    return Augmentations.centerCrop(height, width);
  }

  /** Mirrors each sample left-right with probability {@code p}; {@code hflip(1)} always flips. */
  public static Transform hflip(double p) {
    return Augmentations.hflip(p);
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
    return Augmentations.rotate(degrees);
  }

  /** Rotates every sample by its own angle drawn uniformly from {@code [-degrees, degrees]}. */
  public static Transform randomRotation(double degrees) {
    return Augmentations.randomRotation(degrees);
  }

  /**
   * Rotates every sample by its own angle drawn uniformly from {@code [minDegrees, maxDegrees)}, counter-clockwise,
   * with bilinear sampling and black corners; {@code randomRotation(0, 360)} for any orientation.
   */
  public static Transform randomRotation(double minDegrees, double maxDegrees) {
    return Augmentations.randomRotation(minDegrees, maxDegrees);
  }

  /**
   * Rotates by {@code degrees} counter-clockwise, scales by {@code scale} and then shifts by
   * ({@code translateX}, {@code translateY}) pixels (right and down), all around the image centre; bilinear, black
   * fill. Note that torchvision's {@code F.affine} counts its angle clockwise.
   */
  public static Transform affine(double degrees, double translateX, double translateY, double scale) {
    return Augmentations.affine(degrees, translateX, translateY, scale);
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
    return Augmentations.randomAffine(degrees, translateX, translateY, scaleMin, scaleMax);
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
    return Augmentations.randomErasing(p, scaleMin, scaleMax, ratioMin, ratioMax, value);
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
    return ImageTransforms.resize(height, width);
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
    return ImageTransforms.grayscale(numOutputChannels);
  }

  /** Gray {@code (N, 1, H, W)} to RGB {@code (N, 3, H, W)} by repeating the channel. */
  public static Transform toRgb() {
    return ImageTransforms.toRgb();
  }
  /**
   * A deterministic input normalisation by name, the fitted ones fitted on {@code train} only; {@code null} for
   * {@code "none"}: {@code "standardize"} ({@link #normalizeFrom(Dataset)}), {@code "gcn"}
   * ({@link #globalContrastNormalize()}), {@code "zca"} and {@code "pca"} ({@link #zcaWhiteningFrom},
   * {@link #pcaWhiteningFrom} with {@code whiteningEps}), {@code "l1"}, {@code "l2"} ({@link #lpNormalize}) and
   * {@code "minmax"} ({@link #minMax()}).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static Transform normalization(String name, Dataset train, double whiteningEps) {
    return switch (name) {
      case "none" -> null;
      case "standardize" -> normalizeFrom(train);
      case "gcn" -> globalContrastNormalize();
      case "zca" -> zcaWhiteningFrom(train, whiteningEps);
      case "pca" -> pcaWhiteningFrom(train, whiteningEps);
      case "l1" -> lpNormalize(1);
      case "l2" -> lpNormalize(2);
      case "minmax" -> minMax();
      default -> throw new IllegalArgumentException("unknown normalization " + name
          + "; known: none, standardize, gcn, zca, pca, l1, l2, minmax");
    };
  }

  /**
   * The non-null {@code transforms} in order, as {@link #compose}; {@code null} (no transform, as a
   * {@link DataLoader} takes it) when all are null, the transform itself when only one is not.
   */
  public static Transform chain(Transform... transforms) {
    Transform[] present = Arrays.stream(transforms).filter(Objects::nonNull).toArray(Transform[]::new);
    return present.length == 0 ? null : present.length == 1 ? present[0] : compose(present);
  }
}
