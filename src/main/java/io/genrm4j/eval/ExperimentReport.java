package io.genrm4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Split;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stage {@code report} of an {@link Experiment}: reads the candidates and the scores of a run directory and writes
 * {@code metrics.json}, {@code report.md} and the PNG plots. Pure file-in, file-out, so it also runs on synthetic
 * scores.
 *
 * <p>metrics.json sections: {@code best_of_n} (test-ood, the headline: method -> N -> accuracy, with
 * {@code pass@n}, {@code self-consistency} and {@code weighted-vote} (GenRM-CoT weights) next to the verifiers),
 * {@code in_distribution} (the same on test-id), {@code votes_curve} (split -> method -> K -> Best-of-N accuracy
 * with the mean of the first K votes), {@code verifier_metrics} (split -> method -> accuracy, AUROC, ECE, Brier),
 * {@code lambda_ablation}, {@code generation_accuracy}, {@code compute} (tokens), {@code candidates} and
 * {@code stages} (seconds per stage).
 */
public final class ExperimentReport {
  private ExperimentReport() {}

  public static final String PASS = "pass@n";
  public static final String SC = "self-consistency";
  public static final String WEIGHTED = "weighted-vote";
  public static final List<String> VOTING = List.of("genrm-cot", "llm-judge");

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
  static List<Pool> pools(RunDir dir, Split split, List<String> methods, int[] ks) {
    Map<String, List<Candidate>> groups =
        Experiment.byProblem(Candidate.read(dir.candidates(split)));
    Map<String, Scores> scores = new LinkedHashMap<>();
    for (String m : methods) {
      scores.put(m, readScores(dir.scores(m, split)));
    }
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
    out.put(PASS, BestOfN.passAtNCurve(pools, ns));
    out.put(SC, BestOfN.majorityVoteCurve(pools, ns, seed));
    for (String m : methods) {
      out.put(m, BestOfN.bestOfNCurve(pools, m, ns));
    }
    if (methods.contains("genrm-cot")) {
      // weights must be finite: an unscorable candidate gets weight 0
      List<Pool> w = new ArrayList<>();
      for (Pool p : pools) {
        double[] s = p.scoresOf("genrm-cot").clone();
        for (int i = 0; i < s.length; i++) {
          s[i] = Double.isFinite(s[i]) ? s[i] : 0;
        }
        w.add(p.withScores("weights", s));
      }
      out.put(WEIGHTED, BestOfN.weightedMajorityVoteCurve(w, "weights", ns, seed));
    }
    return out;
  }

