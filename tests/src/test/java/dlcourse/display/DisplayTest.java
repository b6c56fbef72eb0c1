package dlcourse.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DisplayTest {

  /** Records what a notebook backend would receive. */
  static final class Recording implements Display.Backend {
    final List<String> events = new ArrayList<>();

    @Override
    public String display(Object value) {
      events.add("display " + Display.plainText(value));
      return "id" + events.size();
    }

    @Override
    public void updateDisplay(String id, Object value) {
      events.add("update " + id + " " + Display.plainText(value));
    }

    @Override
    public void clearOutput() {
      events.add("clear");
    }

    @Override
    public boolean interactive() {
      return true;
    }
  }

  @AfterEach
  void reset() {
    Display.backend(null);
    Display.clearInterrupt();
  }

  private static String captureStdout(Runnable r) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void displayNullIsAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Display.display(null));
    assertTrue(e.getMessage().startsWith("display(null)"), e.getMessage());
  }

  @Test
  void headlessDisplayPrintsTheRichPlainText() {
    Rich rich = () -> Map.of("text/plain", "plain form", "text/html", "<b>html</b>");
    String out = captureStdout(() -> Display.display(rich));
    assertEquals("plain form", out.strip());
    assertFalse(Display.interactive());
  }

  @Test
  void checkInterruptedThrowsOnlyAfterARequest() {
    Display.checkInterrupted();
    Display.requestInterrupt();
    CancellationException e = assertThrows(CancellationException.class, Display::checkInterrupted);
    assertTrue(e.getMessage().contains("Interrupted"), e.getMessage());
    Display.clearInterrupt();
    Display.checkInterrupted();
  }

  @Test
  void interactiveProgressBarUpdatesOneDisplay() {
    Recording rec = new Recording();
    Display.backend(rec);
    AtomicLong now = new AtomicLong();
    try (ProgressBar bar = new ProgressBar("epoch 1", 4, now::get)) {
      for (int i = 1; i <= 4; i++) {
        now.addAndGet(200_000_000L);
        bar.update(i, Map.of("loss", 1.0 / i));
      }
    }
    assertTrue(rec.events.get(0).startsWith("display epoch 1 ["), rec.events.toString());
    assertTrue(rec.events.stream().skip(1).allMatch(e -> e.startsWith("update id1 ")), rec.events.toString());
    String last = rec.events.get(rec.events.size() - 1);
    assertTrue(last.contains("4/4") && last.contains("loss=0.2500"), last);
  }

  @Test
  void headlessProgressBarPrintsAtMostOneLinePerIntervalAndTheEnd() {
    AtomicLong now = new AtomicLong();
    String out = captureStdout(() -> {
      try (ProgressBar bar = new ProgressBar("train", 100, now::get)) {
        for (int i = 1; i <= 100; i++) {
          now.addAndGet(100_000_000L); // 0.1 s per step, 10 s in all
          bar.update(i, Map.of("acc", 0.5));
        }
      }
    });
    List<String> lines = out.lines().toList();
    // 10 s of steps: lines at 5 s and 10 s, and the final 100/100 line, not repeated by close()
    assertEquals(2, lines.size(), out);
    assertTrue(lines.get(0).contains("50/100"), out);
    assertTrue(lines.get(1).contains("100/100") && lines.get(1).contains("10.0 it/s"), out);
  }

  @Test
  void progressBarRejectsBadCounts() {
    ProgressBar bar = ProgressBar.of("x", 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bar.update(4, null));
    assertTrue(e.getMessage().contains("got 4"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ProgressBar.of("x", -1));
  }
}
