package io.genrm4j.eval;

import io.genrm4j.task.Split;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The numbers of an experiment's report, computed once from its run directory ({@link ExperimentReport#compute});
 * metrics.json ({@link ReportJson}), report.md ({@link ReportMarkdown}) and the plots ({@link ReportPlots}) are
 * written from them. Maps keep the report's order; a NaN is a number that does not exist (no AUROC with one class,
 * no ECE of a log-ratio) and is written as JSON null and shown as "-".
 *
 * @param splits per test split (test-ood first): its Best-of-N, votes, verifier quality, scoring cost and pool
 * @param lambdaAblation GenRM (lambda = 0) vs unified GenRM, by method
 * @param generationAccuracy model -> split -> greedy pass@1, in generation.json's order
 * @param training by trained method
 * @param stageSeconds seconds of each finished stage, in marker file order ({@link RunDir#finishedStages})
 */
public record ReportMetrics(String task, ExperimentProfile profile, long seed, Map<Split, SplitMetrics> splits,
    Map<String, LambdaRow> lambdaAblation, Map<String, Map<Split, Double>> generationAccuracy,
    Map<String, TrainingCost> training, GeneratorRun generator, VerifierDataStats verifierData,
    Map<String, Double> stageSeconds) {

  /**
   * The report of one test split.
   *
   * @param bestOfN pass@n, self-consistency, every verifier and weighted voting -> N -> accuracy
   * @param votes each vote-based method -> K rationales -> Best-of-(profile N) accuracy
   * @param verifiers per method: how well its scores classify the candidates
   * @param scoring per method: the tokens it processed to score the pool
   * @param intervals 95% bootstrap intervals over problems of the Best-of-N figures and the AUROCs
   */
  public record SplitMetrics(Map<String, Map<Integer, Double>> bestOfN, Map<String, Map<Integer, Double>> votes,
      Map<String, VerifierQuality> verifiers, Map<String, ScoringCost> scoring, PoolStats pool,
      Intervals intervals) {}

  /**
   * Bootstrap intervals of a split ({@link Bootstrap}).
   *
   * @param bestOfN method -> N -> interval, the methods of {@link SplitMetrics#bestOfN}
   * @param auroc verifier -> interval of its per-candidate AUROC
   */
  public record Intervals(Map<String, Map<Integer, Bootstrap.Interval>> bestOfN,
      Map<String, Bootstrap.Interval> auroc) {}

  /**
   * Per-candidate classification metrics of one verifier ({@link VerifierMetrics}); ECE and Brier NaN for DPO.
   * {@code aurocRightLength}: the AUROC among candidates whose answer has the reference answer's length, where a
   * length shortcut cannot help (NaN with one label only). {@code aurocWithinProblems}: the mean, over the problems
   * that have right and wrong candidates, of the AUROC among one problem's candidates: what Best-of-N reads (which
   * candidate of a pool ranks first), where the pooled AUROC also counts easy problems' candidates scored above hard
   * ones' (NaN when no problem has both). {@code scoreSd}: the scores' standard deviation
   * ({@link VerifierMetrics#standardDeviation}): a verifier that did not train gives every candidate nearly the same
   * score (issue #21: 0.000-0.08 for the direct verifiers), and its Best-of-N then follows differences that mean
   * nothing.
   */
  public record VerifierQuality(double accuracy, double auroc, double aurocRightLength, double aurocWithinProblems,
      double ece, double brier, double scoreSd, int unscored) {}

  public record ScoringCost(long tokens, double tokensPerCandidate) {}

  /** The candidate pool of a split. */
  public record PoolStats(int problems, int candidates, double meanAccuracy, long problemsWithACorrectCandidate) {}

  /** One side of the lambda ablation: its lambda and, per split, how it verifies and how it solves. */
  public record LambdaRow(double lambda, Map<Split, LambdaPoint> splits) {}

  public record LambdaPoint(double bestOfN, double auroc, double generationPass1) {}

  /** What a verifier's training cost, from its train-METHOD.json. */
  public record TrainingCost(long tokens, double seconds, double finalLoss) {}

  /** Where the generator stopped; the dev accuracy of its last check (or its confirmation) when it had a target. */
  public record GeneratorRun(long steps, double finalLoss, OptionalDouble devAccuracy) {}

  public SplitMetrics split(Split s) {
    return splits.get(s);
  }
}
