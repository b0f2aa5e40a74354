package io.genrm4j.eval;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.task.AlgorithmicTask;
import io.genrm4j.task.BaseCorpus;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Split;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.VerifierData;
import io.genrm4j.verify.VerifierTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;

/**
 * The generator: its own training problems (written with the problems stage) and stage {@code generator}, solution
 * SFT on reference solutions of a randomly initialised model or of the profile's pretrained base, until its samples
 * reach the profile's target.
 */
final class GeneratorStage {
  /**
   * The experiment's models have an output head of their own: with the decision line as one phrase token, a tiny
   * GenRM learned faster untied (held-out AUROC 0.897 vs 0.816 after 1,500 steps, VerifierLearningCurve).
   */
  static final boolean TIED_EMBEDDINGS = false;

  /** Held-out out-of-distribution-length problems the generator's stopping point is measured on. */
  static final int DEV_PROBLEMS = 16;
  /** Samples per dev problem at each check. */
  static final int DEV_SAMPLES = 4;
  /**
   * Other held-out problems of the same kind, sampled {@link #DEV_SAMPLES} times each when a check reaches the
   * target: training ends only if they reach it too. The checks swing (word sorting: 28% then 9% ten steps later), so
   * the first of ~80 to reach 30% is chosen by its luck on those 16 problems and their samples (39% at the check,
   * 34% on fresh samples of the same problems, 14.7% of the test pool correct); problems it was not chosen on are not.
   */
  static final int CONFIRM_PROBLEMS = 32;
  /** Steps between two checks of the generator against its target, and the first step checked. */
  static final int DEV_EVERY = 10;
  static final int DEV_FIRST = 250;

  private final StageContext ctx;

  GeneratorStage(StageContext ctx) {
    this.ctx = ctx;
  }

  /**
   * The generator's training and dev problems, drawn with the problems stage's seed {@code s} after the test
   * problems are written.
   */
  void writeProblems(long s) {
    var task = ctx.task();
    var prof = ctx.prof();
    // The generator stands in for the paper's pretrained model: it learns from its own problems, which span the
    // out-of-distribution length too (a model trained on 2-4 items writes no correct 6-item solution at all), but
    // never a test problem. Verifiers only ever train on candidates of the training split.
    List<Problem> gen = task.problems(Split.TRAIN, prof.trainProblems(), s);
    if (task instanceof AlgorithmicTask a) {
      Set<String> ood = new HashSet<>();
      ctx.problems(Split.TEST_OOD).forEach(p -> ood.add(p.question()));
      gen = a.generatorProblems(Math.max(prof.trainProblems(), prof.genSteps() * prof.genBatch() / 4), s, ood);
      // Held-out problems of the out-of-distribution length from the generator's own distribution (never a test
      // problem, never a generator training problem): the generator trains until its samples there are
      // genTarget correct.
      Set<String> seen = new HashSet<>(ood);
      gen.forEach(p -> seen.add(p.question()));
      List<Problem> dev = new ArrayList<>();
      for (Problem p : a.generatorProblems((DEV_PROBLEMS + CONFIRM_PROBLEMS) * 20, s + 1, seen)) {
        if (a.words(p.question()).size() == a.oodLength() && dev.size() < DEV_PROBLEMS + CONFIRM_PROBLEMS) {
          dev.add(p);
        }
      }
      Jsonl.write(ctx.dir().generatorDevProblems(), dev);
    }
    Jsonl.write(ctx.dir().generatorProblems(), gen);
  }

  /** The generator's training data: a reference solution per generator problem. */
  List<VerifierData.Labeled> references() {
    List<VerifierData.Labeled> refs = new ArrayList<>();
    for (Problem p : Problem.read(ctx.dir().generatorProblems())) {
      refs.add(new VerifierData.Labeled(p.question(), ctx.task().solve(p), true, null));
    }
    return refs;
  }

