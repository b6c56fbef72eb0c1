package dlcourse.train.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlcourse.train.bench.BlasCheck.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlasCheckTest {
  @Test
  void debianAlternativesAndVendorsAreClassified() {
    assertEquals(Kind.OPTIMISED, BlasCheck.classify("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3").kind());
    assertEquals("OpenBLAS", BlasCheck.classify("/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3").name());
    assertEquals("OpenBLAS", BlasCheck.classify("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so")
        .name());
    assertEquals("BLIS", BlasCheck.classify("/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3").name());
    assertEquals("ATLAS", BlasCheck.classify("/usr/lib/x86_64-linux-gnu/atlas/libblas.so.3").name());
    assertEquals("Intel MKL", BlasCheck.classify("/opt/intel/lib/libmkl_rt.so.2").name());
    assertEquals("OpenBLAS", BlasCheck.classify("OPENBLAS").name()); // ND4J's blas.vendor
    assertEquals("Intel MKL", BlasCheck.classify("MKL").name());
  }

  @Test
  void theNetlibReferenceIsRecognised() {
    assertEquals(Kind.REFERENCE, BlasCheck.classify("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3").kind());
    assertEquals(Kind.REFERENCE, BlasCheck.classify("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0").kind());
    assertEquals(Kind.REFERENCE, BlasCheck.classify("/usr/lib64/libblas.so.3").kind()); // Fedora's reference
    assertEquals(Kind.REFERENCE, BlasCheck.classify("/tmp/x/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0").kind());
  }

  @Test
  void unrecognisedNamesAreUnknownNotRefused() {
    assertEquals(Kind.UNKNOWN, BlasCheck.classify("/usr/lib64/libflexiblas.so.3").kind());
    assertEquals(Kind.UNKNOWN, BlasCheck.classify("/opt/custom/libmygemm.so").kind());
    assertEquals(Kind.UNKNOWN, BlasCheck.classify(null).kind());
    assertEquals(Kind.UNKNOWN, BlasCheck.classify("").kind());
  }

  @Test
  void torchAnswerWithTheReferenceBlasIsRefusedWithTheFix() {
    String json = "{\"threads\": 1, \"loader_name\": \"/tmp/ref/usr/lib/x86_64-linux-gnu/blas/libblas.so.3\", "
        + "\"file\": \"/tmp/ref/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0\", \"error\": null, "
        + "\"mapped\": [\"/tmp/ref/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0\"], \"gflops\": 5.9}";
    var tb = BlasCheck.TorchBlas.parse(json);
    assertEquals(Kind.REFERENCE, tb.blas().kind());
    String msg = BlasCheck.refusal(tb, 150, "/tmp/ref/usr/lib/x86_64-linux-gnu/blas/libblas.so.3");
    assertNotNull(msg);
    assertTrue(msg.contains("refusing to print ours/PyTorch ratios"), msg);
    assertTrue(msg.contains("apt-get update && apt-get install -y libopenblas0-pthread"), msg);
    assertTrue(msg.contains("LD_PRELOAD"), msg);
    assertTrue(msg.contains("5.9 GFLOP/s"), msg);
  }

  @Test
  void torchAnswerWithOpenBlasIsAccepted() {
    String json = "{\"threads\": 2, \"loader_name\": \"/lib/x86_64-linux-gnu/libblas.so.3\", "
        + "\"file\": \"/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3\", \"error\": null, "
        + "\"mapped\": [\"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so\", "
        + "\"/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3\"], \"gflops\": 160.2}";
    var tb = BlasCheck.TorchBlas.parse(json);
    assertEquals(Kind.OPTIMISED, tb.blas().kind());
    assertNull(BlasCheck.refusal(tb, 150, null));
    assertTrue(tb.describe().contains("(loaded as /lib/x86_64-linux-gnu/libblas.so.3)"), tb.describe());
  }

  @Test
  void withoutTheSymbolLookupTheMappedLibblasDecides() {
    String json = "{\"loader_name\": null, \"file\": null, \"error\": \"OSError: x\", "
        + "\"mapped\": [\"/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0\"], \"gflops\": 4.0}";
    var tb = BlasCheck.TorchBlas.parse(json);
    assertEquals(Kind.REFERENCE, tb.blas().kind());
    assertTrue(tb.describe().contains("lookup failed"), tb.describe());
  }

  @Test
  void blasLikeFilesAreReadFromAMapsFile(@TempDir Path dir) throws Exception {
    Path maps = dir.resolve("maps");
    Files.writeString(maps, String.join("\n",
        "7f0000000000-7f0000001000 r--p 00000000 08:01 123 /usr/lib/x86_64-linux-gnu/libc.so.6",
        "7f0000001000-7f0000002000 r-xp 00001000 08:01 456 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0",
        "7f0000002000-7f0000003000 r--p 00002000 08:01 456 /usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0",
        "7f0000003000-7f0000004000 rw-p 00000000 00:00 0",
        "7f0000004000-7f0000005000 r-xp 00000000 08:01 789 /root/.javacpp/cache/x/libopenblas_nolapack.so.0",
        ""));
    assertEquals(List.of("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0",
        "/root/.javacpp/cache/x/libopenblas_nolapack.so.0"), BlasCheck.blasLikeFiles(maps));
    assertEquals(List.of(), BlasCheck.blasLikeFiles(dir.resolve("missing")));
  }
}
