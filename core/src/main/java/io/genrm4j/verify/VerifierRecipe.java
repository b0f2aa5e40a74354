package io.genrm4j.verify;

import ai.djl.ndarray.NDManager;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.Autograd;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.DecodeDtype;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.LoraAdapter;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Prompts;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.UserException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * How each {@link VerifierKind} is trained and opened: the one place that turns a kind into a training objective
 * and into a {@link Verifier}. The experiment, {@code genrm train verifier}, {@code genrm verify} and
 * {@code genrm serve} all come here.
 */
public final class VerifierRecipe {
  private VerifierRecipe() {}

  /**
   * What training needs besides the data, for the kinds that use it.
   *
   * @param lambda genrm-unified: what each correct candidate's solution SFT example weighs, in verification examples
   * @param dpoBeta dpo: beta
   * @param cotPositions genrm-cot: where the rationale sits in position space (recorded in the checkpoint)
   * @param cotReplay genrm-cot: solutions (e.g. the generator's own data) mixed in as solution SFT; empty = none
   * @param cotReplayWeight genrm-cot: the loss weight of the replayed solutions
   * @param replay genrm, genrm-unified, genrm-cot: token examples mixed into the training data (e.g. a pretrained
   *     base's own corpus, so fine-tuning keeps what the base can do), each weighted as an average example of the
   *     verifier's own data ({@link TokenExample#weighedLike}); empty = none
   * @param cotVerdictWeight genrm-cot: the loss weight of each judgement, mark and label token
   * @param cotComparison genrm-cot: how the rationales compare the answers ({@link AnswerComparison#apply})
   */
  public record TrainOptions(double lambda, double dpoBeta, RationalePositions cotPositions,
      List<VerifierData.Labeled> cotReplay, double cotReplayWeight, List<TokenExample> replay,
      double cotVerdictWeight, AnswerComparison cotComparison) {
    /** Without replay of token examples; verdict tokens weigh what other rationale tokens do. */
    public TrainOptions(double lambda, double dpoBeta, RationalePositions cotPositions,
        List<VerifierData.Labeled> cotReplay, double cotReplayWeight) {
      this(lambda, dpoBeta, cotPositions, cotReplay, cotReplayWeight, List.of(), 1, AnswerComparison.WHOLE);
    }
  }

  /** A training run's outcome and the number of examples it drew batches from. */
  public record Trained(Trainer.Result result, int examples) {}

  /**
   * What scoring needs besides the models.
   *
   * @param votes genrm-cot / llm-judge: rationales per candidate
   * @param sampling genrm-cot / llm-judge: how rationales are sampled
   * @param cotPositions genrm-cot: where rationales sit in position space, as the checkpoint was trained
   * @param dpoBeta dpo: beta
   * @param cotRestatement genrm-cot: who writes the candidate's answer its rationales restate
   */
  public record ScoreOptions(int votes, SamplingParams sampling, RationalePositions cotPositions, double dpoBeta,
      Restatement cotRestatement) {
    /** The model samples its own restatements ({@link Restatement#SAMPLED}). */
    public ScoreOptions(int votes, SamplingParams sampling, RationalePositions cotPositions, double dpoBeta) {
      this(votes, sampling, cotPositions, dpoBeta, Restatement.SAMPLED);
    }
  }

  /**
   * Trains {@code m} in place as a verifier of {@code kind}. Start an ORM from a model with a score head
   * ({@link LlamaModel#withScoreHead}). Examples longer than the model's context (an SFT sequence, an ORM's question
   * + solution, a DPO solution + EOS) are dropped with a warning on {@code warnings}: they could not be trained on.
   */
  public static Trained train(VerifierKind kind, LlamaModel m, Tokenizer tok, Prompts.Format f,
      List<VerifierData.Labeled> data, TrainOptions o, TrainConfig cfg, Consumer<Trainer.StepLog> log,
      PrintStream warnings) {
    return train(kind, m, tok, f, data, o, cfg, log, warnings, s -> false);
  }