  /**
   * Solution SFT of a fresh model. With a target ({@code genTarget > 0}) training ends at the first check where the
   * generator's samples (profile temperature) on the held-out out-of-distribution-length problems are at least that
   * often correct and its samples of {@link #CONFIRM_PROBLEMS} other such problems are too, at most
   * {@code genSteps}: the tiny generator learns the task in a sudden jump whose step moves
   * with float rounding (its 6-name samples were 25-84% correct after 750-1,000 steps in runs that differed only
   * there), so a fixed step count gives anything from an empty pool to one with nothing left to rerank.
   */
  void train(Stages.Progress progress) {
    var tok = ctx.tok();
    var prof = ctx.prof();
    RunDir dir = ctx.dir();
    List<TokenExample> data = VerifierData.solutionSft(tok, Experiment.FORMAT, references(), 1f);
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = Pretraining.freshModel(prof.preset(), tok, ctx.seedOf("init"), root)) {
      ObjectNode base = startFromBase(m, progress);
      TrainConfig cfg = TrainConfig.defaults(prof.genSteps(), prof.genBatch(), prof.genLr(),
          ctx.seedOf("generator-sft"));
      List<Problem> devFile = prof.genTarget() > 0 && Files.exists(dir.generatorDevProblems())
          ? Problem.read(dir.generatorDevProblems()) : List.of();
      List<Problem> dev = devFile.subList(0, Math.min(DEV_PROBLEMS, devFile.size()));
      // a run directory written before the confirmation problems existed confirms on fresh samples of the checks'
      List<Problem> confirm = devFile.size() > DEV_PROBLEMS ? devFile.subList(DEV_PROBLEMS, devFile.size()) : dev;
      ArrayNode checks = Jsonl.MAPPER.createArrayNode();
      double[] last = {Double.NaN}; // the latest dev accuracy, shown next to the loss
      Trainer.Result r;
      try (ProgressBar bar = progress.bar(cfg.steps())) {
        Consumer<Trainer.StepLog> log = l -> {
          bar.stepTo(l.step());
          bar.setExtraMessage(String.format(Locale.ROOT, "loss %.3f", l.loss())
              + (Double.isNaN(last[0]) ? "" : String.format(Locale.ROOT, ", dev %.0f%%/%.0f%%",
                  100 * last[0], 100 * prof.genTarget())));
        };
        r = VerifierTrainer.sft(m, tok, data, cfg, log, l -> {
          if (dev.isEmpty() || l.step() < DEV_FIRST || l.step() % DEV_EVERY != 0) {
            return false;
          }
          last[0] = sampledAccuracy(m, dev, "generator-dev");
          ObjectNode check = checks.addObject().put("step", l.step()).put("dev_accuracy", last[0]);
          if (last[0] < prof.genTarget()) {
            return false;
          }
          double confirmed = sampledAccuracy(m, confirm, "generator-dev-confirmation");
          check.put("confirmation", confirmed);
          return confirmed >= prof.genTarget();
        });
      }
      Checkpoint.save(m, tok, dir.checkpoint("generator"));
      ctx.writeTrainLog("generator", r, data.size(), checks, base);
    }
  }

  /**
   * Loads the profile's base into {@code m} (built first when the cache lacks it); what the base is and can do, and
   * how many test-ood problems its corpus holds (0 expected: lists of 6 of ~2,000 names), or null without a base.
   */
  private ObjectNode startFromBase(LlamaModel m, Stages.Progress progress) {
    if (BaseRecipe.NONE.equals(ctx.prof().base())) {
      return null;
    }
    BaseRecipe r = BaseRecipe.named(ctx.prof().base());
    Path dir = Pretraining.ensure(r, ctx.prof().preset(), ctx.tok(), progress::bar, ctx.err());
    Checkpoint.loadWeightsInto(m, dir);
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("dir", dir.toString());
    o.set("info", Pretraining.readInfo(dir));
    Set<String> corpus = BaseCorpus.questions(Pretraining.corpus(r));
    long inCorpus = ctx.problems(Split.TEST_OOD).stream().filter(p -> corpus.contains(p.question())).count();
    o.put("test_ood_problems_in_corpus", inCorpus);
    if (inCorpus > 0) {
      ctx.err().println("warning: " + inCorpus + " test-ood problems are in the base's corpus (as solutions)");
    }
    return o;
  }

  /** The fraction of correct samples, {@link #DEV_SAMPLES} per problem at the candidates' temperature. */
  private double sampledAccuracy(LlamaModel m, List<Problem> ps, String seedName) {
    Generator g = new Generator(m, ctx.tok());
    List<int[]> prefixes = new ArrayList<>();
    ps.forEach(p -> prefixes.add(g.promptIds(Experiment.FORMAT.solve(p.question()))));
    List<List<Generation>> gens = g.sampleShared(prefixes, DEV_SAMPLES,
        SamplingParams.sample(ctx.solutionTokens(ps), ctx.prof().temperature(), ctx.seedOf(seedName)));
    int right = 0;
    for (int i = 0; i < ps.size(); i++) {
      for (Generation gen : gens.get(i)) {
        right += ctx.task().grade(ps.get(i), gen.text()).correct() ? 1 : 0;
      }
    }
    return right / (double) (ps.size() * DEV_SAMPLES);
  }
}
