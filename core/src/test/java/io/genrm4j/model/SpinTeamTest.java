package io.genrm4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every part runs once, whoever runs it, on no more threads than asked; a part's failure reaches the caller; callers
 * at once both finish.
 */
class SpinTeamTest {
  @Test
  void everyPartRunsOnceEvenWithMorePartsThanHelpers() {
    for (int parts = 1; parts <= 5; parts++) {
      int[] runs = new int[parts];
      SpinTeam.shared().run(parts, parts, p -> runs[p]++);
      int[] once = new int[parts];
      java.util.Arrays.fill(once, 1);
      assertArrayEquals(once, runs, parts + " parts");
    }
  }

  @Test
  void oneThreadRunsEveryPartOnTheCaller() {
    java.util.Set<Thread> ran = java.util.concurrent.ConcurrentHashMap.newKeySet();
    SpinTeam.shared().run(64, 1, p -> ran.add(Thread.currentThread()));
    assertEquals(java.util.Set.of(Thread.currentThread()), ran);
  }

  @Test
  void aFailingPartFailsTheCallAndTheTeamGoesOn() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> SpinTeam.shared().run(2, 2, p -> {
      if (p == 1) {
        throw new IllegalStateException("part 1");
      }
    }));
    assertEquals("part 1", e.getMessage());
    int[] runs = new int[2];
    SpinTeam.shared().run(2, 2, p -> runs[p]++);
    assertArrayEquals(new int[] {1, 1}, runs);
  }

  @Test
  void callersAtOnceEachGetAllTheirParts() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(3);
    try {
      Future<?>[] done = new Future<?>[3];
      long[][] sums = new long[3][4];
      for (int c = 0; c < 3; c++) {
        int caller = c;
        done[c] = callers.submit(() -> {
          for (int round = 0; round < 200; round++) {
            SpinTeam.shared().run(4, 4, p -> sums[caller][p] += p + 1);
          }
        });
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
      for (long[] s : sums) {
        assertArrayEquals(new long[] {200, 400, 600, 800}, s);
      }
    } finally {
      callers.shutdownNow();
    }
  }
}
