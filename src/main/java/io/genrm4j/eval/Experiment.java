package io.genrm4j.eval;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Oracle;
import io.genrm4j.task.AlgorithmicTask;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Split;
import io.genrm4j.task.Task;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.DpoVerifier;
import io.genrm4j.verify.GenRmCot;
import io.genrm4j.verify.GenRmDirect;
import io.genrm4j.verify.OrmVerifier;
import io.genrm4j.verify.RationalePositions;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierData;
import io.genrm4j.verify.VerifierScore;
import io.genrm4j.verify.VerifierTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;

/**
 * The GenRM experiment of one task (paper section 4 on the algorithmic tasks), as resumable stages in a run
 * directory:
 *
 * <ol>
 *   <li>{@code problems}: train, test-id and test-ood problems;
 *   <li>{@code generator}: solution SFT of a randomly initialised model on correct (reference) solutions;
 *   <li>{@code candidates}: sampled, graded candidates for train problems and N per test problem;
 *   <li>{@code verifier-data}: up to {@code maxPerClass} correct + incorrect candidates per train problem, balanced,
 *       with oracle rationales;
 *   <li>{@code train-METHOD}: each verifier fine-tuned from the generator checkpoint;
 *   <li>{@code score-METHOD-SPLIT}: every verifier scores the same candidate pool;
 *   <li>{@code generation}: greedy pass@1 of the generator and the GenRM models;
 *   <li>{@code report}: metrics.json, report.md and plots ({@link ExperimentReport}).
 * </ol>
 *
 * <p>Training, scoring and generation run on several worker threads at once ({@link #verifierPlan()}); the rest in
 * order.
 */
public final class Experiment {
  /** Verifier methods, in report order. */
  public static final List<String> METHODS =
      List.of("orm", "genrm", "genrm-unified", "genrm-cot", "dpo", "llm-judge");

  /** Methods that are trained (all but the judge, which is the generator itself). */
  public static final List<String> TRAINED = List.of("orm", "genrm", "genrm-unified", "genrm-cot", "dpo");

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

  /**
   * The experiment's models have an output head of their own: with the decision line as one phrase token, a tiny
   * GenRM learned faster untied (held-out AUROC 0.897 vs 0.816 after 1,500 steps, VerifierLearningCurve).
   */
  private static final boolean TIED_EMBEDDINGS = false;

  private Experiment(Task task, ExperimentProfile prof, long seed, RunDir dir, PrintStream err) {
    this.task = task;
    this.oracle = task.oracle().orElseThrow(
        () -> new UserException(task.name() + ": the experiment needs an algorithmic task with an oracle"));
    this.prof = prof.forTask(task.name());
    this.seed = seed;
    this.dir = dir;
    this.err = err;
    this.tok = CharTokenizer.of(task.alphabet(), Prompts.PHRASE_TOKENS);
    this.stages = new Stages(dir, err);
  }

  /**
   * Runs (or resumes) the experiment of one task in {@code dir}; the verifier stages run on up to {@code workers}
   * threads at once (see {@link #defaultWorkers()}).
   */
  public static Result run(Task task, ExperimentProfile prof, long seed, int workers, RunDir dir, PrintStream err) {
    Experiment e = new Experiment(task, prof, seed, dir, err);
    return e.runAll(workers);
  }

  /**
   * Runs several tasks: one subdirectory per task and, with more than one task, {@code summary.json} and
   * {@code summary.md} (test-ood Best-of-N at the largest N per task and the average) in {@code dir}.
   */
  public static List<Result> runTasks(List<Task> tasks, ExperimentProfile prof, long seed, int workers, RunDir dir,
      PrintStream err) {
    List<Result> out = new ArrayList<>();
    if (tasks.size() == 1) {
      out.add(run(tasks.get(0), prof, seed, workers, dir, err));
      return out;
    }
    for (Task t : tasks) {
      out.add(run(t, prof, seed, workers, dir.task(t.name()), err));
    }
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
    long h = seed * 0x9E3779B97F4A7C15L;
    for (char c : what.toCharArray()) {
      h = (h ^ c) * 0x100000001B3L;
    }
    return h & Long.MAX_VALUE;
  }

