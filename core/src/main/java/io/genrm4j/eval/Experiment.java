package io.genrm4j.eval;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.BaseCorpus;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Oracle;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Score;
import io.genrm4j.task.Split;
import io.genrm4j.task.Task;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.GenRmCot;
import io.genrm4j.verify.OracleVerdictProbe;
import io.genrm4j.verify.RationalePositions;
import io.genrm4j.verify.Restatement;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierData;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierManifest;
import io.genrm4j.verify.VerifierRecipe;
import io.genrm4j.verify.VerifierScore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;

/**
 * The GenRM experiment of one task (paper section 4 on the algorithmic tasks), as resumable stages in a run
 * directory ({@link RunDir}); this class is the plan, the longer stages have classes of their own:
 *
 * <ol>
 *   <li>{@code problems}: train, test-id and test-ood problems;
 *   <li>{@code generator}: solution SFT of a randomly initialised model on correct (reference) solutions
 *       ({@link GeneratorStage});
 *   <li>{@code candidates}: sampled, graded candidates for train problems and N per test problem
 *       ({@link CandidatePool});
 *   <li>{@code verifier-data}: up to {@code maxPerClass} correct + incorrect candidates per train problem, balanced,
 *       with oracle rationales ({@link VerifierDataStage});
 *   <li>{@code train-METHOD}: each verifier fine-tuned from the generator checkpoint (or from a base: the profile's
 *       {@code verifierBase});
 *   <li>{@code score-METHOD-SPLIT}: every verifier scores the same candidate pool;
 *   <li>{@code generation}: greedy pass@1 of the generator and the GenRM models;
 *   <li>{@code report}: metrics.json, report.md and plots ({@link ExperimentReport}).
 * </ol>
 *
 * <p>Training, scoring and generation run on several worker threads at once ({@link #verifierPlan()}); the rest in
 * order.
 */
public final class Experiment {
  /** Verifier methods, in report order: the ids of {@link VerifierKind}. */
  public static final List<String> METHODS = Arrays.stream(VerifierKind.values()).map(VerifierKind::id).toList();

  /** Methods that are trained (all but the judge, which is the generator itself). */
  public static final List<String> TRAINED =
      Arrays.stream(VerifierKind.values()).filter(VerifierKind::trained).map(VerifierKind::id).toList();

  public static final List<Split> TEST_SPLITS = List.of(Split.TEST_OOD, Split.TEST_ID);

  static final Prompts.Format FORMAT = Prompts.Format.COMPACT;

  /** The outcome: the run directory, what each stage did, and the metrics. */
  public record Result(RunDir dir, List<Stages.Record> stages, JsonNode metrics) {
    public boolean didWork() {
      return stages.stream().anyMatch(Stages.Record::ran);
    }
  }

  private final Task task;
  private final Oracle oracle;
  private final ExperimentProfile prof;
  private final long seed;
  private final RunDir dir;
  private final PrintStream err;
  private final CharTokenizer tok;
  private final Stages stages;
  private final StageContext ctx;
  private final GeneratorStage generator;
  private final CandidatePool pool;
  private final VerifierDataStage verifierDataStage;

  private Experiment(Task task, ExperimentProfile prof, long seed, RunDir dir, PrintStream err) {
    this.task = task;
    this.oracle = task.oracle().orElseThrow(
        () -> new UserException(task.name() + ": the experiment needs an algorithmic task with an oracle"));
    this.prof = prof;
    this.seed = seed;
    this.dir = dir;
    this.err = err;
    this.tok = tokenizer(task);
    this.stages = new Stages(dir, err);
    this.ctx = new StageContext(task, oracle, this.prof, dir, tok, seed, err);
    this.generator = new GeneratorStage(ctx);
    this.pool = new CandidatePool(ctx);
    this.verifierDataStage = new VerifierDataStage(ctx);
  }

  /** The tokenizer of an experiment on {@code task} (and of a base for it): its characters and the phrase tokens. */
  public static CharTokenizer tokenizer(Task task) {
    return CharTokenizer.of(task.alphabet(), Prompts.PHRASE_TOKENS);
  }

