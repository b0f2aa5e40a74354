package io.genrm4j.cli;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Lora;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.ChatTemplate;
import io.genrm4j.task.Oracle;
import io.genrm4j.task.Problem;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Task;
import io.genrm4j.task.Tasks;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.RationalePositions;
import io.genrm4j.verify.VerifierData;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierManifest;
import io.genrm4j.verify.VerifierRecipe;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code genrm train verifier}: fine-tunes a checkpoint into a verifier of one kind. */
@Command(name = "verifier", mixinStandardHelpOptions = true,
    description = {"Train a verifier from labelled candidates, starting from a checkpoint (usually the generator).",
        "Kinds: orm (score head + balanced BCE), genrm (SFT on \" Yes\"/\" No\"; with --lambda > 0 it is "
            + "genrm-unified), genrm-unified (genrm + solution SFT on the correct candidates, weight --lambda), "
            + "genrm-cot (SFT on rationale + verdict), dpo (pairs of correct > incorrect of the same problem against "
            + "the frozen start). llm-judge is not trained: it is the generator prompted to verify.",
        "SFT examples longer than the model's context are dropped with a warning.",
        "Input: candidates JSONL with question, text, correct, and for genrm-cot a 'rationale' field or --task of an "
            + "algorithmic task whose oracle writes one."})
public final class TrainVerifierCommand implements Callable<Integer> {
  @Option(names = "--kind", required = true, completionCandidates = VerifierKind.Names.class,
      description = "${COMPLETION-CANDIDATES} (the names of genrm verify --mode)") String kind;
  @Option(names = "--model", required = true, description = "checkpoint to start from") Path model;
  @Option(names = "--data", required = true, description = "labelled candidates JSONL") Path data;
  @Option(names = "--out", required = true, description = "output checkpoint directory") Path out;
  @Option(names = "--task", description = "last-letter|word-sorting: oracle rationales for genrm-cot") String task;
  @Option(names = "--format", defaultValue = "compact", description = "compact|paper; default ${DEFAULT-VALUE}")
  String format;
  @Option(names = "--lambda", defaultValue = "0", description = "genrm, genrm-unified: weight of solution SFT "
      + "on the correct candidates, each solution weighing lambda Yes/No examples (the paper's L_verify + lambda * "
      + "L_sft); default ${DEFAULT-VALUE}") float lambda;
  @Option(names = "--beta", defaultValue = "0.1", description = "dpo: beta; default ${DEFAULT-VALUE}") double beta;
  @Option(names = "--steps", defaultValue = "300", description = "default ${DEFAULT-VALUE}") int steps;
  @Option(names = "--batch-size", defaultValue = "16", description = "default ${DEFAULT-VALUE}") int batchSize;
  @Option(names = "--lr", defaultValue = "1e-3", description = "default ${DEFAULT-VALUE}") double lr;
  @Option(names = "--rationale-positions", defaultValue = "sequential", description = "genrm-cot: sequential (the "
      + "paper), solution (the rationale's positions restart where the solution's did: a length-generalisation "
      + "trick for models trained from scratch), coupled (solution, and the restated candidate answer on the "
      + "re-solved one) or coupled-lines (coupled, each rationale line on the candidate's line and the re-solved "
      + "answer on the candidate's); recorded in the checkpoint; default ${DEFAULT-VALUE}")
  String rationalePositions;
  @Option(names = "--verdict-weight", defaultValue = "1", description = "genrm-cot: weight of each verdict token "
      + "(the rationale's last word and the label) against other rationale tokens; default ${DEFAULT-VALUE}")
  double verdictWeight;
  @Option(names = "--chat-template", defaultValue = "auto", description = "wrap prompts in a chat format: auto (the "
      + "model's own, detected from its tokenizer_config.json; none for models without one), none, chatml, llama3, "
      + "gemma; default ${DEFAULT-VALUE}") String chatTemplate;
  @Mixin LoraOptions loraOptions = new LoraOptions();
  @Option(names = "--merge", description = "with --lora-rank: write the merged model (a plain checkpoint) to --out "
      + "instead of the adapter") boolean merge;
  @Option(names = "--seed", defaultValue = "0", description = "data order and score-head init; default ${DEFAULT-VALUE}")
  long seed;

