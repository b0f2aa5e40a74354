package io.genrm4j.eval;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap intervals over problems. The per-problem Best-of-N values are exact expectations, so the only
 * noise left is which problems were drawn: each resample draws as many problems as there are, with replacement,
 * and recomputes the statistic on them.
 */
public final class Bootstrap {
  private Bootstrap() {}

  /** 1,000 resamples: the 2.5% and 97.5% percentiles then sit on the 25th and 975th sorted value. */
  public static final int RESAMPLES = 1_000;
  public static final double LEVEL = 0.95;

  /** A closed interval [lo, hi]. */
  public record Interval(double lo, double hi) {
    public boolean contains(double v) {
      return lo <= v && v <= hi;
    }
  }

  /** The problem indices of each resample: [resamples][problems], the same for every method (paired). */
  public static int[][] resamples(int problems, int resamples, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[][] out = new int[resamples][problems];
    for (int[] draw : out) {
      for (int i = 0; i < problems; i++) {
        draw[i] = r.nextInt(problems);
      }
    }
    return out;
  }

  /** Interval of the mean of per-problem values [problems] over the given resamples. */
  public static Interval meanInterval(double[] perProblem, int[][] resamples) {
    double[] means = new double[resamples.length];
    for (int b = 0; b < resamples.length; b++) {
      double sum = 0;
      for (int i : resamples[b]) {
        sum += perProblem[i];
      }
      means[b] = sum / resamples[b].length;
    }
    return percentiles(means);
  }

  /**
   * Interval of the AUROC over the pooled candidates of the drawn problems; scores and labels per problem. A resample
   * with one class has no AUROC and is left out; with none left the interval is [NaN, NaN].
   */
  public static Interval aurocInterval(List<double[]> scores, List<boolean[]> labels, int[][] resamples) {
    double[] aurocs = new double[resamples.length];
    int kept = 0;
    for (int[] draw : resamples) {
      int size = 0;
      for (int i : draw) {
        size += scores.get(i).length;
      }
      double[] s = new double[size];
      boolean[] y = new boolean[size];
      int at = 0;
      for (int i : draw) {
        System.arraycopy(scores.get(i), 0, s, at, scores.get(i).length);
        System.arraycopy(labels.get(i), 0, y, at, labels.get(i).length);
        at += scores.get(i).length;
      }
      double a = VerifierMetrics.auroc(s, y);
      if (!Double.isNaN(a)) {
        aurocs[kept++] = a;
      }
    }
    return kept == 0 ? new Interval(Double.NaN, Double.NaN) : percentiles(Arrays.copyOf(aurocs, kept));
  }

  /** The (1 - LEVEL)/2 and (1 + LEVEL)/2 percentiles (nearest rank) of the statistics. */
  static Interval percentiles(double[] stats) {
    double[] sorted = stats.clone();
    Arrays.sort(sorted);
    return new Interval(sorted[rank(sorted.length, (1 - LEVEL) / 2)], sorted[rank(sorted.length, (1 + LEVEL) / 2)]);
  }

  /** Nearest-rank index of quantile q in n sorted values (0.025 * 1000 is 25.000000000000004: round that off). */
  static int rank(int n, double q) {
    return Math.min(n - 1, Math.max(0, (int) Math.ceil(q * n - 1e-9) - 1));
  }
}
