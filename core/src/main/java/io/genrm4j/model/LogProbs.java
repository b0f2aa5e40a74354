package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/** Teacher-forced log-probabilities: the one place that turns logits into log p(token | prefix). */
public final class LogProbs {
  private LogProbs() {}

  /**
   * log p(ids[t+1] | ids[..t]) for every position of a right-padded batch, [B, T-1]. Stays in the autograd graph,
   * so training losses (SFT, DPO) and inference scoring share it. Padding positions hold garbage: mask them.
   */
  public static NDArray ofTargets(LlamaModel model, TokenBatch batch) {
    long b = batch.batchSize();
    long t = batch.width();
    NDArray hidden = model.forward(batch.ids(), batch.valid(), batch.positions(), null).hidden();
    NDArray logp = model.logits(hidden.get(":, :-1, :")).logSoftmax(2); // [B, T-1, V]
    NDArray targets = batch.ids().get(":, 1:").expandDims(2); // [B, T-1, 1]
    return logp.gather(targets, 2).reshape(b, t - 1);
  }

  /** Per-row sums of target log-probs where {@code mask} ([B, T-1] float) is 1. */
  public static NDArray maskedSum(NDArray logp, NDArray mask) {
    return logp.mul(mask).sum(new int[] {1});
  }

  /**
   * Teacher-forced log-probabilities of whole sequences without gradient: for each row, {@code lp[i]} is log p of
   * token i+1 given tokens 0..i (so {@code lp.length == ids.length - 1}).
   */
  public static float[][] perToken(LlamaModel model, List<int[]> rows, int padId, NDManager parent) {
    return perToken(model, rows, null, padId, parent);
  }

  /** As above, each row at its own rotary positions ({@code positions} null: 0, 1, 2, ...; else one array per row). */
  public static float[][] perToken(LlamaModel model, List<int[]> rows, List<int[]> positions, int padId,
      NDManager parent) {
    try (NDManager mgr = parent.newSubManager()) {
      TokenBatch batch = positions == null ? TokenBatch.rightPadded(rows, padId, mgr)
          : TokenBatch.rightPadded(rows, positions, padId, mgr);
      float[] flat = ofTargets(model, batch).toFloatArray();
      int w = batch.width() - 1;
      float[][] out = new float[rows.size()][];
      for (int i = 0; i < rows.size(); i++) {
        out[i] = new float[Math.max(0, rows.get(i).length - 1)];
        System.arraycopy(flat, i * w, out[i], 0, out[i].length);
      }
      return out;
    }
  }
}
