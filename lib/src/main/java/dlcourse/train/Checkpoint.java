package dlcourse.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import dlcourse.nn.Parameter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A saved training state: named parameter values, the optimizer state and free metadata (epoch, config, scores).
 *
 * <p>File format: a zip archive with {@code meta.json} ({@code {"format": "dlcourse-checkpoint", "version": 1,
 * "params": [names], "optimizer": [keys], "extra": {...}}}), one NumPy {@code .npy} file per array under
 * {@code params/<name>.npy} and {@code optimizer/<key>.npy}, readable with Python's {@code zipfile} and
 * {@code numpy.load}. Saving writes a temporary file in the same directory and renames it over the target, so a
 * crash never leaves a half-written checkpoint under the real name.
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
    meta.put("version", 1);
    meta.put("params", new ArrayList<>(namedParams.keySet()));
    meta.put("optimizer", new ArrayList<>(optimizerState.keySet()));
    meta.put("extra", extra);
    Path abs = path.toAbsolutePath();
    Path tmp = null;
    try {
      tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
      try (OutputStream fo = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(fo)) {
        put(zip, "meta.json", GSON.toJson(meta).getBytes(StandardCharsets.UTF_8));
        for (var e : namedParams.entrySet()) {
          put(zip, "params/" + e.getKey() + ".npy", Nd4j.toNpyByteArray(array(e.getKey(), e.getValue())));
        }
        for (var e : optimizerState.entrySet()) {
          put(zip, "optimizer/" + e.getKey() + ".npy", Nd4j.toNpyByteArray(e.getValue()));
        }
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + path + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original error matters more than a leftover temp file
        }
      }
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
      Map<String, Object> meta;
      try (InputStream in = zip.getInputStream(metaEntry)) {
        meta = GSON.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8),
            new TypeToken<Map<String, Object>>() {}.getType());
      }
      if (meta == null || !FORMAT.equals(meta.get("format"))) {
        throw corrupt(path, "meta.json does not describe a " + FORMAT, null);
      }
      Map<String, INDArray> params = read(zip, path, "params/", strings(meta.get("params")));
      Map<String, INDArray> opt = read(zip, path, "optimizer/", strings(meta.get("optimizer")));
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

  private static Map<String, INDArray> read(ZipFile zip, Path path, String dir, List<String> names)
      throws IOException {
    Map<String, INDArray> out = new LinkedHashMap<>();
    for (String name : names) {
      ZipEntry e = zip.getEntry(dir + name + ".npy");
      if (e == null) {
        throw corrupt(path, "missing entry " + dir + name + ".npy", null);
      }
      try (InputStream in = zip.getInputStream(e)) {
        out.put(name, Nd4j.createNpyFromByteArray(in.readAllBytes()));
      }
    }
    return out;
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
   * Copies the saved values into the given parameters (or arrays) in place.
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
      dst.assign(saved);
    }
  }
}
