package io.genrm4j.serve;

import io.genrm4j.model.Autograd;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one thread that touches the model (the model is not thread-safe). Jobs queue here; the thread takes the
 * oldest, then for up to {@code windowMs} collects queued jobs of the same kind and batch key (a key of null
 * never batches) up to {@code maxRows} rows, and runs them with one call. Jobs of other keys wait, in order.
 * A batch that fails is rerun one job at a time so one bad request cannot fail its neighbours. Cancelling a job's
 * future (its HTTP request timed out) takes a queued job out of the queue at once, and interrupts the running batch
 * once every job in it is cancelled (generation stops within one decoding step); the thread then goes on.
 */
public final class ModelWorker implements AutoCloseable {
  /** Runs a batch of inputs that share a key; returns one output per input, in order. */
  @FunctionalInterface
  public interface BatchRunner<I, O> {
    List<O> run(Object key, List<I> inputs);
  }

  private static final class Job<I, O> {
    final BatchRunner<I, O> runner;
    final Object key;
    final I input;
    final int rows;
    final CompletableFuture<O> future = new CompletableFuture<>();

    Job(BatchRunner<I, O> runner, Object key, I input, int rows) {
      this.runner = runner;
      this.key = key;
      this.input = input;
      this.rows = rows;
    }

    boolean cancelled() {
      return future.isCancelled();
    }

    boolean joins(Job<?, ?> first) {
      return key != null && runner == first.runner && key.equals(first.key);
    }
  }

  private final BlockingQueue<Job<?, ?>> queue;
  private final ArrayDeque<Job<?, ?>> backlog = new ArrayDeque<>(); // model thread only
  private final int maxRows;
  private final long windowNanos;
  private final Thread thread;
  private volatile boolean running = true;
  private final Object runningLock = new Object();
  private List<Job<?, ?>> runningBatch = List.of(); // guarded by runningLock
  final AtomicLong batches = new AtomicLong();
  final AtomicLong batchedJobs = new AtomicLong();
  final AtomicLong batchedRows = new AtomicLong();
  final AtomicLong cancelledJobs = new AtomicLong();

  public ModelWorker(int queueCapacity, int maxRows, long windowMs) {
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.maxRows = Math.max(1, maxRows);
    this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMs);
    this.thread = new Thread(this::loop, "genrm-model");
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a job; 503 when the queue is full. */
  public <I, O> CompletableFuture<O> submit(BatchRunner<I, O> runner, Object key, I input, int rows) {
    Job<I, O> job = new Job<>(runner, key, input, rows);
    if (!running || !queue.offer(job)) {
      throw ApiError.overloaded("the model queue is full; retry later");
    }
    job.future.whenComplete((out, err) -> {
      if (job.cancelled()) {
        abandon(job);
      }
    });
    return job.future;
  }

  /** Runs {@code task} on the model thread (unbatched) and returns its result. */
  public <O> CompletableFuture<O> call(java.util.function.Supplier<O> task) {
    return submit((k, in) -> List.of(task.get()), null, Boolean.TRUE, 1);
  }

  public int queued() {
    return queue.size();
  }

  /** A cancelled job: out of the queue if still there; its batch interrupted if nothing else in it is wanted. */
  private void abandon(Job<?, ?> job) {
    cancelledJobs.incrementAndGet();
    if (queue.remove(job)) {
      return;
    }
    synchronized (runningLock) {
      if (runningBatch.contains(job) && runningBatch.stream().allMatch(Job::cancelled)) {
        thread.interrupt();
      }
    }
  }

  private void loop() {
    Autograd.offInThisThread(); // a new thread starts with PyTorch recording; inference here must not
    while (running) {
      Job<?, ?> first;
      try {
        first = backlog.isEmpty() ? queue.poll(200, TimeUnit.MILLISECONDS) : backlog.poll();
      } catch (InterruptedException e) {
        continue; // close() ends the loop through running; a late cancellation interrupt is harmless
      }
      if (first == null) {
        continue;
      }
      List<Job<?, ?>> batch = new ArrayList<>();
      batch.add(first);
      int rows = first.rows;
      if (first.key != null) {
        for (Iterator<Job<?, ?>> it = backlog.iterator(); it.hasNext() && rows < maxRows; ) {
          Job<?, ?> j = it.next();
          if (j.joins(first) && rows + j.rows <= maxRows) {
            batch.add(j);
            rows += j.rows;
            it.remove();
          }
        }
        long deadline = System.nanoTime() + windowNanos;
        while (rows < maxRows) {
          long left = deadline - System.nanoTime();
          Job<?, ?> j;
          try {
            j = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
          } catch (InterruptedException e) {
            break; // close() (running is false) or a late cancellation: run what was collected, or skip it
          }
          if (j == null) {
            break;
          }
          if (j.joins(first) && rows + j.rows <= maxRows) {
            batch.add(j);
            rows += j.rows;
          } else {
            backlog.add(j);
          }
        }
      }
      if (!running) { // closed while collecting: these jobs left the queue, so failAll would not see them
        batch.forEach(j -> j.future.completeExceptionally(shuttingDown()));
        break;
      }
      synchronized (runningLock) {
        runningBatch = batch;
      }
      try {
        runBatch(batch);
      } finally {
        synchronized (runningLock) {
          runningBatch = List.of();
          if (running) {
            Thread.interrupted(); // a cancellation that came as the batch ended must not hit the next one
          }
        }
      }
    }
    failAll();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void runBatch(List<Job<?, ?>> all) {
    List<Job> live = new ArrayList<>();
    for (Job<?, ?> j : all) {
      if (!j.future.isDone()) {
        live.add(j);
      }
    }
    if (live.isEmpty()) {
      return;
    }
    Job first = live.get(0);
    List inputs = new ArrayList();
    int rows = 0;
    for (Job j : live) {
      inputs.add(j.input);
      rows += j.rows;
    }
    try {
      List out = first.runner.run(first.key, inputs);
      if (out.size() != live.size()) {
        throw new IllegalStateException("batch runner returned " + out.size() + " outputs for " + live.size());
      }
      batches.incrementAndGet();
      batchedJobs.addAndGet(live.size());
      batchedRows.addAndGet(rows);
      for (int i = 0; i < live.size(); i++) {
        live.get(i).future.complete(out.get(i));
      }
    } catch (Throwable t) {
      if (live.size() == 1) {
        first.future.completeExceptionally(t);
        return;
      }
      for (Job j : live) { // isolate the failing request
        runBatch(List.of(j));
      }
    }
  }

  private static ApiError shuttingDown() {
    return new ApiError(503, "server_shutting_down", "the server is shutting down");
  }

  private void failAll() {
    ApiError stop = shuttingDown();
    backlog.forEach(j -> j.future.completeExceptionally(stop));
    queue.forEach(j -> j.future.completeExceptionally(stop));
  }

  /**
   * Stops the model thread and waits until it has ended: a running batch is interrupted (generation stops within one
   * decoding step), so the caller may close the models afterwards. Queued jobs fail with 503.
   */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    failAll();
  }
}
