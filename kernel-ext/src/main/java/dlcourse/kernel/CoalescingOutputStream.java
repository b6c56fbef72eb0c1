package dlcourse.kernel;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Gathers a cell's printed output into few, bounded stream messages. Printed line by line, every {@code println}
 * would be one Jupyter message, and ZeroMQ silently drops messages once its queue is full (50 MB printed in lines
 * lost ~2 MB). Here pending text is sent every {@value #INTERVAL_MILLIS} ms, when {@value #CHUNK_BYTES} bytes are
 * pending, or when the kernel flushes (before a display, at the end of the cell), cut only at a line end or a
 * character boundary. Above {@code maxCellBytes} in one cell the rest is counted, not sent, and the end of the cell
 * says how much was cut.
 */
final class CoalescingOutputStream extends OutputStream {
  static final int CHUNK_BYTES = 64 * 1024;
  static final long INTERVAL_MILLIS = 100;
  /** Default cap per cell and stream: {@code -Ddlcourse.kernel.maxCellOutputMB}, default 32. */
  static final long DEFAULT_MAX_CELL_BYTES = Long.getLong("dlcourse.kernel.maxCellOutputMB", 32) << 20;

  private static final ScheduledExecutorService TICKER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "dlcourse-output-flusher");
    t.setDaemon(true);
    return t;
  });

  private final OutputStream target;
  private final long maxCellBytes;
  private byte[] buf = new byte[8192];
  private int count;
  private long cellBytes;
  private long dropped;

  /** Sends to {@code target} (flushed after every chunk); starts the periodic send. */
  CoalescingOutputStream(OutputStream target, long maxCellBytes) {
    this.target = target;
    this.maxCellBytes = maxCellBytes;
    TICKER.scheduleWithFixedDelay(() -> {
      try {
        send(false);
      } catch (IOException | RuntimeException ignored) {
        // the client went away; the next write reports it
      }
    }, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    long room = maxCellBytes - cellBytes;
    int take = (int) Math.min(len, Math.max(0, room));
    dropped += len - take;
    cellBytes += take;
    if (take == 0) {
      return;
    }
    if (count + take > buf.length) {
      byte[] bigger = new byte[Math.max(buf.length * 2, count + take)];
      System.arraycopy(buf, 0, bigger, 0, count);
      buf = bigger;
    }
    System.arraycopy(b, off, buf, count, take);
    count += take;
    if (count >= CHUNK_BYTES) {
      send(false);
    }
  }

  /** Sends what is pending; the periodic send and {@link #write} keep the rest waiting for its line end. */
  @Override
  public synchronized void flush() throws IOException {
    send(true);
  }

  /** Sends everything and, if output was cut in this cell, says how much; starts counting the next cell. */
  synchronized void endCell() throws IOException {
    send(true);
    if (dropped > 0) {
      String note = String.format("%n[dlcourse: %,d more bytes of this cell's output were not sent: a cell shows at"
          + " most %,d MB; write large output to a file]%n", dropped, maxCellBytes >> 20);
      target.write(note.getBytes(StandardCharsets.UTF_8));
      target.flush();
    }
    cellBytes = 0;
    dropped = 0;
  }

  /** Sends pending bytes up to the last line end (all of them when {@code all}), never inside a character. */
  private synchronized void send(boolean all) throws IOException {
    if (count == 0) {
      return;
    }
    int end = count;
    if (!all) {
      int lastNewline = -1;
      for (int i = count - 1; i >= 0; i--) {
        if (buf[i] == '\n') {
          lastNewline = i;
          break;
        }
      }
      if (lastNewline >= 0) {
        end = lastNewline + 1;
      } else if (count < CHUNK_BYTES) {
        return; // a partial line: wait for its end, a flush or more bytes
      }
    }
    while (end > 0 && end < count && (buf[end] & 0xC0) == 0x80) {
      end--; // buf[end] continues a UTF-8 character: cut before the character starts
    }
    for (int from = 0; from < end;) {
      int to = Math.min(from + CHUNK_BYTES, end);
      while (to < end && to > from + 1 && (buf[to] & 0xC0) == 0x80) {
        to--; // one message per chunk, each a whole number of characters
      }
      target.write(buf, from, to - from);
      target.flush();
      from = to;
    }
    System.arraycopy(buf, end, buf, 0, count - end);
    count -= end;
  }
}