  private static final String[] SEEDED = {"problems", "init", "generator-sft", "sample-train", "sample-test-id",
      "sample-test-ood", "orm-head", "train-orm", "train-genrm", "train-genrm-unified", "train-genrm-cot",
      "train-dpo", "score-genrm-cot", "score-llm-judge", "votes", "fill"};

  private Result runAll(int workers) {
    writeConfig();
    stages.run("problems", p -> problemsStage());
    stages.run("generator", this::generatorStage);
    stages.run("candidates", this::candidatesStage);
    warnIfNothingToRerank();
    stages.run("verifier-data", p -> verifierDataStage());
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
    order.remove("genrm-cot");
    order.add(0, "genrm-cot");
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
    plan.add(new Stages.Planned("generation", List.of("train-genrm", "train-genrm-unified"), this::generationStage));
    return plan;
  }

  private void writeConfig() {
    ObjectNode c = Jsonl.MAPPER.createObjectNode();
    c.put("task", task.name());
    c.set("profile", Jsonl.MAPPER.valueToTree(prof));
    c.put("seed", seed);
    ObjectNode seeds = c.putObject("seeds");
    for (String s : SEEDED) {
      seeds.put(s, seedOf(s));
    }
    c.put("format", FORMAT.name().toLowerCase(java.util.Locale.ROOT));
    c.put("tokenizer", "characters + phrase tokens " + tok.phrases());
    c.put("tied_embeddings", TIED_EMBEDDINGS);
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

  // ---- stage 1: problems and the generator

  private void problemsStage() {
    long s = seedOf("problems");
    Jsonl.write(dir.problems(Split.TRAIN), task.problems(Split.TRAIN, prof.trainProblems(), s));
    for (Split sp : TEST_SPLITS) {
      Jsonl.write(dir.problems(sp), task.problems(sp, prof.testProblems(), s));
    }
    // The generator stands in for the paper's pretrained model: it learns from its own problems, which span the
    // out-of-distribution length too (a model trained on 2-4 items writes no correct 6-item solution at all), but
    // never a test problem. Verifiers only ever train on candidates of the training split.
    List<Problem> gen = task.problems(Split.TRAIN, prof.trainProblems(), s);
    if (task instanceof AlgorithmicTask a) {
      java.util.Set<String> ood = new java.util.HashSet<>();
      problems(Split.TEST_OOD).forEach(p -> ood.add(p.question()));
      gen = a.generatorProblems(Math.max(prof.trainProblems(), prof.genSteps() * prof.genBatch() / 4), s, ood);
      // Held-out problems of the out-of-distribution length from the generator's own distribution (never a test
      // problem, never a generator training problem): the generator trains until its samples there are
      // genTarget correct.
      java.util.Set<String> seen = new java.util.HashSet<>(ood);
      gen.forEach(p -> seen.add(p.question()));
      List<Problem> dev = new ArrayList<>();
      for (Problem p : a.generatorProblems(DEV_PROBLEMS * 20, s + 1, seen)) {
        if (a.words(p.question()).size() == a.oodLength() && dev.size() < DEV_PROBLEMS) {
          dev.add(p);
        }
      }
      Jsonl.write(dir.generatorDevProblems(), dev);
    }
    Jsonl.write(dir.generatorProblems(), gen);
  }

  /** Held-out out-of-distribution-length problems the generator's stopping point is measured on. */
  static final int DEV_PROBLEMS = 16;
  /** Samples per dev problem at each check. */
  static final int DEV_SAMPLES = 4;
  /** Steps between two checks of the generator against its target, and the first step checked. */
  static final int DEV_EVERY = 10;
  static final int DEV_FIRST = 250;

  List<Problem> problems(Split s) {
    return Problem.read(dir.problems(s));
  }

  /** The generator's training data: a reference solution per generator problem. */
  private List<VerifierData.Labeled> generatorReferences() {
    List<VerifierData.Labeled> refs = new ArrayList<>();
    for (Problem p : Problem.read(dir.generatorProblems())) {
      refs.add(new VerifierData.Labeled(p.question(), task.solve(p), true, null));
    }
    return refs;
  }

  /**
   * Solution SFT of a fresh model. With a target ({@code genTarget > 0}) training ends at the first check where the
   * generator's samples (profile temperature) on the held-out out-of-distribution-length problems are at least that
   * often correct, at most {@code genSteps}: the tiny generator learns the task in a sudden jump whose step moves
   * with float rounding (its 6-name samples were 25-84% correct after 750-1,000 steps in runs that differed only
   * there), so a fixed step count gives anything from an empty pool to one with nothing left to rerank.
   */
  private void generatorStage(Stages.Progress progress) {
    List<TokenExample> data = VerifierData.solutionSft(tok, FORMAT, generatorReferences(), 1f);
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get(prof.preset(), tok.vocabSize()).withTiedEmbeddings(TIED_EMBEDDINGS),
            seedOf("init"), root)) {
      TrainConfig cfg = TrainConfig.defaults(prof.genSteps(), prof.genBatch(), prof.genLr(), seedOf("generator-sft"));
      List<Problem> dev = prof.genTarget() > 0 && Files.exists(dir.generatorDevProblems())
          ? Problem.read(dir.generatorDevProblems()) : List.of();
      ArrayNode checks = Jsonl.MAPPER.createArrayNode();
      double[] last = {Double.NaN}; // the latest dev accuracy, shown next to the loss
      Trainer.Result r;
      try (ProgressBar bar = progress.bar(cfg.steps())) {
        Consumer<Trainer.StepLog> log = l -> {
          bar.stepTo(l.step());
          bar.setExtraMessage(String.format(java.util.Locale.ROOT, "loss %.3f", l.loss())
              + (Double.isNaN(last[0]) ? "" : String.format(java.util.Locale.ROOT, ", dev %.0f%%/%.0f%%",
                  100 * last[0], 100 * prof.genTarget())));
        };
        r = VerifierTrainer.sft(m, tok, data, cfg, log, l -> {
          if (dev.isEmpty() || l.step() < DEV_FIRST || l.step() % DEV_EVERY != 0) {
            return false;
          }
          last[0] = sampledAccuracy(m, dev);
          checks.addObject().put("step", l.step()).put("dev_accuracy", last[0]);
          return last[0] >= prof.genTarget();
        });
      }
      Checkpoint.save(m, tok, dir.checkpoint("generator"));
      writeTrainLog("generator", r, data.size(), checks);
    }
  }

  /** The fraction of correct samples, {@link #DEV_SAMPLES} per problem at the candidates' temperature. */
  private double sampledAccuracy(LlamaModel m, List<Problem> ps) {
    Generator g = new Generator(m, tok);
    List<int[]> prefixes = new ArrayList<>();
    ps.forEach(p -> prefixes.add(g.promptIds(FORMAT.solve(p.question()))));
    List<List<Generation>> gens = g.sampleShared(prefixes, DEV_SAMPLES,
        SamplingParams.sample(solutionTokens(ps), prof.temperature(), seedOf("generator-dev")), null);
    int right = 0;
    for (int i = 0; i < ps.size(); i++) {
      for (Generation gen : gens.get(i)) {
        right += task.grade(ps.get(i), gen.text()).correct() ? 1 : 0;
      }
    }
    return right / (double) (ps.size() * DEV_SAMPLES);
  }

  private static Consumer<Trainer.StepLog> steps(ProgressBar bar) {
    return l -> {
      bar.stepTo(l.step());
      bar.setExtraMessage(String.format(java.util.Locale.ROOT, "loss %.3f", l.loss()));
    };
  }

  private void writeTrainLog(String name, Trainer.Result r, int examples) {
    writeTrainLog(name, r, examples, null);
  }

  private void writeTrainLog(String name, Trainer.Result r, int examples, ArrayNode devChecks) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("examples", examples);
    o.put("steps", r.steps());
    o.put("tokens", r.tokens());
    o.put("seconds", r.seconds());
    o.put("final_loss", r.finalLoss());
    if (devChecks != null && !devChecks.isEmpty()) {
      o.set("dev_checks", devChecks);
    }
    ArrayNode losses = o.putArray("losses");
    r.losses().forEach(losses::add);
    AtomicFiles.writeString(dir.trainLog(name), pretty(o));
  }

  // ---- stage 2: candidates

  /** Enough tokens for a correct solution of the longest problem, with room for mistakes. */
  private int solutionTokens(List<Problem> ps) {
    int max = 0;
    for (Problem p : ps) {
      max = Math.max(max, tok.encode(task.solve(p)).length);
    }
    return prof.capTokens(max * 3 / 2 + 16);
  }

  private void candidatesStage(Stages.Progress progress) {
    Map<Split, Integer> per = new LinkedHashMap<>();
    per.put(Split.TRAIN, prof.samplesPerTrainProblem());
    for (Split s : TEST_SPLITS) {
      per.put(s, prof.n());
    }
    long total = 0;
    for (Map.Entry<Split, Integer> e : per.entrySet()) {
      total += (long) problems(e.getKey()).size() * e.getValue();
    }
    try (NDManager root = NDManager.newBaseManager();
        Checkpoint.Loaded gen = Checkpoint.load(dir.checkpoint("generator"), root);
        ProgressBar bar = progress.bar(total)) {
      Generator g = new Generator(gen.model(), gen.tokenizer());
      for (Map.Entry<Split, Integer> e : per.entrySet()) {
        Split split = e.getKey();
        int k = e.getValue();
        List<Problem> ps = problems(split);
        SamplingParams sp = SamplingParams.sample(solutionTokens(ps), prof.temperature(), seedOf("sample-" + split.id()));
        int chunk = Math.max(1, 128 / k);
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < ps.size(); i += chunk) {
          List<Problem> part = ps.subList(i, Math.min(ps.size(), i + chunk));
          List<int[]> prefixes = new ArrayList<>();
          part.forEach(p -> prefixes.add(g.promptIds(FORMAT.solve(p.question()))));
          List<List<Generation>> gens = g.sampleShared(prefixes, k, sp.withSeed(sp.seed() + i), null);
          for (int c = 0; c < part.size(); c++) {
            Problem p = part.get(c);
            for (int j = 0; j < k; j++) {
              String text = gens.get(c).get(j).text();
              out.add(new Candidate(p.id(), p.id() + "-c" + j, p.question(), text, p.answer(), null, null)
                  .withGrade(task.grade(p, text)));
            }
            bar.stepBy(k);
          }
        }
        Jsonl.write(dir.candidates(split), out);
      }
    }
  }

  /**
   * Best-of-N can only pick a correct candidate that is there: say so before the verifiers train for hours, not
   * after (word-sorting's generator after quick's 750 steps sampled 0 correct of 640 per test split).
   */
  private void warnIfNothingToRerank() {
    for (Split s : TEST_SPLITS) {
      List<Candidate> cs = candidates(s);
      if (cs.stream().noneMatch(c -> Boolean.TRUE.equals(c.correct()))) {
        err.printf("warning: none of the %d %s candidates is correct, so every Best-of-N figure there will be 0;"
            + " the generator needs more than profile %s's %d training steps for %s%n", cs.size(), s.id(),
            prof.name(), prof.genSteps(), task.name());
      }
    }
  }

  List<Candidate> candidates(Split s) {
    return Candidate.read(dir.candidates(s));
  }

  /** Candidates grouped by problem, in problem order. */
  static Map<String, List<Candidate>> byProblem(List<Candidate> cs) {
    Map<String, List<Candidate>> out = new LinkedHashMap<>();
    for (Candidate c : cs) {
      out.computeIfAbsent(c.problemId(), k -> new ArrayList<>()).add(c);
    }
    return out;
  }

  // ---- stage 3: verifier training data

  /** The oracle rationale without its verdict line (the trainer appends the verdict). */
  String rationaleBody(Problem p, String candidate, boolean correct) {
    String r = oracle.rationale(p, candidate);
    String tail = Prompts.VERDICT_SEPARATOR + Prompts.verdictLine(correct);
    if (!r.endsWith(tail)) {
      throw new IllegalStateException("oracle rationale does not end with the grader's verdict: " + r);
    }
    return r.substring(0, r.length() - tail.length());
  }

  /**
   * Per training problem: the distinct correct and incorrect sampled candidates, k = min(maxPerClass, #correct,
   * #incorrect) of each. A problem with no correct sample gets the reference solution as its correct one; a problem
   * with no incorrect sample gets a perturbed reference solution ({@link Task#perturb}); both are counted in
   * {@code verifier-data.json}.
   */
  private void verifierDataStage() {
    Map<String, List<Candidate>> groups = byProblem(candidates(Split.TRAIN));
    Random rng = new Random(seedOf("fill"));
    List<ObjectNode> rows = new ArrayList<>();
    int filledCorrect = 0;
    int filledIncorrect = 0;
    int sampledCorrect = 0;
    int sampledIncorrect = 0;
    for (Problem p : problems(Split.TRAIN)) {
      LinkedHashSet<String> good = new LinkedHashSet<>();
      LinkedHashSet<String> bad = new LinkedHashSet<>();
      for (Candidate c : groups.getOrDefault(p.id(), List.of())) {
        (Boolean.TRUE.equals(c.correct()) ? good : bad).add(c.text());
      }
      if (good.isEmpty()) {
        good.add(task.solve(p));
        filledCorrect++;
      }
      if (bad.isEmpty()) {
        bad.add(task.perturb(task.solve(p), rng));
        filledIncorrect++;
      }
      int k = Math.min(prof.maxPerClass(), Math.min(good.size(), bad.size()));
      for (boolean label : new boolean[] {true, false}) {
        int taken = 0;
        for (String s : label ? good : bad) {
          if (taken++ == k) {
            break;
          }
          if (task.grade(p, s).correct() != label) {
            throw new IllegalStateException("perturbation did not change correctness: " + s);
          }
          ObjectNode o = Jsonl.MAPPER.createObjectNode();
          o.put("problem_id", p.id());
          o.put("question", p.question());
          o.put("solution", s);
          o.put("correct", label);
          o.put("rationale", rationaleBody(p, s, label));
          rows.add(o);
        }
      }
      sampledCorrect += good.size();
      sampledIncorrect += bad.size();
    }
    Jsonl.write(dir.verifierTrain(), rows);
    AtomicFiles.writeString(dir.verifierDataStats(), pretty(new VerifierDataStats(rows.size(), sampledCorrect,
        sampledIncorrect, filledCorrect, filledIncorrect).toJson()));
  }

  List<VerifierData.Labeled> verifierData() {
    return Jsonl.read(dir.verifierTrain(), n -> new VerifierData.Labeled(Jsonl.text(n, "question"),
        Jsonl.text(n, "solution"), n.get("correct").booleanValue(), Jsonl.text(n, "rationale")));
  }

  // ---- stage 4: verifiers, each fine-tuned from the generator

  private void trainStage(String method, Stages.Progress progress) {
    List<VerifierData.Labeled> data = verifierData();
    TrainConfig cfg = TrainConfig.defaults(prof.verSteps(), prof.verBatch(), prof.verLr(), seedOf("train-" + method));
    try (NDManager root = NDManager.newBaseManager();
        Checkpoint.Loaded gen = Checkpoint.load(dir.checkpoint("generator"), root);
        ProgressBar bar = progress.bar(cfg.steps())) {
      LlamaModel m = method.equals("orm") ? gen.model().withScoreHead(seedOf("orm-head")) : gen.model().copy();
      try {
        Trainer.Result r;
        int examples = data.size();
        switch (method) {
          case "orm" -> r = VerifierTrainer.orm(m, tok, FORMAT, data, cfg, steps(bar));
          case "dpo" -> r = VerifierTrainer.dpo(m, tok, FORMAT, data, prof.dpoBeta(), cfg, steps(bar));
          case "genrm-cot" -> {
            // Replay of the generator's data keeps the re-solving skill at the lengths the CoT data lacks: without it
            // the quick GenRM-CoT re-solved 6-name problems for 4 lines and stopped.
            List<TokenExample> mix = fitting(VerifierData.cot(tok, FORMAT, data, cotPositions()), m, method);
            if (prof.cotReplay() > 0) {
              mix.addAll(VerifierData.solutionSft(tok, FORMAT, generatorReferences(), (float) prof.cotReplay()));
            }
            examples = mix.size();
            r = VerifierTrainer.sft(m, tok, mix, cfg, steps(bar));
          }
          case "genrm" -> {
            List<TokenExample> direct = fitting(VerifierData.direct(tok, FORMAT, data), m, method);
            examples = direct.size();
            r = VerifierTrainer.sft(m, tok, direct, cfg, steps(bar));
          }
          case "genrm-unified" -> {
            List<TokenExample> mix = fitting(VerifierData.direct(tok, FORMAT, data), m, method);
            mix.addAll(VerifierData.solutionSft(tok, FORMAT,
                data.stream().filter(VerifierData.Labeled::correct).toList(), (float) prof.lambda()));
            examples = mix.size();
            r = VerifierTrainer.sft(m, tok, mix, cfg, steps(bar));
          }
          default -> throw new IllegalArgumentException(method);
        }
        Checkpoint.save(m, tok, dir.checkpoint(method));
        if (method.equals("genrm-cot")) {
          cotPositions().save(dir.checkpoint(method));
        }
        writeTrainLog(method, r, examples);
      } finally {
        m.close();
      }
    }
  }

  /**
   * The examples that fit in the model's context; the rest are dropped with a warning (word-sorting GenRM-CoT
   * examples of long wrong candidates reach ~1,300 characters, the presets' context is 1,024 positions).
   */
  private List<TokenExample> fitting(List<TokenExample> all, LlamaModel m, String method) {
    int max = m.config().maxPositionEmbeddings();
    List<TokenExample> out = new ArrayList<>();
    for (TokenExample e : all) {
      if (e.ids().length <= max) {
        out.add(e);
      }
    }
    if (out.size() < all.size()) {
      err.printf("%s: dropped %d of %d training examples longer than the model's %d-token context%n", method,
          all.size() - out.size(), all.size(), max);
    }
    return out;
  }

  private RationalePositions cotPositions() {
    return RationalePositions.of(prof.cotPositions());
  }

  // ---- stage 5: scores on the shared pool

  /** Longest oracle rationale of a reference solution on the split, with room for mistakes. */
  private int rationaleTokens(List<Problem> ps) {
    int max = 0;
    for (Problem p : ps) {
      max = Math.max(max, tok.encode(oracle.rationale(p, task.solve(p))).length);
    }
    return prof.capTokens(max * 3 / 2 + 32);
  }

  private void scoreStage(String method, Split split, Stages.Progress progress) {
    List<Problem> ps = problems(split);
    Map<String, List<Candidate>> groups = byProblem(candidates(split));
    SamplingParams cotParams = SamplingParams.sample(rationaleTokens(ps), prof.cotTemperature(),
        seedOf("score-" + method) + split.ordinal());
    try (NDManager root = NDManager.newBaseManager();
        Checkpoint.Loaded gen = method.equals("dpo") || method.equals("llm-judge")
            ? Checkpoint.load(dir.checkpoint("generator"), root) : null;
        Checkpoint.Loaded own = TRAINED.contains(method) ? Checkpoint.load(dir.checkpoint(method), root) : null;
        Verifier v = switch (method) {
          case "orm" -> new OrmVerifier(own.model(), tok, FORMAT);
          case "genrm", "genrm-unified" -> new GenRmDirect(own.model(), tok, FORMAT);
          case "genrm-cot" -> new GenRmCot(own.model(), tok, FORMAT, prof.votes(), cotParams, cotPositions());
          case "dpo" -> new DpoVerifier(own.model(), gen.model(), tok, FORMAT, prof.dpoBeta());
          case "llm-judge" -> GenRmCot.judge(gen.model(), tok, FORMAT, prof.votes(), cotParams);
          default -> throw new IllegalArgumentException(method);
        };
        ProgressBar bar = progress.bar(ps.size())) {
      boolean cot = method.equals("genrm-cot") || method.equals("llm-judge");
      int chunk = cot ? 1 : 8;
      List<ObjectNode> rows = new ArrayList<>();
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
            rows.add(scoreRow(cs.get(j), scores.get(c).get(j)));
          }
        }
        bar.stepBy(part.size());
      }
      Jsonl.write(dir.scores(method, split), rows);
    }
  }

  private static ObjectNode scoreRow(Candidate c, VerifierScore s) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("problem_id", c.problemId());
    o.put("candidate_id", c.candidateId());
    putNum(o, "score", s.score());
    putNum(o, "p_yes", s.pYes());
    putNum(o, "p_no", s.pNo());
    ArrayNode votes = o.putArray("votes");
    for (double d : s.votes()) {
      if (Double.isFinite(d)) {
        votes.add(d);
      } else {
        votes.addNull();
      }
    }
    o.put("tokens", s.tokens());
    return o;
  }

  static void putNum(ObjectNode o, String field, double v) {
    if (Double.isFinite(v)) {
      o.put(field, v);
    } else {
      o.putNull(field);
    }
  }

  // ---- stage 6: generation accuracy (the unified model also solves)

  private void generationStage(Stages.Progress progress) {
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    List<String> models = List.of("generator", "genrm", "genrm-unified");
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
                  SamplingParams.greedy(solutionTokens(ps))));
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
