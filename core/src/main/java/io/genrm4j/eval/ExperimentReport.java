package io.genrm4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Split;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.VerifierKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Stage {@code report} of an {@link Experiment}: {@link #compute} reads the candidates, the scores and the logs of a
 * run directory once into {@link ReportMetrics}; metrics.json ({@link ReportJson}), report.md ({@link ReportMarkdown})
 * and the PNG plots ({@link ReportPlots}) are written from those. Pure file-in, file-out, so it also runs on
 * synthetic scores.
 *
 * <p>The headline is test-ood Best-of-N (method -> N -> accuracy, with {@code pass@n}, {@code self-consistency} and
 * {@code weighted-vote} (GenRM-CoT weights) next to the verifiers); beside it the same on test-id, Best-of-N over the
 * number of votes K (with the mean of the first K votes), per-candidate verifier metrics (accuracy, AUROC, ECE,
 * Brier), the lambda ablation, generation accuracy, compute (tokens), the candidate pool and seconds per stage.
 */
public final class ExperimentReport {
  private ExperimentReport() {}

  public static final String PASS = "pass@n";
  public static final String SC = "self-consistency";
  public static final String WEIGHTED = "weighted-vote";
  public static final List<String> VOTING =
      Arrays.stream(VerifierKind.values()).filter(VerifierKind::samplesVotes).map(VerifierKind::id).toList();

  /** Scores of one method on one split, by candidate id. */
  record Scores(Map<String, Double> score, Map<String, double[]> votes, long tokens) {}

  static Scores readScores(Path f) {
    Map<String, Double> score = new LinkedHashMap<>();
    Map<String, double[]> votes = new LinkedHashMap<>();
    long tokens = 0;
    for (JsonNode n : Jsonl.readObjects(f)) {
      String id = Jsonl.text(n, "candidate_id");
      score.put(id, n.get("score").isNull() ? Double.NaN : n.get("score").asDouble());
      JsonNode v = n.get("votes");
      double[] vs = new double[v == null ? 0 : v.size()];
      for (int i = 0; i < vs.length; i++) {
        vs[i] = v.get(i).isNull() ? Double.NaN : v.get(i).asDouble();
      }
      votes.put(id, vs);
      tokens += n.get("tokens").asLong();
    }
    return new Scores(score, votes, tokens);
  }

  /** An unscorable candidate ranks last (NaN would be rejected by Best-of-N). */
  static double rankable(double s) {
    return Double.isNaN(s) ? Double.NEGATIVE_INFINITY : s;
  }

  /** The K-vote estimate: the mean of the first K votes (the votes were sampled independently). */
  static double firstK(double[] votes, int k) {
    double sum = 0;
    int n = 0;
    for (int i = 0; i < Math.min(k, votes.length); i++) {
      if (!Double.isNaN(votes[i])) {
        sum += votes[i];
        n++;
      }
    }
    return n == 0 ? Double.NEGATIVE_INFINITY : sum / n;
  }

  /** The pools of a split with every method's scores (plus {@code METHOD@K} for the vote-based methods). */
  static List<Pool> pools(List<Candidate> candidates, Map<String, Scores> scores, int[] ks) {
    Map<String, List<Candidate>> groups = CandidatePool.byProblem(candidates);
    List<Pool> out = new ArrayList<>();
    for (Map.Entry<String, List<Candidate>> e : groups.entrySet()) {
      List<Candidate> cs = e.getValue();
      boolean[] correct = new boolean[cs.size()];
      String[] answers = new String[cs.size()];
      for (int i = 0; i < cs.size(); i++) {
        correct[i] = Boolean.TRUE.equals(cs.get(i).correct());
        answers[i] = cs.get(i).extractedAnswer();
      }
      Map<String, double[]> byMethod = new LinkedHashMap<>();
      for (Map.Entry<String, Scores> s : scores.entrySet()) {
        double[] v = new double[cs.size()];
        for (int i = 0; i < cs.size(); i++) {
          Double d = s.getValue().score().get(cs.get(i).candidateId());
          if (d == null) {
            throw new IllegalStateException(s.getKey() + " has no score for " + cs.get(i).candidateId());
          }
          v[i] = d;
        }
        byMethod.put(s.getKey(), v);
        if (VOTING.contains(s.getKey())) {
          for (int k : ks) {
            double[] kv = new double[cs.size()];
            for (int i = 0; i < cs.size(); i++) {
              kv[i] = firstK(s.getValue().votes().get(cs.get(i).candidateId()), k);
            }
            byMethod.put(s.getKey() + "@" + k, kv);
          }
        }
      }
      out.add(new Pool(e.getKey(), correct, answers, byMethod));
    }
    return out;
  }

  /** Pools whose scores are made rankable: NaN scores rank last. */
  static List<Pool> rankablePools(List<Pool> pools) {
    List<Pool> out = new ArrayList<>();
    for (Pool p : pools) {
      Map<String, double[]> s = new LinkedHashMap<>();
      p.scores().forEach((k, v) -> {
        double[] r = v.clone();
        for (int i = 0; i < r.length; i++) {
          r[i] = rankable(r[i]);
        }
        s.put(k, r);
      });
      out.add(new Pool(p.problemId(), p.correct(), p.answers(), s));
    }
    return out;
  }

  /** Best-of-N curves of a split: pass@n, self-consistency, every verifier, and GenRM-CoT-weighted voting. */
  static Map<String, Map<Integer, Double>> bestOfN(List<Pool> pools, List<String> methods, int[] ns, long seed) {
    Map<String, Map<Integer, Double>> out = new LinkedHashMap<>();
    estimators(methods, seed).forEach((m, e) -> out.put(m, BestOfN.curve(pools, ns, e)));
    return out;
  }

  /** The per-problem estimator behind each Best-of-N curve, in the report's order. */
  static Map<String, BestOfN.Estimator> estimators(List<String> methods, long seed) {
    Map<String, BestOfN.Estimator> out = new LinkedHashMap<>();
    out.put(PASS, (p, n) -> BestOfN.passAtN(p.correct(), n));
    out.put(SC, (p, n) -> BestOfN.majorityVote(p.answers(), p.correct(), n, BestOfN.problemSeed(seed, p, n)));
    for (String m : methods) {
      out.put(m, (p, n) -> BestOfN.bestOfN(p.scoresOf(m), p.correct(), n));
    }
    String cot = VerifierKind.GENRM_COT.id();
    if (methods.contains(cot)) {
      out.put(WEIGHTED, (p, n) -> BestOfN.weightedMajorityVote(p.answers(), finiteWeights(p.scoresOf(cot)),
          p.correct(), n, BestOfN.problemSeed(seed, p, n)));
    }
    return out;
  }

  /** Weights must be finite: an unscorable candidate gets weight 0. */
  private static double[] finiteWeights(double[] scores) {
    double[] s = scores.clone();
    for (int i = 0; i < s.length; i++) {
      s[i] = Double.isFinite(s[i]) ? s[i] : 0;
    }
    return s;
  }

  /**
   * 95% bootstrap intervals over problems of a split: each Best-of-N figure (per-problem values computed once, their
   * mean resampled) and each verifier's AUROC (recomputed over the pooled candidates of the drawn problems).
   */
  static ReportMetrics.Intervals intervals(List<Pool> pools, List<String> methods, int[] ns, long seed,
      long bootstrapSeed) {
    int[][] draws = Bootstrap.resamples(pools.size(), Bootstrap.RESAMPLES, bootstrapSeed);
    Map<String, Map<Integer, Bootstrap.Interval>> best = new LinkedHashMap<>();
    estimators(methods, seed).forEach((m, e) -> {
      Map<Integer, Bootstrap.Interval> byN = new LinkedHashMap<>();
      for (int n : ns) {
        double[] perProblem = pools.stream().mapToDouble(p -> e.estimate(p, n)).toArray();
        byN.put(n, Bootstrap.meanInterval(perProblem, draws));
      }
      best.put(m, byN);
    });
    List<boolean[]> labels = pools.stream().map(Pool::correct).toList();
    Map<String, Bootstrap.Interval> auroc = new LinkedHashMap<>();
    for (String m : methods) {
      auroc.put(m, Bootstrap.aurocInterval(pools.stream().map(p -> p.scoresOf(m)).toList(), labels, draws));
    }
    return new ReportMetrics.Intervals(best, auroc);
  }

  /** Writes metrics.json, the plots and report.md from a run directory whose score stages are done. */
  public static void write(RunDir dir, String taskName, ExperimentProfile prof, long seed) {
    ReportMetrics metrics = compute(dir, taskName, prof, seed);
    AtomicFiles.writeString(dir.metrics(), Experiment.pretty(ReportJson.of(metrics)));
    ReportPlots.write(dir, metrics);
    AtomicFiles.writeString(dir.report(), ReportMarkdown.of(dir, metrics));
  }

  /** The report's numbers: each split's candidates and scores, the generation check and the training logs. */
  public static ReportMetrics compute(RunDir dir, String taskName, ExperimentProfile prof, long seed) {
    Map<Split, ReportMetrics.SplitMetrics> splits = new LinkedHashMap<>();
    for (Split split : Experiment.TEST_SPLITS) {
      splits.put(split, splitMetrics(dir, split, prof, seed));
    }
    // lambda ablation: GenRM trained with lambda = 0 vs lambda > 0 (unified), as verifier and as solver
    Map<String, Map<Split, Double>> gen = generationAccuracy(dir);
    Map<String, ReportMetrics.LambdaRow> lam = new LinkedHashMap<>();
    for (VerifierKind k : Experiment.SOLVERS) {
      String m = k.id();
      Map<Split, ReportMetrics.LambdaPoint> points = new LinkedHashMap<>();
      for (Split s : Experiment.TEST_SPLITS) {
        points.put(s, new ReportMetrics.LambdaPoint(splits.get(s).bestOfN().get(m).get(prof.n()),
            splits.get(s).verifiers().get(m).auroc(), gen.get(m).get(s)));
      }
      lam.put(m, new ReportMetrics.LambdaRow(k == VerifierKind.GENRM ? 0.0 : prof.lambda(), points));
    }
    Map<String, ReportMetrics.TrainingCost> training = new LinkedHashMap<>();
    for (String m : Experiment.TRAINED) {
      JsonNode t = Experiment.readJson(dir.trainLog(m));
      training.put(m, new ReportMetrics.TrainingCost(t.get("tokens").asLong(), t.get("seconds").asDouble(),
          t.get("final_loss").asDouble()));
    }
    return new ReportMetrics(taskName, prof, seed, splits, lam, gen, training, generatorRun(dir),
        VerifierDataStats.of(Experiment.readJson(dir.verifierDataStats())), stageSeconds(dir));
  }

  /** One split: every scores file is read once, for the pools and for the token counts. */
  static ReportMetrics.SplitMetrics splitMetrics(RunDir dir, Split split, ExperimentProfile prof, long seed) {
    List<String> methods = Experiment.METHODS;
    int[] ks = prof.ks();
    Map<String, Scores> scores = new LinkedHashMap<>();
    for (String m : methods) {
      scores.put(m, readScores(dir.scores(m, split)));
    }
    List<Candidate> candidates = Candidate.read(dir.candidates(split));
    List<Pool> pools = rankablePools(pools(candidates, scores, ks));
    Map<String, Map<Integer, Double>> votes = new LinkedHashMap<>();
    for (String m : VOTING) {
      Map<Integer, Double> c = new LinkedHashMap<>();
      for (int k : ks) {
        c.put(k, BestOfN.bestOfNCurve(pools, m + "@" + k, new int[] {prof.n()}).get(prof.n()));
      }
      votes.put(m, c);
    }
    // per-candidate classification metrics
    boolean[] y = labels(pools);
    boolean[] rightLength = rightAnswerLength(pools, candidates);
    Map<String, ReportMetrics.VerifierQuality> quality = new LinkedHashMap<>();
    Map<String, ReportMetrics.ScoringCost> scoring = new LinkedHashMap<>();
    for (String m : methods) {
      double[] s = pools.stream().flatMapToDouble(p -> java.util.Arrays.stream(p.scoresOf(m))).toArray();
      double[] prob = new double[s.length];
      int unscored = 0;
      boolean probabilities = VerifierKind.of(m).probabilityScores();
      for (int i = 0; i < s.length; i++) {
        if (Double.isInfinite(s[i]) && s[i] < 0) {
          unscored++;
        }
        // the DPO reward is a log-ratio, not a probability: sigmoid for the 0.5 threshold, no ECE
        prob[i] = probabilities ? Math.max(0, Math.min(1, s[i])) : 1 / (1 + Math.exp(-s[i]));
      }
      quality.put(m, new ReportMetrics.VerifierQuality(VerifierMetrics.accuracy(prob, y), VerifierMetrics.auroc(s, y),
          aurocWhere(s, y, rightLength), aurocWithinProblems(pools, m),
          probabilities ? VerifierMetrics.expectedCalibrationError(prob, y) : Double.NaN,
          probabilities ? VerifierMetrics.brier(prob, y) : Double.NaN, VerifierMetrics.standardDeviation(s),
          unscored));
      long tokens = scores.get(m).tokens();
      scoring.put(m, new ReportMetrics.ScoringCost(tokens, y.length == 0 ? 0 : tokens / (double) y.length));
    }
    int right = 0;
    for (boolean b : y) {
      right += b ? 1 : 0;
    }
    long withACorrect = pools.stream().filter(p -> {
      for (boolean b : p.correct()) {
        if (b) {
          return true;
        }
      }
      return false;
    }).count();
    ReportMetrics.PoolStats pool = new ReportMetrics.PoolStats(pools.size(), y.length,
        y.length == 0 ? 0 : right / (double) y.length, withACorrect);
    return new ReportMetrics.SplitMetrics(bestOfN(pools, methods, prof.ns(), seed), votes, quality, scoring, pool,
        intervals(pools, methods, prof.ns(), seed, StageContext.seedOf(seed, "bootstrap-" + split.id())));
  }

  /**
   * Per candidate, in {@link #labels} order: does its answer have the reference answer's length (letters, or items
   * when it has several words)? Among these candidates length cannot tell right from wrong (issue #21).
   */
  private static boolean[] rightAnswerLength(List<Pool> pools, List<Candidate> candidates) {
    Map<String, List<Candidate>> byProblem = CandidatePool.byProblem(candidates);
    boolean[] out = new boolean[pools.stream().mapToInt(Pool::size).sum()];
    int i = 0;
    for (Pool p : pools) {
      for (Candidate c : byProblem.get(p.problemId())) {
        out[i++] = c.answer() != null
            && VerifierDataAudit.answerLength(c.text()) == VerifierDataAudit.answerItems(c.answer());
      }
    }
    return out;
  }

  /** {@link ReportMetrics.VerifierQuality#aurocWithinProblems} of {@code method}. */
  static double aurocWithinProblems(List<Pool> pools, String method) {
    double sum = 0;
    int n = 0;
    for (Pool p : pools) {
      double a = VerifierMetrics.auroc(p.scoresOf(method), p.correct());
      if (!Double.isNaN(a)) {
        sum += a;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /** AUROC of the candidates where {@code keep} holds; NaN when they have one label only. */
  private static double aurocWhere(double[] scores, boolean[] labels, boolean[] keep) {
    int n = 0;
    for (boolean k : keep) {
      n += k ? 1 : 0;
    }
    double[] s = new double[n];
    boolean[] y = new boolean[n];
    int j = 0;
    boolean yes = false;
    boolean no = false;
    for (int i = 0; i < keep.length; i++) {
      if (keep[i]) {
        s[j] = scores[i];
        y[j++] = labels[i];
        yes |= labels[i];
        no |= !labels[i];
      }
    }
    return yes && no ? VerifierMetrics.auroc(s, y) : Double.NaN;
  }

  /** Whether each candidate is correct, pool after pool. */
  private static boolean[] labels(List<Pool> pools) {
    boolean[] y = new boolean[pools.stream().mapToInt(Pool::size).sum()];
    int i = 0;
    for (Pool p : pools) {
      for (boolean b : p.correct()) {
        y[i++] = b;
      }
    }
    return y;
  }

  /** generation.json: model -> split -> greedy pass@1, in the file's order. */
  private static Map<String, Map<Split, Double>> generationAccuracy(RunDir dir) {
    Map<String, Map<Split, Double>> out = new LinkedHashMap<>();
    Experiment.readJson(dir.generation()).fields().forEachRemaining(model -> {
      Map<Split, Double> bySplit = new LinkedHashMap<>();
      model.getValue().fields().forEachRemaining(s -> bySplit.put(Split.parse(s.getKey()), s.getValue().asDouble()));
      out.put(model.getKey(), bySplit);
    });
    return out;
  }

  /**
   * The generator's training log: its actual stopping point, not the profile's maximum, and the accuracy of its last
   * check (its confirmation where one was drawn: the check itself was chosen for reaching the target).
   */
  private static ReportMetrics.GeneratorRun generatorRun(RunDir dir) {
    JsonNode g = Experiment.readJson(dir.trainLog("generator"));
    JsonNode checks = g.get("dev_checks");
    JsonNode last = checks != null && checks.size() > 0 ? checks.get(checks.size() - 1) : null;
    OptionalDouble dev = last == null ? OptionalDouble.empty()
        : OptionalDouble.of(last.path("confirmation").asDouble(last.get("dev_accuracy").asDouble()));
    return new ReportMetrics.GeneratorRun(g.get("steps").asLong(), g.get("final_loss").asDouble(), dev);
  }

  /** Seconds of each finished stage, from the markers. */
  static Map<String, Double> stageSeconds(RunDir dir) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String stage : dir.finishedStages()) {
      out.put(stage, Experiment.readJson(dir.stageMarker(stage)).get("seconds").asDouble());
    }
    return out;
  }

  /** Test-ood Best-of-N at the largest N: task -> method -> accuracy, and the average over tasks. */
  public static ObjectNode summary(List<Experiment.Result> results, ExperimentProfile prof) {
    ObjectNode out = Jsonl.MAPPER.createObjectNode();
    out.put("profile", prof.name());
    out.put("n", prof.n());
    ObjectNode tasks = out.putObject("tasks");
    Map<String, double[]> sums = new LinkedHashMap<>();
    for (Experiment.Result r : results) {
      ObjectNode t = tasks.putObject(r.metrics().get("task").asText());
      r.metrics().get("best_of_n").fields().forEachRemaining(e -> {
        double v = e.getValue().get(String.valueOf(prof.n())).asDouble();
        t.put(e.getKey(), v);
        double[] acc = sums.computeIfAbsent(e.getKey(), k -> new double[2]);
        acc[0] += v;
        acc[1]++;
      });
    }
    ObjectNode avg = out.putObject("average");
    sums.forEach((k, v) -> avg.put(k, v[0] / v[1]));
    return out;
  }

  /** The summary as a table: method x task (+ average). */
  public static MarkdownTable summaryTable(JsonNode summary, ExperimentProfile prof) {
    List<String> tasks = new ArrayList<>();
    summary.get("tasks").fieldNames().forEachRemaining(tasks::add);
    List<String> header = new ArrayList<>(List.of("method (test-ood Best-of-" + prof.n() + ")"));
    header.addAll(tasks);
    boolean many = tasks.size() > 1;
    if (many) {
      header.add("average");
    }
    MarkdownTable t = MarkdownTable.of(header.toArray(new String[0]));
    summary.get("average").fieldNames().forEachRemaining(m -> {
      List<Object> row = new ArrayList<>(List.of(m));
      for (String task : tasks) {
        JsonNode v = summary.get("tasks").get(task).get(m);
        row.add(v == null ? "-" : MarkdownTable.pct(v.asDouble()));
      }
      if (many) {
        row.add(MarkdownTable.pct(summary.get("average").get(m).asDouble()));
      }
      t.row(row.toArray());
    });
    return t;
  }

  /**
   * Several seeds side by side: per task and method, each seed's test-ood Best-of-N at the largest N with its 95%
   * bootstrap interval, and the mean over seeds.
   */
  public static MarkdownTable seedsTable(Map<Long, List<Experiment.Result>> bySeed, ExperimentProfile prof) {
    List<String> header = new ArrayList<>(List.of("task", "method (test-ood Best-of-" + prof.n() + ")"));
    bySeed.keySet().forEach(s -> header.add("seed " + s));
    header.add("mean");
    MarkdownTable t = MarkdownTable.of(header.toArray(String[]::new));
    String n = String.valueOf(prof.n());
    List<Experiment.Result> first = bySeed.values().iterator().next();
    for (int task = 0; task < first.size(); task++) {
      JsonNode m0 = first.get(task).metrics();
      for (var it = m0.get("best_of_n").fieldNames(); it.hasNext(); ) {
        String method = it.next();
        List<Object> row = new ArrayList<>(List.of(m0.get("task").asText(), method));
        double sum = 0;
        for (List<Experiment.Result> rs : bySeed.values()) {
          JsonNode m = rs.get(task).metrics();
          double v = m.get("best_of_n").get(method).get(n).asDouble();
          JsonNode iv = m.get("intervals").get(Split.TEST_OOD.id()).get("best_of_n").get(method).get(n);
          sum += v;
          row.add(MarkdownTable.pct(v) + " [" + MarkdownTable.num(100 * iv.get(0).asDouble(), 1) + ", "
              + MarkdownTable.num(100 * iv.get(1).asDouble(), 1) + "]");
        }
        row.add(MarkdownTable.pct(sum / bySeed.size()));
        t.row(row.toArray());
      }
    }
    return t;
  }
}
