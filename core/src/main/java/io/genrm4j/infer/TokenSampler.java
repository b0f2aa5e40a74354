package io.genrm4j.infer;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from one row of logits in Java: temperature, top-k, top-p (nucleus), greedy. The engine
 * has no multinomial sampling, and doing it here makes every row reproducible from its own seed whatever the batch.
 */
public final class TokenSampler {
  private TokenSampler() {}

  /** A reproducible random stream for row {@code (a, b)} of a request with seed {@code seed}. */
  public static SplittableRandom rowRandom(long seed, long a, long b) {
    long mixed = seed * 0x9E3779B97F4A7C15L + a * 0xBF58476D1CE4E5B9L + b * 0x94D049BB133111EBL;
    return new SplittableRandom(mixed);
  }

  /** log-softmax of a logits row at temperature 1 (the model's own distribution). */
  public static float[] logSoftmax(float[] logits, int off, int len) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < len; i++) {
      max = Math.max(max, logits[off + i]);
    }
    double sum = 0;
    for (int i = 0; i < len; i++) {
      sum += Math.exp(logits[off + i] - max);
    }
    double lse = max + Math.log(sum);
    float[] out = new float[len];
    for (int i = 0; i < len; i++) {
      out[i] = (float) (logits[off + i] - lse);
    }
    return out;
  }

  /** Picks a token id given temperature-1 log-probs {@code logp}. */
  public static int choose(float[] logp, SamplingParams p, SplittableRandom rng) {
    int v = logp.length;
    if (p.temperature() <= 0) {
      int best = 0;
      for (int i = 1; i < v; i++) {
        if (logp[i] > logp[best]) {
          best = i;
        }
      }
      return best;
    }
    Integer[] order = new Integer[v];
    for (int i = 0; i < v; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(logp[b], logp[a]));
    int keep = p.topK() > 0 ? Math.min(p.topK(), v) : v;
    double[] w = new double[keep];
    double total = 0;
    for (int i = 0; i < keep; i++) {
      w[i] = Math.exp((logp[order[i]] - logp[order[0]]) / p.temperature());
      total += w[i];
    }
    if (p.topP() < 1) { // smallest prefix of the sorted tokens whose mass reaches top_p
      double cum = 0;
      int cut = keep;
      for (int i = 0; i < keep; i++) {
        cum += w[i] / total;
        if (cum >= p.topP()) {
          cut = i + 1;
          break;
        }
      }
      keep = cut;
      total = 0;
      for (int i = 0; i < keep; i++) {
        total += w[i];
      }
    }
    double r = rng.nextDouble() * total;
    for (int i = 0; i < keep; i++) {
      r -= w[i];
      if (r <= 0) {
        return order[i];
      }
    }
    return order[keep - 1];
  }
}
