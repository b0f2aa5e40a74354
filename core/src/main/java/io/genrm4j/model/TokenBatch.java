package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Token sequences of different lengths collated into one padded batch for {@link LlamaModel#forward}.
 *
 * @param ids [B, T] int64
 * @param valid [B, T] float, 1 for real tokens
 * @param positions [B, T] int64 rotary positions (real tokens count from {@code start[b]}; padding gets 0)
 * @param lengths real tokens per row
 * @param leftPadded whether padding sits before (generation) or after (training, scoring) the tokens
 */
public record TokenBatch(NDArray ids, NDArray valid, NDArray positions, int[] lengths, boolean leftPadded) {

  /** Right-padded batch, positions from 0: training and teacher-forced scoring. */
  public static TokenBatch rightPadded(List<int[]> rows, int padId, NDManager mgr) {
    return collate(rows, padId, null, null, false, mgr);
  }

  /**
   * Right-padded batch with explicit rotary positions per row ({@code positions.get(b)} null: 0, 1, 2, ...), for
   * training examples that re-use positions.
   */
  public static TokenBatch rightPadded(List<int[]> rows, List<int[]> positions, int padId, NDManager mgr) {
    return collate(rows, padId, null, positions, false, mgr);
  }

  /**
   * Left-padded batch (rows end at the same column), each row's positions continuing from {@code start[b]}: prompt
   * prefill and cached decoding, where the next token of every row is read from the last column.
   */
  public static TokenBatch leftPadded(List<int[]> rows, int padId, long[] start, NDManager mgr) {
    return collate(rows, padId, start, null, true, mgr);
  }

  private static TokenBatch collate(List<int[]> rows, int padId, long[] start, List<int[]> explicit, boolean left,
      NDManager mgr) {
    int b = rows.size();
    int t = 1;
    for (int[] r : rows) {
      t = Math.max(t, r.length);
    }
    long[] ids = new long[b * t];
    float[] valid = new float[b * t];
    long[] pos = new long[b * t];
    int[] lengths = new int[b];
    java.util.Arrays.fill(ids, Math.max(padId, 0));
    for (int i = 0; i < b; i++) {
      int[] r = rows.get(i);
      lengths[i] = r.length;
      int offset = left ? t - r.length : 0;
      long p0 = start == null ? 0 : start[i];
      int[] given = explicit == null ? null : explicit.get(i);
      if (given != null && given.length != r.length) {
        throw new IllegalArgumentException("row " + i + ": " + r.length + " tokens but " + given.length + " positions");
      }
      for (int j = 0; j < r.length; j++) {
        ids[i * t + offset + j] = r[j];
        valid[i * t + offset + j] = 1f;
        pos[i * t + offset + j] = given != null ? given[j] : p0 + j;
      }
    }
    Shape shape = new Shape(b, t);
    return new TokenBatch(mgr.create(ids, shape), mgr.create(valid, shape), mgr.create(pos, shape), lengths, left);
  }

  public int batchSize() {
    return lengths.length;
  }

  public int width() {
    return (int) ids.getShape().get(1);
  }
}
