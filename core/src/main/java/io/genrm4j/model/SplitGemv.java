package io.genrm4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Matrix-vector products of large weights on every intra-op thread. libtorch multiplies one or a few rows by a weight
 * matrix (a decode step) on one core whatever its thread count, at one core's memory bandwidth (the 32,000 x 512 LM
 * head: 3.7 ms on one thread or two); here the weight's output rows are cut into one block per thread, the blocks run
 * on Java threads at once, and their outputs are concatenated: the same sums, so the same floats.
 */
final class SplitGemv {
  /** Weights smaller than this (bytes) are multiplied in one piece: a hand-off costs more than it saves. */
  static final long MIN_WEIGHT_BYTES = 4L << 20;

  /** At most this many input rows: more rows make a matrix product, which libtorch already spreads over threads. */
  static final long MAX_ROWS = 4;

  /**
   * Helper threads, shared by every model: one per core beyond the caller's (a request for more blocks queues, which
   * stays correct). Never resized, so no caller ever submits to a pool being shut down.
   */
  private static final ExecutorService HELPERS = Executors.newFixedThreadPool(
      Math.max(1, Runtime.getRuntime().availableProcessors() - 1), r -> {
        Thread t = new Thread(() -> {
          Autograd.offInThisThread(); // a new thread records graphs until told not to (see Autograd)
          r.run();
        }, "genrm4j-gemv");
        t.setDaemon(true);
        return t;
      });

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
    List<Future<NDArray>> rest = new ArrayList<>();
    for (int i = 1; i < parts.length; i++) {
      NDArray w = parts[i];
      rest.add(HELPERS.submit(() -> x.getNDArrayInternal().linear(x, w, null).singletonOrThrow()));
    }
    NDList outs = new NDList(x.getNDArrayInternal().linear(x, parts[0], null).singletonOrThrow());
    try {
      for (Future<NDArray> f : rest) {
        outs.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted in a split matrix-vector product", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a split matrix-vector product failed", e.getCause());
    }
    return NDArrays.concat(outs, -1);
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
