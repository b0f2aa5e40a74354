package io.genrm4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.LogProbs;
import io.genrm4j.model.TokenBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * The objectives of the paper: masked next-token cross-entropy (generator SFT, GenRM, GenRM-CoT, unified training),
 * binary cross-entropy on a score head (discriminative RM) and DPO. Scalars inside the graph are arrays made with
 * {@code full}, never Java numbers (docs/djl-traps.md).
 */
public final class Losses {
  private Losses() {}

  /**
   * Weighted masked next-token cross-entropy: sum(w * mask * nll) / sum(w * mask). A batch whose lengths differ
   * widely (a verifier's 100-token examples with a replayed 10-item rationale four times as long) runs as a few
   * forward passes over rows of similar length ({@link #lengthGroups}), summed into the same loss: the gradient is
   * that of the whole batch, without computing every row at the longest row's length, and without attention scores
   * too large to stay in the heap.
   */
  public static Objective<TokenExample> sft(int padId) {
    return (model, batch, mgr) -> {
      List<List<TokenExample>> groups = lengthGroups(batch, model.config().numAttentionHeads());
      if (groups.size() == 1) { // written as before grouping existed, so one-pass batches round exactly as they did
        TokenBatch tb = collate(batch, padId, mgr);
        NDArray logp = LogProbs.ofTargets(model, tb); // [B, T-1]
        NDArray weights = mgr.create(targetWeights(batch, tb.width()), logp.getShape());
        NDArray total = weights.sum().maximum(mgr.full(new Shape(), 1e-8f));
        return logp.mul(weights).sum().neg().div(total);
      }
      NDArray weighted = null;
      double total = 0;
      for (List<TokenExample> g : groups) {
        TokenBatch tb = collate(g, padId, mgr);
        NDArray logp = LogProbs.ofTargets(model, tb); // [B_g, T_g - 1]
        float[] w = targetWeights(g, tb.width());
        for (float x : w) {
          total += x;
        }
        NDArray part = logp.mul(mgr.create(w, logp.getShape())).sum();
        weighted = weighted == null ? part : weighted.add(part);
      }
      return weighted.neg().div(mgr.full(new Shape(), (float) Math.max(total, 1e-8)));
    };
  }

  /**
   * What a forward + backward pass costs beyond its rows, in token positions: on the tiny preset with one thread a
   * pass of 1 row of 100 tokens took 8.3 ms, of 16 rows 43.2 ms (~2.3 ms a row, ~6 ms a pass). Measured on the same
   * preset: 15 rows of 100 tokens and 1 of 400 took 1,915 ms as one padded pass, 64 ms as two.
   */
  static final int PASS_COST_TOKENS = 256;

  /**
   * At most this many attention-score floats (rows x heads x width^2, 32 MB) in a pass of more than one row. glibc
   * maps a larger block afresh on every allocation, even with the launcher's {@code GLIBC_TUNABLES}, and page-faults
   * it in: on the tiny preset 16 rows of 400 tokens (41 MB of scores a layer) took 2,598 ms as one pass and 345 ms as
   * four, 16 rows of 650 tokens 7,012 ms and 669 ms; 16 rows of 300 (23 MB) 186 ms either way.
   */
  static final long MAX_SCORE_FLOATS = 1L << 23;

  /**
   * The batch as groups of rows of similar length, cheapest first-to-last cut of the rows sorted by length (cost of
   * a group: rows x longest row + {@link #PASS_COST_TOKENS}; a group of several rows whose attention scores for
   * {@code heads} heads exceed {@link #MAX_SCORE_FLOATS} is not allowed); the batch itself, unchanged and in its
   * order, when it is allowed and the groups would cost more than two thirds of it, so batches of similar, moderate
   * lengths compute exactly as before.
   */
  static List<List<TokenExample>> lengthGroups(List<TokenExample> batch, int heads) {
    int n = batch.size();
    if (n == 0) {
      return List.of(batch);
    }
    List<TokenExample> sorted = new ArrayList<>(batch);
    sorted.sort(java.util.Comparator.comparingInt(e -> e.ids().length));
    long[] best = new long[n + 1]; // best[j]: cheapest cost of the first j sorted rows
    int[] cut = new int[n + 1]; // the start of the last group in that solution
    for (int j = 1; j <= n; j++) {
      best[j] = Long.MAX_VALUE;
      long longest = sorted.get(j - 1).ids().length;
      for (int i = 1; i <= j; i++) {
        if (i < j && !fits(j - i + 1, longest, heads)) {
          continue;
        }
        long c = best[i - 1] + (j - i + 1) * longest + PASS_COST_TOKENS;
        if (c < best[j]) {
          best[j] = c;
          cut[j] = i;
        }
      }
    }
    long width = sorted.get(n - 1).ids().length;
    long whole = n * width + PASS_COST_TOKENS;
    if (fits(n, width, heads) && 3 * best[n] > 2 * whole) {
      return List.of(batch);
    }
    List<List<TokenExample>> groups = new ArrayList<>();
    for (int j = n; j > 0; j = cut[j] - 1) {
      groups.add(0, sorted.subList(cut[j] - 1, j));
    }
    return groups;
  }

  private static boolean fits(long rows, long width, int heads) {
    return rows == 1 || rows * heads * width * width <= MAX_SCORE_FLOATS;
  }

