package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * Keys and values of every layer for the tokens fed so far, plus which cache slots hold real tokens (padding slots
 * are masked out) and the next position of each row. Immutable: {@link LlamaModel#forward} returns a new cache, so a
 * cache can be forked (e.g. to score " Yes" and " No" from the same prefix) or repeated for K samples.
 *
 * @param keys per layer, [B, kvHeads, S, headDim]
 * @param values per layer, [B, kvHeads, S, headDim]
 * @param valid [B, S] float, 1 where the slot holds a real token
 * @param nextPosition per row, the rotary position of the next real token
 */
public record KvCache(NDArray[] keys, NDArray[] values, NDArray valid, long[] nextPosition) {

  public int length() {
    return keys.length == 0 || keys[0] == null ? 0 : (int) keys[0].getShape().get(2);
  }

  public int batchSize() {
    return nextPosition.length;
  }

  /** Each row repeated {@code k} times in place (row b becomes rows b*k .. b*k+k-1). */
  public KvCache repeatRows(int k) {
    NDArray[] ks = new NDArray[keys.length];
    NDArray[] vs = new NDArray[values.length];
    for (int l = 0; l < keys.length; l++) {
      ks[l] = keys[l].repeat(0, k);
      vs[l] = values[l].repeat(0, k);
    }
    long[] pos = new long[nextPosition.length * k];
    for (int b = 0; b < nextPosition.length; b++) {
      for (int j = 0; j < k; j++) {
        pos[b * k + j] = nextPosition[b];
      }
    }
    return new KvCache(ks, vs, valid.repeat(0, k), pos);
  }

  /** Appends a layer's new keys/values along the sequence axis. */
  static NDArray append(NDArray cached, NDArray fresh) {
    return cached == null ? fresh : NDArrays.concat(new NDList(cached, fresh), 2);
  }
}
