package io.genrm4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.model.Autograd;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.io.SafetensorsReader;
import io.genrm4j.model.io.SafetensorsWriter;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The training loop: deterministic data order from the seed, gradient accumulation, AdamW with warmup + cosine and
 * global-norm clipping, periodic resumable checkpoints. A resumed run continues exactly where the killed one left
 * off: weights, optimizer moments, step and data position (which is a function of seed and step) are restored.
 */
public final class Trainer {
  private Trainer() {}

  /** What the loop reports after each step. */
  public record StepLog(long step, int totalSteps, double loss, double lr, double gradNorm, long tokens,
      double seconds) {}

  /** The outcome of a run: the loss of every step of this process and where it started. */
  public record Result(long startStep, long steps, List<Double> losses, long tokens, double seconds) {
    public double finalLoss() {
      return losses.isEmpty() ? Double.NaN : losses.get(losses.size() - 1);
    }
  }

  /** Trains without checkpoints. */
  public static <E> Result train(LlamaModel model, List<E> data, Objective<E> objective, TrainConfig cfg,
      Consumer<StepLog> log) {
    return train(model, null, data, objective, cfg, null, false, log, e -> 0);
  }

  /**
   * Trains {@code model} in place.
   *
   * @param tokenizer saved with checkpoints (may be null when {@code runDir} is null)
   * @param runDir where resumable checkpoints go ({@code runDir/checkpoints/step-N}); null for none
   * @param resume continue from the latest checkpoint in {@code runDir} if there is one
   * @param tokenCount tokens an example costs, for throughput figures
   */
  public static <E> Result train(LlamaModel model, Tokenizer tokenizer, List<E> data, Objective<E> objective,
      TrainConfig cfg, Path runDir, boolean resume, Consumer<StepLog> log,
      java.util.function.ToIntFunction<E> tokenCount) {
    return train(model, tokenizer, data, objective, cfg, runDir, resume, log, tokenCount, s -> false);
  }

  /**
   * As above, ending early after the first step for which {@code stopAfter} is true (the learning-rate schedule is
   * still the one of {@code cfg.steps()}); {@link Result#steps} is then that step. Called outside autograd recording.
   */
  public static <E> Result train(LlamaModel model, Tokenizer tokenizer, List<E> data, Objective<E> objective,
      TrainConfig cfg, Path runDir, boolean resume, Consumer<StepLog> log,
      java.util.function.ToIntFunction<E> tokenCount, java.util.function.Predicate<StepLog> stopAfter) {
    if (data.isEmpty()) {
      throw new UserException("no training examples");
    }
    NDManager root = model.manager();
    model.setRequiresGradient(true);
    AdamW opt = new AdamW(model.trainableParameters(), root, 0.9, 0.95, 1e-8, cfg.weightDecay());
    try {
      long start = 0;
      if (resume && runDir != null) {
        start = restoreLatest(runDir, model, opt);
      }
      LrSchedule schedule = cfg.schedule();
      DataOrder<E> order = new DataOrder<>(data, cfg.seed());
      List<Double> losses = new ArrayList<>();
      long tokens = 0;
      long t0 = System.nanoTime();
      for (long step = start + 1; step <= cfg.steps(); step++) {
        double lr = schedule.at(step);
        double lossSum = 0;
        for (int micro = 0; micro < cfg.gradAccum(); micro++) {
          long first = ((step - 1) * cfg.gradAccum() + micro) * (long) cfg.batchSize();
          List<E> batch = order.slice(first, cfg.batchSize());
          for (E e : batch) {
            tokens += tokenCount.applyAsInt(e);
          }
          model.startLoraDropout((step - 1) * cfg.gradAccum() + micro); // a function of the step: resumable
          try (NDManager sm = root.newSubManager();
              Autograd.Recording gc = Autograd.record()) {
            NDArray loss = objective.loss(model, batch, sm);
            gc.backward(loss.div(sm.full(new Shape(), (float) cfg.gradAccum())));
            lossSum += loss.getFloat();
          }
        }
        double norm = opt.step(lr, cfg.clipNorm());
        double loss = lossSum / cfg.gradAccum();
        losses.add(loss);
        StepLog sl = new StepLog(step, cfg.steps(), loss, lr, norm, tokens, (System.nanoTime() - t0) / 1e9);
        if (log != null) {
          log.accept(sl);
        }
        boolean stop = stopAfter.test(sl);
        boolean periodic = cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0;
        if (runDir != null && tokenizer != null && (periodic || step == cfg.steps() || stop)) {
          saveCheckpoint(runDir, step, model, tokenizer, opt, cfg);
        }
        if (stop) {
          return new Result(start, step, losses, tokens, (System.nanoTime() - t0) / 1e9);
        }
      }
      return new Result(start, cfg.steps(), losses, tokens, (System.nanoTime() - t0) / 1e9);
    } finally {
      opt.close();
      model.setRequiresGradient(false);
    }
  }