  /** The examples as one right-padded batch, with their own positions where they have them. */
  static TokenBatch collate(List<TokenExample> batch, int padId, NDManager mgr) {
    List<int[]> rows = new ArrayList<>(batch.size());
    List<int[]> positions = new ArrayList<>(batch.size());
    batch.forEach(e -> {
      rows.add(e.ids());
      positions.add(e.positions());
    });
    return TokenBatch.rightPadded(rows, positions, padId, mgr);
  }

  /** [B, T-1] float: the token's weight ({@link TokenExample#tokenWeight}) where position t+1 is a target, else 0. */
  static float[] targetWeights(List<TokenExample> batch, int width) {
    float[] w = new float[batch.size() * (width - 1)];
    for (int b = 0; b < batch.size(); b++) {
      boolean[] t = batch.get(b).target();
      for (int i = 1; i < t.length; i++) {
        if (t[i]) {
          w[b * (width - 1) + i - 1] = batch.get(b).tokenWeight(i);
        }
      }
    }
    return w;
  }

  /** A sequence with a binary label, for the discriminative reward model. */
  public record LabeledSequence(int[] ids, boolean correct) {}

  /** BCE on the score head's logit at each sequence's last token. */
  public static Objective<LabeledSequence> bce(int padId) {
    return (model, batch, mgr) -> {
      List<int[]> rows = new ArrayList<>(batch.size());
      float[] labels = new float[batch.size()];
      for (int i = 0; i < batch.size(); i++) {
        rows.add(batch.get(i).ids());
        labels[i] = batch.get(i).correct() ? 1f : 0f;
      }
      TokenBatch tb = TokenBatch.rightPadded(rows, padId, mgr);
      NDArray z = lastTokenScore(model, tb, mgr); // [B]
      NDArray y = mgr.create(labels);
      // Stable BCE with logits: max(z,0) - z*y + log(1 + exp(-|z|))
      NDArray zero = mgr.full(new Shape(), 0f);
      NDArray one = mgr.full(new Shape(), 1f);
      NDArray loss = z.maximum(zero).sub(z.mul(y)).add(z.abs().neg().exp().add(one).log());
      return loss.mean();
    };
  }

  /** The score-head logit at the last real token of each row of a right-padded batch, [B]. */
  public static NDArray lastTokenScore(LlamaModel model, TokenBatch tb, NDManager mgr) {
    NDArray hidden = model.forward(tb.ids(), tb.valid(), tb.positions(), null).hidden();
    NDArray scores = model.scoreLogits(hidden); // [B, T]
    long[] last = new long[tb.batchSize()];
    for (int i = 0; i < last.length; i++) {
      last[i] = tb.lengths()[i] - 1;
    }
    return scores.gather(mgr.create(last, new Shape(last.length, 1)), 1).reshape(last.length);
  }

  /**
   * A DPO preference pair: chosen (correct) and rejected (incorrect) solutions of one problem, with the frozen
   * reference model's summed log-probabilities of each completion computed once before training.
   */
  public record PreferencePair(TokenExample chosen, TokenExample rejected, float refChosen, float refRejected) {}

  /** DPO: -log sigmoid(beta * ((pi_c - ref_c) - (pi_r - ref_r))). */
  public static Objective<PreferencePair> dpo(int padId, double beta) {
    return (model, batch, mgr) -> {
      List<TokenExample> both = new ArrayList<>(2 * batch.size());
      float[] ref = new float[batch.size()];
      for (int i = 0; i < batch.size(); i++) {
        both.add(batch.get(i).chosen());
        ref[i] = batch.get(i).refChosen() - batch.get(i).refRejected();
      }
      batch.forEach(p -> both.add(p.rejected()));
      NDArray seq = sequenceLogProbs(model, both, padId, mgr); // [2B]
      int n = batch.size();
      NDArray chosen = seq.get("0:" + n);
      NDArray rejected = seq.get(n + ":");
      NDArray margin = chosen.sub(rejected).sub(mgr.create(ref)).mul(mgr.full(new Shape(), (float) beta));
      return logSigmoid(margin, mgr).neg().mean();
    };
  }

  /** Summed log p of each example's target tokens, [B], in the autograd graph. */
  public static NDArray sequenceLogProbs(LlamaModel model, List<TokenExample> batch, int padId, NDManager mgr) {
    TokenBatch tb = collate(batch, padId, mgr);
    NDArray logp = LogProbs.ofTargets(model, tb);
    float[] mask = targetWeights(unitWeights(batch), tb.width());
    return LogProbs.maskedSum(logp, mgr.create(mask, logp.getShape()));
  }

  private static List<TokenExample> unitWeights(List<TokenExample> batch) {
    List<TokenExample> out = new ArrayList<>(batch.size());
    batch.forEach(e -> out.add(new TokenExample(e.ids(), e.target(), 1f, e.positions(), null)));
    return out;
  }

  /** log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x|. */
  static NDArray logSigmoid(NDArray x, NDManager mgr) {
    NDArray zero = mgr.full(new Shape(), 0f);
    NDArray one = mgr.full(new Shape(), 1f);
    return x.minimum(zero).sub(x.abs().neg().exp().add(one).log());
  }
}