  /**
   * Runs (or resumes) the experiment of one task in {@code dir}; the verifier stages run on up to {@code workers}
   * threads at once (see {@link #defaultWorkers()}).
   *
   * @param prof the profile as run on this task ({@link ExperimentProfile#forTask}, then any field set by hand)
   */
  public static Result run(Task task, ExperimentProfile prof, long seed, int workers, RunDir dir, PrintStream err) {
    Experiment e = new Experiment(task, prof, seed, dir, err);
    return e.runAll(workers);
  }

  /**
   * Runs several tasks, each with its profile (in the map's order): one subdirectory per task and, with more than one
   * task, {@code summary.json} and {@code summary.md} (test-ood Best-of-N at the largest N per task and the average)
   * in {@code dir}.
   */
  public static List<Result> runTasks(Map<Task, ExperimentProfile> profiles, long seed, int workers, RunDir dir,
      PrintStream err) {
    List<Result> out = new ArrayList<>();
    if (profiles.size() == 1) {
      Map.Entry<Task, ExperimentProfile> only = profiles.entrySet().iterator().next();
      out.add(run(only.getKey(), only.getValue(), seed, workers, dir, err));
      return out;
    }
    profiles.forEach((t, p) -> out.add(run(t, p, seed, workers, dir.task(t.name()), err)));
    ExperimentProfile prof = profiles.values().iterator().next(); // the summary's name and N
    Path json = dir.summaryJson();
    Path md = dir.summaryMarkdown();
    if (out.stream().anyMatch(Result::didWork) || !Files.exists(json) || !Files.exists(md)) {
      ObjectNode s = ExperimentReport.summary(out, prof);
      AtomicFiles.writeString(json, pretty(s));
      AtomicFiles.writeString(md, ExperimentReport.summaryTable(s, prof).render());
    }
    return out;
  }

