package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Matrix-vector products of large weights on every intra-op thread. libtorch multiplies one or a few rows by a weight
 * matrix (a decode step) on one core whatever its thread count, at one core's memory bandwidth (the 32,000 x 512 LM
 * head: 3.7 ms on one thread or two); here the weight's output rows are cut into one block per thread, the blocks run
 * on Java threads at once ({@link SpinTeam}), and their outputs are concatenated: the same sums, so the same floats.
 */
final class SplitGemv {
  /** Weights smaller than this (bytes) are multiplied in one piece: a hand-off costs more than it saves. */
  static final long MIN_WEIGHT_BYTES = 4L << 20;

  /** At most this many input rows: more rows make a matrix product, which libtorch already spreads over threads. */
  static final long MAX_ROWS = 4;

  /** Each weight's row blocks (views), made on first use; keyed by the weight array itself. */
  private final Map<NDArray, NDArray[]> blocks = new IdentityHashMap<>();

  /**
   * x [.., in] times weight [out, in]^T (+ bias): [.., out] on {@code threads} threads when that pays, else null (the
   * caller multiplies).
   */
  NDArray linear(NDArray x, NDArray weight, NDArray bias, int threads) {
    long in = weight.getShape().get(1);
    // every linear layer asks: the Java checks first, the engine's grad mode (a native call) last
    if (threads < 2 || bias != null || weight.size() * 4 < MIN_WEIGHT_BYTES || x.size() / in > MAX_ROWS
        || Autograd.recording()) {
      return null;
    }
    NDArray[] parts = blocksOf(weight, threads);
    NDArray[] outs = new NDArray[parts.length];
    SpinTeam.shared().run(parts.length, parts.length, p -> {
      // a helper thread records graphs until told not to (see Autograd); the caller is not recording here anyway
      Autograd.offInThisThread();
      outs[p] = x.getNDArrayInternal().linear(x, parts[p], null).singletonOrThrow();
    });
    return NDArrays.concat(new NDList(outs), -1);
  }

  private synchronized NDArray[] blocksOf(NDArray weight, int n) {
    NDArray[] b = blocks.get(weight);
    if (b == null || b.length != n) {
      long out = weight.getShape().get(0);
      b = new NDArray[n];
      for (int i = 0; i < n; i++) { // rows [i * out / n, (i + 1) * out / n): a contiguous view of the weight
        b[i] = weight.get(new NDIndex("{}:{}", i * out / n, (i + 1) * out / n));
      }
      blocks.put(weight, b);
    }
    return b;
  }
}
