package io.genrm4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.task.Split;
import io.genrm4j.util.Jsonl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** report.md of a report: the same numbers as metrics.json, as tables, with links to the plots. */
final class ReportMarkdown {
  private ReportMarkdown() {}

  /** Where the generator and the verifiers start, in one sentence. */
  static String startingPoints(ExperimentProfile prof) {
    String generator = BaseRecipe.NONE.equals(prof.base()) ? "random weights" : "the base `" + prof.base() + "`";
    String verifiers = ExperimentProfile.GENERATOR.equals(prof.verifierBase()) ? "from the generator"
        : "from the base `" + prof.verifierBase() + "` (DPO from the generator, its reference)";
    return "The generator starts from " + generator + "; the verifiers are fine-tuned " + verifiers + ".";
  }

  static String of(RunDir dir, ReportMetrics m) {
    ExperimentProfile prof = m.profile();
    StringBuilder b = new StringBuilder();
    b.append("# GenRM experiment: ").append(m.task()).append("\n\n");
    ReportMetrics.GeneratorRun g = m.generator();
    String stop = g.devAccuracy().isEmpty() ? ""
        : String.format(Locale.ROOT, ", stopped when its samples of held-out %s problems were %.0f%% correct"
            + " (target %.0f%%)", "out-of-distribution-length", 100 * g.devAccuracy().getAsDouble(),
            100 * prof.genTarget());
    b.append("Profile `").append(prof.name()).append("` (preset `").append(prof.preset()).append("`, generator ")
        .append(g.steps()).append(" steps x ").append(prof.genBatch()).append(stop).append("), seed ")
        .append(m.seed()).append(". Candidates per test problem N = ").append(prof.n()).append(", rationales K = ")
        .append(prof.votes()).append(". Best-of-N is the exact expectation over all size-N subsets of the pool. ")
        .append(startingPoints(prof)).append("\n\n");
    MarkdownTable ct = MarkdownTable.of("split", "problems", "candidates", "candidate accuracy",
        "problems with a correct candidate");
    m.splits().forEach((s, sm) -> ct.row(s.id(), sm.pool().problems(), sm.pool().candidates(),
        MarkdownTable.pct(sm.pool().meanAccuracy()), sm.pool().problemsWithACorrectCandidate()));
    b.append("## Candidate pool\n\n").append(ct.render()).append("\n");
    b.append("Verifier training data: `").append(m.verifierData().toJson().toString()).append("`\n\n");
    // a synthetic run directory may have no training examples
    if (java.nio.file.Files.exists(dir.verifierTrain())) {
      VerifierDataAudit audit = VerifierDataAudit.of(VerifierDataStage.read(dir));
      b.append("Groups of the verifier training data with only one label (a shortcut a verifier can learn; all groups"
        + " in `").append(dir.link(dir.verifierDataAudit())).append("`):\n\n")
          .append(audit.singleLabel().isEmpty() ? "none\n" : audit.singleLabelTable().render()).append("\n");
    }
    b.append("## Best-of-N, out of distribution (test-ood)\n\n").append(INTERVAL_NOTE)
        .append(curveTable(m.split(Split.TEST_OOD).bestOfN(), prof.ns(), m.split(Split.TEST_OOD).intervals())
            .render()).append("\n");
    b.append("![Best-of-N OOD](").append(dir.link(dir.bestOfNPlot(Split.TEST_OOD))).append(")\n\n");
    b.append("## Best-of-N, in distribution (test-id)\n\n").append(INTERVAL_NOTE)
        .append(curveTable(m.split(Split.TEST_ID).bestOfN(), prof.ns(), m.split(Split.TEST_ID).intervals())
            .render()).append("\n");
    b.append("![Best-of-N ID](").append(dir.link(dir.bestOfNPlot(Split.TEST_ID))).append(")\n\n");
    b.append("## Best-of-").append(prof.n()).append(" vs number of rationales K\n\n");
    m.splits().forEach((s, sm) -> b.append("### ").append(s.id()).append("\n\n")
        .append(curveTable(sm.votes(), prof.ks()).render()).append("\n"));
    b.append("![votes](").append(dir.link(dir.votesPlot(Split.TEST_OOD))).append(")\n\n");
    b.append("## Verifier metrics (per candidate; DPO accuracy at reward 0, no ECE; right-length answers: as long as "
        + "the reference answer, where length tells nothing; within problems: the mean over problems of the AUROC "
        + "among one problem's candidates, what Best-of-N reads; score sd: the scores' standard deviation, near 0 when "
        + "a verifier scores every candidate alike and ranks them by differences that mean nothing)\n\n");
    m.splits().forEach((s, sm) -> {
      MarkdownTable t = MarkdownTable.of("method", "accuracy", "AUROC [95% CI]", "AUROC, right-length answers",
          "AUROC within problems", "ECE", "Brier", "score sd", "unscored");
      sm.verifiers().forEach((method, q) -> t.row(method, num(q.accuracy(), 3),
          num(q.auroc(), 3) + interval(sm.intervals().auroc().get(method), 3, 1), num(q.aurocRightLength(), 3),
          num(q.aurocWithinProblems(), 3), num(q.ece(), 3),
          num(q.brier(), 3), num(q.scoreSd(), 3), q.unscored()));
      b.append("### ").append(s.id()).append("\n\n").append(t.render()).append("\n");
    });
    b.append(trainingCurves(dir));
    b.append(cotVerdictProbe(dir));
    b.append("## Lambda ablation (GenRM lambda = 0 vs unified lambda = ").append(prof.lambda()).append(")\n\n");
    MarkdownTable lt = MarkdownTable.of("model", "lambda", "split", "Best-of-" + prof.n(), "AUROC",
        "greedy pass@1 as a solver");
    m.lambdaAblation().forEach((method, row) -> row.splits().forEach((s, p) ->
        // lambda is a weight, not a fraction: a Double cell would render as a percentage
        lt.row(method, MarkdownTable.num(row.lambda(), 1), s.id(), MarkdownTable.pct(p.bestOfN()),
            num(p.auroc(), 3), MarkdownTable.pct(p.generationPass1()))));
    b.append(lt.render()).append("\n");
    MarkdownTable gt = MarkdownTable.of("model", "test-id pass@1", "test-ood pass@1");
    m.generationAccuracy().forEach((model, acc) -> gt.row(model, MarkdownTable.pct(acc.get(Split.TEST_ID)),
        MarkdownTable.pct(acc.get(Split.TEST_OOD))));
    b.append("Greedy generation accuracy:\n\n").append(gt.render()).append("\n");
    b.append("## Compute (tokens processed to score the pool)\n\n");
    MarkdownTable tt = MarkdownTable.of("method", "test-ood tokens", "per candidate", "test-id tokens");
    m.split(Split.TEST_OOD).scoring().forEach((method, o) -> tt.row(method, o.tokens(),
        num(o.tokensPerCandidate(), 1), m.split(Split.TEST_ID).scoring().get(method).tokens()));
    b.append(tt.render()).append("\n");
    MarkdownTable st = MarkdownTable.of("stage", "seconds");
    m.stageSeconds().forEach((stage, seconds) -> st.row(stage, num(seconds, 1)));
    b.append("## Timing (seconds per stage, as first run)\n\n").append(st.render()).append("\n");
    return b.toString();
  }

