package io.genrm4j.eval;

import java.util.Arrays;
import java.util.Objects;

/**
 * Classification metrics of a verifier's per-candidate scores against the candidates' correctness labels
 * ({@code true} = correct solution = positive class). Empty input gives NaN; NaN scores are rejected.
 */
public final class VerifierMetrics {
  /** Default number of equal-width bins of {@link #expectedCalibrationError(double[], boolean[])}. */
  public static final int DEFAULT_BINS = 10;

  private VerifierMetrics() {}

  /**
   * Area under the ROC curve as the Mann-Whitney statistic: the probability that a random positive scores above a
   * random negative, ties counting 1/2. Computed from mid-ranks in O(M log M). NaN when either class is empty.
   */
  public static double auroc(double[] scores, boolean[] labels) {
    check(scores, labels);
    int m = scores.length;
    long pos = 0;
    for (boolean b : labels) {
      if (b) {
        pos++;
      }
    }
    long neg = m - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    Integer[] order = new Integer[m];
    for (int i = 0; i < m; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(scores[x], scores[y]));
    // Sum of positives' mid-ranks (1-based), tie groups sharing their average rank.
    double rankSumPos = 0.0;
    int i = 0;
    while (i < m) {
      int j = i;
      int posInGroup = 0;
      while (j < m && scores[order[j]] == scores[order[i]]) { // -0.0 and 0.0 tie
        if (labels[order[j]]) {
          posInGroup++;
        }
        j++;
      }
      double midRank = (i + 1 + j) / 2.0; // average of ranks i+1 .. j
      rankSumPos += posInGroup * midRank;
      i = j;
    }
    double u = rankSumPos - pos * (pos + 1) / 2.0;
    return u / ((double) pos * neg);
  }

  /**
   * Paired accuracy: the fraction of pairs whose correct candidate scores above its wrong one ({@code good[i]} vs
   * {@code bad[i]}), ties counting half; 0.5 is chance.
   */
  public static double pairedAccuracy(double[] good, double[] bad) {
    if (good.length != bad.length) {
      throw new IllegalArgumentException(good.length + " correct scores but " + bad.length + " wrong ones");
    }
    if (good.length == 0) {
      return Double.NaN;
    }
    double wins = 0;
    for (int i = 0; i < good.length; i++) {
      wins += good[i] > bad[i] ? 1 : good[i] == bad[i] ? 0.5 : 0;
    }
    return wins / good.length;
  }

  /**
   * Population standard deviation of the finite scores (an unscored candidate's -infinity left out); NaN when there
   * are none. Near 0, a verifier scores every candidate alike and its Best-of-N order follows meaningless differences.
   */
  public static double standardDeviation(double[] scores) {
    double[] finite = Arrays.stream(scores).filter(Double::isFinite).toArray();
    if (finite.length == 0) {
      return Double.NaN;
    }
    double mean = Arrays.stream(finite).average().orElseThrow();
    return Math.sqrt(Arrays.stream(finite).map(v -> (v - mean) * (v - mean)).sum() / finite.length);
  }

  /** Fraction of candidates whose prediction (score &gt;= 0.5 means "correct") matches the label. */
  public static double accuracy(double[] scores, boolean[] labels) {
    return accuracy(scores, labels, 0.5);
  }

  /** Fraction of candidates whose prediction (score &gt;= {@code threshold} means "correct") matches the label. */
  public static double accuracy(double[] scores, boolean[] labels, double threshold) {
    check(scores, labels);
    if (scores.length == 0) {
      return Double.NaN;
    }
    int hits = 0;
    for (int i = 0; i < scores.length; i++) {
      if ((scores[i] >= threshold) == labels[i]) {
        hits++;
      }
    }
    return (double) hits / scores.length;
  }

  /** {@link #expectedCalibrationError(double[], boolean[], int)} with {@value #DEFAULT_BINS} bins. */
  public static double expectedCalibrationError(double[] probs, boolean[] labels) {
    return expectedCalibrationError(probs, labels, DEFAULT_BINS);
  }

  /**
   * Expected calibration error: probabilities are put in {@code bins} equal-width bins over [0, 1] (bin b holds
   * [b/B, (b+1)/B), the last bin also holds 1.0); ECE = sum over bins of (bin size / M) * |mean prob - fraction
   * correct|. Empty bins contribute nothing.
   *
   * @param probs probabilities in [0, 1]; anything outside is an {@link IllegalArgumentException}
   */
  public static double expectedCalibrationError(double[] probs, boolean[] labels, int bins) {
    check(probs, labels);
    checkProbs(probs);
    if (bins < 1) {
      throw new IllegalArgumentException("bins = " + bins + " must be >= 1");
    }
    int m = probs.length;
    if (m == 0) {
      return Double.NaN;
    }
    double[] sumProb = new double[bins];
    int[] pos = new int[bins];
    int[] count = new int[bins];
    for (int i = 0; i < m; i++) {
      int b = Math.min((int) (probs[i] * bins), bins - 1);
      sumProb[b] += probs[i];
      count[b]++;
      if (labels[i]) {
        pos[b]++;
      }
    }
    double ece = 0.0;
    for (int b = 0; b < bins; b++) {
      if (count[b] > 0) {
        ece += Math.abs(sumProb[b] - pos[b]) / m; // = (count/m) * |mean prob - accuracy|
      }
    }
    return ece;
  }

  /** Brier score: mean of (p - y)^2 with y = 1 for correct, 0 otherwise. Lower is better. */
  public static double brier(double[] probs, boolean[] labels) {
    check(probs, labels);
    checkProbs(probs);
    if (probs.length == 0) {
      return Double.NaN;
    }
    double s = 0.0;
    for (int i = 0; i < probs.length; i++) {
      double d = probs[i] - (labels[i] ? 1.0 : 0.0);
      s += d * d;
    }
    return s / probs.length;
  }

  private static void check(double[] scores, boolean[] labels) {
    Objects.requireNonNull(scores, "scores");
    Objects.requireNonNull(labels, "labels");
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(scores.length + " scores for " + labels.length + " labels");
    }
    for (int i = 0; i < scores.length; i++) {
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException("score " + i + " is NaN");
      }
    }
  }

  private static void checkProbs(double[] probs) {
    for (int i = 0; i < probs.length; i++) {
      if (probs[i] < 0.0 || probs[i] > 1.0) {
        throw new IllegalArgumentException("probability " + i + " = " + probs[i] + " is outside [0, 1]");
      }
    }
  }
}
