package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Split;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report stage on synthetic pools with real signal: the invariants the pipeline test cannot see at 0%. */
class ExperimentReportTest {
  @TempDir Path tmp;

  static final ExperimentProfile PROF = ExperimentProfile.parse("""
      {"name": "synthetic", "preset": "test", "trainProblems": 4, "testProblems": 12, "samplesPerTrainProblem": 4,
       "maxPerClass": 2, "n": 8, "votes": 4, "genSteps": 1, "genTarget": 0, "genBatch": 1, "genLr": 1e-3,
       "verSteps": 1, "verBatch": 1, "verLr": 1e-3, "lambda": 1.0, "cotReplay": 0.0, "cotPositions": "sequential", "cotVerdictWeight": 1,
       "dpoBeta": 0.1, "temperature": 1, "cotTemperature": 0.7, "tokenCap": 0,
       "leakFreeVerifierData": true, "syntheticPairs": 0, "base": "none", "baseReplay": 0,
       "verifierBase": "generator", "cotRestatement": "sampled", "cotComparison": "whole", "cotBaseReplay": 0,
       "directVerLr": 1e-3}""");

  @Test
  void metricsAreConsistentOnSyntheticScores() throws Exception {
    RunDir dir = new RunDir(tmp);
    double[] means = writeSyntheticRun(dir);
    ExperimentReport.write(dir, "last-letter", PROF, 9);
    JsonNode m = Jsonl.MAPPER.readTree(dir.metrics().toFile());
    for (String section : List.of("best_of_n", "in_distribution")) {
      JsonNode bon = m.get(section);
      assertEquals(MetricsAssertions.bestOfNKeys(), MetricsAssertions.fieldNames(bon), section);
      double mean = means[section.equals("best_of_n") ? 0 : 1];
      double prev = -1;
      for (int n : PROF.ns()) {
        String key = String.valueOf(n);
        double pass = MetricsAssertions.fraction(bon.get(ExperimentReport.PASS).get(key), "pass@" + key);
        assertTrue(pass >= prev - 1e-12);
        prev = pass;
        bon.fields().forEachRemaining(e -> assertTrue(
            MetricsAssertions.fraction(e.getValue().get(key), section + " " + e.getKey()) <= pass + 1e-9,
            section + " " + e.getKey() + " above pass@" + key));
      }
      for (String meth : Experiment.METHODS) {
        assertEquals(mean, bon.get(meth).get("1").asDouble(), 1e-9, meth);
      }
      assertEquals(mean, bon.get("pass@n").get("1").asDouble(), 1e-9);
      assertTrue(bon.get("pass@n").get("8").asDouble() > mean, "the synthetic pools have signal");
      // the K = max point of the votes curve is GenRM-CoT's own score
      String split = section.equals("best_of_n") ? "test-ood" : "test-id";
      assertEquals(bon.get("genrm-cot").get("8").asDouble(),
          m.get("votes_curve").get(split).get("genrm-cot").get(String.valueOf(PROF.votes())).asDouble(), 1e-9);
      assertEquals(7L * PROF.testProblems() * PROF.n(), m.get("compute").get(split).get("orm").get("tokens").asLong());
      // both classes in every split: every AUROC exists
      MetricsAssertions.verifierMetrics(m.get("verifier_metrics").get(split), true, PROF.testProblems() * PROF.n(),
          split);
      // the right-length AUROC is the AUROC of the candidates whose answer has 4 letters
      List<Candidate> cands = Candidate.read(dir.candidates(Split.parse(split)));
      java.util.Map<String, Double> ormScore = new java.util.HashMap<>();
      Jsonl.readObjects(dir.scores("orm", Split.parse(split))).forEach(r -> ormScore.put(
          r.get("candidate_id").asText(), r.get("score").asDouble()));
      List<Candidate> fourLetters = cands.stream().filter(c -> c.text().endsWith("is good.")
          || c.text().endsWith("is bad0.")).toList();
      assertTrue(fourLetters.size() < cands.size() && fourLetters.stream().anyMatch(c -> !c.correct()));
      assertEquals(VerifierMetrics.auroc(fourLetters.stream().mapToDouble(c -> ormScore.get(c.candidateId()))
          .toArray(), toBooleans(fourLetters)), m.get("verifier_metrics").get(split).get("orm")
          .get("auroc_right_length").asDouble(), 1e-12);
      // the within-problem AUROC is the mean of the AUROCs of the problems that have both classes
      java.util.Map<String, List<Candidate>> byProblem = io.genrm4j.eval.CandidatePool.byProblem(cands);
      double within = byProblem.values().stream().mapToDouble(cs -> VerifierMetrics.auroc(
          cs.stream().mapToDouble(c -> ormScore.get(c.candidateId())).toArray(), toBooleans(cs)))
          .filter(a -> !Double.isNaN(a)).average().orElseThrow();
      assertEquals(within, m.get("verifier_metrics").get(split).get("orm").get("auroc_within_problems").asDouble(),
          1e-12);
      double auroc = m.get("verifier_metrics").get(split).get("genrm-cot").get("auroc").asDouble();
      assertTrue(auroc > 0.6, "averaged votes separate the classes: " + auroc);
      // every Best-of-N figure and every AUROC has a bootstrap interval that contains it
      JsonNode iv = m.get("intervals").get(split);
      assertEquals(MetricsAssertions.fieldNames(bon), MetricsAssertions.fieldNames(iv.get("best_of_n")), split);
      bon.fields().forEachRemaining(e -> e.getValue().fields().forEachRemaining(c -> {
        JsonNode lohi = iv.get("best_of_n").get(e.getKey()).get(c.getKey());
        assertTrue(lohi.get(0).asDouble() <= c.getValue().asDouble() + 1e-12
            && c.getValue().asDouble() <= lohi.get(1).asDouble() + 1e-12, split + " " + e.getKey() + " " + lohi);
      }));
      for (String meth : Experiment.METHODS) {
        JsonNode lohi = iv.get("auroc").get(meth);
        double a = m.get("verifier_metrics").get(split).get(meth).get("auroc").asDouble();
        assertTrue(lohi.get(0).asDouble() <= a && a <= lohi.get(1).asDouble(), split + " " + meth + " " + lohi);
      }
    }
    assertTrue(Files.readString(dir.report()).contains("% ["), "report.md shows the intervals");
    assertTrue(Files.exists(dir.bestOfNPlot(Split.TEST_OOD)));
    assertTrue(Files.readString(dir.report()).contains("| genrm-cot"));
    // the generator's actual stopping point, not the profile's maximum
    assertEquals(40, m.get("generator").get("steps").asInt());
    // the confirmation drawn at the last check, not the check that was chosen for reaching the target
    assertEquals(0.3125, MetricsAssertions.fraction(m.get("generator").get("dev_accuracy"), "dev accuracy"), 1e-12);
    assertTrue(Files.readString(dir.report()).contains("generator 40 steps"));
    assertTrue(Files.readString(dir.report()).contains(
        "The generator starts from random weights; the verifiers are fine-tuned from the generator."));
    // stages in the order of their marker files: '-' sorts before '.'
    assertEquals(List.of("train-genrm-cot", "train-genrm"), toList(m.get("stages").fieldNames()));
  }

