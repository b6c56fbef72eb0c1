package dlcourse.models;

import dlcourse.data.Npy;
import dlcourse.nn.F;
import dlcourse.nn.Module;
import dlcourse.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Region features for an image captioner ({@link Captioner}): one vector per image region, {@code (N, R, E)}.
 *
 * <p>Two ways to get them. From images: {@link #extract} runs a CNN (any {@link Module} whose output is a feature
 * map {@code (N, E, h, w)}, e.g. the convolutional trunk of a ResNet-18 or of a small CIFAR network), average-pools
 * the map to a {@code grid x grid} of regions and lays the regions out in row-major order. From a file written
 * elsewhere (PyTorch, NumPy): {@link #read} takes a {@code .npy} of every image in order or a {@code .npz} keyed by
 * image file name. The IST homework's features are ResNet-18's last stage: E = 512 channels at stride 32, so a
 * 224x224 image gives 7x7 = 49 regions.
 *
 * <pre>{@code
 * INDArray f = RegionFeatures.extract(trunk, images, 3, 64);       // (N, 3, 96, 96) -> (N, 9, E)
 * INDArray g = RegionFeatures.read(Path.of("feats.npz"), data.fileNames()); // (N, 49, 512)
 * }</pre>
 */
public final class RegionFeatures {
  private RegionFeatures() {}

  /**
   * Runs {@code encoder} over {@code images} in evaluation mode without recording, in batches, and pools each
   * output map to {@code grid x grid} regions (adaptive average pooling, as PyTorch's).
   *
   * @param encoder maps {@code (B, C, H, W)} images to a feature map {@code (B, E, h, w)} with h, w >= grid
   * @param images float {@code (N, C, H, W)}
   * @param grid regions per side; the result has {@code R = grid * grid} regions, row by row
   * @param batchSize images per forward pass
   * @return float32 {@code (N, grid * grid, E)}
   */
  public static INDArray extract(Module encoder, INDArray images, int grid, int batchSize) {
    if (images.rank() != 4) {
      throw new IllegalArgumentException("expected images (N, C, H, W), got " + Arrays.toString(images.shape()));
    }
    if (grid <= 0 || batchSize <= 0) {
      throw new IllegalArgumentException("grid and batchSize must be positive, got " + grid + ", " + batchSize);
    }
    boolean wasTraining = encoder.training();
    encoder.eval();
    List<INDArray> parts = new ArrayList<>();
    try (var g = Tensor.noGrad()) {
      long n = images.size(0);
      for (long i = 0; i < n; i += batchSize) {
        long b = Math.min(batchSize, n - i);
        Tensor x = Tensor.of(images.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + b)).dup());
        Tensor map = encoder.call(x);
        if (map.dim() != 4 || map.size(2) < grid || map.size(3) < grid) {
          throw new IllegalArgumentException("the encoder must give a feature map (B, E, h, w) with h, w >= " + grid
              + ", got " + Arrays.toString(map.shape()));
        }
        parts.add(regions(F.adaptiveAvgPool2d(map, grid, grid).array()));
      }
    } finally {
      encoder.train(wasTraining);
    }
    return Nd4j.concat(0, parts.toArray(new INDArray[0])).castTo(DataType.FLOAT);
  }

  /** A feature map {@code (N, E, h, w)} as {@code (N, h * w, E)}: region {@code r = row * w + col}. */
  public static INDArray regions(INDArray maps) {
    if (maps.rank() != 4) {
      throw new IllegalArgumentException("expected a feature map (N, E, h, w), got " + Arrays.toString(maps.shape()));
    }
    long n = maps.size(0);
    long e = maps.size(1);
    return maps.permute(0, 2, 3, 1).dup('c').reshape(n, maps.size(2) * maps.size(3), e);
  }

  /**
   * Appends each region's position to its feature: a one-hot of the region index, {@code (N, R, E)} ->
   * {@code (N, R, E + R)}. A weighted sum of such features (an attention context) says where it looked; their mean
   * over the regions (what a decoder without attention sees) is the same constant {@code 1/R} for every image.
   * CNN features of a whole image carry position only implicitly (padding, large receptive fields); this makes it
   * explicit, as positional encodings do in transformers.
   */
  public static INDArray withPositions(INDArray features) {
    if (features.rank() != 3) {
      throw new IllegalArgumentException("expected features (N, R, E), got " + Arrays.toString(features.shape()));
    }
    long n = features.size(0);
    int r = (int) features.size(1);
    INDArray eye = Nd4j.eye(r).castTo(features.dataType()).reshape(1, r, r);
    INDArray pos = Nd4j.zeros(features.dataType(), n, r, r).addi(eye); // broadcast over N
    return Nd4j.concat(2, features, pos);
  }

  /**
   * Reads region features from a {@code .npy} or {@code .npz} file, in the order of {@code fileNames}.
   *
   * <ul>
   *   <li>{@code .npz}: one array per image, keyed by its file name as {@code np.savez(path, **{name: f})} writes
   *       it ({@code "219.tif"}), each {@code (R, E)} or a feature map {@code (E, h, w)}; other keys are ignored.
   *   <li>{@code .npy}: one array for all images, rows in {@code fileNames} order, {@code (N, R, E)} or
   *       {@code (N, E, h, w)}.
   * </ul>
   * Feature maps become {@code h * w} regions row by row ({@link #regions}).
   *
   * @param fileNames the images wanted, e.g. {@code CaptionDataset.fileNames()}
   * @return float32 {@code (N, R, E)}
   * @throws IllegalArgumentException naming a missing image, a wrong row count or a wrong rank
   */
  public static INDArray read(Path file, List<String> fileNames) {
    String name = file.getFileName().toString();
    if (name.endsWith(".npz")) {
      Map<String, INDArray> all = Npy.readNpz(file);
      INDArray[] rows = new INDArray[fileNames.size()];
      for (int i = 0; i < rows.length; i++) {
        INDArray a = all.get(fileNames.get(i));
        if (a == null) {
          throw new IllegalArgumentException(file + " has no features for image '" + fileNames.get(i) + "' ("
              + all.size() + " keys, e.g. " + all.keySet().stream().limit(3).toList() + ")");
        }
        if (a.rank() != 2 && a.rank() != 3) {
          throw new IllegalArgumentException(file + ": features of '" + fileNames.get(i)
              + "' must be (R, E) or (E, h, w), got " + Arrays.toString(a.shape()));
        }
        INDArray one = a.rank() == 3 ? regions(a.reshape(1, a.size(0), a.size(1), a.size(2))) : a.reshape(1,
            a.size(0), a.size(1));
        rows[i] = one.castTo(DataType.FLOAT);
        if (i > 0 && !Arrays.equals(rows[i].shape(), rows[0].shape())) {
          throw new IllegalArgumentException(file + ": image '" + fileNames.get(i) + "' has features "
              + Arrays.toString(a.shape()) + ", image '" + fileNames.get(0) + "' another shape");
        }
      }
      return Nd4j.concat(0, rows);
    }
    INDArray a = Npy.read(file);
    if (a.rank() != 3 && a.rank() != 4) {
      throw new IllegalArgumentException(file + ": expected (N, R, E) or (N, E, h, w), got "
          + Arrays.toString(a.shape()));
    }
    if (a.size(0) != fileNames.size()) {
      throw new IllegalArgumentException(file + " has features of " + a.size(0) + " images, expected "
          + fileNames.size() + " (one row per image, in order)");
    }
    return (a.rank() == 4 ? regions(a) : a).castTo(DataType.FLOAT);
  }
}
