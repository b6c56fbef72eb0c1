package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextCorpusTest {
  @TempDir Path dir;

  @Test
  void stripsTheBomAndRoundTripsTokens() throws Exception {
    Path f = dir.resolve("t.txt");
    Files.write(f, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'b', 'a', 'b', (byte) 0xC3, (byte) 0xA9});
    var t = TextCorpus.read(f);
    assertEquals("bab\u00e9", t.text());
    assertEquals(4, t.length());
    assertEquals("ab\u00e9", t.vocabulary());
    assertArrayEquals(new long[] {1, 0, 1, 2}, t.tensor().toLongVector());
    assertEquals("\u00e9ba", t.decode(t.encode("\u00e9ba")));
    var e = assertThrows(IllegalArgumentException.class, () -> t.encode("z"));
    assertTrue(e.getMessage().contains("'z'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> t.decode(new long[] {3}));
  }

  @Test
  void malformedUtf8IsAnErrorNamingTheFile() throws Exception {
    Path f = dir.resolve("bad.txt");
    Files.write(f, new byte[] {'a', (byte) 0xC3});
    var e = assertThrows(IllegalArgumentException.class, () -> TextCorpus.read(f));
    assertTrue(e.getMessage().contains("bad.txt") && e.getMessage().contains("UTF-8"), e.getMessage());
  }
}
