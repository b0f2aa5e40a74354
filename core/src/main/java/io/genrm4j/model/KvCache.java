package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for the tokens fed so far, plus which cache slots hold real tokens (padding slots
 * are masked out) and the next position of each row.
 *
 * <p>A plain cache ({@code filled = -1}) is immutable: {@link LlamaModel#forward} returns a new cache with the fresh
 * keys/values concatenated, so it can be forked (e.g. to score " Yes" and " No" from the same prefix) or repeated for
 * K samples. A decode loop instead {@link #reserve}s room once: then the arrays are buffers of {@link #capacity}
 * slots of which the first {@link #length} hold tokens, and each step writes its keys/values into the next free slots
 * in place and returns a cache over the same buffers (copying the whole cache every step made decoding
 * quadratic in memory traffic). Such a cache has one owner: append to it only through the newest cache, and
 * {@link #compact} it before handing it to code that forks.
 *
 * <p>K samples of one prompt share its keys and values: a cache {@link #sharing} a {@link SharedPrefix} holds the
 * prompts' cache once, and its own arrays hold only what the K rows add after it (row b reads prefix row b / K).
 * Attention reads both; copying the prefix K times cost K times its memory and, at every step, K times its reading.
 *
 * @param keys per layer, [B, kvHeads, S, headDim]
 * @param values per layer, [B, kvHeads, S, headDim]
 * @param valid [B, S] float, 1 where the slot holds a real token
 * @param nextPosition per row, the rotary position of the next real token
 * @param filled slots in use when the arrays are reserved buffers, else -1 (every slot)
 * @param prefix keys and values every K consecutive rows read before their own, or null
 */
public record KvCache(NDArray[] keys, NDArray[] values, NDArray valid, long[] nextPosition, int filled,
    SharedPrefix prefix) {

  /**
   * A plain cache of C prompts that K rows each continue: row b reads row b / k.
   *
   * @param cache the prompts' cache, plain (not reserved), never written by the rows that share it
   */
  public record SharedPrefix(KvCache cache, int k) {}

  public KvCache(NDArray[] keys, NDArray[] values, NDArray valid, long[] nextPosition) {
    this(keys, values, valid, nextPosition, -1, null);
  }

  public KvCache(NDArray[] keys, NDArray[] values, NDArray valid, long[] nextPosition, int filled) {
    this(keys, values, valid, nextPosition, filled, null);
  }

  /**
   * K rows per row of {@code prompts} (row b continues prompt b / k at its next position), reading the prompts'
   * keys and values in place; this cache's own arrays start empty. {@code prompts} must be plain: it is not copied,
   * and its owner keeps it open until every cache sharing it is done.
   */
  public static KvCache sharing(KvCache prompts, int k) {
    if (prompts.filled >= 0 || prompts.prefix != null || prompts.keys.length == 0 || prompts.keys[0] == null) {
      throw new IllegalArgumentException("only a plain, non-empty cache can be shared");
    }
    long[] pos = new long[prompts.batchSize() * k];
    for (int b = 0; b < pos.length; b++) {
      pos[b] = prompts.nextPosition[b / k];
    }
    int layers = prompts.keys.length;
    return new KvCache(new NDArray[layers], new NDArray[layers], null, pos, -1, new SharedPrefix(prompts, k));
  }

  public int length() {
    return filled >= 0 ? filled : capacity();
  }

  /** Slots the arrays hold, used or not. */
  public int capacity() {
    return keys.length == 0 || keys[0] == null ? 0 : (int) keys[0].getShape().get(2);
  }

  /** Free slots a forward pass can write in place. */
  public int spare() {
    return filled >= 0 ? capacity() - filled : 0;
  }

  public int batchSize() {
    return nextPosition.length;
  }

  /** The same cache whose rows continue at the given positions (the arrays are shared, not copied). */
  public KvCache continuingAt(long[] positions) {
    if (positions.length != nextPosition.length) {
      throw new IllegalArgumentException(positions.length + " positions for " + nextPosition.length + " rows");
    }
    return new KvCache(keys, values, valid, positions.clone(), filled, prefix);
  }

  /**
   * Each row repeated {@code k} times in place (row b becomes rows b*k .. b*k+k-1), as copies; {@link #sharing}
   * does it without copying.
   */
  public KvCache repeatRows(int k) {
    if (prefix != null) {
      throw new IllegalStateException("a cache that shares a prefix cannot repeat its rows");
    }
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
    return new KvCache(ks, vs, valid.repeat(0, k), pos, filled);
  }

  /**
   * A copy with room for {@code extra} more slots, in {@code mgr}; this cache is left as it was (the caller closes
   * it). An empty cache has no arrays to size and is returned as it is, unless it shares a prefix, which gives the
   * shape: then it gets fresh buffers of {@code extra} slots.
   */
  public KvCache reserve(int extra, NDManager mgr) {
    if (capacity() == 0 && prefix != null && extra > 0) {
      NDArray[] ks = new NDArray[keys.length];
      NDArray[] vs = new NDArray[values.length];
      for (int l = 0; l < keys.length; l++) {
        Shape s = prefix.cache().keys()[l].getShape(); // [C, KV, P, hd]
        ks[l] = mgr.zeros(new Shape(batchSize(), s.get(1), extra, s.get(3)));
        vs[l] = mgr.zeros(new Shape(batchSize(), s.get(1), extra, s.get(3)));
      }
      return new KvCache(ks, vs, mgr.zeros(new Shape(batchSize(), extra)), nextPosition.clone(), 0, prefix);
    }
    if (capacity() == 0 || extra <= 0) {
      return this;
    }
    int used = length();
    NDArray[] ks = new NDArray[keys.length];
    NDArray[] vs = new NDArray[values.length];
    for (int l = 0; l < keys.length; l++) {
      ks[l] = grow(keys[l], used, extra, mgr);
      vs[l] = grow(values[l], used, extra, mgr);
    }
    NDArray room = mgr.zeros(new Shape(batchSize(), extra));
    NDArray head = valid.get(new NDIndex(":, :{}", used));
    NDArray v = NDArrays.concat(new NDList(head, room), 1);
    v.attach(mgr);
    head.close(); // views hold their base's memory until closed
    room.close();
    return new KvCache(ks, vs, v, nextPosition.clone(), used, prefix);
  }

  private static NDArray grow(NDArray a, int used, int extra, NDManager mgr) {
    Shape s = a.getShape();
    NDArray room = mgr.zeros(new Shape(s.get(0), s.get(1), extra, s.get(3)));
    NDArray head = a.get(new NDIndex(":, :, :{}", used));
    NDArray out = NDArrays.concat(new NDList(head, room), 2);
    out.attach(mgr);
    head.close();
    room.close();
    return out;
  }

  /**
   * A plain cache with exactly {@link #length} slots, copied into {@code mgr}, when this one has spare room; else
   * this cache itself. The caller closes this cache when a copy was made.
   */
  public KvCache compact(NDManager mgr) {
    if (filled < 0 || filled == capacity()) {
      return filled < 0 ? this : new KvCache(keys, values, valid, nextPosition, -1, prefix);
    }
    if (filled == 0) { // nothing of its own yet: no arrays, as a fresh cache
      return new KvCache(new NDArray[keys.length], new NDArray[values.length], null, nextPosition, -1, prefix);
    }
    NDArray[] ks = new NDArray[keys.length];
    NDArray[] vs = new NDArray[values.length];
    for (int l = 0; l < keys.length; l++) {
      ks[l] = copyOfFirst(keys[l], new NDIndex(":, :, :{}", filled), mgr);
      vs[l] = copyOfFirst(values[l], new NDIndex(":, :, :{}", filled), mgr);
    }
    return new KvCache(ks, vs, copyOfFirst(valid, new NDIndex(":, :{}", filled), mgr), nextPosition, -1, prefix);
  }

  private static NDArray copyOfFirst(NDArray a, NDIndex slots, NDManager mgr) {
    NDArray view = a.get(slots);
    NDArray copy = view.duplicate();
    copy.attach(mgr);
    view.close();
    return copy;
  }

  /** Appends a layer's new keys/values along the sequence axis. */
  static NDArray append(NDArray cached, NDArray fresh) {
    return cached == null ? fresh : NDArrays.concat(new NDList(cached, fresh), 2);
  }
}
