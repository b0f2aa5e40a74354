package io.genrm4j.infer;

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

  /**
   * One row's next-token distribution: temperature-1 log-probs, and the probabilities at the sampling temperature
   * when the engine computed them (null: {@link #choose} derives them from {@code logp}).
   */
  public record Next(float[] logp, float[] probs) {}

  /**
   * Picks a token id from {@code next}: from its probabilities when given, else from its log-probs (greedy reads the
   * log-probs only).
   */
  public static int choose(Next next, SamplingParams p, SplittableRandom rng) {
    if (next.probs() == null || p.temperature() <= 0) {
      return choose(next.logp(), p, rng);
    }
    double[] w = new double[next.probs().length];
    double total = 0;
    for (int i = 0; i < w.length; i++) {
      w[i] = next.probs()[i];
      total += w[i];
    }
    return choose(w, total, p, rng);
  }

  /** The {@code n} ids of largest {@code logp}, in descending order (ties: lower id first). */
  public static int[] topIds(float[] logp, int n) {
    double[] w = new double[logp.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = logp[i];
    }
    DescendingHeap heap = new DescendingHeap(w);
    int[] out = new int[Math.min(n, w.length)];
    for (int i = 0; i < out.length; i++) {
      out[i] = heap.pop();
    }
    return out;
  }

  /**
   * Picks a token id given temperature-1 log-probs {@code logp}. Without top-k and top-p the draw walks the tokens in
   * id order, so no sort is needed (a boxed sort of the vocabulary per row and step cost more than the model's forward
   * pass at K = 32 votes and 32,000 tokens); with them, only the tokens kept are taken in descending order, from a heap.
   * Weights below e^-40 of the most likely token's are 0: they could not be drawn at double precision anyway.
   */
  public static int choose(float[] logp, SamplingParams p, SplittableRandom rng) {
    int v = logp.length;
    int best = 0;
    for (int i = 1; i < v; i++) {
      if (logp[i] > logp[best]) {
        best = i;
      }
    }
    if (p.temperature() <= 0) {
      return best;
    }
    double invT = 1 / p.temperature();
    double[] w = new double[v];
    double total = 0;
    for (int i = 0; i < v; i++) {
      double z = (logp[i] - logp[best]) * invT;
      w[i] = z < -40 ? 0 : Math.exp(z);
      total += w[i];
    }
    return choose(w, total, p, rng);
  }

  /** A draw from weights {@code w} (summing to {@code total}) under the top-k / top-p of {@code p}. */
  private static int choose(double[] w, double total, SamplingParams p, SplittableRandom rng) {
    int v = w.length;
    if (p.topK() <= 0 && p.topP() >= 1) {
      return draw(w, null, v, total, rng);
    }
    int[] order = new int[p.topK() > 0 ? Math.min(p.topK(), v) : v];
    DescendingHeap heap = new DescendingHeap(w);
    int keep = 0;
    double kept = 0;
    if (p.topK() > 0) { // the top-k set first: top-p then cuts within it, as its mass is what top-p normalises by
      while (keep < order.length) {
        order[keep] = heap.pop();
        kept += w[order[keep++]];
      }
      total = kept;
    }
    if (p.topP() < 1) { // smallest prefix of the descending tokens whose mass reaches top_p
      double cum = 0;
      int cut = 0;
      while (cut < order.length) {
        if (cut == keep) {
          order[keep++] = heap.pop();
        }
        cum += w[order[cut++]];
        if (cum / total >= p.topP()) {
          break;
        }
      }
      keep = cut;
      total = cum;
    }
    return draw(w, order, keep, total, rng);
  }

  /** A draw proportional to {@code w} over the first {@code n} of {@code order} (every id in order when null). */
  private static int draw(double[] w, int[] order, int n, double total, SplittableRandom rng) {
    double r = rng.nextDouble() * total;
    int last = -1;
    for (int i = 0; i < n; i++) {
      int id = order == null ? i : order[i];
      if (w[id] > 0) {
        last = id;
        r -= w[id];
        if (r <= 0) {
          return id;
        }
      }
    }
    return last;
  }

  /** Token ids by descending weight (ties: lower id first), popped lazily from a binary heap. */
  private static final class DescendingHeap {
    private final double[] w;
    private final int[] heap;
    private int size;

    DescendingHeap(double[] w) {
      this.w = w;
      this.size = w.length;
      this.heap = new int[size];
      for (int i = 0; i < size; i++) {
        heap[i] = i;
      }
      for (int i = size / 2 - 1; i >= 0; i--) {
        siftDown(i);
      }
    }

    int pop() {
      int top = heap[0];
      heap[0] = heap[--size];
      siftDown(0);
      return top;
    }

    private boolean before(int a, int b) {
      return w[a] > w[b] || w[a] == w[b] && a < b;
    }

    private void siftDown(int i) {
      while (true) {
        int l = 2 * i + 1;
        int m = i;
        if (l < size && before(heap[l], heap[m])) {
          m = l;
        }
        if (l + 1 < size && before(heap[l + 1], heap[m])) {
          m = l + 1;
        }
        if (m == i) {
          return;
        }
        int t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
      }
    }
  }
}
