package io.genrm4j.eval;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Best-of-N estimators over one problem's pool of M candidates, and their means over problems.
 *
 * <p>Every estimator answers the same question: if a size-n subset of the M candidates is drawn uniformly at random
 * (without replacement), what is the expected accuracy of the selection rule? Averaging over all C(M, n) subsets
 * rather than taking the first n candidates removes the sampling noise of one particular ordering.
 *
 * <ul>
 *   <li>{@link #passAtN}: oracle, solved if any candidate in the subset is correct; exact, closed form.
 *   <li>{@link #bestOfN}: the highest-scored candidate of the subset; exact in O(M log M), ties handled exactly.
 *   <li>{@link #majorityVote} / {@link #weightedMajorityVote}: self-consistency and score-weighted voting over
 *       final answers; exact enumeration of all subsets when C(M, n) &lt;= {@value #EXACT_LIMIT}, otherwise a seeded
 *       Monte Carlo estimate over {@value #MC_SAMPLES} uniformly drawn subsets (see {@link #isExact}).
 * </ul>
 *
 * <p>All results are fractions in [0, 1].
 */
public final class BestOfN {
  /** Voting is enumerated exactly when the number of subsets C(M, n) is at most this. */
  public static final int EXACT_LIMIT = 20_000;

  /** Number of random subsets of the Monte Carlo voting estimate. */
  public static final int MC_SAMPLES = 2_000;

  private BestOfN() {}

  // ---------------------------------------------------------------------------------------------------------------
  // Pass@N

  /**
   * Unbiased pass@n: 1 - C(M-c, n) / C(M, n), where c is the number of correct candidates; the probability that a
   * uniformly random size-n subset holds at least one correct candidate.
   */
  public static double passAtN(boolean[] correct, int n) {
    Objects.requireNonNull(correct, "correct");
    int m = correct.length;
    checkN(m, n);
    int c = 0;
    for (boolean b : correct) {
      if (b) {
        c++;
      }
    }
    return 1.0 - ratio(m - c, m, n);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Best-of-N by verifier score

  /**
   * Exact expected accuracy of picking the highest-scored candidate of a uniformly random size-n subset.
   *
   * <p>Candidates are grouped by equal score and the groups sorted by score, descending. With {@code a} candidates
   * scored above a group of size {@code s}, the subset's maximum falls in that group with probability
   * [C(M-a, n) - C(M-a-s, n)] / C(M, n) (no candidate from above, at least one from the group). Given that event,
   * the winner is uniformly random among the group's members present, and by symmetry every member of the group is
   * equally likely to be it, so the expected correctness is the group's mean correctness. Runs in O(M log M).
   *
   * @param scores per-candidate verifier scores; NaN is rejected (map a failed score to -Infinity explicitly)
   */
  public static double bestOfN(double[] scores, boolean[] correct, int n) {
    Objects.requireNonNull(scores, "scores");
    Objects.requireNonNull(correct, "correct");
    int m = correct.length;
    if (scores.length != m) {
      throw new IllegalArgumentException(scores.length + " scores for " + m + " candidates");
    }
    checkN(m, n);
    for (int i = 0; i < m; i++) {
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException("score of candidate " + i + " is NaN");
      }
    }
    // Sort candidate indices by score, descending (ties adjacent).
    Integer[] order = new Integer[m];
    for (int i = 0; i < m; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(scores[y], scores[x]));
    // r[A] = C(A, n) / C(M, n) for A = 0..M, by C(A-1, n) / C(A, n) = (A-n) / A.
    double[] r = new double[m + 1];
    r[m] = 1.0;
    for (int a = m; a >= 1; a--) {
      r[a - 1] = a - 1 < n ? 0.0 : r[a] * (a - n) / a;
    }
    double acc = 0.0;
    int above = 0;
    int i = 0;
    while (i < m) {
      int j = i;
      int groupCorrect = 0;
      double s0 = scores[order[i]];
      while (j < m && scores[order[j]] == s0) { // -0.0 == 0.0: one group, as in any comparison by value
        if (correct[order[j]]) {
          groupCorrect++;
        }
        j++;
      }
      int size = j - i;
      double pMaxInGroup = r[m - above] - r[m - above - size];
      acc += pMaxInGroup * groupCorrect / size;
      above += size;
      i = j;
    }
    return acc;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Voting

  /**
   * Self-consistency: expected accuracy over random size-n subsets of the answer with the most votes. See
   * {@link #weightedMajorityVote} for the rules on ties, nulls, correctness per answer, exactness and the seed; this
   * is that with every weight 1.
   */
  public static double majorityVote(String[] answers, boolean[] correct, int n, long seed) {
    Objects.requireNonNull(answers, "answers");
    double[] ones = new double[answers.length];
    Arrays.fill(ones, 1.0);
    return weightedMajorityVote(answers, ones, correct, n, seed);
  }

  /**
   * Weighted majority vote: expected accuracy over random size-n subsets of the answer whose candidates' weights
   * (verifier scores) sum highest.
   *
   * <ul>
   *   <li>Answers are compared with {@link String#equals}; normalise them beforehand.
   *   <li>A {@code null} answer (unparsable) never wins; a subset whose answers are all {@code null} scores 0.
   *   <li>Ties in the winning total (exact {@code double} equality; sums accumulate in ascending candidate order)
   *       are broken uniformly at random, so such a subset contributes the fraction of tied answers that are correct.
   *   <li>An answer is correct iff a strict majority of the pool's candidates giving it are marked correct (they
   *       normally all agree); an even split counts as incorrect.
   *   <li>Exact: all C(M, n) subsets are enumerated when C(M, n) &lt;= {@value #EXACT_LIMIT}
   *       ({@link #isExact}); otherwise the mean over {@value #MC_SAMPLES} uniformly random subsets drawn with
   *       {@code seed} (standard error at most 0.5/sqrt(2000), about 0.011). {@code seed} is unused on the exact
   *       path.
   * </ul>
   *
   * @param weights per-candidate weights; must be finite (negative weights are allowed and simply sum)
   */
  public static double weightedMajorityVote(
      String[] answers, double[] weights, boolean[] correct, int n, long seed) {
    Voting v = new Voting(answers, weights, correct, n);
    return isExact(v.m, n) ? v.exact() : v.monteCarlo(MC_SAMPLES, seed);
  }

  /** Whether voting over size-n subsets of M candidates is enumerated exactly (C(M, n) &lt;= EXACT_LIMIT). */
  public static boolean isExact(int m, int n) {
    checkN(m, n);
    return binomialAtMost(m, n, EXACT_LIMIT);
  }

  /** Package-private for tests: exact enumeration regardless of {@link #EXACT_LIMIT}. */
  static double weightedMajorityVoteExact(String[] answers, double[] weights, boolean[] correct, int n) {
    return new Voting(answers, weights, correct, n).exact();
  }

  /** Package-private for tests: Monte Carlo regardless of {@link #EXACT_LIMIT}. */
  static double weightedMajorityVoteMonteCarlo(
      String[] answers, double[] weights, boolean[] correct, int n, int samples, long seed) {
    return new Voting(answers, weights, correct, n).monteCarlo(samples, seed);
  }

  /** Per-pool voting state: answers interned to ids, with each answer's pool-level correctness. */
  private static final class Voting {
    final int m;
    final int n;
    final int[] answerId; // -1 for null
    final boolean[] answerCorrect;
    final double[] weights;
    final double[] sums;
    final boolean[] seen;
    final int[] touched;

    Voting(String[] answers, double[] weights, boolean[] correct, int n) {
      Objects.requireNonNull(answers, "answers");
      Objects.requireNonNull(weights, "weights");
      Objects.requireNonNull(correct, "correct");
      m = correct.length;
      if (answers.length != m || weights.length != m) {
        throw new IllegalArgumentException(
            answers.length + " answers and " + weights.length + " weights for " + m + " candidates");
      }
      checkN(m, n);
      this.n = n;
      for (int i = 0; i < m; i++) {
        if (!Double.isFinite(weights[i])) {
          throw new IllegalArgumentException("weight of candidate " + i + " is " + weights[i]);
        }
      }
      this.weights = weights.clone();
      answerId = new int[m];
      Map<String, Integer> ids = new HashMap<>();
      int[] votesCorrect = new int[m];
      int[] votesTotal = new int[m];
      for (int i = 0; i < m; i++) {
        if (answers[i] == null) {
          answerId[i] = -1;
          continue;
        }
        int id = ids.computeIfAbsent(answers[i], k -> ids.size());
        answerId[i] = id;
        votesTotal[id]++;
        if (correct[i]) {
          votesCorrect[id]++;
        }
      }
      answerCorrect = new boolean[ids.size()];
      for (int id = 0; id < answerCorrect.length; id++) {
        answerCorrect[id] = 2 * votesCorrect[id] > votesTotal[id];
      }
      sums = new double[answerCorrect.length];
      seen = new boolean[answerCorrect.length];
      touched = new int[n];
    }

    /** Expected correctness of the vote over the candidates {@code idx[0..n)}, given in ascending order. */
    double score(int[] idx) {
      int nt = 0;
      for (int k = 0; k < n; k++) {
        int id = answerId[idx[k]];
        if (id < 0) {
          continue;
        }
        if (!seen[id]) {
          seen[id] = true;
          touched[nt++] = id;
        }
        sums[id] += weights[idx[k]];
      }
      if (nt == 0) {
        return 0.0;
      }
      double best = Double.NEGATIVE_INFINITY;
      int tied = 0;
      int tiedCorrect = 0;
      for (int t = 0; t < nt; t++) {
        double s = sums[touched[t]];
        if (s > best) {
          best = s;
          tied = 0;
          tiedCorrect = 0;
        }
        if (s == best) {
          tied++;
          if (answerCorrect[touched[t]]) {
            tiedCorrect++;
          }
        }
      }
      for (int t = 0; t < nt; t++) {
        sums[touched[t]] = 0.0;
        seen[touched[t]] = false;
      }
      return (double) tiedCorrect / tied;
    }

    double exact() {
      int[] idx = new int[n];
      for (int k = 0; k < n; k++) {
        idx[k] = k;
      }
      double total = 0.0;
      long count = 0;
      while (true) {
        total += score(idx);
        count++;
        // next combination in lexicographic order
        int k = n - 1;
        while (k >= 0 && idx[k] == m - n + k) {
          k--;
        }
        if (k < 0) {
          break;
        }
        idx[k]++;
        for (int j = k + 1; j < n; j++) {
          idx[j] = idx[j - 1] + 1;
        }
      }
      return total / count;
    }

    double monteCarlo(int samples, long seed) {
      SplittableRandom rnd = new SplittableRandom(seed);
      int[] perm = new int[m];
      for (int i = 0; i < m; i++) {
        perm[i] = i;
      }
      int[] idx = new int[n];
      double total = 0.0;
      for (int s = 0; s < samples; s++) {
        // partial Fisher-Yates: perm[0..n) becomes a uniformly random n-subset
        for (int k = 0; k < n; k++) {
          int j = k + rnd.nextInt(m - k);
          int tmp = perm[k];
          perm[k] = perm[j];
          perm[j] = tmp;
        }
        System.arraycopy(perm, 0, idx, 0, n);
        Arrays.sort(idx);
        total += score(idx);
      }
      return total / samples;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Means over problems

  /** Mean pass@N over problems, per N (in the order of {@code ns}). */
  public static Map<Integer, Double> passAtNCurve(List<Pool> pools, int[] ns) {
    return curve(pools, ns, (p, n) -> passAtN(p.correct(), n));
  }

  /** Mean Best-of-N accuracy over problems when selecting by {@code method}'s scores, per N. */
  public static Map<Integer, Double> bestOfNCurve(List<Pool> pools, String method, int[] ns) {
    return curve(pools, ns, (p, n) -> bestOfN(p.scoresOf(method), p.correct(), n));
  }

  /**
   * Mean self-consistency accuracy over problems, per N. Each (problem, N) gets its own Monte Carlo seed derived
   * from {@code seed}, the problem id and N, so results do not depend on the order of {@code pools}.
   */
  public static Map<Integer, Double> majorityVoteCurve(List<Pool> pools, int[] ns, long seed) {
    return curve(pools, ns, (p, n) -> majorityVote(p.answers(), p.correct(), n, problemSeed(seed, p, n)));
  }

  /** Mean weighted-majority-vote accuracy over problems, weighting by {@code method}'s scores, per N. */
  public static Map<Integer, Double> weightedMajorityVoteCurve(
      List<Pool> pools, String method, int[] ns, long seed) {
    return curve(
        pools,
        ns,
        (p, n) -> weightedMajorityVote(p.answers(), p.scoresOf(method), p.correct(), n, problemSeed(seed, p, n)));
  }

  /** One estimator evaluated on one pool at one N. */
  @FunctionalInterface
  public interface Estimator {
    double estimate(Pool pool, int n);
  }

  /**
   * Mean of {@code estimator} over {@code pools}, per N, in the order of {@code ns}. Every pool must hold at least
   * max(ns) candidates; a smaller pool is an {@link IllegalArgumentException} naming it.
   */
  public static Map<Integer, Double> curve(List<Pool> pools, int[] ns, Estimator estimator) {
    Objects.requireNonNull(pools, "pools");
    Objects.requireNonNull(ns, "ns");
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("no problems to average over");
    }
    Map<Integer, Double> out = new LinkedHashMap<>();
    for (int n : ns) {
      if (out.containsKey(n)) {
        throw new IllegalArgumentException("N = " + n + " given twice");
      }
      double sum = 0.0;
      for (Pool p : pools) {
        if (n < 1 || n > p.size()) {
          throw new IllegalArgumentException(
              "problem " + p.problemId() + ": N = " + n + " but the pool has " + p.size() + " candidates");
        }
        sum += estimator.estimate(p, n);
      }
      out.put(n, sum / pools.size());
    }
    return out;
  }

  /** A curve's values in the order of {@code ns}, e.g. for {@link Plots}. */
  public static double[] values(Map<Integer, Double> curve, int[] ns) {
    double[] v = new double[ns.length];
    for (int i = 0; i < ns.length; i++) {
      Double d = curve.get(ns[i]);
      if (d == null) {
        throw new IllegalArgumentException("curve has no value for N = " + ns[i]);
      }
      v[i] = d;
    }
    return v;
  }

  static long problemSeed(long seed, Pool p, int n) {
    long h = seed ^ (p.problemId().hashCode() * 0x9E3779B97F4A7C15L) ^ ((long) n << 32);
    return new SplittableRandom(h).nextLong();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Combinatorics

  private static void checkN(int m, int n) {
    if (m < 1) {
      throw new IllegalArgumentException("empty pool");
    }
    if (n < 1 || n > m) {
      throw new IllegalArgumentException("n = " + n + " must be in [1, " + m + "]");
    }
  }

  /** C(a, n) / C(m, n) = prod_{j<n} (a-j)/(m-j), 0 when a &lt; n. */
  static double ratio(int a, int m, int n) {
    if (a < n) {
      return 0.0;
    }
    double r = 1.0;
    for (int j = 0; j < n; j++) {
      r *= (double) (a - j) / (m - j);
    }
    return r;
  }

  /** Whether C(m, n) &lt;= limit, without overflow. */
  static boolean binomialAtMost(int m, int n, long limit) {
    int k = Math.min(n, m - n);
    long c = 1;
    for (int j = 1; j <= k; j++) {
      c = c * (m - k + j) / j; // exact: C(m-k+j, j) is an integer at every step
      if (c > limit) {
        return false;
      }
    }
    return true;
  }
}
