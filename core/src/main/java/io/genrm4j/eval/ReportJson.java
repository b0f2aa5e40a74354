package io.genrm4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.Split;
import io.genrm4j.util.Jsonl;
import java.util.Map;

/**
 * metrics.json of a report: the sections {@code best_of_n} (test-ood), {@code in_distribution} (test-id),
 * {@code votes_curve}, {@code verifier_metrics}, {@code lambda_ablation}, {@code generation_accuracy},
 * {@code compute} (scoring tokens per split, then training), {@code generator}, {@code candidates},
 * {@code verifier_data} and {@code stages}, in that order. A number that does not exist (NaN) is null.
 */
final class ReportJson {
  private ReportJson() {}

  static ObjectNode of(ReportMetrics m) {
    ExperimentProfile prof = m.profile();
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("task", m.task());
    o.put("profile", prof.name());
    o.put("seed", m.seed());
    o.put("split", Split.TEST_OOD.id());
    o.set("best_of_n", curves(m.split(Split.TEST_OOD).bestOfN()));
    o.set("in_distribution", curves(m.split(Split.TEST_ID).bestOfN()));
    ObjectNode votes = o.putObject("votes_curve");
    m.splits().forEach((s, sm) -> votes.set(s.id(), curves(sm.votes())));
    ObjectNode quality = o.putObject("verifier_metrics");
    m.splits().forEach((s, sm) -> {
      ObjectNode so = quality.putObject(s.id());
      sm.verifiers().forEach((method, q) -> {
        ObjectNode v = so.putObject(method);
        Experiment.putNum(v, "accuracy", q.accuracy());
        Experiment.putNum(v, "auroc", q.auroc());
        Experiment.putNum(v, "auroc_right_length", q.aurocRightLength());
        Experiment.putNum(v, "auroc_within_problems", q.aurocWithinProblems());
        Experiment.putNum(v, "ece", q.ece());
        Experiment.putNum(v, "brier", q.brier());
        Experiment.putNum(v, "score_sd", q.scoreSd());
        v.put("unscored", q.unscored());
      });
    });
    ObjectNode lam = o.putObject("lambda_ablation");
    m.lambdaAblation().forEach((method, row) -> {
      ObjectNode r = lam.putObject(method);
      r.put("lambda", row.lambda());
      row.splits().forEach((s, p) -> {
        ObjectNode so = r.putObject(s.id());
        Experiment.putNum(so, "best_of_" + prof.n(), p.bestOfN());
        Experiment.putNum(so, "auroc", p.auroc());
        so.put("generation_pass@1", p.generationPass1());
      });
    });
    ObjectNode gen = o.putObject("generation_accuracy");
    m.generationAccuracy().forEach((model, bySplit) -> {
      ObjectNode g = gen.putObject(model);
      bySplit.forEach((s, v) -> g.put(s.id(), v));
    });
    ObjectNode compute = o.putObject("compute");
    m.splits().forEach((s, sm) -> {
      ObjectNode so = compute.putObject(s.id());
      sm.scoring().forEach((method, c) -> so.putObject(method).put("tokens", c.tokens())
          .put("tokens_per_candidate", c.tokensPerCandidate()));
    });
    ObjectNode training = compute.putObject("training");
    m.training().forEach((method, t) -> training.putObject(method).put("tokens", t.tokens())
        .put("seconds", t.seconds()).put("final_loss", t.finalLoss()));
    ObjectNode g = o.putObject("generator");
    g.put("steps", m.generator().steps());
    g.put("final_loss", m.generator().finalLoss());
    m.generator().devAccuracy().ifPresent(d -> g.put("dev_accuracy", d));
    ObjectNode cand = o.putObject("candidates");
    m.splits().forEach((s, sm) -> cand.putObject(s.id()).put("problems", sm.pool().problems())
        .put("candidates", sm.pool().candidates()).put("mean_accuracy", sm.pool().meanAccuracy())
        .put("problems_with_a_correct_candidate", sm.pool().problemsWithACorrectCandidate()));
    o.set("verifier_data", m.verifierData().toJson());
    ObjectNode stages = o.putObject("stages");
    m.stageSeconds().forEach(stages::put);
    o.set("intervals", intervals(m));
    return o;
  }

  /** split -> {best_of_n: method -> N -> [lo, hi], auroc: method -> [lo, hi]}; 95% bootstrap over problems. */
  private static ObjectNode intervals(ReportMetrics m) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("level", Bootstrap.LEVEL);
    o.put("resamples", Bootstrap.RESAMPLES);
    m.splits().forEach((s, sm) -> {
      ObjectNode so = o.putObject(s.id());
      ObjectNode best = so.putObject("best_of_n");
      sm.intervals().bestOfN().forEach((method, byN) -> {
        ObjectNode c = best.putObject(method);
        byN.forEach((n, iv) -> pair(c.putArray(String.valueOf(n)), iv));
      });
      ObjectNode auroc = so.putObject("auroc");
      sm.intervals().auroc().forEach((method, iv) -> pair(auroc.putArray(method), iv));
    });
    return o;
  }

  private static void pair(com.fasterxml.jackson.databind.node.ArrayNode a, Bootstrap.Interval iv) {
    for (double v : new double[] {iv.lo(), iv.hi()}) {
      if (Double.isFinite(v)) {
        a.add(v);
      } else {
        a.addNull();
      }
    }
  }

  /** method -> N -> accuracy. */
  private static ObjectNode curves(Map<String, Map<Integer, Double>> curves) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    curves.forEach((method, curve) -> {
      ObjectNode c = o.putObject(method);
      curve.forEach((n, v) -> Experiment.putNum(c, String.valueOf(n), v));
    });
    return o;
  }
}
