package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoalescingOutputStreamTest {
  /** Records each flushed chunk as the message a Jupyter stream would get. */
  private static final class Messages extends OutputStream {
    final List<String> sent = new ArrayList<>();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) {
      pending.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      pending.write(b, off, len);
    }

    @Override
    public synchronized void flush() {
      if (pending.size() > 0) {
        byte[] bytes = pending.toByteArray();
        String s = new String(bytes, StandardCharsets.UTF_8);
        assertEquals(bytes.length, s.getBytes(StandardCharsets.UTF_8).length, "a chunk split a character");
        sent.add(s);
        pending.reset();
      }
    }

    synchronized String all() {
      return String.join("", sent);
    }
  }

  @Test
  void linesPrintedOneByOneArriveWholeInFewMessages() throws Exception {
    Messages target = new Messages();
    CoalescingOutputStream c = new CoalescingOutputStream(target, 1L << 30);
    PrintStream out = new PrintStream(c, false, StandardCharsets.UTF_8);
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      out.println("line " + i);
      expected.append("line ").append(i).append('\n');
    }
    out.flush();
    c.endCell();
    assertEquals(expected.toString(), target.all());
    assertTrue(target.sent.size() < 100, "100,000 lines in " + target.sent.size() + " messages");
  }

  @Test
  void outputPastTheCapIsCountedAndTheEndOfTheCellSaysSo() throws Exception {
    Messages target = new Messages();
    CoalescingOutputStream c = new CoalescingOutputStream(target, 1000);
    c.write("x".repeat(5000).getBytes(StandardCharsets.UTF_8));
    c.endCell();
    String all = target.all();
    assertTrue(all.startsWith("x".repeat(1000) + System.lineSeparator() + "[dlcourse: 4,000 more bytes"), all);
    c.write("next cell\n".getBytes(StandardCharsets.UTF_8));
    c.endCell();
    assertTrue(target.all().endsWith("next cell\n"), "the cap counts per cell");
  }

  @Test
  void longLinesAreCutBetweenCharactersNeverInside() throws Exception {
    Messages target = new Messages();
    CoalescingOutputStream c = new CoalescingOutputStream(target, 1L << 30);
    String wide = "é€".repeat(50_000); // 2- and 3-byte characters, no line end: sent in 64 KB chunks
    c.write(wide.getBytes(StandardCharsets.UTF_8));
    c.endCell();
    assertEquals(wide, target.all());
    assertTrue(target.sent.size() >= 3, "chunks: " + target.sent.size());
  }
}
