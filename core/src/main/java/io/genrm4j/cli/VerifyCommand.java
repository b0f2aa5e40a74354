package io.genrm4j.cli;

import io.genrm4j.eval.VerifierMetrics;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Score;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.ContextLengthException;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierScore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code genrm verify}: scores every candidate of a candidates JSONL with one verifier. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Score candidate solutions with a verifier and write one score record per candidate "
        + "(docs/schemas.md).",
        "Modes: orm (score head), genrm or direct (GenRM p(Yes)), genrm-unified (the same on a unified checkpoint), "
            + "genrm-cot or cot (GenRM-CoT, mean p(Yes) over --votes rationales), llm-judge or judge (the same "
            + "prompt on a model not trained to verify), dpo (beta * log-ratio to --reference).",
        "Input records need problem_id, candidate_id, question, text; with 'correct' present the summary reports "
            + "accuracy, AUROC and ECE, and Best-of-N accuracy of the top-scored candidate per problem.",
        "Every record is checked before any is scored (local backend): a record whose verification does not fit "
            + "the model's context (max_position_embeddings), or a duplicate (problem_id, candidate_id), stops the "
            + "run with its file:line, and nothing is written."})
public final class VerifyCommand implements Callable<Integer> {
  @Mixin VerifierOptions verifier;
  @Option(names = "--input", required = true, description = "candidates JSONL") Path input;
  @Option(names = "--out", required = true, description = "scores JSONL (written atomically)") Path out;
  @Option(names = "--rationales", description = "genrm-cot, llm-judge: write each sampled rationale's text into its "
      + "score record ('rationales', in the order of 'votes')") boolean rationales;

  @Override
  public Integer call() {
    VerifierKind kind = verifier.kind();
    verifier.votes(); // checked before the input is read
    List<Candidate> cands = Candidate.read(input);
    int[] lines = Jsonl.recordLines(input);
    Map<String, List<Candidate>> byProblem = new LinkedHashMap<>();
    cands.forEach(c -> byProblem.computeIfAbsent(c.problemId(), k -> new ArrayList<>()).add(c));
    requireUniqueIds(cands, lines);
    List<Score> records = new ArrayList<>();
    List<Double> scores = new ArrayList<>();
    List<Boolean> labels = new ArrayList<>();
    double bestCorrect = 0;
    int labelledProblems = 0;
    long t0 = System.nanoTime();
    try (Verifier v = verifier.open()) {
      requireAllFit(v, cands, lines, byProblem);
      try (ProgressBar bar = Cli.progress("verify " + kind.id(), cands.size(), "cand")) {
        for (List<Candidate> group : byProblem.values()) {
          List<String> sols = group.stream().map(Candidate::text).toList();
          List<VerifierScore> s = v.score(group.get(0).question(), sols);
          int best = 0;
          for (int i = 0; i < group.size(); i++) {
            Candidate c = group.get(i);
            VerifierScore vs = s.get(i);
            Score record = vs.toScore(c.problemId(), c.candidateId()).withMass().withMethod(kind.id(), c.correct());
            records.add(rationales ? record.withRationales(List.of(vs.rationales())) : record);
            if (c.correct() != null) {
              scores.add(vs.score());
              labels.add(c.correct());
            }
            best = vs.score() > s.get(best).score() ? i : best;
            bar.step();
          }
          if (group.get(best).correct() != null) {
            labelledProblems++;
            bestCorrect += group.get(best).correct() ? 1 : 0;
          }
        }
      }
    }
    Jsonl.write(out, records);
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf("verify %s: %d candidates of %d problems in %.1f s -> %s%n", kind.id(), cands.size(),
        byProblem.size(), secs, out);
    if (!labels.isEmpty()) {
      double[] sc = scores.stream().mapToDouble(Double::doubleValue).toArray();
      boolean[] lb = new boolean[labels.size()];
      for (int i = 0; i < lb.length; i++) {
        lb[i] = labels.get(i);
      }
      boolean probs = kind.probabilityScores();
      System.out.printf("  AUROC %.3f  accuracy@0.5 %s  ECE %s  best-of-pool accuracy %.1f%% (%d problems)%n",
          VerifierMetrics.auroc(sc, lb), probs ? String.format("%.1f%%", 100 * VerifierMetrics.accuracy(sc, lb)) : "n/a",
          probs ? String.format("%.3f", VerifierMetrics.expectedCalibrationError(sc, lb)) : "n/a",
          100 * bestCorrect / Math.max(1, labelledProblems), labelledProblems);
    }
    return 0;
  }

  /** Two records with one (problem_id, candidate_id) would give two scores one key: {@code file:line} error. */
  private void requireUniqueIds(List<Candidate> cands, int[] lines) {
    Map<List<String>, Integer> seen = new java.util.HashMap<>();
    for (int i = 0; i < cands.size(); i++) {
      Integer first = seen.putIfAbsent(List.of(cands.get(i).problemId(), cands.get(i).candidateId()), lines[i]);
      if (first != null) {
        throw new UserException(input + ":" + lines[i] + ": duplicate candidate (problem_id '"
            + cands.get(i).problemId() + "', candidate_id '" + cands.get(i).candidateId() + "'), first at line "
            + first);
      }
    }
  }

  /**
   * Every record is checked against the model's context before any is scored: one that does not fit stops the run
   * with its {@code file:line} (and how many others do not fit), and nothing is written.
   */
  private void requireAllFit(Verifier v, List<Candidate> cands, int[] lines, Map<String, List<Candidate>> byProblem) {
    String first = null;
    List<Integer> bad = new ArrayList<>();
    for (int i = 0; i < cands.size(); i++) {
      try {
        // scored with its problem's first question, as below
        v.requireFits(byProblem.get(cands.get(i).problemId()).get(0).question(), List.of(cands.get(i).text()));
      } catch (ContextLengthException e) {
        first = first == null ? input + ":" + lines[i] + ": candidate " + e.reason() : first;
        bad.add(lines[i]);
      }
    }
    if (first != null) {
      throw new UserException(first + (bad.size() > 1 ? "; " + (bad.size() - 1) + " more records do not fit (lines "
          + bad.subList(1, Math.min(bad.size(), 11)).toString().replaceAll("[\\[\\]]", "")
          + (bad.size() > 11 ? ", ..." : "") + ")" : "") + "; nothing was scored or written (shorten or drop them)");
    }
  }
}
