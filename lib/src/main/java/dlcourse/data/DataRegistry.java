package dlcourse.data;

import dlcourse.io.AtomicFiles;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Finds the files of a data set by name, downloading them when they are nowhere on disk.
 *
 * <p>Each file named in the manifest ({@code datasets/manifest.json}, bundled as a resource) is looked up as
 * {@code <root>/<path>} in this order:
 *
 * <ol>
 *   <li>the data root: system property {@code dlcourse.data}, else environment variable {@code DLCOURSE_DATA};
 *   <li>the user cache: system property {@code dlcourse.cache}, else {@code DLCOURSE_CACHE}, else
 *       {@code ~/.cache/dlcourse};
 *   <li>the system roots, {@code /usr/share/datasets} (Debian's {@code dataset-fashion-mnist} installs there);
 *   <li>a download from the file's canonical URL into the user cache, checked against its SHA-256, written to a
 *       temporary file and renamed into place so a half-written file is never seen.
 * </ol>
 *
 * <p>Downloads are skipped when {@code dlcourse.offline=true} or {@code DLCOURSE_OFFLINE=1}. When a file cannot
 * be found or fetched the error names the data set, every path tried and what to download where.
 *
 * <pre>{@code
 * Path images = DataRegistry.defaults().file("mnist", "t10k-images-idx3-ubyte.gz");
 * }</pre>
 */
public final class DataRegistry {
  /** Where Debian and similar packages install data sets. */
  public static final Path SYSTEM_ROOT = Path.of("/usr/share/datasets");

  private static final String MANIFEST_RESOURCE = "/dlcourse/data/manifest.json";

  private Path dataRoot;
  private Path cacheDir;
  private List<Path> systemRoots;
  private boolean download;
  private Map<String, List<FileEntry>> manifest;
  private int timeoutMillis = 30_000;

  /** One file of a data set as the manifest describes it. */
  public record FileEntry(String path, String url, String sha256, String zipMember) {
    /** The file name, the last element of {@link #path()}. */
    public String fileName() {
      int slash = path.lastIndexOf('/');
      return slash < 0 ? path : path.substring(slash + 1);
    }
  }

  /** A registry configured from the system properties and environment described above. */
  public static DataRegistry defaults() {
    return new DataRegistry();
  }

  /** A registry configured from system properties and environment, with the bundled manifest. */
  public DataRegistry() {
    String data = setting("dlcourse.data", "DLCOURSE_DATA");
    this.dataRoot = data == null || data.isBlank() ? null : Path.of(data);
    String cache = setting("dlcourse.cache", "DLCOURSE_CACHE");
    this.cacheDir =
        cache == null || cache.isBlank()
            ? Path.of(System.getProperty("user.home"), ".cache", "dlcourse")
            : Path.of(cache);
    this.systemRoots = List.of(SYSTEM_ROOT);
    String offline = setting("dlcourse.offline", "DLCOURSE_OFFLINE");
    this.download = !(offline != null && (offline.equals("1") || offline.equalsIgnoreCase("true")));
    try (InputStream in = DataRegistry.class.getResourceAsStream(MANIFEST_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the data manifest " + MANIFEST_RESOURCE + " is missing from the classpath");
      }
      this.manifest = parseManifest(new String(in.readAllBytes(), StandardCharsets.UTF_8), MANIFEST_RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the data manifest " + MANIFEST_RESOURCE, e);
    }
  }

  private static String setting(String property, String env) {
    String p = System.getProperty(property);
    return p != null ? p : System.getenv(env);
  }

  /** Sets the data root searched first (like {@code DLCOURSE_DATA}); {@code null} for none. */
  public DataRegistry dataRoot(Path dataRoot) {
    this.dataRoot = dataRoot;
    return this;
  }

  /** The data root searched first, or {@code null}. */
  public Path dataRoot() {
    return dataRoot;
  }

  /** Sets the user cache, where downloads and derived files (such as recovered MNIST) are written. */
  public DataRegistry cacheDir(Path cacheDir) {
    this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir");
    return this;
  }

  /** The user cache folder. */
  public Path cacheDir() {
    return cacheDir;
  }

  /** Sets the system roots searched after the cache. */
  public DataRegistry systemRoots(List<Path> roots) {
    this.systemRoots = List.copyOf(roots);
    return this;
  }

  /** The system roots searched after the cache. */
  public List<Path> systemRoots() {
    return systemRoots;
  }

  /** Whether a missing file may be downloaded (default true unless {@code DLCOURSE_OFFLINE} is set). */
  public DataRegistry download(boolean download) {
    this.download = download;
    return this;
  }

  /** Whether a missing file may be downloaded. */
  public boolean download() {
    return download;
  }

  /** Sets the connect and read timeout for downloads, in milliseconds. */
  public DataRegistry timeoutMillis(int timeoutMillis) {
    if (timeoutMillis <= 0) {
      throw new IllegalArgumentException("timeoutMillis must be > 0, got " + timeoutMillis);
    }
    this.timeoutMillis = timeoutMillis;
    return this;
  }

  /** Replaces the manifest with the JSON text {@code json} (same layout as {@code datasets/manifest.json}). */
  public DataRegistry manifest(String json) {
    this.manifest = parseManifest(json, "the given manifest");
    return this;
  }

  /** The names of the data sets in the manifest. */
  public List<String> names() {
    return List.copyOf(manifest.keySet());
  }

  /** The files of data set {@code name}. */
  public List<FileEntry> files(String name) {
    List<FileEntry> files = manifest.get(name);
    if (files == null) {
      throw new IllegalArgumentException("unknown data set '" + name + "'; known: " + manifest.keySet());
    }
    return files;
  }

  /** The roots searched, in order: data root (if set), cache, system roots. */
  public List<Path> searchRoots() {
    List<Path> roots = new ArrayList<>();
    if (dataRoot != null) {
      roots.add(dataRoot);
    }
    roots.add(cacheDir);
    roots.addAll(systemRoots);
    return roots;
  }

  /**
   * The file of data set {@code name} whose file name is {@code fileName}, if it is on disk, without downloading.
   */
  public Optional<Path> find(String name, String fileName) {
    FileEntry entry = entry(name, fileName);
    for (Path root : searchRoots()) {
      Path p = root.resolve(entry.path());
      if (Files.isRegularFile(p)) {
        return Optional.of(verified(name, entry, p));
      }
    }
    return Optional.empty();
  }

  /** Files checked against the manifest, by absolute path: their size and modification time when checked. */
  private static final Map<Path, String> VERIFIED = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * {@code file} after checking it against the manifest's SHA-256 on first use: a truncated, edited or wrong file
   * fails here, naming itself, instead of loading wrong data. The check is remembered by size and modification
   * time, in this JVM and in {@code <cache>/verified.tsv}, so later loads do not hash it again.
   */
  private Path verified(String name, FileEntry entry, Path file) {
    if (entry.sha256() == null) {
      return file;
    }
    Path abs = file.toAbsolutePath().normalize();
    try {
      String stamp = Files.size(abs) + " " + Files.getLastModifiedTime(abs).toMillis() + " " + entry.sha256();
      if (stamp.equals(VERIFIED.get(abs)) || stamp.equals(recordedStamps().get(abs.toString()))) {
        VERIFIED.put(abs, stamp);
        return file;
      }
      String actual = sha256(abs);
      if (!actual.equalsIgnoreCase(entry.sha256())) {
        throw new IllegalStateException("data set '" + name + "': " + abs + " is not the file the manifest names ("
            + Files.size(abs) + " bytes, SHA-256 " + actual + ", expected " + entry.sha256() + "): a truncated"
            + " download or an edited copy. Delete it" + (entry.url() == null ? "" : " (it is downloaded again from "
                + entry.url() + ")") + " or replace it with the original.");
      }
      VERIFIED.put(abs, stamp);
      record(abs, stamp);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + abs + ": " + e.getMessage(), e);
    }
  }

  private Map<String, String> recordedStamps() {
    Map<String, String> stamps = new LinkedHashMap<>();
    Path log = cacheDir.resolve("verified.tsv");
    try {
      if (Files.isRegularFile(log)) {
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
          int tab = line.indexOf('\t');
          if (tab > 0) {
            stamps.put(line.substring(tab + 1), line.substring(0, tab));
          }
        }
      }
    } catch (IOException e) {
      // an unreadable record only means hashing again
    }
    return stamps;
  }

  private synchronized void record(Path abs, String stamp) {
    Map<String, String> stamps = recordedStamps();
    stamps.put(abs.toString(), stamp);
    List<String> lines = new ArrayList<>();
    stamps.forEach((path, st) -> lines.add(st + "\t" + path));
    try {
      AtomicFiles.writeLines(cacheDir.resolve("verified.tsv"), lines);
    } catch (IOException e) {
      // a read-only cache: the check is remembered in this JVM only
    }
  }

  /** Whether the file is on disk (no download). */
  public boolean has(String name, String fileName) {
    return find(name, fileName).isPresent();
  }

  /**
   * The file of data set {@code name} whose file name is {@code fileName}: found on disk or downloaded.
   *
   * @throws DataNotFoundException when it is not on disk and cannot be downloaded; the message says where to put it
   */
  public Path file(String name, String fileName) {
    FileEntry entry = entry(name, fileName);
    Optional<Path> found = find(name, fileName);
    if (found.isPresent()) {
      return found.get();
    }
    Path target = cacheDir.resolve(entry.path());
    String failure;
    if (entry.url() == null) {
      failure = "there is no canonical download for it";
    } else if (!download) {
      failure = "downloads are switched off (dlcourse.offline / DLCOURSE_OFFLINE)";
    } else {
      try {
        fetch(entry, target);
        return target;
      } catch (IOException e) {
        failure = "the download from " + entry.url() + " failed: " + e;
      }
    }
    throw new DataNotFoundException(notFoundMessage(name, entry, failure));
  }

  /** All files of data set {@code name}, found or downloaded, in manifest order. */
  public List<Path> files(String name, boolean fetchMissing) {
    List<Path> out = new ArrayList<>();
    for (FileEntry e : files(name)) {
      out.add(fetchMissing ? file(name, e.fileName()) : find(name, e.fileName()).orElse(null));
    }
    return out;
  }

  String notFoundMessage(String name, FileEntry entry, String failure) {
    StringBuilder sb = new StringBuilder();
    sb.append("data set '").append(name).append("': file ").append(entry.path()).append(" not found. Tried:");
    for (Path root : searchRoots()) {
      sb.append("\n  ").append(root.resolve(entry.path()));
    }
    sb.append("\nand ").append(failure).append('.');
    if (entry.url() != null) {
      sb.append("\nDownload ").append(entry.url());
      if (entry.zipMember() != null) {
        sb.append(" (take ").append(entry.zipMember()).append(" out of the zip)");
      }
      sb.append(" and save it as ").append(cacheDir.resolve(entry.path()));
    } else {
      sb.append("\nCopy it to ").append(cacheDir.resolve(entry.path()));
    }
    sb.append(", or set DLCOURSE_DATA to a folder holding ").append(entry.path()).append('.');
    if (entry.sha256() != null) {
      sb.append(" Expected SHA-256: ").append(entry.sha256());
    }
    return sb.toString();
  }

  private FileEntry entry(String name, String fileName) {
    for (FileEntry e : files(name)) {
      if (e.fileName().equals(fileName) || e.path().equals(fileName)) {
        return e;
      }
    }
    List<String> known = files(name).stream().map(FileEntry::fileName).toList();
    throw new IllegalArgumentException("data set '" + name + "' has no file '" + fileName + "'; its files: " + known);
  }

  /** Downloads {@code entry} to {@code target} through a temporary file in the same folder, checking SHA-256. */
  void fetch(FileEntry entry, Path target) throws IOException {
    Path tmp = AtomicFiles.tempSibling(target);
    try {
      URL url = URI.create(entry.url()).toURL();
      HttpURLConnection conn = (HttpURLConnection) url.openConnection();
      conn.setConnectTimeout(timeoutMillis);
      conn.setReadTimeout(timeoutMillis);
      conn.setInstanceFollowRedirects(true);
      int code = conn.getResponseCode();
      if (code / 100 != 2) {
        throw new IOException("HTTP " + code + " for " + entry.url());
      }
      System.err.println("downloading " + entry.url() + " to " + target);
      long expected = conn.getContentLengthLong();
      long n;
      try (InputStream in = conn.getInputStream()) {
        n = Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      if (expected >= 0 && n != expected) {
        throw new IOException("truncated download of " + entry.url() + ": got " + n + " of " + expected + " bytes");
      }
      if (entry.zipMember() != null) {
        Path member = AtomicFiles.tempSibling(target);
        try {
          extractZipMember(tmp, entry.zipMember(), member, entry.url());
          Files.move(member, tmp, StandardCopyOption.REPLACE_EXISTING);
        } finally {
          Files.deleteIfExists(member);
        }
      }
      if (entry.sha256() != null) {
        String actual = sha256(tmp);
        if (!actual.equalsIgnoreCase(entry.sha256())) {
          throw new IOException(
              "SHA-256 mismatch for " + entry.url() + ": expected " + entry.sha256() + ", got " + actual
                  + " (the file was not kept)");
        }
      }
      AtomicFiles.moveIntoPlace(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void extractZipMember(Path zip, String member, Path out, String url) throws IOException {
    try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry e; (e = zin.getNextEntry()) != null;) {
        String n = e.getName();
        if (!e.isDirectory() && (n.equals(member) || n.endsWith("/" + member))) {
          Files.copy(zin, out, StandardCopyOption.REPLACE_EXISTING);
          return;
        }
      }
    }
    throw new IOException("the zip from " + url + " has no member " + member);
  }

  /** The SHA-256 of a file as lower-case hex. */
  public static String sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static Map<String, List<FileEntry>> parseManifest(String json, String source) {
    Map<String, List<FileEntry>> out = new LinkedHashMap<>();
    try {
      JsonObject sets = JsonParser.parseString(json).getAsJsonObject().getAsJsonObject("datasets");
      if (sets == null) {
        throw new IllegalArgumentException("no \"datasets\" object");
      }
      for (Map.Entry<String, JsonElement> ds : sets.entrySet()) {
        List<FileEntry> files = new ArrayList<>();
        for (JsonElement f : ds.getValue().getAsJsonObject().getAsJsonArray("files")) {
          JsonObject o = f.getAsJsonObject();
          String path = str(o, "path");
          if (path == null) {
            throw new IllegalArgumentException("data set " + ds.getKey() + " has a file without \"path\"");
          }
          files.add(new FileEntry(path, str(o, "url"), str(o, "sha256"), str(o, "zipMember")));
        }
        out.put(ds.getKey(), List.copyOf(files));
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed data manifest " + source + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static String str(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }

  @Override
  public String toString() {
    return "DataRegistry(roots=" + searchRoots() + ", download=" + download + ")";
  }
}
