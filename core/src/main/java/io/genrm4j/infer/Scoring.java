package io.genrm4j.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.genrm4j.model.KvCache;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.LogProbs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Teacher-forced scoring: log-probabilities of given continuations, the next-token distribution at a position, and
 * per-token log-probs of a text. All probabilities are the model's own (temperature 1), whatever temperature any
 * sampling used.
 */
public final class Scoring {
  private Scoring() {}

  /**
   * log p(label | context) for every context and label, encoding each context once and forking its cache per
   * label. A label may span several tokens; its probability is then the exact product over its tokens.
   *
   * @return [contexts][labels]
   */
  public static double[][] continuationLogProbs(LlamaModel model, int padId, List<int[]> contexts,
      List<int[]> labels) {
    requireFits(model, contexts, labels);
    try (NDManager mgr = model.manager().newSubManager()) {
      List<int[]> heads = new ArrayList<>();
      int[][] pending = new int[contexts.size()][];
      for (int i = 0; i < contexts.size(); i++) {
        int[] c = contexts.get(i);
        if (c.length == 0) {
          throw new IllegalArgumentException("empty context");
        }
        heads.add(Arrays.copyOf(c, c.length - 1));
        pending[i] = new int[] {c[c.length - 1]};
      }
      KvCache cache = model.append(model.emptyCache(contexts.size()), heads, padId, mgr).cache();
      return labelLogProbs(model, padId, cache, pending, labels, mgr);
    }
  }

  /** The longest context + the longest label - 1 must fit the model's positions; checked before any tensor. */
  private static void requireFits(LlamaModel model, List<int[]> contexts, List<int[]> labels) {
    int context = contexts.stream().mapToInt(c -> c.length).max().orElse(0);
    int label = labels.stream().mapToInt(l -> l.length).max().orElse(1);
    int limit = model.config().maxPositionEmbeddings();
    if (context + label - 1 > limit) {
      throw new IllegalArgumentException("a context of " + context + " tokens plus a " + label + "-token label needs "
          + (context + label - 1) + " positions, more than the model's " + limit + " (max_position_embeddings)");
    }
  }

  /**
   * From a cache plus each row's not-yet-fed tokens {@code pending} (at least one per row), log p of each label
   * continuation. The cache is forked, not consumed.
   */
  public static double[][] labelLogProbs(LlamaModel model, int padId, KvCache cache, int[][] pending,
      List<int[]> labels, NDManager parent) {
    int rows = pending.length;
    double[][] out = new double[rows][labels.size()];
    for (int l = 0; l < labels.size(); l++) {
      int[] label = labels.get(l);
      int n = label.length;
      if (n == 0) {
        throw new IllegalArgumentException("empty label");
      }
      try (NDManager mgr = parent.newSubManager()) {
        List<int[]> feed = new ArrayList<>(rows);
        for (int[] p : pending) {
          if (p.length == 0) {
            throw new IllegalArgumentException("each row needs its last context token pending");
          }
          int[] f = Arrays.copyOf(p, p.length + n - 1);
          System.arraycopy(label, 0, f, p.length, n - 1);
          feed.add(f);
        }
        LlamaModel.Output o = model.append(cache, feed, padId, mgr);
        long t = o.hidden().getShape().get(1);
        NDArray logp = model.logits(o.hidden().get(":, " + (t - n) + ":, :")).logSoftmax(2); // [B, n, V]
        long[] idx = new long[rows * n];
        for (int r = 0; r < rows; r++) {
          for (int j = 0; j < n; j++) {
            idx[r * n + j] = label[j];
          }
        }
        NDArray picked = logp.gather(mgr.create(idx, new Shape(rows, n, 1)), 2).reshape(rows, n).sum(new int[] {1});
        float[] sums = picked.toFloatArray();
        for (int r = 0; r < rows; r++) {
          out[r][l] = sums[r];
        }
        Generator.close(o.cache());
      }
    }
    return out;
  }

  /** log p(ids[i+1] | ids[..i]) for each text, without a cache (the reference every cached path is tested against). */
  public static float[][] tokenLogProbs(LlamaModel model, int padId, List<int[]> rows) {
    return LogProbs.perToken(model, rows, padId, model.manager());
  }

  /**
   * log p(token | row) for every row and each of {@code tokenIds}, from one forward over the rows (left-padded, so
   * every row's last token is the last column): [rows][tokenIds].
   */
  public static double[][] nextTokenLogProbs(LlamaModel model, int padId, List<int[]> rows, int[] tokenIds) {
    try (NDManager mgr = model.manager().newSubManager()) {
      LlamaModel.Output o = model.append(model.emptyCache(rows.size()), rows, padId, mgr);
      long t = o.hidden().getShape().get(1);
      float[] logits = model.logits(o.hidden().get(":, " + (t - 1) + ":, :")).toFloatArray(); // [rows, 1, vocab]
      Generator.close(o.cache());
      int v = logits.length / rows.size();
      double[][] out = new double[rows.size()][tokenIds.length];
      for (int r = 0; r < rows.size(); r++) {
        float[] logp = TokenSampler.logSoftmax(logits, r * v, v);
        for (int j = 0; j < tokenIds.length; j++) {
          out[r][j] = logp[tokenIds[j]];
        }
      }
      return out;
    }
  }

  /** The next-token log-probability distribution after {@code ids}, [vocab]. */
  public static float[] nextTokenLogProbs(LlamaModel model, int padId, int[] ids) {
    try (NDManager mgr = model.manager().newSubManager()) {
      LlamaModel.Output o = model.append(model.emptyCache(1), List.of(ids), padId, mgr);
      long t = o.hidden().getShape().get(1);
      float[] logits = model.logits(o.hidden().get(":, " + (t - 1) + ":, :")).toFloatArray();
      return TokenSampler.logSoftmax(logits, 0, logits.length);
    }
  }
}
