package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Split;
import io.genrm4j.task.Tasks;
import io.genrm4j.util.Jsonl;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on the mini profile: every stage, complete and consistent metrics, a finished run not redone,
 * and a run killed during scoring continuing from its last finished stage.
 */
class ExperimentTest {
  @TempDir Path tmp;

  @Test
  void miniPipelineIsCompleteConsistentAndResumable() throws Exception {
    ExperimentProfile prof = ExperimentProfile.named("mini");
    RunDir dir = new RunDir(tmp.resolve("run"));
    ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(errBytes, true, java.nio.charset.StandardCharsets.UTF_8);
    // two workers here, one for the resumed run below: re-scoring in order must reproduce what ran in parallel
    Experiment.Result first = Experiment.run(Tasks.LAST_LETTER, prof, 7, 2, dir, err);
    String said = errBytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    for (Split s : List.of(Split.TEST_ID, Split.TEST_OOD)) {
      List<Candidate> cs = Candidate.read(dir.candidates(s));
      boolean none = cs.stream().noneMatch(Candidate::correct);
      assertEquals(none, said.contains("warning: none of the " + cs.size() + " " + s.id() + " candidates is correct"),
          "warned about " + s.id() + " exactly when none of its candidates is correct");
    }
    assertTrue(first.stages().stream().allMatch(Stages.Record::ran), "a fresh run runs every stage");
    for (Stages.Record r : first.stages()) {
      assertTrue(Files.exists(dir.stageMarker(r.name())), r.name());
    }
    JsonNode m = first.metrics();
    int[] ns = prof.ns();
    for (Split split : Experiment.TEST_SPLITS) {
      String section = split == Split.TEST_OOD ? "best_of_n" : "in_distribution";
      JsonNode bon = m.get(section);
      assertEquals(MetricsAssertions.bestOfNKeys(), MetricsAssertions.fieldNames(bon), section);
      List<Candidate> cs = Candidate.read(dir.candidates(split));
      assertEquals(prof.testProblems() * prof.n(), cs.size());
      long right = cs.stream().filter(Candidate::correct).count();
      double mean = right / (double) cs.size();
      // the verdict probe reads every candidate once, its length groups add up to the split
      JsonNode probe = Experiment.readJson(dir.cotVerdictProbe()).get(split.id());
      assertEquals(cs.size(), probe.get("n").asInt());
      assertEquals(right, probe.get("right").asInt());
      // each class's mean judgement margin, null for an empty class
      assertEquals(right == 0, probe.get("mean_margin_right").isNull());
      assertEquals(right == cs.size(), probe.get("mean_margin_wrong").isNull());
      for (String k : new String[] {"mean_margin_right", "mean_margin_wrong"}) {
        assertTrue(probe.get(k).isNull() || Double.isFinite(probe.get(k).asDouble()), k);
      }
      int grouped = 0;
      for (JsonNode g : probe.get("by_answer_length")) {
        grouped += g.get("n").asInt();
      }
      assertEquals(cs.size(), grouped);
      double prev = -1;
      for (int n : ns) {
        double pass = MetricsAssertions.fraction(bon.get(ExperimentReport.PASS).get(String.valueOf(n)), "pass@" + n);
        assertTrue(pass >= prev - 1e-12, "pass@N non-decreasing");
        prev = pass;
        for (String k : MetricsAssertions.bestOfNKeys()) {
          double v = MetricsAssertions.fraction(bon.get(k).get(String.valueOf(n)), section + " " + k + " N=" + n);
          assertTrue(v <= pass + 1e-9, section + " " + k + " beats pass@" + n);
        }
      }
      List<String> bestOfOneIsTheMean = new java.util.ArrayList<>(List.of(ExperimentReport.PASS));
      bestOfOneIsTheMean.addAll(Experiment.METHODS);
      for (String k : bestOfOneIsTheMean) {
        assertEquals(mean, bon.get(k).get("1").asDouble(), 1e-9, section + ": Best-of-1 of " + k);
      }
      JsonNode pool = m.get("candidates").get(split.id());
      assertEquals(prof.testProblems(), pool.get("problems").asInt());
      assertEquals(cs.size(), pool.get("candidates").asInt());
      assertEquals(mean, MetricsAssertions.fraction(pool.get("mean_accuracy"), "mean accuracy"), 1e-12);
      MetricsAssertions.verifierMetrics(m.get("verifier_metrics").get(split.id()), right > 0 && right < cs.size(),
          cs.size(), split.id());
      for (String meth : Experiment.METHODS) {
        JsonNode c = m.get("compute").get(split.id()).get(meth);
        assertTrue(c.get("tokens").isIntegralNumber() && c.get("tokens").asLong() > 0, meth + " counts tokens");
        assertEquals(c.get("tokens").asLong() / (double) cs.size(), c.get("tokens_per_candidate").asDouble(), 1e-9);
      }
      for (String meth : ExperimentReport.VOTING) {
        JsonNode curve = m.get("votes_curve").get(split.id()).get(meth);
        assertEquals(prof.ks().length, curve.size());
        for (int k : prof.ks()) {
          MetricsAssertions.fraction(curve.get(String.valueOf(k)), meth + " with K=" + k);
        }
      }
      for (String model : List.of("generator", "genrm", "genrm-unified")) {
        MetricsAssertions.fraction(m.get("generation_accuracy").get(model).get(split.id()), model + " pass@1");
      }
      for (String meth : List.of("genrm", "genrm-unified")) {
        JsonNode lam = m.get("lambda_ablation").get(meth);
        assertEquals(meth.equals("genrm") ? 0.0 : prof.lambda(), MetricsAssertions.number(lam.get("lambda"), 0,
            Double.MAX_VALUE, meth + " lambda"));
        JsonNode at = lam.get(split.id());
        assertEquals(bon.get(meth).get(String.valueOf(prof.n())), at.get("best_of_" + prof.n()));
        assertEquals(m.get("verifier_metrics").get(split.id()).get(meth).get("auroc"), at.get("auroc"));
        assertEquals(m.get("generation_accuracy").get(meth).get(split.id()), at.get("generation_pass@1"));
      }
    }
    for (Path f : List.of(dir.config(), dir.report(), dir.bestOfNPlot(Split.TEST_OOD), dir.votesPlot(Split.TEST_OOD),
        dir.verifierTrain(), dir.verifierDataAudit(), dir.scores("genrm-cot", Split.TEST_OOD),
        dir.checkpoint("generator").resolve("config.json"))) { // a Hugging Face checkpoint's config
      assertTrue(Files.exists(f), f.toString());
    }
    // the generator's held-out problems, its checks' then its confirmation's: distinct, of the test-ood length, none
    // a test-ood question or one the generator trains on
    List<Problem> dev = Problem.read(dir.generatorDevProblems());
    assertEquals(GeneratorStage.DEV_PROBLEMS + GeneratorStage.CONFIRM_PROBLEMS, dev.size());
    Set<String> seen = new HashSet<>();
    Problem.read(dir.problems(Split.TEST_OOD)).forEach(p -> seen.add(p.question()));
    Problem.read(dir.generatorProblems()).forEach(p -> seen.add(p.question()));
    for (Problem p : dev) {
      assertEquals(Tasks.LAST_LETTER.oodLength(), Tasks.LAST_LETTER.words(p.question()).size(), p.question());
      assertTrue(seen.add(p.question()), "held out and distinct: " + p.question());
    }
    // the audit counts every training example once per grouping
    JsonNode audit = Jsonl.MAPPER.readTree(dir.verifierDataAudit().toFile());
    int examples = Jsonl.readObjects(dir.verifierTrain()).size();
    assertEquals(examples, audit.get("examples").asInt());
    int counted = 0;
    for (JsonNode c : audit.get("groupings").get(VerifierDataAudit.LINES_X_ANSWER_LENGTH)) {
      counted += c.get("yes").asInt() + c.get("no").asInt();
    }
    assertEquals(examples, counted);
    assertEquals(0, VerifierDataAudit.of(VerifierDataStage.read(dir)).singleLabel().stream()
        .filter(g -> g.by().equals(VerifierDataAudit.LINES_X_ANSWER_LENGTH)).count(),
        "leak-free verifier data: no (lines x answer length) group with one label");
    String report = Files.readString(dir.report());
    String lambda = MarkdownTable.num(prof.lambda(), 1);
    assertTrue(java.util.regex.Pattern.compile("\\| genrm-unified +\\| +" + java.util.regex.Pattern.quote(lambda)
        + " +\\| +test-ood").matcher(report).find(), "the lambda ablation shows lambda as a number, " + lambda);
    // the ORM and the direct GenRMs record their AUROC on fixed test pools before training and at the last step;
    // the final point is the trained model's own score of those candidates
    for (String meth : List.of("orm", "genrm", "genrm-unified")) {
      JsonNode curve = Jsonl.MAPPER.readTree(dir.trainLog(meth).toFile()).get("auroc_curve");
      assertTrue(curve != null && curve.size() >= 2, meth + " has an AUROC curve");
      assertEquals(0, curve.get(0).get("step").asInt());
      assertEquals(prof.verSteps(), curve.get(curve.size() - 1).get("step").asInt());
      curve.forEach(p -> p.fields().forEachRemaining(f -> {
        if (f.getKey().startsWith("auroc_")) {
          MetricsAssertions.fraction(f.getValue(), meth + " " + f.getKey());
        }
      }));
    }
    assertFalse(Jsonl.MAPPER.readTree(dir.trainLog("genrm-cot").toFile()).has("auroc_curve"), "CoT would sample");
    assertTrue(Files.readString(dir.report()).contains("## AUROC while training"), "the report shows the curves");
    // CoT scores keep K votes per candidate
    JsonNode row = Jsonl.readObjects(dir.scores("genrm-cot", Split.TEST_OOD)).get(0);
    assertEquals(prof.votes(), row.get("votes").size());

    byte[] metricsBefore = Files.readAllBytes(dir.metrics());
    Experiment.Result second = Experiment.run(Tasks.LAST_LETTER, prof, 7, 2, dir, err);
    assertFalse(second.didWork(), "a finished run is not redone");
    assertEquals(first.stages().size(), second.stages().size());
    assertEquals(new String(metricsBefore), new String(Files.readAllBytes(dir.metrics())));
    assertEquals(m, second.metrics());

    byte[] candidates = Files.readAllBytes(dir.candidates(Split.TEST_OOD));
    // as if killed during scoring: the later markers and outputs are gone
    for (String s : List.of("score-dpo-test-id", "score-llm-judge-test-id", "generation", "report")) {
      Files.delete(dir.stageMarker(s));
    }
    Files.delete(dir.metrics());
    Experiment.Result again = Experiment.run(Tasks.LAST_LETTER, prof, 7, 1, dir, err);
    List<String> ran = again.stages().stream().filter(Stages.Record::ran).map(Stages.Record::name).toList();
    assertEquals(List.of("score-dpo-test-id", "score-llm-judge-test-id", "generation", "report"), ran);
    assertEquals(new String(candidates), new String(Files.readAllBytes(dir.candidates(Split.TEST_OOD))));
    JsonNode before = Jsonl.MAPPER.readTree(metricsBefore);
    JsonNode after = again.metrics();
    assertEquals(before.get("best_of_n"), after.get("best_of_n"), "re-scoring with the same seeds reproduces");
    assertEquals(before.get("verifier_metrics"), after.get("verifier_metrics"));
    assertEquals(before.get("compute"), after.get("compute"));
  }
}