  /** Fixed-seed epoch permutations: example k of the stream is a function of (seed, k) only. */
  private static final class DataOrder<E> {
    private final List<E> data;
    private final long seed;
    private final Map<Long, int[]> perms = new HashMap<>();

    DataOrder(List<E> data, long seed) {
      this.data = data;
      this.seed = seed;
    }

    List<E> slice(long first, int count) {
      List<E> out = new ArrayList<>(count);
      for (long k = first; k < first + count; k++) {
        long epoch = k / data.size();
        int[] perm = perms.computeIfAbsent(epoch, this::permutation);
        out.add(data.get(perm[(int) (k % data.size())]));
      }
      if (perms.size() > 2) {
        perms.keySet().removeIf(e -> e < first / data.size());
      }
      return out;
    }

    private int[] permutation(long epoch) {
      List<Integer> idx = new ArrayList<>(data.size());
      for (int i = 0; i < data.size(); i++) {
        idx.add(i);
      }
      Collections.shuffle(idx, new Random(seed * 1_000_003L + epoch));
      return idx.stream().mapToInt(Integer::intValue).toArray();
    }
  }

  // ---- resumable checkpoints ----

  /** A LoRA run's resumable checkpoint holds its adapters here (the base is the run's --model). */
  static final String ADAPTERS = "adapters.safetensors";

  static Path checkpointsDir(Path runDir) {
    return runDir.resolve("checkpoints");
  }

  private static void saveCheckpoint(Path runDir, long step, LlamaModel model, Tokenizer tokenizer, AdamW opt,
      TrainConfig cfg) {
    Path dir = checkpointsDir(runDir).resolve("step-" + step);
    if (model.lora() == null) {
      Checkpoint.save(model, tokenizer, dir);
    } else { // the base does not change: the adapters alone, in the trainer's own file (the run saves PEFT's)
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new UserException(dir + ": cannot create: " + e.getMessage());
      }
      SafetensorsWriter.write(dir.resolve(ADAPTERS), Checkpoint.hostTensors(model.adapters(), ""), Map.of());
    }
    SafetensorsWriter.write(dir.resolve("optimizer.safetensors"), Checkpoint.hostTensors(opt.state(), ""),
        Map.of("step", Long.toString(step)));
    ObjectNode s = Jsonl.MAPPER.createObjectNode();
    s.put("step", step);
    s.put("optimizer_step", opt.stepCount());
    s.set("train_config", Jsonl.MAPPER.valueToTree(cfg));
    AtomicFiles.writeString(dir.resolve("trainer_state.json"), s.toPrettyString());
    // The pointer moves only after the checkpoint is complete; then older ones go.
    AtomicFiles.writeString(checkpointsDir(runDir).resolve("latest"), "step-" + step + "\n");
    try (var list = Files.list(checkpointsDir(runDir))) {
      for (Path p : (Iterable<Path>) list::iterator) {
        String name = p.getFileName().toString();
        if (name.startsWith("step-") && !name.equals("step-" + step)) {
          Checkpoint.deleteRecursively(p);
        }
      }
    } catch (IOException e) {
      // old checkpoints that could not be removed only cost disk space
    }
  }

  /** Loads the latest checkpoint into {@code model} and {@code opt}; returns its step (0 when there is none). */
  private static long restoreLatest(Path runDir, LlamaModel model, AdamW opt) {
    Path latest = checkpointsDir(runDir).resolve("latest");
    if (!Files.exists(latest)) {
      return 0;
    }
    try {
      Path dir = checkpointsDir(runDir).resolve(Files.readString(latest).trim());
      JsonNode state = Jsonl.MAPPER.readTree(Files.readString(dir.resolve("trainer_state.json")));
      if (model.lora() == null) {
        Checkpoint.loadWeightsInto(model, dir);
      } else {
        if (!Files.exists(dir.resolve(ADAPTERS))) {
          throw new UserException(dir + ": not a LoRA checkpoint; resume with the options the run started with");
        }
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(ADAPTERS))) {
          for (Map.Entry<String, NDArray> e : model.adapters().entrySet()) {
            if (!r.contains(e.getKey())) {
              throw new UserException(dir + ": adapter '" + e.getKey() + "' is missing; resume with the same LoRA "
                  + "options");
            }
            e.getValue().set(r.readFloats(e.getKey()));
          }
        }
      }
      Map<String, float[]> moments = new HashMap<>();
      try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("optimizer.safetensors"))) {
        for (String name : r.names()) {
          moments.put(name, r.readFloats(name));
        }
      }
      opt.restore(moments, state.get("optimizer_step").asLong());
      return state.get("step").asLong();
    } catch (IOException e) {
      throw new UserException(latest + ": cannot resume: " + e.getMessage());
    }
  }
}