  /**
   * As above; {@code after} sees every step's log outside autograd recording (e.g. to measure the model being
   * trained) and ends training when it returns true. DPO ignores it.
   */
  public static Trained train(VerifierKind kind, LlamaModel m, Tokenizer tok, Prompts.Format f,
      List<VerifierData.Labeled> data, TrainOptions o, TrainConfig cfg, Consumer<Trainer.StepLog> log,
      PrintStream warnings, Predicate<Trainer.StepLog> after) {
    return switch (kind) {
      case ORM -> {
        List<VerifierData.Labeled> fit = fitting(data, l -> VerifierData.orm(tok, f, List.of(l)).get(0).ids().length,
            m, kind, warnings);
        yield new Trained(VerifierTrainer.orm(m, tok, f, fit, cfg, log, after), fit.size());
      }
      case DPO -> {
        List<VerifierData.Labeled> fit = fitting(data,
            l -> VerifierData.solutionSft(tok, f, List.of(l), 1f).get(0).ids().length, m, kind, warnings);
        yield new Trained(VerifierTrainer.dpo(m, tok, f, fit, o.dpoBeta(), cfg, log), fit.size());
      }
      case GENRM -> sft(m, tok, withReplay(fitting(VerifierData.direct(tok, f, data), m, kind, warnings), o, m, kind,
          warnings), cfg, log, after);
      case GENRM_UNIFIED -> {
        List<TokenExample> direct = fitting(VerifierData.direct(tok, f, data), m, kind, warnings);
        List<TokenExample> solutions = fitting(VerifierData.solutionSft(tok, f,
            data.stream().filter(VerifierData.Labeled::correct).toList(), 1f), m, kind, warnings);
        yield sft(m, tok, withReplay(VerifierData.unified(direct, solutions, o.lambda()), o, m, kind, warnings), cfg,
            log, after);
      }
      case GENRM_COT -> {
        // Replay of the generator's data keeps the re-solving skill at the lengths the CoT data lacks: without it
        // the quick GenRM-CoT re-solved 6-name problems for 4 lines and stopped.
        List<TokenExample> mix = fitting(VerifierData.cot(tok, f, data, o.cotPositions(),
            (float) o.cotVerdictWeight(), o.cotComparison()), m, kind, warnings);
        if (!o.cotReplay().isEmpty()) {
          mix.addAll(fitting(VerifierData.solutionSft(tok, f, o.cotReplay(), (float) o.cotReplayWeight()), m, kind,
              warnings));
        }
        yield sft(m, tok, withReplay(mix, o, m, kind, warnings), cfg, log, after);
      }
      case LLM_JUDGE -> throw notTrainable(kind);
    };
  }

  /** {@code mix} with the options' replayed token examples (those that fit) added, each weighing one example. */
  private static List<TokenExample> withReplay(List<TokenExample> mix, TrainOptions o, LlamaModel m,
      VerifierKind kind, PrintStream warnings) {
    if (!o.replay().isEmpty()) {
      List<TokenExample> replay = TokenExample.weighedLike(mix, fitting(o.replay(), m, kind, warnings));
      mix = new ArrayList<>(mix);
      mix.addAll(replay);
    }
    return mix;
  }

  /** Fails unless {@code kind} is trained (the judge is the generator prompted to verify). */
  public static void requireTrainable(VerifierKind kind) {
    if (!kind.trained()) {
      throw notTrainable(kind);
    }
  }

  private static UserException notTrainable(VerifierKind kind) {
    return new UserException(kind.id() + " is not trained: it is the generator prompted to verify (score with it"
        + " directly: genrm verify --mode " + kind.id() + " --model GENERATOR)");
  }

  private static Trained sft(LlamaModel m, Tokenizer tok, List<TokenExample> data, TrainConfig cfg,
      Consumer<Trainer.StepLog> log, Predicate<Trainer.StepLog> after) {
    return new Trained(VerifierTrainer.sft(m, tok, data, cfg, log, after), data.size());
  }

  /**
   * The examples that fit in the model's context; the rest are dropped with a warning (word-sorting GenRM-CoT
   * examples of long wrong candidates reach ~1,300 characters, the presets' context is 1,024 positions).
   */
  private static List<TokenExample> fitting(List<TokenExample> all, LlamaModel m, VerifierKind kind,
      PrintStream warnings) {
    return fitting(all, e -> e.ids().length, m, kind, warnings);
  }

