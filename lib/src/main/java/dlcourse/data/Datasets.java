package dlcourse.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The course data sets by name, like {@code torchvision.datasets}: each call finds the files through the
 * {@link DataRegistry} (data root, user cache, system paths, download) and returns tensors.
 *
 * <p>Images are float32 {@code (N, C, H, W)} scaled to [0, 1]; class labels are int64 {@code (N)}.
 *
 * <pre>{@code
 * TensorDataset train = Datasets.mnist(Split.TRAIN);    // (60000, 1, 28, 28), labels (60000)
 * TensorDataset test = Datasets.cifar10(Split.TEST);    // (10000, 3, 32, 32)
 * }</pre>
 */
public final class Datasets {
  /** Fashion-MNIST class names in label order. */
  public static final List<String> FASHION_CLASSES =
      List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
          "Ankle boot");

  /** MNIST class names ("0" to "9"). */
  public static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

  private static volatile DataRegistry registry;

  private Datasets() {}

  /** The registry used by the factories (created from the environment on first use). */
  public static DataRegistry registry() {
    DataRegistry r = registry;
    if (r == null) {
      synchronized (Datasets.class) {
        if (registry == null) {
          registry = DataRegistry.defaults();
        }
        r = registry;
      }
    }
    return r;
  }

  /** Replaces the registry used by the factories (tests, custom folders). */
  public static void registry(DataRegistry r) {
    registry = Objects.requireNonNull(r, "registry");
  }

  /**
   * MNIST: features {@code (N, 1, 28, 28)}, labels {@code (N)}; 60,000 train, 10,000 test.
   *
   * <p>Uses the real MNIST files when present (or downloadable). Without the real training images, the
   * training digits are recovered from mnist-varres (a 28x28 window around each digit, see
   * {@link #recoveredMnistTrain()}) with a printed note; the test set is always the real one.
   */
  public static TensorDataset mnist(Split split) {
    DataRegistry r = registry();
    if (split == Split.TEST) {
      return Idx.readDataset(
          r.file("mnist", "t10k-images-idx3-ubyte.gz"), r.file("mnist", "t10k-labels-idx1-ubyte.gz"), DIGITS);
    }
    Optional<Path> images = r.find("mnist", "train-images-idx3-ubyte.gz");
    if (images.isEmpty() && r.download()) {
      try {
        images = Optional.of(r.file("mnist", "train-images-idx3-ubyte.gz"));
      } catch (DataNotFoundException e) {
        images = Optional.empty();
      }
    }
    if (images.isPresent()) {
      return Idx.readDataset(images.get(), r.file("mnist", "train-labels-idx1-ubyte.gz"), DIGITS);
    }
    System.out.println(
        "note: the MNIST training images are not available here; using the 60,000 MNIST training digits"
            + " recovered from mnist-varres (28x28 window centred on each digit), labels from its folders.");
    return recoveredMnistTrain();
  }

  /**
   * The 60,000 MNIST training digits recovered from mnist-varres, features {@code (60000, 1, 28, 28)}.
   *
   * <p>Each digit was pasted unscaled on a 32, 48 or 64 px canvas; the 28x28 window is placed so its centre
   * of mass is at the centre, as in MNIST, and moved the least needed to contain all the ink. Labels are the
   * folder names; the {@code k}-th image of digit {@code d} takes the position of the {@code k}-th {@code d} in
   * the real training-label file when that is present, so the class order looks like MNIST's. The result is
   * cached as IDX files in the user cache ({@code mnist-recovered/}, each with its SHA-256, checked on load: a
   * damaged cache is rebuilt) after the first call.
   */
  public static TensorDataset recoveredMnistTrain() {
    DataRegistry r = registry();
    Path dir = r.cacheDir().resolve("mnist-recovered");
    Path images = dir.resolve("train-images-idx3-ubyte");
    Path labels = dir.resolve("train-labels-idx1-ubyte");
    if (DerivedCache.intact(images, "mnist-varres.tgz", DerivedCache::idxLayout)
        && DerivedCache.intact(labels, "mnist-varres.tgz", DerivedCache::idxLayout)) {
      return Idx.readDataset(images, labels, DIGITS);
    }
    Path tgz = r.file("mnist-varres", "mnist-varres.tgz");
    ImageFolder.Decoding d = ImageFolder.reader().prefix("mnist-varres/train").channels(1).decodeAll(tgz);
    List<ImageFolder.Decoded> all = new ArrayList<>(d.images());
    all.sort(Comparator.comparing(ImageFolder.Decoded::cls).thenComparing(ImageFolder.Decoded::name));
    int n = all.size();
    int[] order = mnistOrder(all, r);
    byte[] x = new byte[n * 28 * 28];
    byte[] y = new byte[n];
    for (int i = 0; i < n; i++) {
      ImageFolder.Decoded img = all.get(i);
      byte[] crop = MnistRecovery.crop(img.pixels(), img.h(), img.w());
      System.arraycopy(crop, 0, x, order[i] * 784, 784);
      y[order[i]] = (byte) Integer.parseInt(img.cls());
    }
    DerivedCache.write(images, () -> Idx.write(images, new long[] {n, 28, 28}, x));
    DerivedCache.write(labels, () -> Idx.write(labels, new long[] {n}, y));
    return new TensorDataset(Idx.toImages(x, n, 1, 28, 28), Idx.toLabels(y), DIGITS);
  }

  /** Row of each image (sorted by class, then name) in MNIST's order when the real labels are available. */
  private static int[] mnistOrder(List<ImageFolder.Decoded> sorted, DataRegistry r) {
    int n = sorted.size();
    int[] order = new int[n];
    Optional<Path> lf = r.find("mnist", "train-labels-idx1-ubyte.gz");
    if (lf.isPresent()) {
      byte[] labels = Idx.read(lf.get()).data();
      int[] counts = new int[10];
      for (ImageFolder.Decoded img : sorted) {
        counts[Integer.parseInt(img.cls())]++;
      }
      int[] real = new int[10];
      for (byte b : labels) {
        real[b]++;
      }
      if (labels.length == n && java.util.Arrays.equals(counts, real)) {
        List<List<Integer>> positions = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
          positions.add(new ArrayList<>());
        }
        for (int i = 0; i < labels.length; i++) {
          positions.get(labels[i]).add(i);
        }
        int[] next = new int[10];
        for (int i = 0; i < n; i++) {
          int c = Integer.parseInt(sorted.get(i).cls());
          order[i] = positions.get(c).get(next[c]++);
        }
        return order;
      }
    }
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  /** The names {@link #byName} knows, in the order its error lists them. */
  public static final List<String> IMAGE_DATASETS = List.of("mnist", "fashion", "cifar10");

  /**
   * An image-classification set by name, for notebooks whose parameters name the data set: {@code "mnist"},
   * {@code "fashion"} (Fashion-MNIST) or {@code "cifar10"}.
   *
   * @throws IllegalArgumentException for any other name, listing the known ones
   */
  public static TensorDataset byName(String name, Split split) {
    return switch (name) {
      case "mnist" -> mnist(split);
      case "fashion" -> fashionMnist(split);
      case "cifar10" -> cifar10(split);
      default -> throw new IllegalArgumentException(
          "unknown data set '" + name + "': the known ones are " + IMAGE_DATASETS);
    };
  }

  /** Fashion-MNIST: features {@code (N, 1, 28, 28)}, labels {@code (N)}; 60,000 train, 10,000 test. */
  public static TensorDataset fashionMnist(Split split) {
    DataRegistry r = registry();
    String p = split == Split.TRAIN ? "train" : "t10k";
    return Idx.readDataset(
        r.file("fashion-mnist", p + "-images-idx3-ubyte.gz"),
        r.file("fashion-mnist", p + "-labels-idx1-ubyte.gz"),
        FASHION_CLASSES);
  }

  /**
   * CIFAR-10: features {@code (N, 3, 32, 32)}, labels {@code (N)}; 50,000 train, 10,000 test.
   *
   * <p>Reads the canonical binary format when found ({@code cifar-10-batches-bin/} or
   * {@code cifar-10-binary.tar.gz} under a root); otherwise the JPEG mirror {@code cifar10-jpg.tgz}, decoded once
   * and cached in the binary format in the user cache ({@code cifar10-jpg-interleaved/}, with its SHA-256, checked on
   * load: a damaged cache is reported and rebuilt); otherwise downloads the
   * binary archive.
   *
   * <p>Order: the canonical files' order, in which the classes are interleaved, so {@code take(n)} has every class.
   * The JPEG mirror stores images by class; decoded, they are put in a fixed class-interleaved order (a permutation
   * drawn from seed 0, the same on every machine) before they are cached. For a random sample use
   * {@link Dataset#randomSubset(long, long)}.
   */
  public static TensorDataset cifar10(Split split) {
    DataRegistry r = registry();
    for (Path root : r.searchRoots()) {
      if (Files.isDirectory(root.resolve("cifar-10-batches-bin"))) {
        return Cifar10Binary.read(root.resolve("cifar-10-batches-bin"), split);
      }
    }
    Optional<Path> bin = r.find("cifar10", "cifar-10-binary.tar.gz");
    if (bin.isPresent()) {
      return Cifar10Binary.read(bin.get(), split);
    }
    // The folder name changed with the order: caches of the earlier class-sorted order are not read.
    Path cached = r.cacheDir().resolve("cifar10-jpg-interleaved").resolve(split.folder() + "_batch.bin");
    Optional<byte[]> intact = DerivedCache.read(cached, "cifar10-jpg.tgz", Cifar10Binary::wholeRecords);
    if (intact.isPresent()) {
      return Cifar10Binary.decode(List.of(intact.get()), List.of(cached.getFileName().toString()), cached.getParent());
    }
    Optional<Path> jpg = r.find("cifar10-jpg", "cifar10-jpg.tgz");
    if (jpg.isEmpty()) {
      return Cifar10Binary.read(r.file("cifar10", "cifar-10-binary.tar.gz"), split);
    }
    TensorDataset byClass =
        ImageFolder.reader().prefix("cifar10-jpg/" + split.folder()).channels(3).read(jpg.get()).single();
    if (!byClass.classes().equals(Cifar10Binary.CLASSES)) {
      throw new IllegalStateException(jpg.get() + " has classes " + byClass.classes() + ", expected "
          + Cifar10Binary.CLASSES);
    }
    TensorDataset ds = byClass.shuffle(0);
    DerivedCache.write(cached, () -> Cifar10Binary.write(ds, cached));
    return ds;
  }

  /**
   * mnist-varres: digits on 32, 48 or 64 px gray canvases, grouped by size ({@code "32x32"}, {@code "48x48"},
   * {@code "64x64"}); 60,000 train, 10,000 test in total.
   */
  public static ImageFolder mnistVarres(Split split) {
    return ImageFolder.reader()
        .prefix("mnist-varres/" + split.folder())
        .channels(1)
        .read(registry().file("mnist-varres", "mnist-varres.tgz"));
  }

  /** A text corpus by name: {@code "grimms_fairy_tales"} or {@code "tiny_shakespeare"}. */
  public static TextCorpus text(String name) {
    DataRegistry r = registry();
    List<DataRegistry.FileEntry> files = r.files(name);
    return TextCorpus.read(r.file(name, files.get(0).fileName()));
  }

  /**
   * A text corpus by name, keeping a leading BOM as a character when {@code keepBom} (as the UvA course template
   * reads Grimms' tales: 540,241 characters, 87 distinct); see {@link #text(String)}.
   */
  public static TextCorpus text(String name, boolean keepBom) {
    DataRegistry r = registry();
    List<DataRegistry.FileEntry> files = r.files(name);
    return TextCorpus.read(r.file(name, files.get(0).fileName()), keepBom);
  }

  /**
   * The RDFIA circles: features float32 {@code (200, 2)}, labels int64 {@code (200)} (the index of the one-hot
   * column of {@code Ytrain} / {@code Ytest}).
   */
  public static TensorDataset circles(Split split) {
    Map<String, INDArray> m = MatFile.read(registry().file("circles", "circles.mat"));
    String sx = split == Split.TRAIN ? "Xtrain" : "Xtest";
    String sy = split == Split.TRAIN ? "Ytrain" : "Ytest";
    if (!m.containsKey(sx) || !m.containsKey(sy)) {
      throw new IllegalArgumentException("circles.mat has no " + sx + "/" + sy + " (variables: " + m.keySet() + ")");
    }
    INDArray x = m.get(sx).castTo(DataType.FLOAT);
    INDArray y = Nd4j.argMax(m.get(sy), 1).castTo(DataType.LONG).reshape(-1);
    return new TensorDataset(x, y, List.of("0", "1"));
  }

  /**
   * A captioning data set in the Sydney-Captions / RSICD layout ({@code path/dataset.json} plus images), split
   * {@code "train"}, {@code "val"} or {@code "test"}, images resized to {@code imageSize}.
   */
  public static CaptionDataset sydneyCaptions(Path path, String split, int imageSize) {
    return CaptionDataset.readDatasetJson(path, split, imageSize);
  }
}
