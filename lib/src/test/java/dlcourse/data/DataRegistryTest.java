package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataRegistryTest {
  @TempDir
  Path dir;
  private HttpServer server;
  private final byte[] payload = "the quick brown fox\n".repeat(1000).getBytes(StandardCharsets.UTF_8);

  @BeforeEach
  void serve() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/data.bin", ex -> {
      ex.sendResponseHeaders(200, payload.length);
      ex.getResponseBody().write(payload);
      ex.close();
    });
    server.createContext("/missing.bin", ex -> {
      ex.sendResponseHeaders(404, -1);
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  private DataRegistry registry(String file, String sha) {
    String json = "{\"datasets\": {\"toy\": {\"files\": [{\"path\": \"toy/data.bin\", \"url\": \"" + url(file)
        + "\", \"sha256\": \"" + sha + "\"}]}}}";
    return new DataRegistry().manifest(json).dataRoot(dir.resolve("root")).cacheDir(dir.resolve("cache"))
        .systemRoots(List.of(dir.resolve("system"))).download(true).timeoutMillis(5000);
  }

  private String sha(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  @Test
  void downloadsIntoTheCacheAfterCheckingTheHash() throws Exception {
    var r = registry("/data.bin", sha(payload));
    assertFalse(r.has("toy", "data.bin"));
    Path p = r.file("toy", "data.bin");
    assertEquals(dir.resolve("cache/toy/data.bin"), p);
    assertArrayEquals(payload, Files.readAllBytes(p));
    try (var files = Files.list(p.getParent())) {
      assertEquals(1, files.count(), "no temporary file is left behind");
    }
    // Found on disk now: no server needed.
    server.stop(0);
    assertEquals(p, r.file("toy", "data.bin"));
  }

  @Test
  void checksumMismatchKeepsNothingAndSaysSo() throws Exception {
    var r = registry("/data.bin", "0".repeat(64));
    var e = assertThrows(DataNotFoundException.class, () -> r.file("toy", "data.bin"));
    assertTrue(e.getMessage().contains("SHA-256 mismatch"), e.getMessage());
    assertTrue(e.getMessage().contains(sha(payload)), e.getMessage());
    assertFalse(Files.exists(dir.resolve("cache/toy/data.bin")));
    try (var files = Files.list(dir.resolve("cache/toy"))) {
      assertEquals(0, files.count(), "the partial download is removed");
    }
  }

  @Test
  void notFoundOfflineNamesTheDataSetThePathsAndTheUrl() throws Exception {
    var r = registry("/missing.bin", sha(payload));
    var e = assertThrows(DataNotFoundException.class, () -> r.file("toy", "data.bin"));
    String m = e.getMessage();
    assertTrue(m.contains("'toy'"), m);
    assertTrue(m.contains(dir.resolve("root/toy/data.bin").toString()), m);
    assertTrue(m.contains(dir.resolve("system/toy/data.bin").toString()), m);
    assertTrue(m.contains("HTTP 404"), m);
    assertTrue(m.contains("save it as " + dir.resolve("cache/toy/data.bin")), m);
    r.download(false);
    var e2 = assertThrows(DataNotFoundException.class, () -> r.file("toy", "data.bin"));
    assertTrue(e2.getMessage().contains("downloads are switched off"), e2.getMessage());
  }

  @Test
  void dataRootComesBeforeCacheAndSystemRoots() throws Exception {
    var r = registry("/data.bin", sha(payload)).download(false);
    for (String root : new String[] {"system", "cache", "root"}) {
      Path p = dir.resolve(root).resolve("toy/data.bin");
      Files.createDirectories(p.getParent());
      Files.write(p, payload); // the true file (each copy is checked against the manifest)
      assertEquals(p, r.file("toy", "data.bin"), "the newest copy in " + root + " wins");
    }
  }

  @Test
  void unknownNamesAreClearErrors() {
    var r = new DataRegistry();
    var e = assertThrows(IllegalArgumentException.class, () -> r.file("nope", "x"));
    assertTrue(e.getMessage().contains("unknown data set 'nope'") && e.getMessage().contains("mnist"), e.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class, () -> r.file("mnist", "x"));
    assertTrue(e2.getMessage().contains("t10k-images-idx3-ubyte.gz"), e2.getMessage());
  }

  @Test
  void bundledManifestMatchesTheRepositoryCopy() throws Exception {
    Path repoCopy = Path.of("../datasets/manifest.json");
    if (!Files.exists(repoCopy)) {
      repoCopy = Path.of("datasets/manifest.json");
    }
    try (var in = DataRegistry.class.getResourceAsStream("/dlcourse/data/manifest.json")) {
      assertNotNull(in);
      assertEquals(Files.readString(repoCopy), new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    var r = new DataRegistry();
    assertTrue(r.names().containsAll(List.of("mnist", "fashion-mnist", "cifar10", "mnist-varres",
        "grimms_fairy_tales", "tiny_shakespeare", "circles")), r.names().toString());
  }

  @Test
  void aFileOnDiskIsCheckedAgainstTheManifestOnFirstUseAndTheCheckIsRemembered() throws Exception {
    var r = registry("/data.bin", sha(payload)).download(false);
    Path onDisk = dir.resolve("root/toy/data.bin");
    Files.createDirectories(onDisk.getParent());
    Files.write(onDisk, java.util.Arrays.copyOf(payload, payload.length / 2)); // a truncated copy
    var e = assertThrows(IllegalStateException.class, () -> r.find("toy", "data.bin"));
    assertTrue(e.getMessage().contains(onDisk.toString()) && e.getMessage().contains("truncated download")
        && e.getMessage().contains(sha(payload)), e.getMessage());
    Files.write(onDisk, payload);
    assertEquals(onDisk, r.find("toy", "data.bin").orElseThrow());
    String record = Files.readString(dir.resolve("cache/verified.tsv"));
    assertTrue(record.contains(onDisk.toString()) && record.contains(sha(payload)), record);
    // edited afterwards (another size): checked again, and refused
    Files.write(onDisk, "edited".getBytes(StandardCharsets.UTF_8));
    assertThrows(IllegalStateException.class, () -> r.find("toy", "data.bin"));
  }
}
