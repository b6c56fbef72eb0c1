package dlcourse.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
  private final int saved = Parallel.threads;

  @AfterEach
  void restore() {
    Parallel.threads = saved;
  }

  @Test
  void everyItemRunsOnceOnSeveralThreads() {
    Parallel.threads = 3;
    for (int n : new int[] {0, 1, 2, 7, 1000}) {
      AtomicIntegerArray count = new AtomicIntegerArray(Math.max(n, 1));
      Parallel.forEach(n, Parallel.MIN_PARALLEL, i -> count.incrementAndGet(i));
      for (int i = 0; i < n; i++) {
        assertEquals(1, count.get(i), "item " + i + " of " + n);
      }
    }
  }

  @Test
  void itemsRunOnTheCallerAndTheHelpersAtOnce() {
    Parallel.threads = 3;
    CountDownLatch all = new CountDownLatch(3); // items 0-2 each wait for the other two: three threads at once
    Set<Thread> seen = ConcurrentHashMap.newKeySet();
    Parallel.forEach(3, Parallel.MIN_PARALLEL, i -> {
      seen.add(Thread.currentThread());
      all.countDown();
      try {
        assertTrue(all.await(30, TimeUnit.SECONDS), "item " + i + " waited for the other threads");
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertEquals(3, seen.size());
    assertTrue(seen.contains(Thread.currentThread()), "the caller runs items too");
  }

  @Test
  void smallWorkStaysOnTheCaller() {
    Parallel.threads = 3;
    Set<Thread> seen = ConcurrentHashMap.newKeySet();
    Parallel.forEach(100, Parallel.MIN_PARALLEL - 1, i -> seen.add(Thread.currentThread()));
    assertEquals(Set.of(Thread.currentThread()), seen);
  }

  @Test
  void anItemsExceptionReachesTheCaller() {
    Parallel.threads = 2;
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forEach(50,
        Parallel.MIN_PARALLEL, i -> {
          if (i == 37) {
            throw new IllegalStateException("item 37");
          }
        }));
    assertEquals("item 37", e.getMessage());
  }
}
