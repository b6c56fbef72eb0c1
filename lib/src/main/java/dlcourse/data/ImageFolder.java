package dlcourse.data;

import dlcourse.util.Check;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Images in class folders ({@code root/<class>/<image>.png}), like torchvision's {@code ImageFolder}, read from a
 * folder or straight from a {@code .tgz} / {@code .tar.gz} / {@code .tar}.
 *
 * <p>Classes are the folder names, sorted; a class's index is its position in {@link #classes()}. Images are
 * PNG or JPEG (anything ImageIO decodes), gray or colour. Because a tensor needs one image size, images are
 * grouped by size: {@link #groups()} maps {@code "HxW"} (such as {@code "32x32"}) to a {@link TensorDataset} with
 * features float32 {@code (N, C, H, W)} in [0, 1] and labels int64 {@code (N)}; within a group, examples are
 * ordered by class, then by file name. {@link #single()} gives the one group when all images have one size.
 *
 * <pre>{@code
 * var train = ImageFolder.reader().prefix("mnist-varres/train").read(Path.of("mnist-varres.tgz"));
 * train.groups().keySet();  // [32x32, 48x48, 64x64]
 * }</pre>
 */
public final class ImageFolder {
  private final List<String> classes;
  private final Map<String, TensorDataset> groups;
  private final Map<String, List<String>> names;

  ImageFolder(List<String> classes, Map<String, TensorDataset> groups, Map<String, List<String>> names) {
    this.classes = List.copyOf(classes);
    this.groups = Collections.unmodifiableMap(groups);
    this.names = Collections.unmodifiableMap(names);
  }

  /** A reader with default options (channels from the first image, every image). */
  public static Reader reader() {
    return new Reader();
  }

  /** Reads the image folder at {@code source} (a folder or a tar archive) with default options. */
  public static ImageFolder read(Path source) {
    return reader().read(source);
  }

  /** The class names, sorted; label {@code k} means {@code classes().get(k)}. */
  public List<String> classes() {
    return classes;
  }

  /** The data sets by image size {@code "HxW"}, smallest first. */
  public Map<String, TensorDataset> groups() {
    return groups;
  }

  /** The image sizes {@code "HxW"} present, smallest first. */
  public List<String> sizes() {
    return List.copyOf(groups.keySet());
  }

  /** The data set of images of size {@code key} ({@code "HxW"}). */
  public TensorDataset group(String key) {
    TensorDataset ds = groups.get(key);
    if (ds == null) {
      throw new IllegalArgumentException("no images of size " + key + "; sizes present: " + groups.keySet());
    }
    return ds;
  }

  /** The paths of the images of group {@code key} relative to the root ({@code <class>/<file>}), in row order. */
  public List<String> names(String key) {
    group(key);
    return names.get(key);
  }

  /**
   * The only group, when every image has the same size.
   *
   * @throws IllegalStateException when the images have several sizes
   */
  public TensorDataset single() {
    if (groups.size() != 1) {
      throw new IllegalStateException(
          "the images have " + groups.size() + " sizes " + groups.keySet() + "; use groups() or group(\"HxW\")");
    }
    return groups.values().iterator().next();
  }

  /** The total number of images over all groups. */
  public long size() {
    return groups.values().stream().mapToLong(TensorDataset::size).sum();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("ImageFolder(classes=" + classes.size() + ", images=" + size());
    groups.forEach((k, v) -> sb.append(", ").append(k).append(": ").append(v.size()));
    return sb.append(')').toString();
  }

  /** Options for reading an image folder; the setters return {@code this}. */
  public static final class Reader {
    private String prefix = "";
    private int channels = 0;
    private int maxPerClass = Integer.MAX_VALUE;

    Reader() {}

    /**
     * Reads only below {@code prefix} inside the folder or archive ({@code "mnist-varres/train"}); default: the
     * root.
     */
    public Reader prefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      String p = prefix.replace('\\', '/');
      while (p.startsWith("./")) {
        p = p.substring(2);
      }
      while (p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      this.prefix = p;
      return this;
    }

    /** Output channels: 1 (gray), 3 (RGB) or 0 to take them from the first image (default). */
    public Reader channels(int channels) {
      if (channels != 0 && channels != 1 && channels != 3) {
        throw new IllegalArgumentException("channels must be 0 (auto), 1 or 3, got " + channels);
      }
      this.channels = channels;
      return this;
    }

    /** Reads at most {@code n} images per class (the first by file name), for quick experiments and tests. */
    public Reader maxPerClass(int n) {
      Check.positive(n, "maxPerClass");
      this.maxPerClass = n;
      return this;
    }

    /** Reads the images below the prefix of {@code source}, a folder or a {@code .tgz}/{@code .tar.gz}/{@code .tar}. */
    public ImageFolder read(Path source) {
      Decoding d = decodeAll(source);
      return assemble(d.classes(), d.images(), d.channels());
    }

    /** Decodes every image without assembling tensors (for callers that post-process the bytes). */
    Decoding decodeAll(Path source) {
      List<Encoded> files;
      try {
        files = Files.isDirectory(source) ? listFolder(source) : listArchive(source);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read image folder " + source + ": " + e.getMessage(), e);
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException(
            "no images found in " + source + (prefix.isEmpty() ? "" : " under " + prefix)
                + " (expected <class>/<image>.png|jpg)");
      }
      files.sort(Comparator.comparing(Encoded::cls).thenComparing(Encoded::name));
      List<String> classes = new ArrayList<>(new TreeSet<>(files.stream().map(Encoded::cls).toList()));
      files = limit(files);
      int c = channels != 0 ? channels : channelsOf(files.get(0), source);
      List<Decoded> decoded =
          files.parallelStream().map(f -> decode(f, c, source)).toList();
      return new Decoding(classes, decoded, c);
    }

    private List<Encoded> limit(List<Encoded> sorted) {
      if (maxPerClass == Integer.MAX_VALUE) {
        return sorted;
      }
      List<Encoded> out = new ArrayList<>();
      String cls = null;
      int n = 0;
      for (Encoded e : sorted) {
        if (!e.cls().equals(cls)) {
          cls = e.cls();
          n = 0;
        }
        if (n++ < maxPerClass) {
          out.add(e);
        }
      }
      return out;
    }

    private List<Encoded> listFolder(Path root) throws IOException {
      Path base = prefix.isEmpty() ? root : root.resolve(prefix);
      if (!Files.isDirectory(base)) {
        throw new IllegalArgumentException("no folder " + base);
      }
      List<Encoded> out = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(base)) {
        for (Path p : (Iterable<Path>) walk::iterator) {
          if (!Files.isRegularFile(p) || !isImage(p.getFileName().toString())) {
            continue;
          }
          String rel = base.relativize(p).toString().replace('\\', '/');
          int slash = rel.indexOf('/');
          if (slash > 0) {
            out.add(new Encoded(rel.substring(0, slash), rel, Files.readAllBytes(p)));
          }
        }
      }
      return out;
    }

    private List<Encoded> listArchive(Path archive) throws IOException {
      if (!Files.isRegularFile(archive)) {
        throw new IllegalArgumentException("no such folder or archive: " + archive);
      }
      String pre = prefix.isEmpty() ? "" : prefix + "/";
      List<Encoded> out = new ArrayList<>();
      try (InputStream raw = Idx.open(archive);
          TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
        for (TarArchiveEntry e; (e = tar.getNextTarEntry()) != null;) {
          String n = e.getName();
          while (n.startsWith("./")) {
            n = n.substring(2);
          }
          if (!e.isFile() || !n.startsWith(pre) || !isImage(n)) {
            continue;
          }
          String rel = n.substring(pre.length());
          int slash = rel.indexOf('/');
          if (slash <= 0) {
            continue;
          }
          byte[] bytes = tar.readAllBytes();
          if (bytes.length != e.getSize()) {
            throw new IllegalArgumentException(archive + " is truncated inside " + n);
          }
          out.add(new Encoded(rel.substring(0, slash), rel, bytes));
        }
      } catch (IOException e) {
        throw new IOException(archive + " is not a readable tar archive (" + e.getMessage() + ")", e);
      }
      return out;
    }

    private ImageFolder assemble(List<String> classes, List<Decoded> images, int c) {
      Map<String, Integer> index = new LinkedHashMap<>();
      for (int i = 0; i < classes.size(); i++) {
        index.put(classes.get(i), i);
      }
      TreeMap<long[], List<Decoded>> bySize =
          new TreeMap<>(Comparator.<long[]>comparingLong(s -> s[0]).thenComparingLong(s -> s[1]));
      for (Decoded d : images) {
        bySize.computeIfAbsent(new long[] {d.h(), d.w()}, k -> new ArrayList<>()).add(d);
      }
      Map<String, TensorDataset> groups = new LinkedHashMap<>();
      Map<String, List<String>> names = new LinkedHashMap<>();
      for (Map.Entry<long[], List<Decoded>> g : bySize.entrySet()) {
        long h = g.getKey()[0];
        long w = g.getKey()[1];
        List<Decoded> list = g.getValue();
        int per = (int) (c * h * w);
        float[] x = new float[Math.multiplyExact(list.size(), per)];
        long[] y = new long[list.size()];
        List<String> n = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
          byte[] px = list.get(i).pixels();
          int off = i * per;
          for (int j = 0; j < per; j++) {
            x[off + j] = (px[j] & 0xff) / 255f;
          }
          y[i] = index.get(list.get(i).cls());
          n.add(list.get(i).name());
        }
        String key = h + "x" + w;
        groups.put(
            key,
            new TensorDataset(
                Nd4j.create(x, new long[] {list.size(), c, h, w}, DataType.FLOAT),
                Nd4j.createFromArray(y),
                classes));
        names.put(key, List.copyOf(n));
      }
      return new ImageFolder(classes, groups, names);
    }
  }

  private record Encoded(String cls, String name, byte[] bytes) {}

  /** One decoded image: class folder, path below the root, size and planar unsigned-byte pixels. */
  record Decoded(String cls, String name, int h, int w, byte[] pixels) {}

  /** All decoded images of a folder with the sorted class names and the channel count. */
  record Decoding(List<String> classes, List<Decoded> images, int channels) {}

  static {
    // The disk cache makes ImageIO several times slower on many small images.
    ImageIO.setUseCache(false);
  }

  private static boolean isImage(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp")
        || n.endsWith(".gif") || n.endsWith(".tif") || n.endsWith(".tiff");
  }

  private static int channelsOf(Encoded e, Path source) {
    BufferedImage img = decodeImage(e.bytes(), source + "!" + e.name());
    return img.getColorModel().getNumColorComponents() == 1 ? 1 : 3;
  }

  private static Decoded decode(Encoded e, int channels, Path source) {
    BufferedImage img = decodeImage(e.bytes(), source + "!" + e.name());
    return new Decoded(e.cls(), e.name(), img.getHeight(), img.getWidth(), pixels(img, channels));
  }

  static BufferedImage decodeImage(byte[] bytes, String what) {
    try {
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
      if (img == null) {
        throw new IllegalArgumentException("cannot decode image " + what + " (unknown or corrupt format)");
      }
      return img;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot decode image " + what + ": " + e.getMessage(), e);
    }
  }

  /**
   * The pixels of {@code img} as unsigned bytes in planar {@code (C, H, W)} order, converted to {@code channels}
   * (gray from colour by ITU-R 601 luma, colour from gray by repetition).
   */
  static byte[] pixels(BufferedImage img, int channels) {
    int h = img.getHeight();
    int w = img.getWidth();
    int hw = h * w;
    byte[] out = new byte[channels * hw];
    int type = img.getType();
    if (type == BufferedImage.TYPE_BYTE_GRAY) {
      // Read the raster directly: getRGB would apply a gray-to-sRGB gamma and change the values.
      byte[] gray = new byte[hw];
      img.getRaster().getDataElements(0, 0, w, h, gray);
      for (int c = 0; c < channels; c++) {
        System.arraycopy(gray, 0, out, c * hw, hw);
      }
      return out;
    }
    if (type == BufferedImage.TYPE_3BYTE_BGR
        && img.getRaster().getDataBuffer() instanceof DataBufferByte
        && img.getRaster().getNumDataElements() == 3) {
      // getDataElements returns the samples in band order (R, G, B), whatever the byte layout in memory.
      byte[] rgb = new byte[3 * hw];
      img.getRaster().getDataElements(0, 0, w, h, rgb);
      fromInterleaved(rgb, hw, channels, out, 0, 1, 2);
      return out;
    }
    int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < hw; i++) {
      int r = (argb[i] >> 16) & 0xff;
      int g = (argb[i] >> 8) & 0xff;
      int b = argb[i] & 0xff;
      if (channels == 1) {
        out[i] = (byte) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      } else {
        out[i] = (byte) r;
        out[hw + i] = (byte) g;
        out[2 * hw + i] = (byte) b;
      }
    }
    return out;
  }

  private static void fromInterleaved(byte[] px, int hw, int channels, byte[] out, int ri, int gi, int bi) {
    for (int i = 0; i < hw; i++) {
      int r = px[3 * i + ri] & 0xff;
      int g = px[3 * i + gi] & 0xff;
      int b = px[3 * i + bi] & 0xff;
      if (channels == 1) {
        out[i] = (byte) Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      } else {
        out[i] = (byte) r;
        out[hw + i] = (byte) g;
        out[2 * hw + i] = (byte) b;
      }
    }
  }
}
