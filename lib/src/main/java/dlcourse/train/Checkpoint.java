package dlcourse.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import dlcourse.io.AtomicFiles;
import dlcourse.nn.Parameter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A saved training state: named parameter values, the optimizer state and free metadata (epoch, config, scores).
 *
 * <p>File format: a zip archive with {@code meta.json} ({@code {"format": "dlcourse-checkpoint", "version": 2,
 * "params": [names], "optimizer": [keys], "sha256": {entry: hex}, "extra": {...}}}), one NumPy {@code .npy} file per
 * array under {@code params/<name>.npy} and {@code optimizer/<key>.npy}, readable with Python's {@code zipfile} and
 * {@code numpy.load}. Saving writes a temporary file in the same directory and renames it over the target, so a
 * crash never leaves a half-written checkpoint under the real name. Loading checks every entry's zip CRC and
 * SHA-256 and parses each {@code .npy} header in Java before making an array, so a damaged file fails with a
 * message naming the file and the entry instead of loading wrong numbers or crashing the JVM.
 *
 * <pre>{@code
 * Checkpoint.save(Path.of("ckpt.zip"), model.namedParameters(), opt.state(), Map.of("epoch", 3));
 * var ck = Checkpoint.load(Path.of("ckpt.zip"));
 * ck.loadInto(model.namedParameters());  opt.loadState(ck.optimizerState());  int epoch = ck.extraInt("epoch");
 * }</pre>
 */
public final class Checkpoint {
  static final String FORMAT = "dlcourse-checkpoint";
  private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().setPrettyPrinting().create();

  private final Path path;
  private final Map<String, INDArray> params;
  private final Map<String, INDArray> optimizerState;
  private final Map<String, Object> extra;

  private Checkpoint(Path path, Map<String, INDArray> params, Map<String, INDArray> opt, Map<String, Object> extra) {
    this.path = path;
    this.params = params;
    this.optimizerState = opt;
    this.extra = extra;
  }

  /**
   * Writes a checkpoint atomically.
   *
   * @param path the file to write (conventionally {@code .zip}); its directory must exist
   * @param namedParams values by name: {@link Parameter}s or {@link INDArray}s (e.g. {@code model.namedParameters()})
   * @param optimizerState {@link Optimizer#state()}, or an empty map
   * @param extra metadata that Gson can write as JSON (numbers, strings, lists, maps), or an empty map
   * @throws UncheckedIOException naming the file if it cannot be written
   */
  public static void save(Path path, Map<String, ?> namedParams, Map<String, INDArray> optimizerState,
      Map<String, ?> extra) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("version", 2);
    meta.put("params", new ArrayList<>(namedParams.keySet()));
    meta.put("optimizer", new ArrayList<>(optimizerState.keySet()));
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (var e : namedParams.entrySet()) {
      entries.put("params/" + e.getKey() + ".npy", Nd4j.toNpyByteArray(array(e.getKey(), e.getValue())));
    }
    for (var e : optimizerState.entrySet()) {
      entries.put("optimizer/" + e.getKey() + ".npy", Nd4j.toNpyByteArray(e.getValue()));
    }
    Map<String, String> sums = new LinkedHashMap<>();
    entries.forEach((name, bytes) -> sums.put(name, sha256(bytes)));
    meta.put("sha256", sums);
    meta.put("extra", extra);
    try {
      AtomicFiles.write(path, fo -> {
        ZipOutputStream zip = new ZipOutputStream(fo);
        put(zip, "meta.json", GSON.toJson(meta).getBytes(StandardCharsets.UTF_8));
        for (var e : entries.entrySet()) {
          put(zip, e.getKey(), e.getValue());
        }
        zip.finish();
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + path + ": " + e.getMessage(), e);
    }
  }

  private static INDArray array(String name, Object v) {
    if (v instanceof Parameter p) {
      return p.data();
    }
    if (v instanceof INDArray a) {
      return a;
    }
    throw new IllegalArgumentException("namedParams['" + name + "'] must be a Parameter or an INDArray, got "
        + (v == null ? "null" : v.getClass().getName()));
  }