  private static ObjectNode curveJson(Map<Integer, Double> curve) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    curve.forEach((n, v) -> Experiment.putNum(o, String.valueOf(n), v));
    return o;
  }

  private static ObjectNode curvesJson(Map<String, Map<Integer, Double>> curves) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    curves.forEach((m, c) -> o.set(m, curveJson(c)));
    return o;
  }

  /** Writes metrics.json, report.md and plots from a run directory whose score stages are done. */
  public static void write(RunDir dir, String taskName, ExperimentProfile prof, long seed) {
    List<String> methods = Experiment.METHODS;
    int[] ns = prof.ns();
    int[] ks = prof.ks();
    ObjectNode metrics = Jsonl.MAPPER.createObjectNode();
    metrics.put("task", taskName);
    metrics.put("profile", prof.name());
    metrics.put("seed", seed);
    metrics.put("split", Split.TEST_OOD.id());
    Map<Split, Map<String, Map<Integer, Double>>> bon = new LinkedHashMap<>();
    Map<Split, Map<String, Map<Integer, Double>>> votes = new LinkedHashMap<>();
    ObjectNode vm = Jsonl.MAPPER.createObjectNode();
    ObjectNode compute = Jsonl.MAPPER.createObjectNode();
    ObjectNode cand = Jsonl.MAPPER.createObjectNode();
    for (Split split : Experiment.TEST_SPLITS) {
      List<Pool> pools = rankablePools(pools(dir, split, methods, ks));
      bon.put(split, bestOfN(pools, methods, ns, seed));
      Map<String, Map<Integer, Double>> vc = new LinkedHashMap<>();
      for (String m : VOTING) {
        Map<Integer, Double> c = new LinkedHashMap<>();
        for (int k : ks) {
          c.put(k, BestOfN.bestOfNCurve(pools, m + "@" + k, new int[] {prof.n()}).get(prof.n()));
        }
        vc.put(m, c);
      }
      votes.put(split, vc);
      // per-candidate classification metrics
      List<Boolean> labels = new ArrayList<>();
      pools.forEach(p -> {
        for (boolean b : p.correct()) {
          labels.add(b);
        }
      });
      boolean[] y = new boolean[labels.size()];
      for (int i = 0; i < y.length; i++) {
        y[i] = labels.get(i);
      }
      ObjectNode sv = vm.putObject(split.id());
      ObjectNode sc = compute.putObject(split.id());
      for (String m : methods) {
        double[] s = pools.stream().flatMapToDouble(p -> java.util.Arrays.stream(p.scoresOf(m))).toArray();
        double[] prob = new double[s.length];
        int unscored = 0;
        for (int i = 0; i < s.length; i++) {
          if (Double.isInfinite(s[i]) && s[i] < 0) {
            unscored++;
          }
          // the DPO reward is a log-ratio, not a probability: sigmoid for the 0.5 threshold, no ECE
          prob[i] = m.equals("dpo") ? 1 / (1 + Math.exp(-s[i])) : Math.max(0, Math.min(1, s[i]));
        }
        ObjectNode o = sv.putObject(m);
        Experiment.putNum(o, "accuracy", VerifierMetrics.accuracy(prob, y));
        Experiment.putNum(o, "auroc", VerifierMetrics.auroc(s, y));
        Experiment.putNum(o, "ece", m.equals("dpo") ? Double.NaN : VerifierMetrics.expectedCalibrationError(prob, y));
        Experiment.putNum(o, "brier", m.equals("dpo") ? Double.NaN : VerifierMetrics.brier(prob, y));
        o.put("unscored", unscored);
        long tokens = readScores(dir.scores(m, split)).tokens();
        ObjectNode t = sc.putObject(m);
        t.put("tokens", tokens);
        t.put("tokens_per_candidate", y.length == 0 ? 0 : tokens / (double) y.length);
      }
      ObjectNode c = cand.putObject(split.id());
      c.put("problems", pools.size());
      c.put("candidates", y.length);
      long right = labels.stream().filter(b -> b).count();
      c.put("mean_accuracy", y.length == 0 ? 0 : right / (double) y.length);
      c.put("problems_with_a_correct_candidate", pools.stream().filter(p -> {
        for (boolean b : p.correct()) {
          if (b) {
            return true;
          }
        }
        return false;
      }).count());
    }
    metrics.set("best_of_n", curvesJson(bon.get(Split.TEST_OOD)));
    metrics.set("in_distribution", curvesJson(bon.get(Split.TEST_ID)));
    ObjectNode vj = metrics.putObject("votes_curve");
    votes.forEach((s, m) -> vj.set(s.id(), curvesJson(m)));
    metrics.set("verifier_metrics", vm);
    // lambda ablation: GenRM trained with lambda = 0 vs lambda > 0 (unified), as verifier and as solver
    JsonNode gen = Experiment.readJson(dir.generation());
    ObjectNode lam = metrics.putObject("lambda_ablation");
    for (String m : List.of("genrm", "genrm-unified")) {
      ObjectNode o = lam.putObject(m);
      o.put("lambda", m.equals("genrm") ? 0.0 : prof.lambda());
      for (Split s : Experiment.TEST_SPLITS) {
        ObjectNode so = o.putObject(s.id());
        Experiment.putNum(so, "best_of_" + prof.n(), bon.get(s).get(m).get(prof.n()));
        so.set("auroc", vm.get(s.id()).get(m).get("auroc"));
        so.set("generation_pass@1", gen.get(m).get(s.id()));
      }
    }
    metrics.set("generation_accuracy", gen);
    ObjectNode training = compute.putObject("training");
    for (String m : Experiment.TRAINED) {
      JsonNode t = Experiment.readJson(dir.trainLog(m));
      ObjectNode o = training.putObject(m);
      o.set("tokens", t.get("tokens"));
      o.set("seconds", t.get("seconds"));
      o.set("final_loss", t.get("final_loss"));
    }
    metrics.set("compute", compute);
    JsonNode g = Experiment.readJson(dir.trainLog("generator"));
    ObjectNode genInfo = metrics.putObject("generator");
    genInfo.set("steps", g.get("steps"));
    genInfo.set("final_loss", g.get("final_loss"));
    JsonNode checks = g.get("dev_checks");
    if (checks != null && checks.size() > 0) {
      genInfo.set("dev_accuracy", checks.get(checks.size() - 1).get("dev_accuracy"));
    }
    metrics.set("candidates", cand);
    metrics.set("verifier_data", Experiment.readJson(dir.verifierDataStats()));
    metrics.set("stages", stageSeconds(dir));
    AtomicFiles.writeString(dir.metrics(), Experiment.pretty(metrics));

    // plots
    for (Split s : Experiment.TEST_SPLITS) {
      Map<String, double[]> curves = new LinkedHashMap<>();
      bon.get(s).forEach((m, c) -> curves.put(m.equals(PASS) ? Plots.PASS_AT_N
          : m.equals(SC) ? Plots.SELF_CONSISTENCY : m, BestOfN.values(c, ns)));
      Plots.bestOfNPlot(dir.bestOfNPlot(s), taskName + " " + s.id() + ": Best-of-N", ns,
          curves);
      Map<String, double[]> vcurves = new LinkedHashMap<>();
      votes.get(s).forEach((m, c) -> vcurves.put(m + " (Best-of-" + prof.n() + ")", BestOfN.values(c, ks)));
      Plots.accuracyVsVotesPlot(dir.votesPlot(s),
          taskName + " " + s.id() + ": accuracy vs rationales K", ks, vcurves);
    }
    AtomicFiles.writeString(dir.report(), markdown(dir, taskName, prof, seed, metrics));
  }

  /** Seconds of each finished stage, from the markers. */
  static ObjectNode stageSeconds(RunDir dir) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    for (String stage : dir.finishedStages()) {
      o.set(stage, Experiment.readJson(dir.stageMarker(stage)).get("seconds"));
    }
    return o;
  }

  /** The rows of a curves section as a table: method x N. */
  static MarkdownTable curveTable(String first, JsonNode curves, int[] ns) {
    String[] header = new String[ns.length + 1];
    header[0] = first;
    for (int i = 0; i < ns.length; i++) {
      header[i + 1] = String.valueOf(ns[i]);
    }
    MarkdownTable t = MarkdownTable.of(header);
    curves.fields().forEachRemaining(e -> {
      Object[] row = new Object[ns.length + 1];
      row[0] = e.getKey();
      for (int i = 0; i < ns.length; i++) {
        JsonNode v = e.getValue().get(String.valueOf(ns[i]));
        row[i + 1] = v == null || v.isNull() ? "-" : MarkdownTable.pct(v.asDouble());
      }
      t.row(row);
    });
    return t;
  }

  private static String num(JsonNode n, int decimals) {
    return n == null || n.isNull() ? "-" : MarkdownTable.num(n.asDouble(), decimals);
  }

  static String markdown(RunDir dir, String taskName, ExperimentProfile prof, long seed, JsonNode m) {
    StringBuilder b = new StringBuilder();
    b.append("# GenRM experiment: ").append(taskName).append("\n\n");
    JsonNode g = m.get("generator");
    String genSteps = g == null ? String.valueOf(prof.genSteps()) : g.get("steps").asText();
    String stop = g == null || g.get("dev_accuracy") == null ? ""
        : String.format(java.util.Locale.ROOT, ", stopped when its samples of held-out %s problems were %.0f%% correct"
            + " (target %.0f%%)", "out-of-distribution-length", 100 * g.get("dev_accuracy").asDouble(),
            100 * prof.genTarget());
    b.append("Profile `").append(prof.name()).append("` (preset `").append(prof.preset()).append("`, generator ")
        .append(genSteps).append(" steps x ").append(prof.genBatch()).append(stop).append("), seed ")
        .append(seed).append(". Candidates per test problem N = ").append(prof.n()).append(", rationales K = ")
        .append(prof.votes()).append(". Best-of-N is the exact expectation over all size-N subsets of the pool.\n\n");
    JsonNode c = m.get("candidates");
    MarkdownTable ct = MarkdownTable.of("split", "problems", "candidates", "candidate accuracy",
        "problems with a correct candidate");
    c.fields().forEachRemaining(e -> ct.row(e.getKey(), e.getValue().get("problems").asInt(),
        e.getValue().get("candidates").asInt(), MarkdownTable.pct(e.getValue().get("mean_accuracy").asDouble()),
        e.getValue().get("problems_with_a_correct_candidate").asInt()));
    b.append("## Candidate pool\n\n").append(ct.render()).append("\n");
    b.append("Verifier training data: `").append(m.get("verifier_data").toString()).append("`\n\n");
    b.append("## Best-of-N, out of distribution (test-ood)\n\n")
        .append(curveTable("method", m.get("best_of_n"), prof.ns()).render()).append("\n");
    b.append("![Best-of-N OOD](").append(dir.link(dir.bestOfNPlot(Split.TEST_OOD))).append(")\n\n");
    b.append("## Best-of-N, in distribution (test-id)\n\n")
        .append(curveTable("method", m.get("in_distribution"), prof.ns()).render()).append("\n");
    b.append("![Best-of-N ID](").append(dir.link(dir.bestOfNPlot(Split.TEST_ID))).append(")\n\n");
    b.append("## Best-of-").append(prof.n()).append(" vs number of rationales K\n\n");
    m.get("votes_curve").fields().forEachRemaining(e -> b.append("### ").append(e.getKey()).append("\n\n")
        .append(curveTable("method", e.getValue(), prof.ks()).render()).append("\n"));
    b.append("![votes](").append(dir.link(dir.votesPlot(Split.TEST_OOD))).append(")\n\n");
    b.append("## Verifier metrics (per candidate; DPO accuracy at reward 0, no ECE)\n\n");
    m.get("verifier_metrics").fields().forEachRemaining(e -> {
      MarkdownTable t = MarkdownTable.of("method", "accuracy", "AUROC", "ECE", "Brier", "unscored");
      e.getValue().fields().forEachRemaining(v -> t.row(v.getKey(), num(v.getValue().get("accuracy"), 3),
          num(v.getValue().get("auroc"), 3), num(v.getValue().get("ece"), 3), num(v.getValue().get("brier"), 3),
          v.getValue().get("unscored").asInt()));
      b.append("### ").append(e.getKey()).append("\n\n").append(t.render()).append("\n");
    });
    b.append("## Lambda ablation (GenRM lambda = 0 vs unified lambda = ").append(prof.lambda()).append(")\n\n");
    MarkdownTable lt = MarkdownTable.of("model", "lambda", "split", "Best-of-" + prof.n(), "AUROC",
        "greedy pass@1 as a solver");
    m.get("lambda_ablation").fields().forEachRemaining(e -> {
      for (Split s : Experiment.TEST_SPLITS) {
        JsonNode so = e.getValue().get(s.id());
        // lambda is a weight, not a fraction: a Double cell would render as a percentage
        lt.row(e.getKey(), MarkdownTable.num(e.getValue().get("lambda").asDouble(), 1), s.id(),
            MarkdownTable.pct(so.get("best_of_" + prof.n()).asDouble()),
            num(so.get("auroc"), 3), MarkdownTable.pct(so.get("generation_pass@1").asDouble()));
      }
    });
    b.append(lt.render()).append("\n");
    MarkdownTable gt = MarkdownTable.of("model", "test-id pass@1", "test-ood pass@1");
    m.get("generation_accuracy").fields().forEachRemaining(e -> gt.row(e.getKey(),
        MarkdownTable.pct(e.getValue().get("test-id").asDouble()), MarkdownTable.pct(e.getValue().get("test-ood").asDouble())));
    b.append("Greedy generation accuracy:\n\n").append(gt.render()).append("\n");
    b.append("## Compute (tokens processed to score the pool)\n\n");
    MarkdownTable tt = MarkdownTable.of("method", "test-ood tokens", "per candidate", "test-id tokens");
    for (String meth : Experiment.METHODS) {
      JsonNode o = m.get("compute").get("test-ood").get(meth);
      JsonNode i = m.get("compute").get("test-id").get(meth);
      tt.row(meth, o.get("tokens").asLong(), num(o.get("tokens_per_candidate"), 1), i.get("tokens").asLong());
    }
    b.append(tt.render()).append("\n");
    MarkdownTable st = MarkdownTable.of("stage", "seconds");
    m.get("stages").fields().forEachRemaining(e -> st.row(e.getKey(), num(e.getValue(), 1)));
    b.append("## Timing (seconds per stage, as first run)\n\n").append(st.render()).append("\n");
    return b.toString();
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
}
