package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BestOfNTest {
  private static final double EPS = 1e-9;
  private static final String[] ANSWER_SET = {"42", "7", "13", null};

  /** A random pool with heavy ties in scores, repeated answers, nulls, and occasionally inconsistent labels. */
  private static Object[] randomPool(Random rnd, int m) {
    boolean[] correct = new boolean[m];
    String[] answers = new String[m];
    double[] scores = new double[m];
    double[] weights = new double[m];
    for (int i = 0; i < m; i++) {
      answers[i] = ANSWER_SET[rnd.nextInt(ANSWER_SET.length)];
      correct[i] = "42".equals(answers[i]);
      if (rnd.nextInt(8) == 0) {
        correct[i] = !correct[i]; // label noise: candidates sharing an answer disagree
      }
      scores[i] = rnd.nextInt(5) / 4.0; // 0, .25, .5, .75, 1: many ties
      weights[i] = rnd.nextInt(8) == 0 ? -rnd.nextInt(3) / 4.0 : rnd.nextInt(5) / 4.0; // dyadic: sums exact
    }
    return new Object[] {correct, answers, scores, weights};
  }

  @Test
  void estimatorsMatchBruteForceOnRandomSmallPools() {
    Random rnd = new Random(20240815);
    int checked = 0;
    for (int trial = 0; trial < 300; trial++) {
      int m = 1 + rnd.nextInt(10);
      Object[] p = randomPool(rnd, m);
      boolean[] correct = (boolean[]) p[0];
      String[] answers = (String[]) p[1];
      double[] scores = (double[]) p[2];
      double[] weights = (double[]) p[3];
      double[] ones = new double[m];
      Arrays.fill(ones, 1.0);
      for (int n = 1; n <= m; n++) {
        String ctx = "trial " + trial + " m=" + m + " n=" + n;
        assertEquals(BruteForce.passAtN(correct, n), BestOfN.passAtN(correct, n), EPS, ctx);
        assertEquals(BruteForce.bestOfN(scores, correct, n), BestOfN.bestOfN(scores, correct, n), EPS, ctx);
        assertTrue(BestOfN.isExact(m, n));
        assertEquals(
            BruteForce.vote(answers, ones, correct, n), BestOfN.majorityVote(answers, correct, n, 1L), EPS, ctx);
        assertEquals(
            BruteForce.vote(answers, weights, correct, n),
            BestOfN.weightedMajorityVote(answers, weights, correct, n, 1L),
            EPS,
            ctx);
        // continuous scores as weights too (sums in candidate order on both sides)
        assertEquals(
            BruteForce.vote(answers, scores, correct, n),
            BestOfN.weightedMajorityVote(answers, scores, correct, n, 1L),
            EPS,
            ctx);
        checked++;
      }
    }
    assertTrue(checked > 1000);
  }

  @Test
  void bruteForceAgreesOnHandExample() {
    // scores tie at the top: {0.9: correct, 0.9: wrong}, then 0.5 correct
    double[] s = {0.9, 0.9, 0.5};
    boolean[] c = {true, false, true};
    // n=3: top group mean = 0.5; n=2: subsets {0,1}->.5, {0,2}->1, {1,2}->0 => .5; n=1: 2/3
    assertEquals(0.5, BestOfN.bestOfN(s, c, 3), EPS);
    assertEquals(0.5, BestOfN.bestOfN(s, c, 2), EPS);
    assertEquals(2.0 / 3, BestOfN.bestOfN(s, c, 1), EPS);
    // votes: "a","a" wrong-majority? answers a(correct), a(wrong) -> even split counts as incorrect
    String[] a = {"a", "a", "b"};
    // n=3: a has 2 votes -> incorrect (1 of 2) => 0
    assertEquals(0.0, BestOfN.majorityVote(a, c, 3, 0), EPS);
    // all null answers never win
    assertEquals(0.0, BestOfN.majorityVote(new String[] {null, null, null}, c, 2, 0), EPS);
    // null never wins even with more votes
    assertEquals(1.0, BestOfN.majorityVote(new String[] {null, null, "x"}, new boolean[] {true, true, true}, 3, 0));
  }

  @Test
  void monteCarloPathIsCloseToExactOnLargerPools() {
    Random rnd = new Random(7);
    for (int trial = 0; trial < 5; trial++) {
      int m = 24;
      int n = 6; // C(24, 6) = 134,596 > 20,000: Monte Carlo
      Object[] p = randomPool(rnd, m);
      boolean[] correct = (boolean[]) p[0];
      String[] answers = (String[]) p[1];
      double[] scores = (double[]) p[2];
      double[] ones = new double[m];
      Arrays.fill(ones, 1.0);
      assertFalse(BestOfN.isExact(m, n));
      double exactMv = BestOfN.weightedMajorityVoteExact(answers, ones, correct, n);
      double exactW = BestOfN.weightedMajorityVoteExact(answers, scores, correct, n);
      assertEquals(exactMv, BestOfN.majorityVote(answers, correct, n, 1000 + trial), 0.03);
      assertEquals(exactW, BestOfN.weightedMajorityVote(answers, scores, correct, n, 2000 + trial), 0.03);
      // the seed makes it reproducible
      assertEquals(
          BestOfN.majorityVote(answers, correct, n, 99), BestOfN.majorityVote(answers, correct, n, 99), 0.0);
    }
  }

  @Test
  void exactnessThreshold() {
    assertTrue(BestOfN.isExact(64, 2)); // 2016
    assertFalse(BestOfN.isExact(64, 3)); // 41664
    assertTrue(BestOfN.isExact(16, 8)); // 12870
    assertTrue(BestOfN.isExact(64, 64));
    assertTrue(BestOfN.isExact(64, 63));
    assertFalse(BestOfN.isExact(64, 32));
  }

  @Test
  void bestOfNEndpointsAndOrderingProperties() {
    Random rnd = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int m = 1 + rnd.nextInt(64);
      boolean[] c = new boolean[m];
      double[] s = new double[m];
      int nCorrect = 0;
      for (int i = 0; i < m; i++) {
        c[i] = rnd.nextBoolean();
        nCorrect += c[i] ? 1 : 0;
        s[i] = rnd.nextBoolean() ? rnd.nextInt(4) : rnd.nextGaussian();
      }
      assertEquals((double) nCorrect / m, BestOfN.bestOfN(s, c, 1), EPS);
      double top = Arrays.stream(s).max().getAsDouble();
      int tied = 0;
      int good = 0;
      for (int i = 0; i < m; i++) {
        if (s[i] == top) {
          tied++;
          good += c[i] ? 1 : 0;
        }
      }
      assertEquals((double) good / tied, BestOfN.bestOfN(s, c, m), EPS);
      double prev = -1;
      for (int n = 1; n <= m; n++) {
        double pass = BestOfN.passAtN(c, n);
        double best = BestOfN.bestOfN(s, c, n);
        assertTrue(pass >= best - EPS, "pass@" + n + " < best-of-" + n);
        assertTrue(pass >= prev - EPS, "pass@N decreased at " + n);
        assertTrue(best >= -EPS && best <= 1 + EPS);
        prev = pass;
      }
    }
  }

  @Test
  void passAtNMatchesBigIntegerFormulaUpTo64() {
    int m = 64;
    for (int c = 0; c <= m; c += 3) {
      boolean[] correct = new boolean[m];
      for (int i = 0; i < c; i++) {
        correct[i] = true;
      }
      for (int n = 1; n <= m; n++) {
        BigInteger num = binom(m - c, n);
        BigInteger den = binom(m, n);
        double expected = 1.0 - new java.math.BigDecimal(num)
            .divide(new java.math.BigDecimal(den), java.math.MathContext.DECIMAL64).doubleValue();
        assertEquals(expected, BestOfN.passAtN(correct, n), 1e-12, "c=" + c + " n=" + n);
      }
    }
    boolean[] one = new boolean[64];
    one[17] = true;
    assertEquals(0.5, BestOfN.passAtN(one, 32), 1e-12);
  }

  private static BigInteger binom(int a, int k) {
    if (k > a || a < 0) {
      return BigInteger.ZERO;
    }
    BigInteger r = BigInteger.ONE;
    for (int j = 0; j < k; j++) {
      r = r.multiply(BigInteger.valueOf(a - j)).divide(BigInteger.valueOf(j + 1));
    }
    return r;
  }

  @Test
  void rejectsBadInput() {
    boolean[] c = {true, false};
    assertThrows(IllegalArgumentException.class, () -> BestOfN.passAtN(c, 0));
    assertThrows(IllegalArgumentException.class, () -> BestOfN.passAtN(c, 3));
    assertThrows(IllegalArgumentException.class, () -> BestOfN.bestOfN(new double[] {1}, c, 1));
    assertThrows(IllegalArgumentException.class, () -> BestOfN.bestOfN(new double[] {1, Double.NaN}, c, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> BestOfN.weightedMajorityVote(new String[] {"a", "b"}, new double[] {1, Double.NaN}, c, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> BestOfN.passAtN(new boolean[0], 1));
  }

  @Test
  void curvesAverageOverProblems() {
    Pool p1 = new Pool("p1", new boolean[] {true, false}, new String[] {"1", "2"},
        Map.of("orm", new double[] {0.9, 0.1}));
    Pool p2 = new Pool("p2", new boolean[] {false, false}, new String[] {"3", null},
        Map.of("orm", new double[] {0.2, 0.8}));
    List<Pool> pools = List.of(p1, p2);
    int[] ns = {1, 2};
    Map<Integer, Double> pass = BestOfN.passAtNCurve(pools, ns);
    assertEquals(List.of(1, 2), List.copyOf(pass.keySet()));
    assertEquals((0.5 + 0) / 2, pass.get(1), EPS);
    assertEquals((1.0 + 0) / 2, pass.get(2), EPS);
    Map<Integer, Double> bon = BestOfN.bestOfNCurve(pools, "orm", ns);
    assertEquals(0.25, bon.get(1), EPS);
    assertEquals(0.5, bon.get(2), EPS);
    Map<Integer, Double> mv = BestOfN.majorityVoteCurve(pools, ns, 5);
    assertEquals(0.25, mv.get(1), EPS); // p1: 1/2; p2: 0
    assertEquals(0.25, mv.get(2), EPS); // p1: tie 1-1 -> 1/2
    Map<Integer, Double> wmv = BestOfN.weightedMajorityVoteCurve(pools, "orm", ns, 5);
    assertEquals(0.5, wmv.get(2), EPS); // p1: "1" has 0.9 > 0.1
    assertEquals(BestOfN.values(bon, ns)[1], 0.5, EPS);
    assertThrows(IllegalArgumentException.class, () -> BestOfN.passAtNCurve(pools, new int[] {3}));
    assertThrows(IllegalArgumentException.class, () -> BestOfN.bestOfNCurve(pools, "missing", ns));
  }
}
