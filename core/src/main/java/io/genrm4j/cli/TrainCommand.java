package io.genrm4j.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.Lora;
import io.genrm4j.model.LoraAdapter;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.train.Losses;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code genrm train}: supervised fine-tuning on prompt/completion JSONL. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Fine-tunes a model on JSONL records {\"prompt\": str, \"completion\": str, \"weight\"?: number}.",
      "Each example is [bos] + prompt + completion + [eos]; the loss covers the completion and eos only.",
      "Resumable checkpoints go to OUT/checkpoints (every --checkpoint-every steps); --resume continues the same "
          + "run after a kill (same options required). The final model is saved to OUT, the per-step log "
          + "(loss, lr, grad_norm, tokens, seconds; steps before a resume included) to OUT/train_log.jsonl."
    })
final class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--model", description = "checkpoint directory to start from") Path model;

  @Option(names = "--data", description = "training JSONL (.jsonl or .jsonl.gz)") Path data;

  @Option(names = "--out", description = "run directory: final model, checkpoints, train_log.jsonl")
  Path out;

  @Option(names = "--steps", defaultValue = "100", description = "optimizer steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--batch-size", defaultValue = "8", description = "examples per micro-batch (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--grad-accum", defaultValue = "1", description = "micro-batches per step (default: ${DEFAULT-VALUE})")
  int gradAccum;

  @Option(names = "--lr", defaultValue = "1e-3", description = "peak learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--warmup", description = "linear warmup steps (default: 5%% of --steps, at least 1)")
  Integer warmup;

  @Option(names = "--min-lr-ratio", defaultValue = "0.1",
      description = "final lr as a fraction of the peak (default: ${DEFAULT-VALUE})") double minLrRatio;

  @Option(names = "--weight-decay", defaultValue = "0.01",
      description = "decoupled weight decay on matrices (default: ${DEFAULT-VALUE})") double weightDecay;

  @Option(names = "--clip-norm", defaultValue = "1.0",
      description = "global gradient-norm clip, 0 = off (default: ${DEFAULT-VALUE})") double clipNorm;

  @Option(names = "--seed", defaultValue = "0", description = "data order seed (default: ${DEFAULT-VALUE})") long seed;

  @Option(names = "--checkpoint-every", defaultValue = "0",
      description = "save a resumable checkpoint every N steps, 0 = only at the end (default: ${DEFAULT-VALUE})")
  int checkpointEvery;

  @Option(names = "--resume", description = "continue from the latest checkpoint in OUT/checkpoints")
  boolean resume;

  @Mixin LoraOptions loraOptions = new LoraOptions();

  /** Test hook: fail right after step N has been computed, as a kill would (checkpoints on disk stay). */
  @Option(names = "--debug-crash-after-step", hidden = true) Integer crashAfterStep;

  /** Raised by the crash hook. */
  static final class SimulatedCrash extends RuntimeException {
    SimulatedCrash(long step) {
      super("simulated crash after step " + step);
    }
  }

  @Override
  public Integer call() {
    checkOptions();
    Cli.requireFreshDir(out, resume, " (use --resume to continue a run there, or another --out)");
    TrainConfig cfg = trainConfig();
    Lora lora = loraOptions.lora();
    try (NDManager mgr = Cli.manager(); Checkpoint.Loaded loaded = Cli.load(model, mgr)) {
      Tokenizer tok = loaded.tokenizer();
      if (lora != null) {
        loaded.model().attachLora(lora, seed, null);
      }
      List<TokenExample> examples = readExamples(data, tok); // before anything is written
      int maxLen = examples.stream().mapToInt(e -> e.ids().length).max().orElse(0);
      if (maxLen > loaded.model().config().maxPositionEmbeddings()) {
        throw new UserException(data + ": an example has " + maxLen + " tokens, more than max_position_embeddings "
            + loaded.model().config().maxPositionEmbeddings());
      }
      String dataSha = sha256(data);
      long startStep = resume ? resumeStep(out, cfg, data, dataSha) : 0;
      try {
        Files.createDirectories(out);
      } catch (IOException e) {
        throw new UserException(out + ": cannot create: " + e.getMessage());
      }
      AtomicFiles.writeString(dataRecord(out), Jsonl.MAPPER.createObjectNode().put("data", data.toString())
          .put("sha256", dataSha).toPrettyString());
      Path partialLog = out.resolve("checkpoints").resolve("train_log.jsonl");
      List<ObjectNode> log = logBefore(partialLog, startStep);
      Trainer.Result result;
      try (ProgressBar pb = Cli.progress("train", steps, "step")) {
        pb.stepTo(startStep);
        Consumer<Trainer.StepLog> logStep = stepLogger(log, partialLog, pb);
        result = Trainer.train(loaded.model(), tok, examples, Losses.sft(Math.max(0, tok.padId())), cfg, out,
            resume, logStep, e -> e.ids().length);
      }
      saveFinal(loaded, out);
      Jsonl.write(out.resolve("train_log.jsonl"), log);
      printSummary(result, startStep, examples.size());
      return 0;
    }
  }

  private void checkOptions() {
    if (model == null || data == null || out == null) {
      throw new io.genrm4j.util.UserException("genrm train needs --model, --data and --out (or a subcommand: "
          + "genrm train verifier --help)");
    }
    if (steps <= 0 || batchSize <= 0 || gradAccum <= 0 || !(lr > 0) || checkpointEvery < 0) {
      throw new UserException("--steps, --batch-size, --grad-accum and --lr must be positive, "
          + "--checkpoint-every >= 0");
    }
  }

  private TrainConfig trainConfig() {
    TrainConfig defaults = TrainConfig.defaults(steps, batchSize, lr, seed);
    return defaults.withGradAccum(gradAccum).withMinLrRatio(minLrRatio)
        .withWarmupSteps(warmup != null ? warmup : defaults.warmupSteps()).withWeightDecay(weightDecay)
        .withClipNorm(clipNorm).withCheckpointEvery(checkpointEvery);
  }

  /**
   * The log of the steps up to a resumed checkpoint, from the copy kept next to the checkpoints; empty for a run
   * from scratch.
   */
  private static List<ObjectNode> logBefore(Path partialLog, long startStep) {
    List<ObjectNode> log = new ArrayList<>();
    if (startStep > 0 && Files.exists(partialLog)) {
      for (ObjectNode n : Jsonl.readObjects(partialLog)) {
        if (n.path("step").asLong() <= startStep) {
          log.add(n);
        }
      }
    }
    return log;
  }

  /**
   * Adds each step to {@code log} (copied next to the checkpoints whenever one is saved) and to the progress bar.
   * The trainer counts tokens and seconds from the resume; the log continues the counts of the steps before it.
   */
  private Consumer<Trainer.StepLog> stepLogger(List<ObjectNode> log, Path partialLog, ProgressBar pb) {
    ObjectNode before = log.isEmpty() ? null : log.get(log.size() - 1);
    long tokensBefore = before == null ? 0 : before.path("tokens").asLong();
    double secondsBefore = before == null ? 0 : before.path("seconds").asDouble();
    return s -> {
      if (crashAfterStep != null && s.step() > crashAfterStep) {
        throw new SimulatedCrash(crashAfterStep);
      }
      ObjectNode n = Jsonl.MAPPER.createObjectNode();
      n.put("step", s.step());
      n.put("loss", s.loss());
      n.put("lr", s.lr());
      n.put("grad_norm", s.gradNorm());
      n.put("tokens", tokensBefore + s.tokens());
      n.put("seconds", secondsBefore + s.seconds());
      log.add(n);
      if (checkpointEvery > 0 && s.step() % checkpointEvery == 0 || s.step() == steps) {
        Jsonl.write(partialLog, log); // the checkpoint of this step is saved right after
      }
      pb.stepTo(s.step());
      pb.setExtraMessage(String.format(" loss %.4f lr %.2e %s tok/s", s.loss(), s.lr(),
          Cli.human(s.tokens() / Math.max(1e-9, s.seconds()))));
    };
  }

  private void printSummary(Trainer.Result result, long startStep, int examples) {
    PrintWriter pw = spec.commandLine().getOut();
    long ran = result.steps() - result.startStep();
    if (ran <= 0) {
      pw.printf("nothing to train: the run in %s already reached step %d of %d; model saved to %s%n", out,
          startStep, steps, out);
    } else {
      pw.printf("trained %d steps (%s) on %d examples: loss %s -> %.4f, %s tokens in %.1f s (%s tok/s)%n",
          ran, startStep > 0 ? "resumed at step " + startStep : "from scratch", examples,
          result.losses().isEmpty() ? "n/a" : String.format("%.4f", result.losses().get(0)), result.finalLoss(),
          Cli.human(result.tokens()), result.seconds(), Cli.human(result.tokens() / Math.max(1e-9, result.seconds())));
      pw.printf("model saved to %s; log %s%n", out, out.resolve("train_log.jsonl"));
    }
    pw.flush();
  }

  /** Parses the training file; a bad record or a character outside the vocabulary names file:line. */
  static List<TokenExample> readExamples(Path file, Tokenizer tok) {
    List<TokenExample> out = Jsonl.read(file, node -> {
      String prompt = Jsonl.text(node, "prompt");
      String completion = Jsonl.text(node, "completion");
      float weight = 1f;
      JsonNode w = node.get("weight");
      if (w != null && !w.isNull()) {
        if (!w.isNumber() || !(w.asDouble() >= 0) || Double.isInfinite(w.asDouble())) {
          throw new IllegalArgumentException("field 'weight' must be a non-negative number, got " + w);
        }
        weight = (float) w.asDouble();
      }
      int[] p;
      int[] c;
      try {
        p = tok.encodeWithBos(prompt);
        c = tok.encodeWithEos(completion);
      } catch (UserException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
      if (c.length == 0) {
        throw new IllegalArgumentException("empty completion and the tokenizer has no eos: nothing to learn");
      }
      return TokenExample.completion(p, c, weight);
    });
    if (out.isEmpty()) {
      throw new UserException(file + ": no training examples");
    }
    return out;
  }

  /** Where the run records which data it trains on (its SHA-256), next to the checkpoints. */
  private static Path dataRecord(Path out) {
    return out.resolve("checkpoints").resolve("data.json");
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UserException(file + ": cannot read: " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The step of the latest checkpoint (0 when none); its run must have had the same hyper-parameters and the same
   * data (by SHA-256 of the --data file; runs from before the record was kept are not checked).
   */
  private static long resumeStep(Path out, TrainConfig cfg, Path data, String dataSha) {
    Path latest = out.resolve("checkpoints").resolve("latest");
    try {
      if (!Files.exists(latest)) {
        return 0;
      }
      if (Files.exists(dataRecord(out))) {
        JsonNode was = Jsonl.MAPPER.readTree(Files.readString(dataRecord(out)));
        if (!dataSha.equals(was.path("sha256").asText())) {
          throw new UserException("--resume: --data " + data + " (sha256 " + dataSha.substring(0, 12) + ") is not "
              + "the data the run in " + out + " was trained on (" + was.path("data").asText() + ", sha256 "
              + was.path("sha256").asText().substring(0, Math.min(12, was.path("sha256").asText().length()))
              + "); resume with the same --data");
        }
      }
      Path state = out.resolve("checkpoints").resolve(Files.readString(latest).trim()).resolve("trainer_state.json");
      JsonNode n = Jsonl.MAPPER.readTree(Files.readString(state));
      JsonNode was = n.get("train_config");
      JsonNode now = Jsonl.MAPPER.valueToTree(cfg);
      if (was != null && !was.toString().equals(now.toString())) {
        throw new UserException("--resume: " + state + " was made with other settings (" + was + "), now " + now
            + "; resume with the same options");
      }
      return n.path("step").asLong(0);
    } catch (IOException e) {
      throw new UserException(latest + ": cannot resume: " + e.getMessage());
    }
  }

  /**
   * Saves the final model into {@code out} next to the checkpoints: the checkpoint is written complete under a
   * temporary name, then its files are renamed in one by one with config.json last, so OUT looks like a model only
   * once every file is there.
   */
  private void saveFinal(Checkpoint.Loaded loaded, Path out) {
    Path tmp = out.resolve(".final-" + ProcessHandle.current().pid());
    boolean adapter = loaded.model().lora() != null; // then OUT is a PEFT adapter on --model
    String marker = adapter ? LoraAdapter.CONFIG : "config.json";
    if (adapter) {
      LoraAdapter.save(loaded.model(), loaded.tokenizer(), model, tmp);
    } else {
      Checkpoint.save(loaded.model(), loaded.tokenizer(), tmp);
    }
    try {
      Files.deleteIfExists(out.resolve(marker));
      List<Path> files = new ArrayList<>();
      try (var s = Files.list(tmp)) {
        s.forEach(files::add);
      }
      files.sort((a, b) -> Boolean.compare(a.endsWith(marker), b.endsWith(marker)));
      for (Path f : files) {
        AtomicFiles.moveIntoPlace(f, out.resolve(f.getFileName()));
      }
      Checkpoint.deleteRecursively(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the final model to " + out + ": " + e.getMessage(), e);
    }
  }
}