  private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(bytes);
    zip.closeEntry();
  }

  /**
   * Reads a checkpoint.
   *
   * @throws UncheckedIOException naming the file if it is missing, truncated, corrupt or not a checkpoint
   */
  public static Checkpoint load(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new UncheckedIOException(new java.io.FileNotFoundException("checkpoint " + path + " does not exist"));
    }
    try (ZipFile zip = new ZipFile(path.toFile())) {
      ZipEntry metaEntry = zip.getEntry("meta.json");
      if (metaEntry == null) {
        throw corrupt(path, "no meta.json entry", null);
      }
      Map<String, Object> meta = GSON.fromJson(new String(checkedBytes(zip, metaEntry, path), StandardCharsets.UTF_8),
          new TypeToken<Map<String, Object>>() {}.getType());
      if (meta == null || !FORMAT.equals(meta.get("format"))) {
        throw corrupt(path, "meta.json does not describe a " + FORMAT, null);
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> sums = meta.get("sha256") instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
      if (sums == null && !Double.valueOf(1).equals(meta.get("version"))) {
        throw corrupt(path, "meta.json has no sha256 checksums", null);
      }
      Map<String, INDArray> params = read(zip, path, "params/", strings(meta.get("params")), sums);
      Map<String, INDArray> opt = read(zip, path, "optimizer/", strings(meta.get("optimizer")), sums);
      @SuppressWarnings("unchecked")
      Map<String, Object> extra = meta.get("extra") instanceof Map<?, ?> m
          ? new LinkedHashMap<>((Map<String, Object>) m) : new LinkedHashMap<>();
      return new Checkpoint(path, params, opt, extra);
    } catch (IOException | RuntimeException e) {
      if (e instanceof UncheckedIOException u && u.getMessage() != null && u.getMessage().contains(path.toString())) {
        throw u;
      }
      throw corrupt(path, e.toString(), e);
    }
  }

  private static UncheckedIOException corrupt(Path path, String why, Exception cause) {
    return new UncheckedIOException(
        new IOException("checkpoint " + path + " is truncated or corrupt: " + why, cause));
  }

  private static List<String> strings(Object o) {
    List<String> out = new ArrayList<>();
    if (o instanceof List<?> l) {
      for (Object x : l) {
        out.add(String.valueOf(x));
      }
    }
    return out;
  }

  /** The arrays of entries {@code dir + name + ".npy"}, each checked against its CRC and recorded SHA-256. */
  private static Map<String, INDArray> read(ZipFile zip, Path path, String dir, List<String> names,
      Map<String, Object> sums) throws IOException {
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (String name : names) {
      String entry = dir + name + ".npy";
      ZipEntry e = zip.getEntry(entry);
      if (e == null) {
        throw corrupt(path, "missing entry " + entry, null);
      }
      byte[] bytes = checkedBytes(zip, e, path);
      if (sums != null && !sha256(bytes).equals(sums.get(entry))) {
        throw corrupt(path, "entry " + entry + " does not match its recorded SHA-256", null);
      }
      try {
        out.put(name, Npy.read(bytes, "entry " + entry));
      } catch (IllegalArgumentException bad) {
        throw corrupt(path, bad.getMessage(), bad);
      }
    }
    return out;
  }

  /** The bytes of an entry, checked against its CRC (Java's ZipFile does not check it). */
  private static byte[] checkedBytes(ZipFile zip, ZipEntry e, Path path) throws IOException {
    byte[] bytes;
    try (InputStream in = zip.getInputStream(e)) {
      bytes = in.readAllBytes();
    }
    CRC32 crc = new CRC32();
    crc.update(bytes);
    if (e.getCrc() == -1 || crc.getValue() != e.getCrc()) {
      throw corrupt(path, "entry " + e.getName() + " fails its CRC check", null);
    }
    return bytes;
  }

  private static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  /** The file this checkpoint was read from. */
  public Path path() {
    return path;
  }

  /** The saved parameter values by name. */
  public Map<String, INDArray> params() {
    return params;
  }

  /** The saved optimizer state, for {@link Optimizer#loadState(Map)}. */
  public Map<String, INDArray> optimizerState() {
    return optimizerState;
  }

  /** The saved metadata; JSON numbers come back as {@code Double}. */
  public Map<String, Object> extra() {
    return extra;
  }

  /** A metadata number as an int, e.g. the epoch. */
  public int extraInt(String key) {
    Object v = extra.get(key);
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("checkpoint " + path + " has no number '" + key + "' in its metadata");
    }
    return n.intValue();
  }

  /**
   * Copies the saved values into the given parameters (or arrays) in place, all or nothing: every name and shape is
   * checked before the first value is copied.
   *
   * @throws IllegalArgumentException if a name is missing from the checkpoint or a shape differs
   */
  public void loadInto(Map<String, ?> namedParams) {
    for (var e : namedParams.entrySet()) {
      INDArray saved = params.get(e.getKey());
      if (saved == null) {
        throw new IllegalArgumentException("checkpoint " + path + " has no parameter '" + e.getKey()
            + "'; it has " + params.keySet());
      }
      INDArray dst = array(e.getKey(), e.getValue());
      if (!Arrays.equals(dst.shape(), saved.shape())) {
        throw new IllegalArgumentException("parameter '" + e.getKey() + "' has shape " + Arrays.toString(dst.shape())
            + " but checkpoint " + path + " holds " + Arrays.toString(saved.shape()));
      }
    }
    namedParams.forEach((name, p) -> {
      array(name, p).assign(params.get(name));
      if (p instanceof Parameter param) {
        param.markChangedInPlace();
      }
    });
  }
}
