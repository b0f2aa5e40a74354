package io.genrm4j.cli;

import ai.djl.ndarray.NDManager;
import io.genrm4j.eval.BaseRecipe;
import io.genrm4j.eval.Pretraining;
import io.genrm4j.eval.VerifierMetrics;
import io.genrm4j.infer.TextPositions;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.LogProbs;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.AlgorithmicTask;
import io.genrm4j.task.CoupledPositions;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Split;
import io.genrm4j.task.Task;
import io.genrm4j.task.Tasks;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.DecisionLabels;
import io.genrm4j.verify.VerifierData;
import io.genrm4j.verify.VerifierTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code genrm coupling-check}: does position coupling let a generator trained on short lists solve long ones (issue
 * #21 step 4's quick check)? Generators with the same data, seed and steps, with sequential positions or with
 * {@link CoupledPositions} (lines, or lines and running letters), each greedy-solving held-out in-distribution and
 * out-of-distribution problems.
 */
@Command(
    name = "coupling-check",
    mixinStandardHelpOptions = true,
    description = {
      "Train three generators on in-distribution lengths only (last-letter: 2-4 names): with sequential rotary "
          + "positions, with position coupling (question item k and solution line k share a block of positions), "
          + "and with coupling that also puts letter j of every running string beside item j; count the held-out "
          + "problems each solves greedily, in distribution and at the out-of-distribution length (last-letter: "
          + "6 names). Two train at a time, one thread each."
    })
public final class CouplingCheckCommand implements Callable<Integer> {
  @Option(names = "--task", defaultValue = "last-letter", description = "last-letter or word-sorting (default: "
      + "${DEFAULT-VALUE})")
  String task;

  @Option(names = "--preset", defaultValue = "tiny", description = "model preset (default: ${DEFAULT-VALUE})")
  String preset;

  @Option(names = "--steps", defaultValue = "1500", description = "training steps of each generator (default: "
      + "${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--batch-size", defaultValue = "16", description = "default: ${DEFAULT-VALUE}")
  int batch;

  @Option(names = "--lr", defaultValue = "3e-3", description = "peak learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--train-problems", defaultValue = "6000", description = "distinct training problems (default: "
      + "${DEFAULT-VALUE})")
  int trainProblems;

  @Option(names = "--problems", defaultValue = "64", description = "held-out problems per split (default: "
      + "${DEFAULT-VALUE})")
  int problems;

  @Option(names = "--seed", defaultValue = "1", description = "problems, initialisation and data order (default: "
      + "${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--layouts", split = ",", description = "which to train, of sequential, coupled, coupled+letters "
      + "(default: all three)")
  List<String> layouts;

  @Option(names = "--out", description = "also write the results as JSON to this file")
  Path json;

  @Option(names = "--verifier", description = "train GenRM direct verifiers instead of generators: the question, a "
      + "candidate (each training problem's reference solution and a perturbed copy: a wrong pick, a mis-copied item "
      + "or a wrong answer) and the decision line, label Yes/No; report held-out AUROC and how often a reference "
      + "scores above its own perturbation")
  boolean verifier;

  @Option(names = "--from-base", paramLabel = "NAME", description = "start every model from this pretrained base "
      + "(genrm pretrain --help lists them; built first when missing) instead of random weights")
  String fromBase;

  @Spec CommandSpec spec;

  /** The rotary positions a generator trains and decodes with. */
  enum Layout {
    SEQUENTIAL("sequential"),
    /** Question item k and solution line k share block k. */
    COUPLED("coupled"),
    /** As {@link #COUPLED}, and letter j of every running string sits beside item j. */
    COUPLED_LETTERS("coupled+letters");

    final String id;

    Layout(String id) {
      this.id = id;
    }

    /**
     * Token positions of {@code ids}, the encoding of {@code prompt + rest}, where {@code prompt} holds the
     * question's {@code items} and {@code rest} is the solution and anything after it; null when sequential.
     */
    int[] positions(CharTokenizer tok, int[] ids, String prompt, List<String> items, String rest) {
      return this == SEQUENTIAL ? null
          : TextPositions.ofTokens(tok, ids, CoupledPositions.of(prompt, items, rest, this == COUPLED_LETTERS));
    }
  }

  /** One generator's outcome. */
  record Outcome(String layout, int steps, double finalLoss, double seconds, int solvedId, int solvedOod,
      List<String> oodExamples) {}

  /**
   * One verifier's outcome on held-out pairs: AUROC, and the fraction of problems whose reference scores above its
   * perturbation (ties half).
   */
  record VerifierOutcome(String layout, int steps, double finalLoss, double seconds, double aurocId,
      double pairedId, double aurocOod, double pairedOod) {}

  /** A candidate of a problem with its grade. */
  private record Pair(Problem problem, String solution, boolean correct) {}

  /** What {@link #solved} found: how many were right, and the first few solutions as written. */
  private record Solved(int right, List<String> examples) {}

  @Override
  public Integer call() throws Exception {
    if (steps < 1 || batch < 1 || trainProblems < 1 || problems < 1 || !(lr > 0)) {
      throw new UserException("--steps, --batch-size, --train-problems, --problems and --lr must be positive");
    }
    if (!(Tasks.byName(task) instanceof AlgorithmicTask t)) {
      throw new UserException("--task must be last-letter or word-sorting, got '" + task + "'");
    }
    Presets.get(preset, 64); // an unknown preset fails here, before any training
    List<Layout> chosen = new ArrayList<>();
    for (Layout l : Layout.values()) {
      if (layouts == null || layouts.contains(l.id)) {
        chosen.add(l);
      }
    }
    if (layouts != null && chosen.size() != layouts.size()) {
      throw new UserException("--layouts takes sequential, coupled and coupled+letters, got " + layouts);
    }
    CharTokenizer tok = io.genrm4j.eval.Experiment.tokenizer(t);
    List<Problem> train = t.problems(Split.TRAIN, trainProblems, seed);
    List<Problem> id = t.problems(Split.TEST_ID, problems, seed);
    List<Problem> ood = t.problems(Split.TEST_OOD, problems, seed);
    Path base = fromBase == null ? null : Pretraining.ensure(BaseRecipe.named(fromBase), preset, tok,
        n -> Cli.progress("base " + fromBase, n, "steps"), System.err);
    List<Object> outcomes = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (ProgressBar bar = Cli.progress("coupling-check", (long) chosen.size() * steps, "steps")) {
      List<Future<?>> fs = new ArrayList<>();
      for (Layout layout : chosen) {
        fs.add(pool.submit(() -> verifier ? runVerifier(t, tok, train, id, ood, layout, base, bar)
            : run(t, tok, train, id, ood, layout, base, bar)));
      }
      for (Future<?> f : fs) {
        outcomes.add(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    if (verifier) {
      printVerifierTable(outcomes.stream().map(VerifierOutcome.class::cast).toList(), t, id.size(), ood.size());
    } else {
      printTable(outcomes.stream().map(Outcome.class::cast).toList(), t, id.size(), ood.size());
    }
    if (json != null) {
      var arr = Jsonl.MAPPER.createArrayNode();
      outcomes.forEach(o -> arr.add(Jsonl.MAPPER.valueToTree(o)));
      AtomicFiles.writeString(json, Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(arr) + "\n");
    }
    return 0;
  }

  private Outcome run(AlgorithmicTask t, CharTokenizer tok, List<Problem> train, List<Problem> id, List<Problem> ood,
      Layout layout, Path base, ProgressBar bar) {
    Prompts.Format f = Prompts.Format.COMPACT;
    List<VerifierData.Labeled> refs = new ArrayList<>();
    train.forEach(p -> refs.add(new VerifierData.Labeled(p.question(), t.solve(p), true, null)));
    List<TokenExample> data = VerifierData.solutionSft(tok, f, refs, 1f);
    if (layout != Layout.SEQUENTIAL) {
      for (int i = 0; i < data.size(); i++) {
        Problem p = train.get(i);
        data.set(i, data.get(i).withPositions(layout.positions(tok, data.get(i).ids(), f.solve(p.question()),
            t.words(p.question()), t.solve(p))));
      }
    }
    long t0 = System.nanoTime();
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = start(tok, base, root)) {
      Trainer.Result r = VerifierTrainer.sft(m, tok, data, TrainConfig.defaults(steps, batch, lr, seed + 1),
          l -> bar.step());
      Solved idRight = solved(m, tok, t, id, layout);
      Solved oodRight = solved(m, tok, t, ood, layout);
      return new Outcome(layout.id, (int) r.steps(), r.finalLoss(),
          (System.nanoTime() - t0) / 1e9, idRight.right(), oodRight.right(), oodRight.examples());
    }
  }

  /** A fresh model of the preset ({@link #seed}), or the base's weights when {@code base} is set. */
  private LlamaModel start(CharTokenizer tok, Path base, NDManager root) {
    return base == null ? LlamaModel.init(Presets.get(preset, tok.vocabSize()).withTiedEmbeddings(false), seed, root)
        : Checkpoint.load(base, root).model();
  }

  private VerifierOutcome runVerifier(AlgorithmicTask t, CharTokenizer tok, List<Problem> train, List<Problem> id,
      List<Problem> ood, Layout layout, Path base, ProgressBar bar) {
    Prompts.Format f = Prompts.Format.COMPACT;
    List<Pair> pairs = pairs(t, train, seed);
    List<TokenExample> data = VerifierData.direct(tok, f, pairs.stream()
        .map(c -> new VerifierData.Labeled(c.problem().question(), c.solution(), c.correct(), null)).toList());
    for (int i = 0; i < data.size(); i++) {
      Pair c = pairs.get(i);
      int[] positions = directPositions(t, tok, f, c, data.get(i).ids(), c.correct() ? Prompts.YES : Prompts.NO,
          layout);
      data.set(i, positions == null ? data.get(i) : data.get(i).withPositions(positions));
    }
    long t0 = System.nanoTime();
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = start(tok, base, root)) {
      Trainer.Result r = VerifierTrainer.sft(m, tok, data, TrainConfig.defaults(steps, batch, lr, seed + 1),
          l -> bar.step());
      List<Pair> idPairs = pairs(t, id, seed + 1000);
      List<Pair> oodPairs = pairs(t, ood, seed + 1000);
      double[] idScores = directScores(m, tok, t, idPairs, layout);
      double[] oodScores = directScores(m, tok, t, oodPairs, layout);
      return new VerifierOutcome(layout.id, (int) r.steps(), r.finalLoss(), (System.nanoTime() - t0) / 1e9,
          auroc(idPairs, idScores), paired(idScores), auroc(oodPairs, oodScores), paired(oodScores));
    }
  }

  /** Each problem's reference solution and a perturbed copy ({@link AlgorithmicTask#perturb}), graded. */
  private static List<Pair> pairs(AlgorithmicTask t, List<Problem> ps, long seed) {
    java.util.Random rng = new java.util.Random(seed * 31 + 7);
    List<Pair> out = new ArrayList<>();
    for (Problem p : ps) {
      String ref = t.solve(p);
      String bad = t.perturb(ref, rng);
      out.add(new Pair(p, ref, true));
      out.add(new Pair(p, bad, t.grade(p, bad).correct()));
    }
    return out;
  }

  /** The positions of a verification prompt's tokens followed by {@code label}'s; null when sequential. */
  private static int[] directPositions(AlgorithmicTask t, CharTokenizer tok, Prompts.Format f, Pair c, int[] ids,
      String label, Layout layout) {
    String prompt = f.solve(c.problem().question());
    String text = f.verifyDirect(c.problem().question(), c.solution()) + label;
    return layout.positions(tok, ids, prompt, t.words(c.problem().question()), text.substring(prompt.length()));
  }

  /** log p(Yes) - log p(No) of each candidate of {@code cs}. */
  private static double[] directScores(LlamaModel m, CharTokenizer tok, AlgorithmicTask t, List<Pair> cs,
      Layout layout) {
    Prompts.Format f = Prompts.Format.COMPACT;
    double[] out = new double[cs.size()];
    for (int from = 0; from < cs.size(); from += 16) {
      List<int[]> rows = new ArrayList<>();
      List<int[]> positions = layout == Layout.SEQUENTIAL ? null : new ArrayList<>();
      List<Integer> labelLengths = new ArrayList<>();
      for (Pair c : cs.subList(from, Math.min(cs.size(), from + 16))) {
        String text = f.verifyDirect(c.problem().question(), c.solution());
        DecisionLabels labels = DecisionLabels.resolve(tok, text);
        int[] prompt = tok.encodeWithBos(text);
        for (boolean yes : new boolean[] {true, false}) {
          int[] label = labels.of(yes);
          int[] ids = java.util.Arrays.copyOf(prompt, prompt.length + label.length);
          System.arraycopy(label, 0, ids, prompt.length, label.length);
          rows.add(ids);
          labelLengths.add(label.length);
          if (positions != null) {
            positions.add(directPositions(t, tok, f, c, ids, yes ? Prompts.YES : Prompts.NO, layout));
          }
        }
      }
      float[][] lp = LogProbs.perToken(m, rows, positions, Math.max(0, tok.padId()), m.manager());
      for (int i = 0; i < rows.size(); i += 2) {
        out[from + i / 2] = tail(lp[i], labelLengths.get(i)) - tail(lp[i + 1], labelLengths.get(i + 1));
      }
    }
    return out;
  }

  private static double tail(float[] lp, int n) {
    double s = 0;
    for (int i = lp.length - n; i < lp.length; i++) {
      s += lp[i];
    }
    return s;
  }

  /** AUROC of {@link #directScores} against the candidates' grades. */
  private static double auroc(List<Pair> cs, double[] scores) {
    boolean[] labels = new boolean[cs.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = cs.get(i).correct();
    }
    return VerifierMetrics.auroc(scores, labels);
  }

  /** How often a reference scores above the perturbed copy after it (ties half). */
  private static double paired(double[] scores) {
    double wins = 0;
    for (int i = 0; i < scores.length; i += 2) {
      wins += scores[i] > scores[i + 1] ? 1 : scores[i] == scores[i + 1] ? 0.5 : 0;
    }
    return wins / (scores.length / 2);
  }

  /** Greedy solutions of {@code ps}, graded, in chunks of 32 problems; the first 3 solutions kept as examples. */
  private static Solved solved(LlamaModel m, CharTokenizer tok, AlgorithmicTask t, List<Problem> ps,
      Layout layout) {
    Prompts.Format f = Prompts.Format.COMPACT;
    int right = 0;
    List<String> examples = new ArrayList<>();
    for (int from = 0; from < ps.size(); from += 32) {
      List<Problem> part = ps.subList(from, Math.min(ps.size(), from + 32));
      List<String> prompts = new ArrayList<>();
      List<Function<String, int[]>> positions = layout == Layout.SEQUENTIAL ? null : new ArrayList<>();
      int longest = 0;
      for (Problem p : part) {
        String prompt = f.solve(p.question());
        prompts.add(prompt);
        List<String> items = t.words(p.question());
        if (positions != null) {
          positions.add(s -> CoupledPositions.of(prompt, items, s, layout == Layout.COUPLED_LETTERS));
        }
        longest = Math.max(longest, tok.encode(t.solve(p)).length);
      }
      List<String> texts = TextPositions.greedy(m, tok, prompts, positions, longest * 3 / 2 + 16);
      for (int i = 0; i < part.size(); i++) {
        right += t.grade(part.get(i), texts.get(i)).correct() ? 1 : 0;
        if (examples.size() < 3) {
          examples.add(part.get(i).question() + "\n" + texts.get(i));
        }
      }
    }
    return new Solved(right, examples);
  }

  private void printVerifierTable(List<VerifierOutcome> outcomes, AlgorithmicTask t, int nId, int nOod) {
    java.io.PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%s GenRM direct, trained on %d-%d items only (a reference and a perturbed copy per "
        + "problem), %d steps x %d, seed %d%s%n", t.name(), t.minLength(), t.maxLength(), steps, batch, seed,
        fromBase == null ? "" : ", from base " + fromBase);
    out.printf(Locale.ROOT, "| positions | test-id AUROC | reference above its perturbation | test-ood (%d items) "
        + "AUROC | reference above its perturbation | final loss | seconds |%n", t.oodLength());
    out.println("|---|---:|---:|---:|---:|---:|---:|");
    for (VerifierOutcome o : outcomes) {
      out.printf(Locale.ROOT, "| %s | %.3f | %.3f (%d problems) | %.3f | %.3f (%d problems) | %.4f | %.0f |%n",
          o.layout(), o.aurocId(), o.pairedId(), nId, o.aurocOod(), o.pairedOod(), nOod, o.finalLoss(), o.seconds());
    }
    out.flush();
  }

  private void printTable(List<Outcome> outcomes, AlgorithmicTask t, int nId, int nOod) {
    java.io.PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "%s, trained on %d-%d items only, %d steps x %d, seed %d%n", t.name(),
        t.minLength(), t.maxLength(), steps, batch, seed);
    out.printf(Locale.ROOT, "| positions | test-id solved | test-ood (%d items) solved | final loss | seconds |%n",
        t.oodLength());
    out.println("|---|---:|---:|---:|---:|");
    for (Outcome o : outcomes) {
      out.printf(Locale.ROOT, "| %s | %d / %d | %d / %d | %.4f | %.0f |%n", o.layout(), o.solvedId(), nId,
          o.solvedOod(), nOod, o.finalLoss(), o.seconds());
    }
    out.flush();
  }
}