  /** As above for examples whose fed length in positions is {@code length}; order is kept. */
  private static <T> List<T> fitting(List<T> all, ToIntFunction<T> length, LlamaModel m, VerifierKind kind,
      PrintStream warnings) {
    int max = m.config().maxPositionEmbeddings();
    List<T> out = new ArrayList<>();
    for (T e : all) {
      if (length.applyAsInt(e) <= max) {
        out.add(e);
      }
    }
    if (out.size() < all.size()) {
      warnings.printf("warning: %s: dropped %d of %d training examples longer than the model's %d-token context%n",
          kind.id(), all.size() - out.size(), all.size(), max);
    }
    return out;
  }

  /** Saves a trained verifier; a kind that samples rationales also records how they are scored ({@code manifest}). */
  public static void save(VerifierKind kind, LlamaModel m, Tokenizer tok, Path dir, VerifierManifest manifest) {
    save(kind, m, tok, dir, manifest, null);
  }

  /**
   * As above; a model with LoRA adapters saves them alone, in PEFT's layout, naming {@code base} (the checkpoint it
   * was loaded from) as their base.
   */
  public static void save(VerifierKind kind, LlamaModel m, Tokenizer tok, Path dir, VerifierManifest manifest,
      Path base) {
    if (m.lora() != null) {
      LoraAdapter.save(m, tok, base, dir);
    } else {
      Checkpoint.save(m, tok, dir);
    }
    if (kind.samplesVotes()) {
      manifest.save(dir);
    }
  }

  /**
   * The verifier of {@code kind} over loaded models (the caller keeps owning them).
   *
   * @param model the trained verifier, or for llm-judge the generator
   * @param reference dpo: the model DPO started from; null for the other kinds
   */
  public static Verifier open(VerifierKind kind, LlamaModel model, LlamaModel reference, Tokenizer tok,
      Prompts.Format f, ScoreOptions o) {
    if (kind.hasScoreHead() && model.config().numLabels() != 1) {
      throw new UserException(kind.id() + " needs a checkpoint with a score head (score.weight)");
    }
    if (kind.needsReference() && reference == null) {
      throw new UserException(kind.id() + " needs the model it started from as a reference (--reference DIR)");
    }
    return switch (kind) {
      case ORM -> new OrmVerifier(model, tok, f);
      case GENRM, GENRM_UNIFIED -> new GenRmDirect(model, tok, f);
      case GENRM_COT -> new GenRmCot(model, tok, f, o.votes(), o.sampling(), o.cotPositions(), o.cotRestatement());
      case DPO -> new DpoVerifier(model, reference, tok, f, o.dpoBeta());
      case LLM_JUDGE -> GenRmCot.judge(model, tok, f, o.votes(), o.sampling());
    };
  }

  /**
   * As above over checkpoint directories, loaded here; the returned verifier owns and closes them.
   *
   * @param reference dpo: the directory of the model DPO started from; ignored by the other kinds
   * @param dtype the verifier's plain-Java decoding weights ({@link LlamaModel#decodeIn})
   */
  public static Verifier open(VerifierKind kind, Path modelDir, Path reference, Prompts.Format f, ScoreOptions o,
      DecodeDtype dtype) {
    NDManager root = NDManager.newBaseManager();
    try {
      Checkpoint.Loaded main = Checkpoint.load(modelDir, root);
      main.model().decodeIn(dtype);
      LlamaModel ref = kind.needsReference() && reference != null ? Checkpoint.load(reference, root).model() : null;
      return new Owning(open(kind, main.model(), ref, main.tokenizer(), f, o), root);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /**
   * Owns the loaded checkpoints. It scores on whatever thread calls it (a Spark task, a web server's request thread),
   * and PyTorch records graphs on every new thread until told not to: recording, a forward pass would keep every
   * layer's intermediates and run in the engine, not in plain Java (other floats). So each call stops it first.
   */
  private record Owning(Verifier inner, NDManager root) implements Verifier {
    @Override
    public VerifierKind kind() {
      return inner.kind();
    }

    @Override
    public List<VerifierScore> score(String question, List<String> solutions) {
      Autograd.offInThisThread();
      return inner.score(question, solutions);
    }

    @Override
    public List<List<VerifierScore>> scoreAll(List<String> questions, List<List<String>> solutions) {
      Autograd.offInThisThread();
      return inner.scoreAll(questions, solutions);
    }

    @Override
    public void requireFits(String question, List<String> solutions) {
      inner.requireFits(question, solutions);
    }

    @Override
    public void close() {
      root.close();
    }
  }
}
