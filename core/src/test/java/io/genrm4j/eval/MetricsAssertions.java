package io.genrm4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks of metrics.json values that can fail: a NaN is written as JSON null and read back as a non-null NullNode,
 * so a metric must be asserted to be a number in its range, not just present.
 */
final class MetricsAssertions {
  private MetricsAssertions() {}

  /** The value of a metric that exists: a JSON number in [lo, hi]. */
  static double number(JsonNode n, double lo, double hi, String what) {
    assertNotNull(n, what + " is missing");
    assertTrue(n.isNumber(), what + " is not a number: " + n);
    double v = n.asDouble();
    assertTrue(v >= lo && v <= hi, what + " = " + v + ", outside [" + lo + ", " + hi + "]");
    return v;
  }

  /** A fraction: accuracy, AUROC, ECE, Brier, a Best-of-N point. */
  static double fraction(JsonNode n, String what) {
    return number(n, 0, 1, what);
  }

  /** A metric that does not exist: present, and null. */
  static void absent(JsonNode n, String what) {
    assertNotNull(n, what + " is missing");
    assertTrue(n.isNull(), what + " should be null (no such number), is " + n);
  }

  /** The report's Best-of-N keys, in report order: pass@n, self-consistency, every method, weighted voting. */
  static List<String> bestOfNKeys() {
    List<String> keys = new ArrayList<>(List.of(ExperimentReport.PASS, ExperimentReport.SC));
    keys.addAll(Experiment.METHODS);
    keys.add(ExperimentReport.WEIGHTED);
    return keys;
  }

  static List<String> fieldNames(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  /**
   * A split's verifier_metrics: every method, accuracy a fraction, AUROC a fraction exactly when the split has both
   * correct and incorrect candidates (null otherwise), ECE and Brier fractions except for DPO's log-ratio (null),
   * the scores' standard deviation at least 0, {@code unscored} between 0 and the number of candidates.
   */
  static void verifierMetrics(JsonNode split, boolean bothClasses, int candidates, String what) {
    assertEquals(Experiment.METHODS, fieldNames(split), what);
    for (String meth : Experiment.METHODS) {
      JsonNode v = split.get(meth);
      String w = what + " " + meth;
      fraction(v.get("accuracy"), w + " accuracy");
      if (bothClasses) {
        fraction(v.get("auroc"), w + " AUROC");
      } else {
        absent(v.get("auroc"), w + " AUROC with one class");
      }
      for (String calibration : List.of("ece", "brier")) {
        if (!io.genrm4j.verify.VerifierKind.of(meth).probabilityScores()) {
          absent(v.get(calibration), w + " " + calibration + " of a log-ratio");
        } else {
          fraction(v.get(calibration), w + " " + calibration);
        }
      }
      number(v.get("score_sd"), 0, Double.MAX_VALUE, w + " score sd");
      number(v.get("unscored"), 0, candidates, w + " unscored");
    }
  }
}