  /**
   * The AUROC curves the ORM and direct GenRMs recorded while training ({@link VerifierCurve}), one row per
   * measured step; empty when no train log has one (runs before the curve existed).
   */
  static String trainingCurves(RunDir dir) {
    MarkdownTable t = MarkdownTable.of("verifier", "step", "test-id AUROC", "test-ood AUROC");
    for (String method : Experiment.METHODS) {
      Path f = dir.trainLog(method);
      if (!Files.exists(f)) {
        continue;
      }
      JsonNode curve;
      try {
        curve = Jsonl.MAPPER.readTree(f.toFile()).path("auroc_curve");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      curve.forEach(p -> t.row(method, p.path("step").asLong(), auroc(p.get("auroc_test_id")),
          auroc(p.get("auroc_test_ood"))));
    }
    return t.rowCount() == 0 ? "" : "## AUROC while training (fixed pools of " + VerifierCurve.POOL
        + " candidates per split; a rise then a decay out of distribution is forgetting)\n\n" + t.render() + "\n";
  }

  /**
   * GenRM-CoT's judgement given the oracle's rationale ({@code verify.OracleVerdictProbe}: log p(correct) - log
   * p(wrong), or with running marks the log-odds of the accepting path), per split and answer length; empty for runs
   * without the probe.
   */
  static String cotVerdictProbe(RunDir dir) {
    if (!Files.exists(dir.cotVerdictProbe())) {
      return "";
    }
    JsonNode probe;
    try {
      probe = Jsonl.MAPPER.readTree(dir.cotVerdictProbe().toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    MarkdownTable t = MarkdownTable.of("split", "candidate's answer length", "candidates (right)",
        "AUROC of the judgement margin", "accuracy");
    probe.fields().forEachRemaining(split -> {
      JsonNode all = split.getValue();
      t.row(split.getKey(), "all", all.path("n").asInt() + " (" + all.path("right").asInt() + ")",
          auroc(all.get("auroc")), num(all.path("accuracy").asDouble(), 3));
      all.path("by_answer_length").fields().forEachRemaining(l -> t.row(split.getKey(), l.getKey(),
          l.getValue().path("n").asInt() + " (" + l.getValue().path("right").asInt() + ")",
          auroc(l.getValue().get("auroc")), num(l.getValue().path("accuracy").asDouble(), 3)));
    });
    return "## GenRM-CoT's judgement given the oracle's rationale (teacher-forced: the re-solve is given, only the "
        + "comparison is the verifier's)\n\n" + t.render() + "\n";
  }

  private static String auroc(JsonNode v) {
    return v == null || v.isNull() ? MarkdownTable.MISSING : num(v.asDouble(), 3);
  }

  private static final String INTERVAL_NOTE = "At the largest N: accuracy [95% bootstrap interval over problems,"
      + " " + Bootstrap.RESAMPLES + " resamples].\n\n";

  /** Curves as a table: method x N (or K). */
  static MarkdownTable curveTable(Map<String, Map<Integer, Double>> curves, int[] ns) {
    return curveTable(curves, ns, null);
  }

  /** Curves as a table, the cell at the largest N followed by its interval when {@code intervals} is given. */
  static MarkdownTable curveTable(Map<String, Map<Integer, Double>> curves, int[] ns,
      ReportMetrics.Intervals intervals) {
    String[] header = new String[ns.length + 1];
    header[0] = "method";
    for (int i = 0; i < ns.length; i++) {
      header[i + 1] = String.valueOf(ns[i]);
    }
    MarkdownTable t = MarkdownTable.of(header);
    curves.forEach((method, curve) -> {
      Object[] row = new Object[ns.length + 1];
      row[0] = method;
      for (int i = 0; i < ns.length; i++) {
        Double v = curve.get(ns[i]);
        row[i + 1] = v == null || !Double.isFinite(v) ? "-" : MarkdownTable.pct(v);
        if (intervals != null && i == ns.length - 1 && intervals.bestOfN().containsKey(method)) {
          row[i + 1] = row[i + 1] + interval(intervals.bestOfN().get(method).get(ns[i]), 1, 100);
        }
      }
      t.row(row);
    });
    return t;
  }

  /** " [lo, hi]" of an interval scaled by {@code scale} (100 for percentages); "" when there is none. */
  private static String interval(Bootstrap.Interval iv, int decimals, double scale) {
    if (iv == null || !Double.isFinite(iv.lo())) {
      return "";
    }
    return " [" + MarkdownTable.num(scale * iv.lo(), decimals) + ", " + MarkdownTable.num(scale * iv.hi(), decimals)
        + "]";
  }

  /** A number with {@code decimals} decimals; "-" for one that does not exist (NaN, written as null). */
  private static String num(double v, int decimals) {
    return Double.isFinite(v) ? MarkdownTable.num(v, decimals) : "-";
  }
}
