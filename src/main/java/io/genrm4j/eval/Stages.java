package io.genrm4j.eval;

import io.genrm4j.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Resumable stages of a run directory. A stage writes its outputs atomically and then the marker
 * {@code stage-NAME.done}; a rerun skips every stage whose marker exists, so a killed run continues from the last
 * finished stage and nothing finished is redone.
 */
public final class Stages {
  /** What one stage did in this process. */
  public record Record(String name, boolean ran, double seconds) {}

  private final Path dir;
  private final PrintStream err;
  private final List<Record> records = new ArrayList<>();

  public Stages(Path dir, PrintStream err) {
    this.dir = dir;
    this.err = err;
  }

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
      return new ProgressBarBuilder().setTaskName(stage).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
          .setConsumer(new ConsoleProgressBarConsumer(err)).setUpdateIntervalMillis(500).build();
    }
  }

  public Path marker(String name) {
    return dir.resolve("stage-" + name + ".done");
  }

  public boolean done(String name) {
    return Files.exists(marker(name));
  }

  /** Runs {@code body} unless the stage is already done; then writes the marker. */
  public void run(String name, Body body) {
    if (done(name)) {
      records.add(new Record(name, false, 0));
      return;
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
    AtomicFiles.writeString(marker(name), "{\"finished\":\"" + Instant.now() + "\",\"seconds\":" + s + "}\n");
    records.add(new Record(name, true, s));
  }

  public List<Record> records() {
    return List.copyOf(records);
  }
}
