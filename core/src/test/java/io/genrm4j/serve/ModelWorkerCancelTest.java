package io.genrm4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Cancelling a job (its request timed out) reaches the model thread and frees the queue (issue #22, #3). */
class ModelWorkerCancelTest {
  /** Runs until interrupted, as Generator does (it checks between decoding steps). */
  static List<String> untilInterrupted(CountDownLatch started, CountDownLatch stopped) {
    started.countDown();
    while (!Thread.currentThread().isInterrupted()) {
      Thread.onSpinWait();
    }
    stopped.countDown();
    throw new java.util.concurrent.CancellationException("generation interrupted");
  }

  @Test
  void cancellingTheRunningJobInterruptsItAndTheWorkerGoesOn() throws Exception {
    try (ModelWorker w = new ModelWorker(4, 8, 1)) {
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch stopped = new CountDownLatch(1);
      CompletableFuture<String> slow = w.submit((k, in) -> untilInterrupted(started, stopped), null, "x", 1);
      assertTrue(started.await(5, TimeUnit.SECONDS));
      CompletableFuture<String> queued = w.submit((k, in) -> List.of("never"), null, "y", 1);
      queued.cancel(false); // abandoned while waiting: its queue slot is freed at once
      assertEquals(0, w.queued());
      slow.cancel(false);
      assertTrue(stopped.await(2, TimeUnit.SECONDS), "the model thread saw the interrupt");
      // the worker survives the interrupt and runs the next job
      assertEquals("ok", w.submit((k, in) -> List.of("ok"), null, "z", 1).get(5, TimeUnit.SECONDS));
      assertEquals("ok", w.call(() -> "ok").get(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void aBatchIsInterruptedOnlyWhenAllItsJobsAreCancelled() throws Exception {
    try (ModelWorker w = new ModelWorker(8, 8, 200)) {
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch stopped = new CountDownLatch(1);
      ModelWorker.BatchRunner<String, String> runner = (k, in) -> {
        started.countDown();
        long end = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < end) {
          if (Thread.currentThread().isInterrupted()) {
            stopped.countDown();
            throw new java.util.concurrent.CancellationException("interrupted");
          }
        }
        return in.stream().map(s -> s + "!").toList();
      };
      CompletableFuture<String> a = w.submit(runner, "k", "a", 1);
      CompletableFuture<String> b = w.submit(runner, "k", "b", 1);
      assertTrue(started.await(5, TimeUnit.SECONDS));
      a.cancel(false);
      assertEquals("b!", b.get(5, TimeUnit.SECONDS), "b's batch mate was cancelled, b still gets its answer");
      assertEquals(1, stopped.getCount(), "not interrupted while a live job was in the batch");
    }
  }
}
