package io.genrm4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Small pieces the engine commands share: the engine manager, progress bars, model loading, output checks. */
final class Cli {
  private Cli() {}

  /** A root manager of the PyTorch engine (offline). */
  static NDManager manager() {
    System.setProperty("ai.djl.offline", "true");
    return NDManager.newBaseManager("PyTorch");
  }

  /** A progress bar on stderr ({@code max} units). */
  static ProgressBar progress(String task, long max, String unit) {
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setUnit(" " + unit, 1)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(250)
        .showSpeed()
        .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true), 110))
        .build();
  }

  /**
   * Loads a checkpoint directory, with a one-line error when it is not one or when a weight is NaN or infinite
   * (sampling from such a model silently returns empty text).
   */
  static Checkpoint.Loaded load(Path dir, NDManager mgr) {
    if (!Files.isDirectory(dir)) {
      throw new UserException(dir + ": no such model directory");
    }
    Checkpoint.Loaded loaded = Checkpoint.load(dir, mgr);
    String bad = firstNonFiniteTensor(loaded.model());
    if (bad != null) {
      loaded.close();
      throw new UserException(dir + ": weights are not finite (NaN or infinite values in " + bad + ")");
    }
    return loaded;
  }

  /** The name of the first parameter holding a NaN or an infinity, or null. One sum per tensor: NaN/Inf propagate. */
  private static String firstNonFiniteTensor(LlamaModel model) {
    for (Map.Entry<String, NDArray> p : model.parameters().entrySet()) {
      try (NDArray sum = p.getValue().sum()) {
        if (!Double.isFinite(sum.toType(DataType.FLOAT64, false).getDouble())) {
          return p.getKey();
        }
      }
    }
    return null;
  }

  /** Refuses to write into a directory that already has content (unless {@code allow}). */
  static void requireFreshDir(Path out, boolean allow, String hint) {
    if (allow || !Files.exists(out)) {
      return;
    }
    if (!Files.isDirectory(out)) {
      throw new UserException(out + ": exists and is not a directory");
    }
    try (Stream<Path> s = Files.list(out)) {
      if (s.findAny().isPresent()) {
        throw new UserException(out + ": already exists and is not empty" + hint);
      }
    } catch (IOException e) {
      throw new UserException(out + ": cannot read: " + e.getMessage());
    }
  }

  static String human(double x) {
    if (x >= 1e9) {
      return String.format("%.2fG", x / 1e9);
    }
    if (x >= 1e6) {
      return String.format("%.2fM", x / 1e6);
    }
    if (x >= 1e3) {
      return String.format("%.1fK", x / 1e3);
    }
    return String.format("%.0f", x);
  }
}
