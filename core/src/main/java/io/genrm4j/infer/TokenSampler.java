package io.genrm4j.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.genrm4j.model.Kernels;
import io.genrm4j.model.SpinTeam;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;

/**
 * Chooses next tokens from rows of logits: greedy, temperature, top-k, top-p (nucleus). The uniform draws come from
 * each row's own Java stream, which makes every row reproducible from its seed whatever the batch; the engine has no
 * seeded per-row multinomial.
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
   * The tokens a step chose: {@code ids[b]} for row b (0 for rows not drawn), its temperature-1 log-prob
   * {@code logp[b]}, and each row's temperature-1 log-probs over the vocabulary when they had to come to the host
   * (top_logprobs asked for, or a top-k / top-p draw), else null.
   */
  public record Picks(int[] ids, float[] logp, float[][] rows) {}

  /**
   * Chooses one token per live row of {@code logits} [B, V]. Greedy and plain temperature sampling run in the engine,
   * so only the ids and their log-probs come back to the host (copying B x V probabilities to Java and walking them
   * cost as much as the forward pass at K = 32 votes and 32,000 tokens); top-k and top-p copy the probabilities and
   * draw here. Row b draws {@code rng[b].nextDouble()} once when sampled (never when greedy or not live), and both
   * draws pick the first id whose cumulative weight, summed in id order in double precision, reaches that fraction
   * of the total, so a row's token follows from its own stream whatever the batch or the path.
   */
  public static Picks choose(NDArray logits, SamplingParams p, SplittableRandom[] rng, boolean[] live) {
    NDManager m = logits.getManager();
    int b = live.length;
    NDArray logp = logits.logSoftmax(1); // [B, V]
    boolean filtered = p.temperature() > 0 && (p.topK() > 0 || p.topP() < 1);
    float[][] rows = filtered || p.topLogprobs() > 0 ? split(logp.toFloatArray(), b) : null;
    long[] ids = new long[b];
    if (p.temperature() <= 0) {
      ids = logp.argMax(1).toLongArray(); // the first of tied maxima
    } else {
      NDArray probs = logits.div(m.full(new Shape(), (float) p.temperature())).softmax(1);
      if (filtered) {
        float[][] pr = split(probs.toFloatArray(), b);
        for (int r = 0; r < b; r++) {
          ids[r] = live[r] ? chooseFiltered(pr[r], p, rng[r]) : 0;
        }
      } else {
        double[] u = new double[b];
        for (int r = 0; r < b; r++) {
          u[r] = live[r] ? rng[r].nextDouble() : 0;
        }
        NDArray cum = probs.toType(DataType.FLOAT64, false).cumSum(1); // [B, V]
        long v = cum.getShape().get(1);
        NDArray target = cum.get(new NDIndex(":, {}:", v - 1)).mul(m.create(u).reshape(b, 1)); // [B, 1]
        ids = cum.lt(target).toType(DataType.INT64, false).sum(new int[] {1}).toLongArray();
      }
    }
    float[] chosen = logp.gather(m.create(ids).reshape(b, 1), 1).toFloatArray();
    int[] out = new int[b];
    for (int r = 0; r < b; r++) {
      out[r] = (int) ids[r];
    }
    return new Picks(out, chosen, rows);
  }

  /**
   * {@link #choose(NDArray, SamplingParams, SplittableRandom[], boolean[])} for logits on the host (plain-Java
   * decoding): {@code logits} holds the live rows' logits in row order, [live rows, V]. The same draws (one uniform
   * per sampled row, the first id whose running weight in id order reaches that fraction of the total), with the
   * probabilities computed here, so a token can differ from the engine's pick only where float rounding moves a
   * boundary between two ids. Rows are drawn on up to {@code threads} threads ({@link SpinTeam}; at K = 32 votes and
   * 32,000 tokens the draws were 12% of a decode step on one): a row's pick depends only on its logits and stream.
   */
  public static Picks choose(float[] logits, int vocab, SamplingParams p, SplittableRandom[] rng, boolean[] live,
      int threads) {
    int b = live.length;
    boolean filtered = p.temperature() > 0 && (p.topK() > 0 || p.topP() < 1);
    float[][] rows = filtered || p.topLogprobs() > 0 ? new float[b][] : null;
    int[] ids = new int[b];
    float[] chosen = new float[b];
    int[] liveRows = java.util.stream.IntStream.range(0, b).filter(r -> live[r]).toArray();
    int parts = Math.max(1, Math.min(threads, liveRows.length));
    SpinTeam.shared().run(parts, threads, part -> {
      float[] e = new float[vocab]; // one row's exponentials, reused row after row
      for (int i = liveRows.length * part / parts; i < liveRows.length * (part + 1) / parts; i++) {
        int r = liveRows[i];
        int at = i * vocab;
        System.arraycopy(logits, at, e, 0, vocab);
        float max = Kernels.scaleAndMax(e, 0, vocab, 1f, Float.NEGATIVE_INFINITY); // x 1: the largest, vectorised
        double lse = max + Math.log(Kernels.exp(e, 0, vocab, max));
        if (rows != null) {
          rows[r] = new float[vocab];
          for (int v = 0; v < vocab; v++) {
            rows[r][v] = (float) (logits[at + v] - lse);
          }
        }
        if (p.temperature() <= 0) {
          ids[r] = firstIndexOf(logits, at, vocab, max);
        } else {
          if (p.temperature() != 1) {
            System.arraycopy(logits, at, e, 0, vocab);
            Kernels.divide(e, 0, vocab, (float) p.temperature());
            Kernels.exp(e, 0, vocab, max / (float) p.temperature());
          }
          ids[r] = filtered ? chooseFiltered(e, p, rng[r]) : draw(e, rng[r]);
        }
        chosen[r] = (float) (logits[at + ids[r]] - lse);
      }
    });
    return new Picks(ids, chosen, rows);
  }

  /** The first v with {@code a[at + v] == max} (the first of tied maxima), 0 when none is (NaN logits). */
  private static int firstIndexOf(float[] a, int at, int n, float max) {
    for (int v = 0; v < n; v++) {
      if (a[at + v] == max) {
        return v;
      }
    }
    return 0;
  }

  private static float[][] split(float[] flat, int rows) {
    int v = flat.length / rows;
    float[][] out = new float[rows][];
    for (int r = 0; r < rows; r++) {
      out[r] = Arrays.copyOfRange(flat, r * v, (r + 1) * v);
    }
    return out;
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

  /** A draw from one row's probabilities at the sampling temperature under the top-k / top-p of {@code p}. */
  static int chooseFiltered(float[] probs, SamplingParams p, SplittableRandom rng) {
    double[] w = new double[probs.length];
    double total = 0;
    for (int i = 0; i < w.length; i++) {
      w[i] = probs[i];
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

  /**
   * A draw proportional to {@code w} over the first {@code n} of {@code order} (every id in order when null): the
   * first id whose running sum reaches u x total, as the engine's draw in {@link #choose(NDArray, SamplingParams,
   * SplittableRandom[], boolean[])}.
   */
  private static int draw(double[] w, int[] order, int n, double total, SplittableRandom rng) {
    return draw(id -> w[id], order, n, total, rng);
  }

  /** {@link #draw(double[], int[], int, double, SplittableRandom)} over every id of float weights. */
  private static int draw(float[] w, SplittableRandom rng) {
    double total = 0;
    for (float x : w) {
      total += x;
    }
    return draw(id -> w[id], null, w.length, total, rng);
  }

  private static int draw(IntToDoubleFunction w, int[] order, int n, double total, SplittableRandom rng) {
    double target = rng.nextDouble() * total;
    double sum = 0;
    int last = -1;
    for (int i = 0; i < n; i++) {
      int id = order == null ? i : order[i];
      double x = w.applyAsDouble(id);
      if (x > 0) {
        last = id;
        sum += x;
        if (sum >= target) {
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
