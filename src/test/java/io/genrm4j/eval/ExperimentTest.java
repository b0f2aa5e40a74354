package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Split;
import io.genrm4j.task.Tasks;
import io.genrm4j.util.Jsonl;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on the mini profile: every stage, complete and consistent metrics, a finished run not redone,
 * and a run killed during scoring continuing from its last finished stage.
 */
class ExperimentTest {
  static final List<String> KEYS = List.of("pass@n", "self-consistency", "orm", "genrm", "genrm-unified",
      "genrm-cot", "llm-judge", "dpo", "weighted-vote");

  @TempDir Path tmp;

  @Test
  void wordSortingGetsMoreGeneratorStepsInQuickAndNothingElseChanges() {
    ExperimentProfile q = ExperimentProfile.named("quick");
    assertEquals(q, q.forTask("last-letter"));
    ExperimentProfile ws = q.forTask("word-sorting");
    assertTrue(ws.genSteps() > q.genSteps(), "word sorting's generator learns more slowly");
    assertEquals(q, new ExperimentProfile(ws.name(), ws.preset(), ws.trainProblems(), ws.testProblems(),
        ws.samplesPerTrainProblem(), ws.maxPerClass(), ws.n(), ws.votes(), q.genSteps(), ws.genTarget(), ws.genBatch(),
        ws.genLr(),
        ws.verSteps(), ws.verBatch(), ws.verLr(), ws.lambda(), ws.cotReplay(), ws.cotPositions(), ws.dpoBeta(), ws.temperature(),
        ws.cotTemperature(), ws.tokenCap()));
    assertEquals(ExperimentProfile.named("mini"), ExperimentProfile.named("mini").forTask("word-sorting"));
  }

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
    for (String section : List.of("best_of_n", "in_distribution")) {
      Split split = section.equals("best_of_n") ? Split.TEST_OOD : Split.TEST_ID;
      JsonNode bon = m.get(section);
      for (String k : KEYS) {
        assertNotNull(bon.get(k), section + " lacks " + k);
        for (int n : ns) {
          assertNotNull(bon.get(k).get(String.valueOf(n)), section + " " + k + " lacks N=" + n);
        }
      }
      List<Candidate> cs = Candidate.read(dir.candidates(split));
      assertEquals(prof.testProblems() * prof.n(), cs.size());
      double mean = cs.stream().filter(c -> c.correct()).count() / (double) cs.size();
      double prev = -1;
      for (int n : ns) {
        double pass = bon.get("pass@n").get(String.valueOf(n)).asDouble();
        assertTrue(pass >= prev - 1e-12, "pass@N non-decreasing");
        prev = pass;
        for (String k : KEYS) {
          double v = bon.get(k).get(String.valueOf(n)).asDouble();
          assertTrue(v <= pass + 1e-9, section + " " + k + " beats pass@" + n);
          assertTrue(v >= 0 && v <= 1);
        }
      }
      for (String k : List.of("pass@n", "orm", "genrm", "genrm-unified", "genrm-cot", "llm-judge", "dpo")) {
        assertEquals(mean, bon.get(k).get("1").asDouble(), 1e-9, section + ": Best-of-1 of " + k);
      }
    }
    for (String s : List.of("test-ood", "test-id")) {
      for (String meth : Experiment.METHODS) {
        assertNotNull(m.get("verifier_metrics").get(s).get(meth).get("auroc"), meth);
        assertTrue(m.get("compute").get(s).get(meth).get("tokens").asLong() > 0, meth + " counts tokens");
      }
      for (String meth : ExperimentReport.VOTING) {
        assertEquals(prof.ks().length, m.get("votes_curve").get(s).get(meth).size());
      }
    }
    assertNotNull(m.get("lambda_ablation").get("genrm"));
    assertNotNull(m.get("lambda_ablation").get("genrm-unified"));
    assertNotNull(m.get("generation_accuracy").get("generator").get("test-ood"));
    for (Path f : List.of(dir.config(), dir.report(), dir.bestOfNPlot(Split.TEST_OOD), dir.votesPlot(Split.TEST_OOD),
        dir.verifierTrain(), dir.scores("genrm-cot", Split.TEST_OOD),
        dir.checkpoint("generator").resolve("config.json"))) { // a Hugging Face checkpoint's config
      assertTrue(Files.exists(f), f.toString());
    }
    String report = Files.readString(dir.report());
    String lambda = MarkdownTable.num(prof.lambda(), 1);
    assertTrue(java.util.regex.Pattern.compile("\\| genrm-unified +\\| +" + java.util.regex.Pattern.quote(lambda)
        + " +\\| +test-ood").matcher(report).find(), "the lambda ablation shows lambda as a number, " + lambda);
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