  private static boolean[] toBooleans(List<Candidate> cs) {
    boolean[] out = new boolean[cs.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = cs.get(i).correct();
    }
    return out;
  }

  /**
   * A run directory whose stages up to scoring are done, with synthetic scores that separate the classes; returns the
   * mean candidate accuracy of test-ood and of test-id.
   */
  static double[] writeSyntheticRun(RunDir dir) {
    Random rng = new Random(5);
    double[] means = new double[2];
    for (Split split : Experiment.TEST_SPLITS) {
      List<Candidate> cs = new ArrayList<>();
      List<List<ObjectNode>> rows = new ArrayList<>();
      Experiment.METHODS.forEach(m -> rows.add(new ArrayList<>()));
      int right = 0;
      for (int p = 0; p < PROF.testProblems(); p++) {
        double rate = rng.nextDouble() * 0.6;
        for (int j = 0; j < PROF.n(); j++) {
          boolean ok = rng.nextDouble() < rate;
          right += ok ? 1 : 0;
          // wrong answers of the reference's length ("bad0") and longer ones ("bad10"), or none
          String ans = ok ? "good" : rng.nextInt(5) == 0 ? null : rng.nextInt(3) == 0 ? "bad0" : "bad10";
          String text = ans == null ? "t" : "x\nThe answer is " + ans + ".";
          Candidate c = new Candidate("p" + p, "p" + p + "-c" + j, "q" + p, text, "good", ans, ok);
          cs.add(c);
          for (int m = 0; m < Experiment.METHODS.size(); m++) {
            double[] votes = new double[PROF.votes()];
            double sum = 0;
            for (int k = 0; k < votes.length; k++) {
              votes[k] = Math.min(1, Math.max(0, (ok ? 0.6 : 0.4) + rng.nextGaussian() * 0.3));
              sum += votes[k];
            }
            boolean voting = ExperimentReport.VOTING.contains(Experiment.METHODS.get(m));
            ObjectNode o = Jsonl.MAPPER.createObjectNode();
            o.put("problem_id", c.problemId());
            o.put("candidate_id", c.candidateId());
            o.put("score", voting ? sum / votes.length : votes[0]);
            var arr = o.putArray("votes");
            if (voting) {
              for (double v : votes) {
                arr.add(v);
              }
            }
            o.put("tokens", 7);
            rows.get(m).add(o);
          }
        }
      }
      means[split == Split.TEST_OOD ? 0 : 1] = right / (double) cs.size();
      Jsonl.write(dir.candidates(split), cs);
      for (int m = 0; m < Experiment.METHODS.size(); m++) {
        Jsonl.write(dir.scores(Experiment.METHODS.get(m), split), rows.get(m));
      }
    }
    AtomicFiles.writeString(dir.generation(), "{\"generator\":{\"test-id\":0.5,\"test-ood\":0.1},"
        + "\"genrm\":{\"test-id\":0.0,\"test-ood\":0.0},\"genrm-unified\":{\"test-id\":0.4,\"test-ood\":0.1}}");
    for (String m : Experiment.TRAINED) {
      AtomicFiles.writeString(dir.trainLog(m), "{\"tokens\":10,\"seconds\":1.5,\"final_loss\":0.5}");
    }
    AtomicFiles.writeString(dir.verifierDataStats(), "{\"examples\":4,\"distinct_correct\":3,\"distinct_incorrect\":5,"
        + "\"filled_correct_with_reference\":1,\"filled_incorrect_with_perturbation\":0}");
    AtomicFiles.writeString(dir.trainLog("generator"), "{\"steps\":40,\"final_loss\":0.5,"
        + "\"dev_checks\":[{\"step\":30,\"dev_accuracy\":0.1},{\"step\":40,\"dev_accuracy\":0.35,"
        + "\"confirmation\":0.3125}]}");
    for (String stage : List.of("train-genrm", "train-genrm-cot")) {
      AtomicFiles.writeString(dir.stageMarker(stage), "{\"seconds\":" + stage.length() / 4.0 + "}\n");
    }
    return means;
  }

  @Test
  void firstKVotesAndPowersOfTwo() {
    assertEquals(0.5, ExperimentReport.firstK(new double[] {0.2, 0.8, 1.0}, 2), 1e-12);
    assertEquals(Double.NEGATIVE_INFINITY, ExperimentReport.firstK(new double[0], 4));
    assertEquals(List.of(1, 2, 4, 8, 16, 32), toList(ExperimentProfile.powersOfTwo(32)));
    assertEquals(List.of(1, 2, 4, 6), toList(ExperimentProfile.powersOfTwo(6)));
  }

  private static List<String> toList(java.util.Iterator<String> names) {
    List<String> l = new ArrayList<>();
    names.forEachRemaining(l::add);
    return l;
  }

  private static List<Integer> toList(int[] a) {
    List<Integer> l = new ArrayList<>();
    for (int v : a) {
      l.add(v);
    }
    return l;
  }
}
