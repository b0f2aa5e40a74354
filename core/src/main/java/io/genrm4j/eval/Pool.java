package io.genrm4j.eval;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The candidate pool of one problem: M sampled solutions, whether each is correct, each one's parsed final answer
 * ({@code null} when unparsable) and, per verifier method, one score per candidate.
 *
 * <p>Arrays are copied on construction and indexed by candidate. Records compare arrays by reference, so two pools
 * with equal contents are not {@code equals}; pools are values to compute with, not map keys.
 *
 * @param problemId the problem's id, also used to derive per-problem Monte Carlo seeds
 * @param correct per candidate: is the solution correct
 * @param answers per candidate: the final answer, or {@code null} when it could not be parsed
 * @param scores verifier method name to per-candidate scores (each of length M); may be empty, never null
 */
public record Pool(String problemId, boolean[] correct, String[] answers, Map<String, double[]> scores) {

  public Pool {
    Objects.requireNonNull(problemId, "problemId");
    Objects.requireNonNull(correct, "correct");
    Objects.requireNonNull(answers, "answers");
    Objects.requireNonNull(scores, "scores");
    if (answers.length != correct.length) {
      throw new IllegalArgumentException(
          "problem " + problemId + ": " + answers.length + " answers for " + correct.length + " candidates");
    }
    correct = correct.clone();
    answers = answers.clone();
    Map<String, double[]> copy = new LinkedHashMap<>();
    for (Map.Entry<String, double[]> e : scores.entrySet()) {
      double[] s = Objects.requireNonNull(e.getValue(), "scores of " + e.getKey());
      if (s.length != correct.length) {
        throw new IllegalArgumentException(
            "problem " + problemId + ": method " + e.getKey() + " has " + s.length + " scores for "
                + correct.length + " candidates");
      }
      copy.put(e.getKey(), s.clone());
    }
    scores = java.util.Collections.unmodifiableMap(copy);
  }

  /** A pool without verifier scores (enough for Pass@N and self-consistency). */
  public Pool(String problemId, boolean[] correct, String[] answers) {
    this(problemId, correct, answers, Map.of());
  }

  /** M, the number of candidates. */
  public int size() {
    return correct.length;
  }

  /** The scores of {@code method}; an {@link IllegalArgumentException} naming the problem when absent. */
  public double[] scoresOf(String method) {
    double[] s = scores.get(method);
    if (s == null) {
      throw new IllegalArgumentException("problem " + problemId + ": no scores for method '" + method + "'");
    }
    return s;
  }

  /** A copy of this pool with one more (or replaced) method's scores. */
  public Pool withScores(String method, double[] methodScores) {
    Map<String, double[]> m = new LinkedHashMap<>(scores);
    m.put(method, methodScores);
    return new Pool(problemId, correct, answers, m);
  }
}
