package dlcourse.train.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Which BLAS each side of the benchmark runs on, and a 1024x1024 float32 sgemm for both.
 *
 * <p>Debian's {@code python3-torch} is built with {@code BLAS_INFO=generic}: its {@code Linear}/{@code matmul}
 * call {@code sgemm_} of whatever {@code libblas.so.3} the system alternative points to. With only the reference
 * (netlib) BLAS, its linear layers are ~2x slower (see {@code bench/library/README.md}), which would flatter every
 * ours/PyTorch ratio; the benchmark refuses to print ratios then ({@link #refusal}).
 */
final class BlasCheck {
  /** What the apt command that fixes a reference-BLAS PyTorch is. */
  static final String FIX = "apt-get update && apt-get install -y libopenblas0-pthread";

  private BlasCheck() {}

  enum Kind {
    /** An optimised implementation (OpenBLAS, MKL, BLIS, ATLAS, Accelerate). */
    OPTIMISED,
    /** The reference netlib BLAS (Debian's {@code libblas3}): plain Fortran loops. */
    REFERENCE,
    /** Not recognised from the name (FlexiBLAS, a custom build): reported, not refused. */
    UNKNOWN
  }

  /** A BLAS as recognised from a library path or vendor string. */
  record Blas(String name, Kind kind) {}

  /**
   * Classifies a BLAS from the path of the shared library that provides {@code sgemm_} (as mapped in the
   * process, symlinks resolved) or from a vendor string such as ND4J's {@code OPENBLAS}.
   *
   * <p>Debian's alternatives put OpenBLAS's {@code libblas.so.3} under {@code .../openblas-pthread/} (or
   * {@code openblas-openmp}, {@code openblas-serial}), BLIS's under {@code .../blis-*}, and the reference BLAS
   * under {@code .../blas/libblas.so.3}; a bare {@code libblas.so*} with no vendor in its path is the reference
   * implementation on Debian and Fedora alike.
   */
  static Blas classify(String pathOrVendor) {
    if (pathOrVendor == null || pathOrVendor.isBlank()) {
      return new Blas("unknown (no BLAS library found)", Kind.UNKNOWN);
    }
    String p = pathOrVendor.trim().toLowerCase(Locale.ROOT);
    String base = p.substring(p.lastIndexOf('/') + 1);
    if (p.contains("flexiblas")) {
      return new Blas("FlexiBLAS (backend chosen at run time)", Kind.UNKNOWN);
    }
    if (p.contains("openblas")) {
      return new Blas("OpenBLAS", Kind.OPTIMISED);
    }
    if (p.contains("mkl")) {
      return new Blas("Intel MKL", Kind.OPTIMISED);
    }
    if (p.contains("blis")) {
      return new Blas("BLIS", Kind.OPTIMISED);
    }
    if (p.contains("atlas")) {
      return new Blas("ATLAS", Kind.OPTIMISED);
    }
    if (p.contains("accelerate") || p.contains("veclib")) {
      return new Blas("Apple Accelerate", Kind.OPTIMISED);
    }
    if (base.startsWith("libblas.so") || base.startsWith("libblas.") || base.startsWith("librefblas")
        || p.equals("reference") || p.equals("netlib")) {
      return new Blas("reference BLAS (netlib, Debian libblas3)", Kind.REFERENCE);
    }
    return new Blas("unknown (" + base + ")", Kind.UNKNOWN);
  }

  /** PyTorch's answer to the {@code blas} command of {@code torch_models.py}. */
  record TorchBlas(String loaderName, String file, List<String> mapped, double gflops, String error) {
    static TorchBlas parse(String json) {
      JsonObject o = JsonParser.parseString(json).getAsJsonObject();
      List<String> mapped = new ArrayList<>();
      if (o.has("mapped") && o.get("mapped").isJsonArray()) {
        for (JsonElement e : o.getAsJsonArray("mapped")) {
          mapped.add(e.getAsString());
        }
      }
      return new TorchBlas(string(o, "loader_name"), string(o, "file"), mapped,
          o.has("gflops") ? o.get("gflops").getAsDouble() : Double.NaN, string(o, "error"));
    }

    private static String string(JsonObject o, String key) {
      return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : null;
    }

    /** The library PyTorch's sgemm_ runs in; falls back to the first BLAS-like mapped file. */
    String effectiveFile() {
      if (file != null) {
        return file;
      }
      for (String m : mapped) {
        if (m.substring(m.lastIndexOf('/') + 1).startsWith("libblas")) {
          return m;
        }
      }
      return mapped.isEmpty() ? null : mapped.get(0);
    }

    Blas blas() {
      return classify(effectiveFile());
    }

    String describe() {
      String f = effectiveFile();
      StringBuilder s = new StringBuilder(blas().name());
      s.append(", sgemm_ in ").append(f == null ? "?" : f);
      if (loaderName != null && !loaderName.equals(f)) {
        s.append(" (loaded as ").append(loaderName).append(')');
      }
      if (error != null) {
        s.append(" [lookup failed: ").append(error).append(']');
      }
      return s.toString();
    }
  }

  /** ND4J's BLAS vendor, from its native environment information ({@code blas.vendor}). */
  static String nd4jVendor() {
    Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
    Object v = env.get("blas.vendor");
    return v == null ? "?" : v.toString();
  }

  /** The mapped files of this JVM whose names look like a BLAS (ND4J's bundled OpenBLAS), in load order. */
  static List<String> jvmBlasFiles() {
    return blasLikeFiles(Path.of("/proc/self/maps"));
  }

  /** Files in a {@code /proc/PID/maps} file whose names look like a BLAS, without repeats. */
  static List<String> blasLikeFiles(Path maps) {
    Set<String> files = new LinkedHashSet<>();
    try {
      for (String line : Files.readAllLines(maps)) {
        String[] parts = line.trim().split("\\s+");
        if (parts.length >= 6) {
          String f = parts[5];
          String base = f.substring(f.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
          if (base.matches(".*(blas|mkl|blis|atlas).*")) {
            files.add(f);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return List.of(); // not Linux
    }
    return new ArrayList<>(files);
  }

  /** Files grouped by folder, for one line: {@code a.so, b.so in /dir; c.so in /other}. */
  static String compact(List<String> files) {
    java.util.Map<String, List<String>> byDir = new java.util.LinkedHashMap<>();
    for (String f : files) {
      int slash = f.lastIndexOf('/');
      byDir.computeIfAbsent(slash < 0 ? "" : f.substring(0, slash), k -> new ArrayList<>()).add(f.substring(slash + 1));
    }
    List<String> parts = new ArrayList<>();
    byDir.forEach((dir, names) -> parts.add(String.join(", ", names) + (dir.isEmpty() ? "" : " in " + dir)));
    return String.join("; ", parts);
  }

  /** Median GFLOP/s of a 1024x1024 float32 matrix product in ND4J (2 warm-up products, then 7 timed). */
  static double nd4jSgemmGflops() {
    int n = 1024;
    Nd4j.getRandom().setSeed(1);
    INDArray a = Nd4j.randn(DataType.FLOAT, n, n);
    INDArray b = Nd4j.randn(DataType.FLOAT, n, n);
    INDArray c = Nd4j.create(DataType.FLOAT, n, n);
    List<Double> seconds = new ArrayList<>();
    for (int i = 0; i < 2 + 7; i++) {
      long t0 = System.nanoTime();
      a.mmul(b, c);
      Nd4j.getExecutioner().commit();
      double s = (System.nanoTime() - t0) / 1e9;
      if (i >= 2) {
        seconds.add(s);
      }
    }
    Collections.sort(seconds);
    return 2.0 * n * n * n / seconds.get(seconds.size() / 2) / 1e9;
  }

  /**
   * The message printed instead of ratios when PyTorch runs on the reference BLAS, or null when it does not.
   */
  static String refusal(TorchBlas torch, double oursGflops, String ldPreload) {
    if (torch.blas().kind() != Kind.REFERENCE) {
      return null;
    }
    StringBuilder s = new StringBuilder();
    s.append("bench: refusing to print ours/PyTorch ratios: PyTorch runs its linear layers on the reference BLAS\n");
    s.append(String.format(Locale.ROOT, "  (%s; 1024x1024 sgemm %.1f GFLOP/s, ours %.1f GFLOP/s).%n",
        torch.describe(), torch.gflops(), oursGflops));
    s.append(
        "  Debian's python3-torch is built with BLAS_INFO=generic: Linear/matmul call whatever libblas.so.3 the\n");
    s.append("  system provides, and on the reference (netlib) BLAS its linear layers are ~2x slower, which would\n");
    s.append("  make every ratio look better for us than it is.\n");
    if (ldPreload != null && !ldPreload.isBlank()) {
      s.append("  LD_PRELOAD is set (").append(ldPreload).append(
          "): it decides which libblas.so.3 is used; unset it.\n");
    }
    s.append("  Fix: ").append(FIX).append("   (as root, or with sudo), then run the bench again.");
    return s.toString();
  }
}
