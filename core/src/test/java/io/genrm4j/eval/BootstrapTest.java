package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BootstrapTest {

  @Test
  void intervalContainsThePointEstimate() {
    double[] values = {0, 0.25, 1, 1, 0.5, 0, 0.75, 1, 0, 0.125};
    double mean = Arrays.stream(values).average().orElseThrow();
    Bootstrap.Interval iv = Bootstrap.meanInterval(values, Bootstrap.resamples(values.length, 1000, 7));
    assertTrue(iv.contains(mean), iv + " should contain " + mean);
    assertTrue(iv.lo() < iv.hi(), "varying problems give a proper interval: " + iv);
  }

  @Test
  void identicalProblemsGiveAPoint() {
    double[] values = {0.375, 0.375, 0.375, 0.375};
    Bootstrap.Interval iv = Bootstrap.meanInterval(values, Bootstrap.resamples(values.length, 1000, 3));
    assertEquals(new Bootstrap.Interval(0.375, 0.375), iv);
  }

  @Test
  void twoProblemsZeroAndOneGiveTheFullRange() {
    // means of 2 draws are 0, 0.5, 1 with probability 1/4, 1/2, 1/4: the 2.5% and 97.5% percentiles are 0 and 1
    Bootstrap.Interval iv = Bootstrap.meanInterval(new double[] {0, 1}, Bootstrap.resamples(2, 1000, 11));
    assertEquals(new Bootstrap.Interval(0, 1), iv);
  }

  @Test
  void percentilesAreNearestRank() {
    double[] stats = new double[1000];
    for (int i = 0; i < stats.length; i++) {
      stats[i] = 999 - i; // unsorted on purpose
    }
    // nearest rank: the 25th and 975th smallest values (0-based 24 and 974)
    assertEquals(new Bootstrap.Interval(24, 974), Bootstrap.percentiles(stats));
  }

  @Test
  void deterministicForASeed() {
    assertArrayEquals(Bootstrap.resamples(5, 50, 42)[49], Bootstrap.resamples(5, 50, 42)[49]);
    double[] values = {0, 0.2, 0.9, 0.4, 1};
    assertEquals(Bootstrap.meanInterval(values, Bootstrap.resamples(5, 1000, 42)),
        Bootstrap.meanInterval(values, Bootstrap.resamples(5, 1000, 42)));
  }

  @Test
  void aurocIntervalContainsTheAurocOfAllProblems() {
    List<double[]> scores = List.of(new double[] {0.9, 0.2, 0.4}, new double[] {0.8, 0.7}, new double[] {0.1, 0.6},
        new double[] {0.3, 0.5, 0.95});
    List<boolean[]> labels = List.of(new boolean[] {true, false, false}, new boolean[] {true, false},
        new boolean[] {false, true}, new boolean[] {false, true, true});
    double[] all = {0.9, 0.2, 0.4, 0.8, 0.7, 0.1, 0.6, 0.3, 0.5, 0.95};
    boolean[] y = {true, false, false, true, false, false, true, false, true, true};
    double point = VerifierMetrics.auroc(all, y);
    Bootstrap.Interval iv = Bootstrap.aurocInterval(scores, labels, Bootstrap.resamples(4, 1000, 5));
    assertTrue(iv.contains(point), iv + " should contain " + point);
    assertTrue(iv.hi() <= 1 && iv.lo() >= 0);
  }

  @Test
  void aurocOfOneClassEverywhereIsNaN() {
    Bootstrap.Interval iv = Bootstrap.aurocInterval(List.of(new double[] {0.1, 0.2}),
        List.of(new boolean[] {true, true}), Bootstrap.resamples(1, 10, 1));
    assertTrue(Double.isNaN(iv.lo()) && Double.isNaN(iv.hi()));
  }
}