  @Override
  public Integer call() {
    if (!(verdictWeight > 0)) {
      throw new UserException("--verdict-weight must be positive, got " + verdictWeight);
    }
    VerifierKind k = kindToTrain();
    Lora lora = lora(k);
    Prompts.Format f = Prompts.Format.parse(format).withChat(ChatTemplate.choose(chatTemplate,
        model == null ? null : Tokenizer.chatTemplate(model)));
    RationalePositions rp = RationalePositions.of(rationalePositions);
    Cli.requireFreshDir(out, false, "");
    List<VerifierData.Labeled> labeled = readLabeled(k);
    TrainConfig cfg = TrainConfig.defaults(steps, batchSize, lr, seed);
    // no replay: the CLI trains on the given candidates only
    VerifierRecipe.TrainOptions options = new VerifierRecipe.TrainOptions(lambda, beta, rp, List.of(), 0, List.of(),
        verdictWeight, AnswerComparison.WHOLE); // the data's rationales as written
    VerifierManifest manifest = new VerifierManifest(rp, AnswerComparison.WHOLE, null);
    try (NDManager root = Cli.manager(); Checkpoint.Loaded start = Cli.load(model, root);
        ProgressBar bar = Cli.progress("train " + k.id(), steps, "step")) {
      var tok = start.tokenizer();
      LlamaModel m = k.hasScoreHead() ? start.model().withScoreHead(seed) : start.model();
      if (lora != null) {
        m.attachLora(lora, seed, null);
      }
      java.util.function.Consumer<Trainer.StepLog> log = s -> {
        bar.stepTo(s.step());
        bar.setExtraMessage(String.format(" loss %.4f", s.loss()));
      };
      Trainer.Result r = VerifierRecipe.train(k, m, tok, f, labeled, options, cfg, log, System.err).result();
      if (lora != null && merge) {
        try (LlamaModel merged = m.merged()) {
          VerifierRecipe.save(k, merged, tok, out, manifest);
        }
      } else {
        VerifierRecipe.save(k, m, tok, out, manifest, model);
      }
      System.out.printf("trained %s on %d candidates: %d steps, final loss %.4f, %.1f s -> %s%n", k.id(),
          labeled.size(), steps, r.finalLoss(), r.seconds(), out);
    }
    return 0;
  }

  /** The LoRA configuration of the flags, or null for full fine-tuning. */
  private Lora lora(VerifierKind k) {
    if (loraOptions.rank == 0 && merge) {
      throw new UserException("--merge needs --lora-rank");
    }
    Lora l = loraOptions.lora();
    if (l != null && (k.hasScoreHead() || k.needsReference())) {
      throw new UserException(k.id() + " with LoRA is not built (its score head or reference would not train as "
          + "PEFT saves it); use genrm, genrm-unified or genrm-cot");
    }
    return l;
  }

  /** The kind of {@code --kind}: genrm with a positive lambda is genrm-unified; the judge is never trained. */
  private VerifierKind kindToTrain() {
    VerifierKind k = VerifierKind.parse(kind);
    VerifierRecipe.requireTrainable(k);
    return k == VerifierKind.GENRM && lambda > 0 ? VerifierKind.GENRM_UNIFIED : k;
  }

  private List<VerifierData.Labeled> readLabeled(VerifierKind k) {
    Task t = task == null ? null : Tasks.byName(task);
    Oracle oracle = t == null ? null : t.oracle().orElse(null);
    return Jsonl.read(data, n -> {
      Candidate c = Candidate.fromJson(n);
      if (c.correct() == null) {
        throw new IllegalArgumentException("missing field 'correct' (grade the candidates first: genrm grade)");
      }
      String rationale = n.hasNonNull("rationale") ? n.get("rationale").asText() : null;
      if (rationale == null && k.samplesVotes()) { // a kind that samples rationales trains on them
        if (oracle == null) {
          throw new IllegalArgumentException("no 'rationale' field and no --task with an oracle to write one");
        }
        String answer = t.answerOf(c.question()).orElseThrow(() -> new IllegalArgumentException(
            "question is not a " + task + " question"));
        String full = oracle.rationale(new Problem(c.problemId(), task, c.question(), answer, "train", null),
            c.text());
        rationale = full.substring(0, full.lastIndexOf(Prompts.VERDICT_SEPARATOR));
      }
      return new VerifierData.Labeled(c.question(), c.text(), c.correct(), rationale);
    });
  }
}
