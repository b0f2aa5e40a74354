package io.genrm4j.eval;

import io.genrm4j.model.Autograd;
import io.genrm4j.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Resumable stages of a run directory. A stage writes its outputs atomically and then its marker
 * ({@link RunDir#stageMarker}); a rerun skips every stage whose marker exists, so a killed run continues from the last
 * finished stage and nothing finished is redone. A {@link #run(List, int) plan} runs independent stages on several
 * threads at once.
 */
public final class Stages {
  /** What one stage did in this process. */
  public record Record(String name, boolean ran, double seconds) {}

  private final RunDir dir;
  private final PrintStream err;
  private final List<Record> records = new ArrayList<>();

  public Stages(RunDir dir, PrintStream err) {
    this.dir = dir;
    this.err = err;
  }

  /** A stage of a plan: its name, the stages that must be done before it starts, its body. */
  public record Planned(String name, List<String> needs, Body body) {}

  /** A stage body; {@code progress} builds the stage's progress bar. */
  @FunctionalInterface
  public interface Body {
    void run(Progress progress) throws Exception;
  }

  /** Opens progress bars on stderr for a stage. */
  public final class Progress {
    private final String stage;

    private Progress(String stage) {
      this.stage = stage;
    }

    public ProgressBar bar(long max) {
      ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(stage).setInitialMax(max)
          .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500);
      // On the process's own stderr the library picks its consumer: on a terminal one line per bar, so that stages
      // running at once do not overwrite each other; elsewhere (a log file, a test's stream) plain carriage returns.
      return (err == System.err ? b : b.setConsumer(new ConsoleProgressBarConsumer(err))).build();
    }
  }

  public boolean done(String name) {
    return Files.exists(dir.stageMarker(name));
  }

  /** Runs {@code body} unless the stage is already done; then writes the marker. */
  public void run(String name, Body body) {
    Record r = execute(name, body);
    synchronized (records) {
      records.add(r);
    }
  }

  /**
   * Runs a plan on up to {@code workers} threads: a stage starts once the stages it needs are done, the earliest ready
   * stage in plan order first (so list the longest chain first). One worker runs the plan in order. After a failure no
   * new stage starts, the running ones finish (their outputs and markers are kept), and the first failure is thrown.
   * Records are kept in plan order.
   */
  public void run(List<Planned> plan, int workers) {
    Set<String> seen = new HashSet<>();
    for (Planned p : plan) {
      for (String n : p.needs()) {
        if (!seen.contains(n) && !done(n)) {
          throw new IllegalArgumentException("stage " + p.name() + " needs " + n + ", which is neither done nor earlier");
        }
      }
      seen.add(p.name());
    }
    if (workers <= 1) {
      plan.forEach(p -> run(p.name(), p.body()));
      return;
    }
    Scheduler s = new Scheduler(plan);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < Math.min(workers, plan.size()); i++) {
      Thread t = new Thread(() -> {
        Autograd.offInThisThread(); // as on the main thread; a new thread starts with PyTorch recording
        s.work();
      }, "stage-worker-" + i);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while stages were running", e);
      }
    }
    synchronized (records) {
      for (Planned p : plan) {
        Record r = s.finished.get(p.name());
        if (r != null) {
          records.add(r);
        }
      }
    }
    if (s.failure instanceof RuntimeException e) {
      throw e;
    } else if (s.failure instanceof Error e) {
      throw e;
    } else if (s.failure != null) { // a worker interrupted while waiting
      throw new IllegalStateException("stages stopped: " + s.failure, s.failure);
    }
  }

  /** Hands out the stages of a plan to worker threads; all state is guarded by {@code this}. */
  private final class Scheduler {
    private final List<Planned> pending;
    private final Map<String, Record> finished = new HashMap<>();
    private final Set<String> running = new HashSet<>();
    private Throwable failure;

    Scheduler(List<Planned> plan) {
      this.pending = new ArrayList<>(plan);
    }

    void work() {
      while (true) {
        Planned next = take();
        if (next == null) {
          return;
        }
        try {
          Record r = execute(next.name(), next.body());
          synchronized (this) {
            running.remove(next.name());
            finished.put(next.name(), r);
            notifyAll();
          }
        } catch (Throwable t) {
          synchronized (this) {
            running.remove(next.name());
            if (failure == null) {
              failure = t;
              if (!running.isEmpty()) {
                err.printf("stage %s failed; waiting for %s to finish%n", next.name(), String.join(", ", running));
              }
            }
            notifyAll();
          }
        }
      }
    }

    /** The first pending stage whose needs are met, waiting while others run; null when there is nothing left. */
    private synchronized Planned take() {
      while (true) {
        if (failure != null || pending.isEmpty()) {
          return null;
        }
        for (Planned p : pending) {
          if (p.needs().stream().allMatch(n -> finished.containsKey(n) || (!running.contains(n) && done(n)))) {
            pending.remove(p);
            running.add(p.name());
            return p;
          }
        }
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          failure = e;
          return null;
        }
      }
    }
  }

  private Record execute(String name, Body body) {
    if (done(name)) {
      return new Record(name, false, 0);
    }
    long t0 = System.nanoTime();
    try {
      body.run(new Progress(name));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new RuntimeException("stage " + name + ": " + e.getMessage(), e);
    }
    double s = (System.nanoTime() - t0) / 1e9;
    AtomicFiles.writeString(dir.stageMarker(name), "{\"finished\":\"" + Instant.now() + "\",\"seconds\":" + s + "}\n");
    return new Record(name, true, s);
  }

  public List<Record> records() {
    synchronized (records) {
      return List.copyOf(records);
    }
  }
}
