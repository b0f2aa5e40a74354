package io.genrm4j.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Runs the parts of a loop on the caller and helper threads that wait for work by spinning briefly before they
 * park: the output blocks of {@link Kernels#matmul}, {@link RowDecoder}'s attention and {@link SplitGemv}'s
 * matrix-vector products, and the host's token draws ({@code infer.TokenSampler}). A decode step hands out a few
 * dozen products back to back, each a few hundred microseconds: an executor's hand-off (wake a parked thread, then
 * wait for it) cost 20-50 us each here, a spinning helper's about one. One caller at a time: another caller finds
 * the team busy and runs every part itself.
 */
public final class SpinTeam {
  /** How long an idle helper spins before it parks. */
  private static final long SPIN_NANOS = 200_000;

  private static final SpinTeam SHARED = new SpinTeam(Math.max(0, Runtime.getRuntime().availableProcessors() - 1));

  private final Helper[] helpers;
  private final ReentrantLock busy = new ReentrantLock();

  private SpinTeam(int helpers) {
    this.helpers = new Helper[helpers];
  }

  /** The team shared by every model: one helper per core beyond the caller's, started on first use. */
  public static SpinTeam shared() {
    return SHARED;
  }

  /**
   * {@code part.accept(p)} for p in [0, parts) on at most {@code threads} threads: the caller and the helpers (when the
   * team is free) each take the next part not yet taken until none is left, so a thread that falls behind (another
   * process on its core, a slower part) takes fewer; with static halves the caller waited for its helper in 14% of
   * K = 32 vote decoding. Which thread runs a part never changes what the part computes.
   */
  public void run(int parts, int threads, IntConsumer part) {
    int used = Math.min(Math.min(parts, threads) - 1, helpers.length);
    if (used <= 0 || !busy.tryLock()) {
      for (int p = 0; p < parts; p++) {
        part.accept(p);
      }
      return;
    }
    try {
      AtomicInteger next = new AtomicInteger();
      Runnable take = () -> {
        for (int p = next.getAndIncrement(); p < parts; p = next.getAndIncrement()) {
          part.accept(p);
        }
      };
      for (int h = 0; h < used; h++) {
        helper(h).post(take);
      }
      Throwable failed = null;
      try {
        take.run();
      } catch (RuntimeException | Error e) {
        failed = e;
      }
      for (int h = 0; h < used; h++) {
        Throwable t = helpers[h].await();
        failed = failed == null ? t : failed;
      }
      if (failed instanceof RuntimeException e) {
        throw e;
      }
      if (failed instanceof Error e) {
        throw e;
      }
      if (failed != null) {
        throw new IllegalStateException(failed);
      }
    } finally {
      busy.unlock();
    }
  }

  private Helper helper(int h) {
    if (helpers[h] == null) {
      helpers[h] = new Helper(h);
      helpers[h].start();
    }
    return helpers[h];
  }

  /** A thread that runs one posted job at a time. */
  private static final class Helper extends Thread {
    private volatile Runnable job; // posted, not yet finished
    private volatile boolean parked;
    private volatile Throwable failure;

    Helper(int index) {
      super("genrm4j-spin-" + index);
      setDaemon(true);
    }

    void post(Runnable r) {
      failure = null;
      job = r;
      if (parked) {
        LockSupport.unpark(this);
      }
    }

    /** Waits for the posted job; what it threw, or null. */
    Throwable await() {
      while (job != null) {
        Thread.onSpinWait();
      }
      return failure;
    }

    @Override
    public void run() {
      while (true) {
        Runnable r = job;
        long idleSince = System.nanoTime();
        while (r == null && System.nanoTime() - idleSince < SPIN_NANOS) {
          Thread.onSpinWait();
          r = job;
        }
        if (r == null) {
          parked = true;
          if (job == null) { // a job posted after this check sees parked and unparks (volatile order)
            LockSupport.park(this);
          }
          parked = false;
          continue;
        }
        try {
          r.run();
        } catch (Throwable t) {
          failure = t;
        }
        job = null;
      }
    }
  }
}
