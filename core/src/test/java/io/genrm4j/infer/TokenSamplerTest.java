package io.genrm4j.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The sampler draws from the distribution it is asked for: temperature, top-k, top-p, greedy. */
class TokenSamplerTest {
  static final double[] P = {0.05, 0.4, 0.1, 0.3, 0.15}; // descending: 1, 3, 4, 2, 0

  static double[] frequencies(SamplingParams p) {
    float[] logp = new float[P.length];
    for (int i = 0; i < P.length; i++) {
      logp[i] = (float) Math.log(P[i]);
    }
    SplittableRandom rng = new SplittableRandom(3);
    double[] f = new double[P.length];
    int n = 40_000;
    for (int i = 0; i < n; i++) {
      f[TokenSampler.choose(logp, p, rng)] += 1.0 / n;
    }
    return f;
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

  /** The engine's probabilities at the temperature, when given, are what is drawn from (top-k applies to them). */
  @Test
  void probabilitiesFromTheEngineAreDrawnFrom() {
    float[] logp = new float[P.length];
    float[] sharpened = new float[P.length];
    double sum = 0;
    for (int i = 0; i < P.length; i++) {
      logp[i] = (float) Math.log(P[i]);
      sum += P[i] * P[i];
    }
    for (int i = 0; i < P.length; i++) {
      sharpened[i] = (float) (P[i] * P[i] / sum); // T = 0.5
    }
    SamplingParams half = new SamplingParams(1, 0.5, 1, 0, List.of(), 0, false, 0);
    SplittableRandom rng = new SplittableRandom(5);
    double[] f = new double[P.length];
    double[] top2 = new double[P.length];
    for (int i = 0; i < 40_000; i++) {
      f[TokenSampler.choose(new TokenSampler.Next(logp, sharpened), half, rng)] += 1 / 40_000.0;
      top2[TokenSampler.choose(new TokenSampler.Next(logp, sharpened), half.withTopK(2), rng)] += 1 / 40_000.0;
    }
    double[] expected = new double[P.length];
    for (int i = 0; i < P.length; i++) {
      expected[i] = sharpened[i];
    }
    assertFrequencies(expected, f);
    double kept = sharpened[1] + sharpened[3];
    assertFrequencies(new double[] {0, sharpened[1] / kept, 0, sharpened[3] / kept, 0}, top2);
  }

  @Test
  void topIdsAreTheLargestInOrder() {
    assertArrayEquals(new int[] {1, 3, 4}, TokenSampler.topIds(new float[] {-3f, -0.5f, -2f, -1f, -1.5f}, 3));
    assertArrayEquals(new int[] {1, 3}, TokenSampler.topIds(new float[] {-3f, -0.5f, -2f, -0.5f}, 2)); // ties
  }

  @Test
  void greedyTakesTheFirstOfTiedMaxima() {
    float[] logp = {-2f, -0.5f, -3f, -0.5f};
    assertEquals(1, TokenSampler.choose(logp, new SamplingParams(1, 0, 1, 0, List.of(), 0, false, 0),
        new SplittableRandom(1)));
  }
}
