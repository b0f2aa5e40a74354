package io.genrm4j.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sampler draws from the distribution it is asked for: temperature, top-k, top-p, greedy. */
class TokenSamplerTest {
  static final double[] P = {0.05, 0.4, 0.1, 0.3, 0.15}; // descending: 1, 3, 4, 2, 0
  static final int DRAWS = 40_000;
  static NDManager mgr;

  @BeforeAll
  static void open() {
    mgr = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    mgr.close();
  }

  static SplittableRandom[] streams(int n, long seed) {
    SplittableRandom[] rng = new SplittableRandom[n];
    for (int b = 0; b < n; b++) {
      rng[b] = TokenSampler.rowRandom(seed, 0, b);
    }
    return rng;
  }

  static boolean[] allLive(int n) {
    boolean[] live = new boolean[n];
    Arrays.fill(live, true);
    return live;
  }

  /** Each token's share of {@link #DRAWS} rows of logits log P, drawn in one call. */
  static double[] frequencies(SamplingParams p) {
    float[] logits = new float[DRAWS * P.length];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.log(P[i % P.length]);
    }
    try (NDManager m = mgr.newSubManager()) {
      NDArray rows = m.create(logits).reshape(DRAWS, P.length);
      TokenSampler.Picks picks = TokenSampler.choose(rows, p, streams(DRAWS, 3), allLive(DRAWS));
      double[] f = new double[P.length];
      for (int id : picks.ids()) {
        f[id] += 1.0 / DRAWS;
      }
      for (int b = 0; b < DRAWS; b++) { // the log-prob reported is the model's (temperature 1) at the chosen id
        assertEquals(Math.log(P[picks.ids()[b]]), picks.logp()[b], 1e-5);
      }
      return f;
    }
  }

  static void assertFrequencies(double[] expected, double[] f) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], f[i], 0.01, "token " + i); // ~4 standard errors at 40,000 draws
    }
  }

  static final SamplingParams T1 = new SamplingParams(1, 1.0, 1, 0, List.of(), 0, false, 0);

  @Test
  void temperatureOneDrawsTheModelsDistribution() {
    assertFrequencies(P, frequencies(T1));
  }

  @Test
  void temperatureSharpens() {
    double[] w = new double[P.length];
    double sum = 0;
    for (int i = 0; i < P.length; i++) {
      w[i] = Math.pow(P[i], 2); // T = 0.5
      sum += w[i];
    }
    for (int i = 0; i < P.length; i++) {
      w[i] /= sum;
    }
    assertFrequencies(w, frequencies(new SamplingParams(1, 0.5, 1, 0, List.of(), 0, false, 0)));
    double kept = w[1] + w[3]; // top-k applies to the sharpened probabilities
    assertFrequencies(new double[] {0, w[1] / kept, 0, w[3] / kept, 0},
        frequencies(new SamplingParams(1, 0.5, 1, 2, List.of(), 0, false, 0)));
  }

  @Test
  void topKKeepsTheKMostLikely() {
    assertFrequencies(new double[] {0, 0.4 / 0.7, 0, 0.3 / 0.7, 0}, frequencies(T1.withTopK(2)));
  }

  @Test
  void topPKeepsTheSmallestNucleusReachingP() {
    // 0.4 + 0.3 = 0.7 < 0.75, + 0.15 = 0.85 >= 0.75: tokens 1, 3, 4
    assertFrequencies(new double[] {0, 0.4 / 0.85, 0, 0.3 / 0.85, 0.15 / 0.85}, frequencies(T1.withTopP(0.75)));
    // top-p within top-k: of {1, 3, 4} (mass 0.85), 0.4 / 0.85 = 0.47 < 0.5 so 1 and 3
    assertFrequencies(new double[] {0, 0.4 / 0.7, 0, 0.3 / 0.7, 0}, frequencies(T1.withTopK(3).withTopP(0.5)));
  }

  /**
   * The engine's draw (plain temperature) and the Java one (the top-k / top-p path, here with neither filter set)
   * pick the same token from the same stream, on random rows of a 1,000-token vocabulary.
   */
  @Test
  void engineAndJavaDrawsAgree() {
    int b = 2_000;
    int v = 1_000;
    SplittableRandom src = new SplittableRandom(9);
    float[] logits = new float[b * v];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) (3 * src.nextGaussian());
    }
    SamplingParams p = new SamplingParams(1, 0.7, 1, 0, List.of(), 0, false, 0);
    try (NDManager m = mgr.newSubManager()) {
      NDArray rows = m.create(logits).reshape(b, v);
      int[] engine = TokenSampler.choose(rows, p, streams(b, 4), allLive(b)).ids();
      float[] probs = rows.div(m.create(0.7f)).softmax(1).toFloatArray();
      SplittableRandom[] rng = streams(b, 4);
      int differ = 0;
      for (int r = 0; r < b; r++) {
        int java = TokenSampler.chooseFiltered(Arrays.copyOfRange(probs, r * v, (r + 1) * v), p, rng[r]);
        differ += java == engine[r] ? 0 : 1;
      }
      assertEquals(0, differ, "rows whose engine and Java draws differ");
    }
  }

  /** Rows that are not live, and greedy rows, leave their random streams untouched. */
  @Test
  void onlyLiveSampledRowsDraw() {
    try (NDManager m = mgr.newSubManager()) {
      NDArray rows = m.create(new float[] {0f, 1f, 2f, 0f, 1f, 2f}).reshape(2, 3);
      SplittableRandom[] rng = streams(2, 5);
      TokenSampler.choose(rows, T1, rng, new boolean[] {true, false});
      SplittableRandom[] fresh = streams(2, 5);
      fresh[0].nextDouble();
      assertEquals(fresh[0].nextDouble(), rng[0].nextDouble());
      assertEquals(fresh[1].nextDouble(), rng[1].nextDouble());
      TokenSampler.choose(rows, SamplingParams.greedy(1), rng, allLive(2));
      assertEquals(fresh[0].nextDouble(), rng[0].nextDouble());
    }
  }

  @Test
  void topIdsAreTheLargestInOrder() {
    assertArrayEquals(new int[] {1, 3, 4}, TokenSampler.topIds(new float[] {-3f, -0.5f, -2f, -1f, -1.5f}, 3));
    assertArrayEquals(new int[] {1, 3}, TokenSampler.topIds(new float[] {-3f, -0.5f, -2f, -0.5f}, 2)); // ties
  }

  @Test
  void greedyTakesTheFirstOfTiedMaxima() {
    try (NDManager m = mgr.newSubManager()) {
      NDArray rows = m.create(new float[] {-2f, -0.5f, -3f, -0.5f, 1f, 0f, 1f, 1f}).reshape(2, 4);
      TokenSampler.Picks picks = TokenSampler.choose(rows, SamplingParams.greedy(1), streams(2, 1), allLive(2));
      assertArrayEquals(new int[] {1, 0}, picks.ids());
    }
  }

  /**
   * The host's draws (plain-Java decoding) pick each live row's token from its own logits and stream alone: the same
   * picks and log-probs on one thread or two, rows that are not live skipped (their logits absent), greedy rows the
   * first of tied maxima, as the engine's.
   */
  @Test
  void hostDrawsAreTheSameOnOneThreadOrTwo() {
    int b = 9;
    int v = 3_000;
    boolean[] live = allLive(b);
    live[2] = false;
    live[7] = false;
    SplittableRandom src = new SplittableRandom(11);
    float[] logits = new float[(b - 2) * v]; // the live rows only, in row order
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.round(4 * src.nextGaussian()); // whole numbers: tied maxima in every row
    }
    for (SamplingParams p : List.of(new SamplingParams(1, 0.7, 1, 0, List.of(), 0, false, 0),
        SamplingParams.greedy(1), T1.withTopK(5))) {
      TokenSampler.Picks one = TokenSampler.choose(logits, v, p, streams(b, 6), live, 1);
      TokenSampler.Picks two = TokenSampler.choose(logits, v, p, streams(b, 6), live, 2);
      assertArrayEquals(one.ids(), two.ids(), p.toString());
      assertArrayEquals(one.logp(), two.logp(), p.toString());
      assertEquals(0, one.ids()[2]);
      assertEquals(0, one.ids()[7]);
      if (p.temperature() <= 0) {
        try (NDManager m = mgr.newSubManager()) {
          int[] engine = TokenSampler.choose(m.create(logits).reshape(b - 2, v), p, streams(b - 2, 6),
              allLive(b - 2)).ids();
          int[] host = Arrays.stream(new int[] {0, 1, 3, 4, 5, 6, 8}).map(r -> one.ids()[r]).toArray();
          assertArrayEquals(engine, host);
        }
      }
    }
  }
}
