package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class VerifierMetricsTest {
  private static final double EPS = 1e-12;

  @Test
  void aurocKnownExamples() {
    boolean[] y = {false, false, true, true};
    assertEquals(1.0, VerifierMetrics.auroc(new double[] {0.1, 0.2, 0.8, 0.9}, y), EPS);
    assertEquals(0.0, VerifierMetrics.auroc(new double[] {0.9, 0.8, 0.2, 0.1}, y), EPS);
    assertEquals(0.5, VerifierMetrics.auroc(new double[] {0.5, 0.5, 0.5, 0.5}, y), EPS);
    // one positive tied with one negative, above the other: (1 + 0.5) / 2
    assertEquals(0.75, VerifierMetrics.auroc(new double[] {0.1, 0.7, 0.7}, new boolean[] {false, false, true}), EPS);
    assertTrue(Double.isNaN(VerifierMetrics.auroc(new double[] {0.1, 0.2}, new boolean[] {true, true})));
    assertTrue(Double.isNaN(VerifierMetrics.auroc(new double[] {0.1, 0.2}, new boolean[] {false, false})));
    assertTrue(Double.isNaN(VerifierMetrics.auroc(new double[0], new boolean[0])));
  }

  @Test
  void aurocMatchesPairCounting() {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 300; trial++) {
      int m = 2 + rnd.nextInt(60);
      double[] s = new double[m];
      boolean[] y = new boolean[m];
      for (int i = 0; i < m; i++) {
        s[i] = rnd.nextBoolean() ? rnd.nextInt(4) : rnd.nextDouble() * 3;
        y[i] = rnd.nextBoolean();
      }
      double pairs = 0;
      double wins = 0;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          if (y[i] && !y[j]) {
            pairs++;
            wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
          }
        }
      }
      double expected = pairs == 0 ? Double.NaN : wins / pairs;
      assertEquals(expected, VerifierMetrics.auroc(s, y), 1e-12, "trial " + trial);
    }
  }

  @Test
  void accuracyAtThreshold() {
    double[] s = {0.5, 0.49, 0.9, 0.1};
    boolean[] y = {true, true, false, false};
    assertEquals(0.5, VerifierMetrics.accuracy(s, y), EPS); // 0.5 -> correct (hit), 0.49 miss, 0.9 miss, 0.1 hit
    assertEquals(0.75, VerifierMetrics.accuracy(s, y, 0.45), EPS);
  }

  @Test
  void eceHandComputed() {
    // bins: 0.05 -> [0, .1): |.05 - 0|; 0.15 -> [.1, .2): |.15 - 1|; two at .95 -> last bin: |.95 - .5| * 2
    double[] p = {0.05, 0.15, 0.95, 0.95};
    boolean[] y = {false, true, true, false};
    assertEquals((0.05 + 0.85 + 2 * 0.45) / 4, VerifierMetrics.expectedCalibrationError(p, y), EPS);
    // 1.0 falls in the last bin, 0.0 in the first
    assertEquals(0.0, VerifierMetrics.expectedCalibrationError(new double[] {1.0, 0.0}, new boolean[] {true, false}), EPS);
    assertEquals(1.0, VerifierMetrics.expectedCalibrationError(new double[] {1.0, 0.0}, new boolean[] {false, true}), EPS);
    // two probabilities in one bin cancel: mean .3 vs accuracy .5 -> .2 (not the mean |p - y|)
    assertEquals(0.2, VerifierMetrics.expectedCalibrationError(new double[] {0.21, 0.39}, new boolean[] {true, false}, 5), 1e-12);
    // one bin: |mean p - mean y|
    assertEquals(Math.abs(0.4 - 2.0 / 3), VerifierMetrics.expectedCalibrationError(
        new double[] {0.2, 0.4, 0.6}, new boolean[] {true, true, false}, 1), EPS);
    assertThrows(IllegalArgumentException.class,
        () -> VerifierMetrics.expectedCalibrationError(new double[] {1.2}, new boolean[] {true}));
    assertTrue(Double.isNaN(VerifierMetrics.expectedCalibrationError(new double[0], new boolean[0])));
  }

  @Test
  void brierHandComputed() {
    assertEquals((0 + 1 + 0.25) / 3, VerifierMetrics.brier(new double[] {1.0, 0.0, 0.5}, new boolean[] {true, true, false}), EPS);
  }

  @Test
  void standardDeviationOfTheFiniteScoresOnly() {
    assertEquals(1.0, VerifierMetrics.standardDeviation(new double[] {1, 3}), EPS);
    assertEquals(0.0, VerifierMetrics.standardDeviation(new double[] {0.5, 0.5, Double.NEGATIVE_INFINITY}), EPS);
    assertTrue(Double.isNaN(VerifierMetrics.standardDeviation(new double[] {Double.NEGATIVE_INFINITY})));
  }

  @Test
  void rejectsMismatchedOrNaN() {
    assertThrows(IllegalArgumentException.class, () -> VerifierMetrics.auroc(new double[] {1}, new boolean[2]));
    assertThrows(IllegalArgumentException.class,
        () -> VerifierMetrics.auroc(new double[] {Double.NaN, 1}, new boolean[] {true, false}));
  }

  @Test
  void pairedAccuracyCountsWinsAndHalfTies() {
    assertEquals(0.5, VerifierMetrics.pairedAccuracy(new double[] {0.9, 0.2}, new double[] {0.1, 0.3}), EPS);
    assertEquals(0.75, VerifierMetrics.pairedAccuracy(new double[] {0.9, 0.5}, new double[] {0.1, 0.5}), EPS);
    assertTrue(Double.isNaN(VerifierMetrics.pairedAccuracy(new double[0], new double[0])));
    assertThrows(IllegalArgumentException.class,
        () -> VerifierMetrics.pairedAccuracy(new double[1], new double[2]));
  }
}
