package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * What one {@link LlamaModel#forward} call of T tokens does with its {@link KvCache}: where the chunk's keys and
 * values go and what attention then reads. A reserved cache with room (see {@link KvCache}) takes the new slots in
 * place; a plain one is extended by concatenation into a new cache; without a cache (training, scoring) nothing is
 * stored and attention reads the chunk alone.
 */
final class CacheWrite {
  private final KvCache cache; // null: no cache
  private final boolean inPlace;
  private final int past; // slots before this chunk
  private final long upTo; // slots after it: past + T
  private KvCache next;

  CacheWrite(KvCache cache, long t) {
    this.cache = cache;
    this.past = cache == null ? 0 : cache.length();
    this.upTo = past + t;
    this.inPlace = cache != null && cache.spare() >= t;
  }

  /** Slots before this chunk: the first query's position in the key axis. */
  int past() {
    return past;
  }

  boolean inPlace() {
    return inPlace;
  }

  /**
   * Which key slots hold real tokens, [B, S] with S = past + T, given the chunk's {@code valid} [B, T]. Writes the
   * chunk's validity into a reserved cache, whose view this then is.
   */
  NDArray keyValid(NDArray valid) {
    if (inPlace) {
      cache.valid().set(new NDIndex(":, {}:{}", past, upTo), valid);
      return cache.valid().get(new NDIndex(":, :{}", upTo)); // a view
    }
    return cache == null || cache.valid() == null ? valid : NDArrays.concat(new NDList(cache.valid(), valid), 1);
  }

  /**
   * The cache the forward call returns (null without one): over the same buffers when written in place, else with a
   * slot per layer that {@link #store} fills. Rows advance by the real tokens of {@code valid} [B, T].
   */
  KvCache nextCache(NDArray keyValid, NDArray valid) {
    int layers = cache == null ? 0 : cache.keys().length;
    next = cache == null ? null
        : inPlace ? new KvCache(cache.keys(), cache.values(), cache.valid(), advance(cache.nextPosition(), valid),
            (int) upTo, cache.prefix())
        : new KvCache(new NDArray[layers], new NDArray[layers], keyValid, advance(cache.nextPosition(), valid), -1,
            cache.prefix());
    return next;
  }

  /** The prefix this chunk's rows share and read before their own slots, or null. */
  KvCache.SharedPrefix prefix() {
    return cache == null ? null : cache.prefix();
  }

  /** Keys and values attention reads, each [B, KV, S, headDim]. */
  record KeysValues(NDArray keys, NDArray values) {}

  /**
   * Stores layer {@code l}'s fresh keys and values ([B, KV, T, headDim]) and returns those of every slot so far. Views
   * of a reserved cache's buffers move to {@code scratch}, the layer's manager: derived from the cache, they would
   * otherwise live as long as it does.
   */
  KeysValues store(int l, NDArray k, NDArray v, NDManager scratch) {
    if (inPlace) {
      NDIndex fresh = new NDIndex(":, :, {}:{}", past, upTo);
      NDIndex slots = new NDIndex(":, :, :{}", upTo);
      cache.keys()[l].set(fresh, k);
      cache.values()[l].set(fresh, v);
      NDArray keys = cache.keys()[l].get(slots); // views of the buffers
      NDArray values = cache.values()[l].get(slots);
      keys.attach(scratch);
      values.attach(scratch);
      return new KeysValues(keys, values);
    }
    if (cache != null) {
      k = KvCache.append(cache.keys()[l], k);
      v = KvCache.append(cache.values()[l], v);
      next.keys()[l] = k;
      next.values()[l] = v;
    }
    return new KeysValues(k, v);
  }

  /** Moves layer {@code l}'s new cache arrays out of {@code layer} (about to close) into {@code to}. */
  void keepLayer(int l, NDManager layer, NDManager to) {
    if (next != null) {
      keep(next.keys()[l], layer, to);
      keep(next.values()[l], layer, to);
    }
  }

  private static void keep(NDArray a, NDManager from, NDManager to) {
    if (a.getManager() == from) {
      a.attach(to);
    }
  }

  private static long[] advance(long[] positions, NDArray valid) {
    float[] v = valid.toFloatArray();
    long t = valid.getShape().get(1);
    long[] out = positions.clone();
    for (int b = 0; b < out.length; b++) {
      for (int i = 0; i < t; i++) {
        out[b] += v[(int) (b * t + i)] > 0 ? 1 : 0;
      }
    }
    return out;
  }
}