  /**
   * One stage per core: the cores divided by PyTorch's intra-op threads ({@code ai.djl.pytorch.num_threads}, one in
   * the launcher), at most 4 (there are at most two long chains of stages, and each worker holds its models).
   */
  public static int defaultWorkers() {
    int threads = Integer.getInteger("ai.djl.pytorch.num_threads", 1);
    return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / Math.max(1, threads)));
  }

  // ---- seeds: every random choice is a function of the run seed and a fixed salt

  long seedOf(String what) {
    return ctx.seedOf(what);
  }

  private static final String[] SEEDED = {"problems", "init", "generator-sft", "sample-train", "sample-test-id",
      "sample-test-ood", "orm-head", "train-orm", "train-genrm", "train-genrm-unified", "train-genrm-cot",
      "train-dpo", "score-genrm-cot", "score-llm-judge", "votes", "fill"};

  private Result runAll(int workers) {
    writeConfig();
    stages.run("problems", p -> problemsStage());
    stages.run("generator", generator::train);
    stages.run("candidates", pool::sample);
    pool.warnIfNothingToRerank();
    stages.run("verifier-data", p -> verifierDataStage.write());
    stages.run(verifierPlan(), workers);
    stages.run("report", p -> ExperimentReport.write(dir, task.name(), prof, seed));
    return new Result(dir, stages.records(), readJson(dir.metrics()));
  }

  /**
   * Training and scoring of every verifier, and the generation check. Each stage has its own seed and its own
   * models, so the stages are independent of the order they run in. GenRM-CoT comes first: its training and
   * scoring are the longest chain (about half of a run), and with two workers everything else runs beside it.
   */
  private List<Stages.Planned> verifierPlan() {
    List<String> order = new ArrayList<>(METHODS);
    order.remove(VerifierKind.GENRM_COT.id());
    order.add(0, VerifierKind.GENRM_COT.id());
    List<Stages.Planned> plan = new ArrayList<>();
    for (String m : order) {
      List<String> needs = List.of();
      if (TRAINED.contains(m)) {
        plan.add(new Stages.Planned("train-" + m, List.of(), p -> trainStage(m, p)));
        needs = List.of("train-" + m);
      }
      for (Split s : TEST_SPLITS) {
        plan.add(new Stages.Planned("score-" + m + "-" + s.id(), needs, p -> scoreStage(m, s, p)));
      }
    }
    plan.add(new Stages.Planned("generation", SOLVERS.stream().map(k -> "train-" + k.id()).toList(),
        this::generationStage));
    plan.add(new Stages.Planned("probe-genrm-cot", List.of("train-" + VerifierKind.GENRM_COT.id()),
        p -> cotVerdictProbeStage()));
    return plan;
  }

  /**
   * GenRM-CoT's judgement given the oracle's own rationale, on every test candidate ({@link OracleVerdictProbe}):
   * AUROC and accuracy of log p(correct) - log p(wrong), overall and by the candidate's answer length, per split.
   */
  private void cotVerdictProbeStage() {
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    try (NDManager root = NDManager.newBaseManager();
        Checkpoint.Loaded cot = Checkpoint.load(dir.checkpoint(VerifierKind.GENRM_COT.id()), root)) {
      for (Split s : TEST_SPLITS) {
        Map<String, Problem> byId = new HashMap<>();
        problems(s).forEach(p -> byId.put(p.id(), p));
        List<GenRmCot.Candidate> items = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        List<Candidate> cs = candidates(s);
        for (Candidate c : cs) {
          Problem p = byId.get(c.problemId());
          items.add(new GenRmCot.Candidate(p.question(), c.text()));
          bodies.add(cotComparison().apply(oracle.rationaleBody(p, c.text(), c.correct())));
        }
        double[] margin = OracleVerdictProbe.margins(cot.model(), tok, FORMAT, cotPositions(), items, bodies);
        ObjectNode split = out.putObject(s.id());
        Map<Integer, List<Integer>> byLength = new TreeMap<>();
        for (int i = 0; i < cs.size(); i++) {
          byLength.computeIfAbsent(VerifierDataAudit.answerLength(cs.get(i).text()), k -> new ArrayList<>()).add(i);
        }
        putProbe(split, cs, margin, java.util.stream.IntStream.range(0, cs.size()).boxed().toList());
        ObjectNode lengths = split.putObject("by_answer_length");
        byLength.forEach((len, idx) -> putProbe(lengths.putObject(len < 0 ? "no answer" : String.valueOf(len)), cs,
            margin, idx));
      }
    }
    AtomicFiles.writeString(dir.cotVerdictProbe(), pretty(out));
  }

  /**
   * n, right, AUROC (null with one class), accuracy (margin > 0 iff right) and each class's mean margin (null when
   * empty) of the candidates at {@code idx}. Mean margins near 0 for both classes say the judgement was never learned,
   * which an AUROC near 0.5 alone does not (docs/results/2026-12-05-replay-layout.md).
   */
  private static void putProbe(ObjectNode o, List<Candidate> cs, double[] margin, List<Integer> idx) {
    double[] m = new double[idx.size()];
    boolean[] right = new boolean[idx.size()];
    int agree = 0;
    int pos = 0;
    double sumRight = 0;
    double sumWrong = 0;
    for (int i = 0; i < idx.size(); i++) {
      m[i] = margin[idx.get(i)];
      right[i] = cs.get(idx.get(i)).correct();
      agree += (m[i] > 0) == right[i] ? 1 : 0;
      pos += right[i] ? 1 : 0;
      sumRight += right[i] ? m[i] : 0;
      sumWrong += right[i] ? 0 : m[i];
    }
    int n = idx.size();
    o.put("n", n);
    o.put("right", pos);
    if (pos == 0 || pos == n) {
      o.putNull("auroc");
    } else {
      o.put("auroc", VerifierMetrics.auroc(m, right));
    }
    o.put("accuracy", agree / (double) n);
    putMean(o, "mean_margin_right", sumRight, pos);
    putMean(o, "mean_margin_wrong", sumWrong, n - pos);
  }

  private static void putMean(ObjectNode o, String key, double sum, int count) {
    if (count == 0) {
      o.putNull(key);
    } else {
      o.put(key, sum / count);
    }
  }

  private void writeConfig() {
    ObjectNode c = Jsonl.MAPPER.createObjectNode();
    c.put("task", task.name());
    ObjectNode profile = Jsonl.MAPPER.valueToTree(prof);
    if (ExperimentProfile.GENERATOR.equals(prof.verifierBase())) {
      profile.remove("verifierBase"); // as written before the field existed, so those runs resume
    }
    if (Restatement.SAMPLED_ID.equals(prof.cotRestatement())) {
      profile.remove("cotRestatement"); // likewise
    }
    if (AnswerComparison.WHOLE == cotComparison()) {
      profile.remove("cotComparison"); // likewise
    }
    if (prof.cotBaseReplay() == prof.baseReplay()) {
      profile.remove("cotBaseReplay"); // likewise: every run before the field replayed alike
    }
    if (prof.directVerLr() == prof.verLr()) {
      profile.remove("directVerLr"); // likewise: every run before the field trained its verifiers alike
    }
    c.set("profile", profile);
    c.put("seed", seed);
    ObjectNode seeds = c.putObject("seeds");
    for (String s : SEEDED) {
      seeds.put(s, seedOf(s));
    }
    c.put("format", FORMAT.name().toLowerCase(java.util.Locale.ROOT));
    c.put("tokenizer", "characters + phrase tokens " + tok.phrases());
    c.put("tied_embeddings", GeneratorStage.TIED_EMBEDDINGS);
    if (!BaseRecipe.NONE.equals(prof.base())) {
      c.put("base_dir", Pretraining.dir(BaseRecipe.named(prof.base()), prof.preset(), tok).getFileName().toString());
    }
    c.put("methods", String.join(",", METHODS));
    Path f = dir.config();
    if (Files.exists(f)) {
      JsonNode old = readJson(f);
      JsonNode now;
      try {
        now = Jsonl.MAPPER.readTree(pretty(c));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      if (!old.equals(now)) {
        throw new UserException(f + " was written with another task, profile or seed; use a new --out directory");
      }
      return;
    }
    AtomicFiles.writeString(f, pretty(c));
  }

  // ---- stage 1: problems (the generator's own with them) and the generator ({@link GeneratorStage})

  private void problemsStage() {
    long s = seedOf("problems");
    Jsonl.write(dir.problems(Split.TRAIN), task.problems(Split.TRAIN, prof.trainProblems(), s));
    for (Split sp : TEST_SPLITS) {
      Jsonl.write(dir.problems(sp), task.problems(sp, prof.testProblems(), s));
    }
    generator.writeProblems(s);
  }

  List<Problem> problems(Split s) {
    return ctx.problems(s);
  }

  /** The generator's training data: a reference solution per generator problem. */
  private List<VerifierData.Labeled> generatorReferences() {
    return generator.references();
  }

  private static Consumer<Trainer.StepLog> steps(ProgressBar bar) {
    return l -> {
      bar.stepTo(l.step());
      bar.setExtraMessage(String.format(java.util.Locale.ROOT, "loss %.3f", l.loss()));
    };
  }

  // ---- stages 2 and 3: candidates and verifier training data ({@link CandidatePool}, {@link VerifierDataStage})

  List<Candidate> candidates(Split s) {
    return CandidatePool.read(dir, s);
  }

  /** Candidates grouped by problem, in problem order. */
  static Map<String, List<Candidate>> byProblem(List<Candidate> cs) {
    return CandidatePool.byProblem(cs);
  }

  List<VerifierData.Labeled> verifierData() {
    return VerifierDataStage.read(dir);
  }

  // ---- stage 4: verifiers, each fine-tuned from the generator (or the profile's verifierBase)

  private void trainStage(String method, Stages.Progress progress) {
    VerifierKind kind = VerifierKind.of(method);
    List<VerifierData.Labeled> data = verifierData();
    TrainConfig cfg = TrainConfig.defaults(prof.verSteps(), prof.verBatch(), prof.verLr(kind),
        seedOf("train-" + method));
    VerifierRecipe.TrainOptions options = new VerifierRecipe.TrainOptions(prof.lambda(), prof.dpoBeta(),
        cotPositions(), prof.cotReplay() > 0 ? generatorReferences() : List.of(), prof.cotReplay(),
        baseReplay(kind, data.size()), prof.cotVerdictWeight(), cotComparison());
    try (NDManager root = NDManager.newBaseManager();
        Checkpoint.Loaded start = Checkpoint.load(verifierStart(kind, progress), root);
        ProgressBar bar = progress.bar(cfg.steps());
        LlamaModel m = kind.hasScoreHead() ? start.model().withScoreHead(seedOf("orm-head")) : start.model().copy()) {
      VerifierCurve curve = VerifierCurve.applies(kind) ? curve() : null;
      if (curve != null) {
        curve.measure(0, kind, m, tok, FORMAT);
      }
      VerifierRecipe.Trained t = VerifierRecipe.train(kind, m, tok, FORMAT, data, options, cfg, steps(bar), err,
          curve == null ? l -> false : curve.every(kind, m, tok, FORMAT));
      VerifierRecipe.save(kind, m, tok, dir.checkpoint(method), new VerifierManifest(cotPositions(),
          cotComparison(), restatement().task()));
      ctx.writeTrainLog(method, t.result(), t.examples(), null, null, curve == null ? null : curve.points());
    }
  }

  /**
   * The checkpoint a verifier is fine-tuned from: the generator's, or the profile's {@code verifierBase} (built first
   * when the cache lacks it); DPO always starts from the generator, its reference.
   */
  private Path verifierStart(VerifierKind kind, Stages.Progress progress) {
    if (ExperimentProfile.GENERATOR.equals(prof.verifierBase()) || kind == VerifierKind.DPO) {
      return dir.checkpoint("generator");
    }
    return Pretraining.ensure(BaseRecipe.named(prof.verifierBase()), prof.preset(), tok, progress::bar, err);
  }

  /** Fixed pools of the test splits' candidates, the same for every verifier of the run. */
  private VerifierCurve curve() {
    Map<Split, List<Candidate>> cs = new java.util.EnumMap<>(Split.class);
    TEST_SPLITS.forEach(s -> cs.put(s, candidates(s)));
    return new VerifierCurve(cs, seedOf("curve"));
  }

  /**
   * Items of the replayed base's corpus ({@link ExperimentProfile#replayBase}) for a verifier trained on
   * {@code examples} verifier examples: {@code baseReplay} of the mix, drawn with the method's own seed; none for the
   * ORM and DPO (their losses take no token examples).
   */
  private List<TokenExample> baseReplay(VerifierKind kind, int examples) {
    double replay = prof.baseReplay(kind);
    if (replay == 0 || kind == VerifierKind.ORM || kind == VerifierKind.DPO) {
      return List.of();
    }
    BaseRecipe base = BaseRecipe.named(prof.replayBase());
    List<BaseCorpus.Item> items = new ArrayList<>(Pretraining.corpus(base));
    Collections.shuffle(items, new Random(seedOf("replay-" + kind.id())));
    int n = (int) Math.min(items.size(), Math.round(examples * replay / (1 - replay)));
    // reweighted to the verifier's own examples; CoT items as the base read them
    return Pretraining.examples(tok, items.subList(0, n), 1, base.cot());
  }

  private RationalePositions cotPositions() {
    return RationalePositions.of(prof.cotPositions());
  }

  /** Who writes the candidate's answer GenRM-CoT's rationales restate when they are scored. */
  private Restatement restatement() {
    return Restatement.of(prof.cotRestatement(), task, cotComparison());
  }

  private AnswerComparison cotComparison() {
    return AnswerComparison.of(prof.cotComparison());
  }

  // ---- stage 5: scores on the shared pool

  /** Longest oracle rationale of a reference solution on the split, with room for mistakes. */
  private int rationaleTokens(List<Problem> ps) {
    int max = 0;
    for (Problem p : ps) {
      max = Math.max(max, tok.encode(cotComparison().apply(oracle.rationale(p, task.solve(p)))).length);
    }
    return prof.capTokens(max * 3 / 2 + 32);
  }

  private void scoreStage(String method, Split split, Stages.Progress progress) {
    VerifierKind kind = VerifierKind.of(method);
    List<Problem> ps = problems(split);
    Map<String, List<Candidate>> groups = byProblem(candidates(split));
    SamplingParams cotParams = SamplingParams.sample(rationaleTokens(ps), prof.cotTemperature(),
        seedOf("score-" + method) + split.ordinal());
    try (NDManager root = NDManager.newBaseManager();
        // the judge is the generator; DPO scores against it
        Checkpoint.Loaded gen = kind.needsReference() || !kind.trained()
            ? Checkpoint.load(dir.checkpoint("generator"), root) : null;
        Checkpoint.Loaded own = kind.trained() ? Checkpoint.load(dir.checkpoint(method), root) : null;
        Verifier v = VerifierRecipe.open(kind, (own != null ? own : gen).model(),
            kind.needsReference() ? gen.model() : null, tok, FORMAT,
            new VerifierRecipe.ScoreOptions(prof.votes(), cotParams, cotPositions(), prof.dpoBeta(),
                restatement()));
        ProgressBar bar = progress.bar(ps.size())) {
      int chunk = kind.samplesVotes() ? 1 : 8;
      List<Score> rows = new ArrayList<>();
      for (int i = 0; i < ps.size(); i += chunk) {
        List<Problem> part = ps.subList(i, Math.min(ps.size(), i + chunk));
        List<String> qs = new ArrayList<>();
        List<List<String>> sols = new ArrayList<>();
        for (Problem p : part) {
          qs.add(p.question());
          sols.add(groups.get(p.id()).stream().map(Candidate::text).toList());
        }
        List<List<VerifierScore>> scores = v.scoreAll(qs, sols);
        for (int c = 0; c < part.size(); c++) {
          List<Candidate> cs = groups.get(part.get(c).id());
          for (int j = 0; j < cs.size(); j++) {
            rows.add(scores.get(c).get(j).toScore(cs.get(j).problemId(), cs.get(j).candidateId()));
          }
        }
        bar.stepBy(part.size());
      }
      Jsonl.write(dir.scores(method, split), rows);
    }
  }

  static void putNum(ObjectNode o, String field, double v) {
    Jsonl.putNumber(o, field, v);
  }

  // ---- stage 6: generation accuracy (the unified model also solves)

  /** The verifiers whose greedy solutions are graded beside the generator's (the lambda ablation). */
  static final List<VerifierKind> SOLVERS = List.of(VerifierKind.GENRM, VerifierKind.GENRM_UNIFIED);

  private void generationStage(Stages.Progress progress) {
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    List<String> models = new ArrayList<>(List.of("generator"));
    SOLVERS.forEach(k -> models.add(k.id()));
    try (ProgressBar bar = progress.bar((long) models.size() * TEST_SPLITS.size())) {
      for (String name : models) {
        ObjectNode o = out.putObject(name);
        try (NDManager root = NDManager.newBaseManager();
            Checkpoint.Loaded m = Checkpoint.load(dir.checkpoint(name), root)) {
          Generator g = new Generator(m.model(), m.tokenizer());
          for (Split s : TEST_SPLITS) {
            List<Problem> ps = problems(s);
            List<String> prompts = ps.stream().map(p -> FORMAT.solve(p.question())).toList();
            List<Generation> gens = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i += 64) {
              gens.addAll(g.generate(prompts.subList(i, Math.min(prompts.size(), i + 64)),
                  SamplingParams.greedy(ctx.solutionTokens(ps))));
            }
            int right = 0;
            for (int i = 0; i < ps.size(); i++) {
              right += task.grade(ps.get(i), gens.get(i).text()).correct() ? 1 : 0;
            }
            o.put(s.id(), right / (double) ps.size());
            bar.step();
          }
        }
      }
    }
    AtomicFiles.writeString(dir.generation(), pretty(out));
  }

  // ---- helpers

  static String pretty(JsonNode n) {
    try {
      return Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static JsonNode readJson(Path f) {
    try {
      return Jsonl.MAPPER.readTree(f.toFile());
    } catch (IOException e) {
      throw new UserException(f + ": cannot read: " + e.getMessage());
    }
  }
}
