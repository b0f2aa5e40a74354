package io.genrm4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.model.Autograd;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ModelWorkerTest {
  @Test
  void modelsRunOnTheWorkerWithoutAutogradRecording() throws Exception {
    try (ModelWorker w = new ModelWorker(4, 8, 0)) {
      // PyTorch records in every new thread unless told otherwise; the worker must not (memory, speed)
      assertFalse(w.call(Autograd::recording).get(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void compatibleQueuedJobsRunAsOneBatchInOrder() throws Exception {
    List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
    ModelWorker.BatchRunner<Integer, Integer> square = (key, in) -> {
      batches.add(List.copyOf(in));
      if (in.contains(-1)) {
        throw new IllegalArgumentException("bad input");
      }
      return in.stream().map(x -> x * x).toList();
    };
    try (ModelWorker w = new ModelWorker(64, 8, 2)) {
      CountDownLatch hold = new CountDownLatch(1);
      CompletableFuture<Boolean> blocker = w.call(() -> {
        try {
          return hold.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      List<CompletableFuture<Integer>> fs = new ArrayList<>();
      for (int i = 1; i <= 5; i++) {
        fs.add(w.submit(square, "k", i, 1));
      }
      CompletableFuture<Integer> other = w.submit(square, "other", 7, 1);
      CompletableFuture<Integer> alone = w.submit(square, null, 9, 1);
      CompletableFuture<Integer> bad = w.submit(square, "k2", -1, 1);
      CompletableFuture<Integer> good = w.submit(square, "k2", 3, 1);
      hold.countDown();
      assertTrue(blocker.get());
      for (int i = 0; i < 5; i++) {
        assertEquals((i + 1) * (i + 1), fs.get(i).get(10, TimeUnit.SECONDS));
      }
      assertEquals(49, other.get(10, TimeUnit.SECONDS));
      assertEquals(81, alone.get(10, TimeUnit.SECONDS));
      assertEquals(9, good.get(10, TimeUnit.SECONDS), "a failing neighbour does not fail the batch");
      ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof IllegalArgumentException);
      assertEquals(List.of(1, 2, 3, 4, 5), batches.get(0), "five compatible jobs, one batch: " + batches);
      assertEquals(List.of(7), batches.get(1));
      assertEquals(List.of(9), batches.get(2));
    }
  }

  @Test
  void fullQueueIs503() {
    try (ModelWorker w = new ModelWorker(1, 8, 0)) {
      CountDownLatch hold = new CountDownLatch(1);
      w.call(() -> {
        try {
          return hold.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          return false;
        }
      });
      ApiError err = null;
      for (int i = 0; i < 3 && err == null; i++) { // the first may already be taken by the thread
        try {
          w.submit((k, in) -> in, null, i, 1);
        } catch (ApiError e) {
          err = e;
        }
      }
      hold.countDown();
      assertEquals(503, err.status());
    }
  }
}
