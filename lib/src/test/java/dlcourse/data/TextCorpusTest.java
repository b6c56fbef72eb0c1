package dlcourse.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextCorpusTest {
  @TempDir
  Path dir;

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

  @Test
  void keepsTheBomAsACharacterWhenAsked() throws Exception {
    Path f = dir.resolve("bom.txt");
    Files.write(f, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'b', 'a'});
    var t = TextCorpus.read(f, true);
    assertEquals("\uFEFFba", t.text());
    assertEquals(3, t.vocabSize());
    assertEquals("ab\uFEFF", t.vocabulary()); // U+FEFF sorts last
    assertEquals(2, TextCorpus.read(f, false).vocabSize());
  }

  @Test
  void blocksAreShiftedWindowsAtTheGivenOffsets() {
    var t = new TextCorpus("abcdefg");
    assertEquals(4, t.numBlocks(3));
    Batch b = t.blocks(new long[] {0, 3, 0}, 3);
    assertArrayEquals(new long[] {3, 3}, b.x().shape());
    assertEquals("abc", t.decode(b.x().array().getRow(0)));
    assertEquals("bcd", t.decode(b.y().array().getRow(0)));
    assertEquals("def", t.decode(b.x().array().getRow(1)));
    assertEquals("efg", t.decode(b.y().array().getRow(1)));
    assertEquals(b.x().array().getRow(0), b.x().array().getRow(2));
    var e = assertThrows(IllegalArgumentException.class, () -> t.blocks(new long[] {4}, 3));
    assertTrue(e.getMessage().contains("offset 4"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> t.numBlocks(7));
  }

  @Test
  void longestSubstringInFindsTheLongestVerbatimPiece() {
    var t = new TextCorpus(TextCorpus.collapseWhitespace("the king\n  said to  the queen:\tgood day"));
    assertEquals("the king said to the queen: good day", t.text());
    assertEquals(" said to the q", t.longestSubstringIn("xx said to the qa"));
    assertEquals("good day", t.longestSubstringIn("good day"));
    assertEquals("", t.longestSubstringIn("zzz"));
    assertEquals("", t.longestSubstringIn(""));
    // a brute force over every substring agrees
    String s = "queen said the king to";
    int best = 0;
    for (int i = 0; i < s.length(); i++) {
      for (int j = i + 1; j <= s.length(); j++) {
        if (t.text().contains(s.substring(i, j))) {
          best = Math.max(best, j - i);
        }
      }
    }
    assertEquals(best, t.longestSubstringIn(s).length());
  }
}
