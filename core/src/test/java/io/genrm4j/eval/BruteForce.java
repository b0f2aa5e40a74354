package io.genrm4j.eval;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test-only reference implementations: enumerate every size-n subset of the M candidates (as bit masks, M &lt;= 20)
 * and average the selection rule's outcome over them, straight from the definitions.
 */
final class BruteForce {
  private BruteForce() {}

  interface SubsetRule {
    double outcome(int[] members);
  }

  static double average(int m, int n, SubsetRule rule) {
    if (m > 20) {
      throw new IllegalArgumentException("brute force is for small pools");
    }
    double total = 0;
    long count = 0;
    for (int mask = 0; mask < (1 << m); mask++) {
      if (Integer.bitCount(mask) != n) {
        continue;
      }
      int[] members = new int[n];
      int k = 0;
      for (int i = 0; i < m; i++) {
        if ((mask & (1 << i)) != 0) {
          members[k++] = i;
        }
      }
      total += rule.outcome(members);
      count++;
    }
    return total / count;
  }

  static double passAtN(boolean[] correct, int n) {
    return average(correct.length, n, members -> {
      for (int i : members) {
        if (correct[i]) {
          return 1.0;
        }
      }
      return 0.0;
    });
  }

  /** Highest score wins; a tie is a uniform pick among the tied members, i.e. their mean correctness. */
  static double bestOfN(double[] scores, boolean[] correct, int n) {
    return average(correct.length, n, members -> {
      double max = Double.NEGATIVE_INFINITY;
      for (int i : members) {
        max = Math.max(max, scores[i]);
      }
      int tied = 0;
      int good = 0;
      for (int i : members) {
        if (scores[i] == max) {
          tied++;
          good += correct[i] ? 1 : 0;
        }
      }
      return (double) good / tied;
    });
  }

  static double vote(String[] answers, double[] weights, boolean[] correct, int n) {
    // an answer is correct iff a strict majority of its candidates in the whole pool are correct
    Map<String, int[]> tally = new HashMap<>();
    for (int i = 0; i < answers.length; i++) {
      if (answers[i] != null) {
        int[] t = tally.computeIfAbsent(answers[i], a -> new int[2]);
        t[0] += correct[i] ? 1 : 0;
        t[1]++;
      }
    }
    return average(correct.length, n, members -> {
      Map<String, Double> sums = new LinkedHashMap<>();
      for (int i : members) {
        if (answers[i] != null) {
          sums.merge(answers[i], weights[i], Double::sum);
        }
      }
      if (sums.isEmpty()) {
        return 0.0;
      }
      double best = sums.values().stream().mapToDouble(Double::doubleValue).max().getAsDouble();
      int tied = 0;
      int good = 0;
      for (Map.Entry<String, Double> e : sums.entrySet()) {
        if (e.getValue() == best) {
          tied++;
          int[] t = tally.get(e.getKey());
          good += 2 * t[0] > t[1] ? 1 : 0;
        }
      }
      return (double) good / tied;
    });
  }
}
