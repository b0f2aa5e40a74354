package io.genrm4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class LlamaModelTest {
  static final ModelConfig GQA = ModelConfig.builder().vocabSize(37).hiddenSize(32).intermediateSize(64)
      .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).rmsNormEps(1e-5).maxPositionEmbeddings(128).build();
  static final ModelConfig QWEN = ModelConfig.builder().modelType("qwen2").vocabSize(37).hiddenSize(32)
      .intermediateSize(48).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(1).rmsNormEps(1e-6)
      .ropeTheta(1e6).maxPositionEmbeddings(128).tieWordEmbeddings(true).build();

  /** Llama 3.x shape: llama3 rope scaling with hd 8 puts one rotary pair in each regime (kept, blended, divided). */
  static final ModelConfig LLAMA3 = ModelConfig.builder().vocabSize(37).hiddenSize(32).intermediateSize(64)
      .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).rmsNormEps(1e-5).ropeTheta(10000)
      .ropeScaling(new ModelConfig.RopeScaling("llama3", 8, 1, 4, 64)).maxPositionEmbeddings(128).build();
  /** Qwen3 shape: per-head q/k RMSNorm, head_dim (16) wider than hidden / heads (8), no biases. */
  static final ModelConfig QWEN3 = ModelConfig.builder().modelType("qwen3").vocabSize(37).hiddenSize(32)
      .intermediateSize(48).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).headDim(16).rmsNormEps(1e-6)
      .ropeTheta(1e6).maxPositionEmbeddings(128).tieWordEmbeddings(true).build();

  /** Gemma shape: (1 + w) norms, sqrt(hidden) embedding scale, tanh-GELU gate, head_dim 16 (not hidden / heads). */
  static final ModelConfig GEMMA = ModelConfig.builder().modelType("gemma").vocabSize(37).hiddenSize(32)
      .intermediateSize(48).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(1).headDim(16).rmsNormEps(1e-6)
      .maxPositionEmbeddings(128).tieWordEmbeddings(true).build();
  /** Gemma2 shape: soft-caps small enough to bend tiny logits, a 5-token window on layers 0 and 2, 3 layers. */
  static final ModelConfig GEMMA2 = GEMMA.toBuilder().modelType("gemma2").numHiddenLayers(3).numKeyValueHeads(2)
      .slidingWindow(5).queryPreAttnScalar(24).attnLogitSoftcapping(0.02).finalLogitSoftcapping(0.3).build();

  /** Phi-3 shape: Llama's forward over fused qkv / gate_up tensors on disk, a 6-token window on every layer. */
  static final ModelConfig PHI3 = GQA.toBuilder().modelType("phi3").slidingWindow(6).build();

  static float[] logits(LlamaModel m, NDManager mgr, long[] ids) {
    int t = ids.length;
    long[] pos = new long[t];
    float[] valid = new float[t];
    for (int i = 0; i < t; i++) {
      pos[i] = i;
      valid[i] = 1;
    }
    NDArray h = m.forward(mgr.create(ids, new Shape(1, t)), mgr.create(valid, new Shape(1, t)),
        mgr.create(pos, new Shape(1, t)), null).hidden();
    return m.logits(h).toFloatArray();
  }

  /**
   * Without autograd, long batches attend a block of queries at a time and scale and mask the scores in place; with
   * it, all at once. Both give the same hidden states, padding, sliding windows and soft-caps included.
   */
  @Test
  void queryBlocksAttendAsTheWholeSequenceDoes() {
    for (ModelConfig cfg : new ModelConfig[] {GQA, GEMMA2, PHI3}) {
      try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(cfg, 5, root);
          NDManager mgr = root.newSubManager()) {
        int b = 64; // 64 rows x 4 heads x 100 keys: blocks of 81 queries, so two blocks
        int t = 100;
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        long[] ids = new long[b * t];
        long[] pos = new long[b * t];
        float[] valid = new float[b * t];
        for (int row = 0; row < b; row++) {
          int pad = r.nextInt(30); // left padding, as prompts are batched
          for (int i = 0; i < t; i++) {
            ids[row * t + i] = r.nextInt(cfg.vocabSize());
            valid[row * t + i] = i < pad ? 0 : 1;
            pos[row * t + i] = Math.max(0, i - pad);
          }
        }
        Shape sh = new Shape(b, t);
        NDArray idA = mgr.create(ids, sh);
        NDArray validA = mgr.create(valid, sh);
        NDArray posA = mgr.create(pos, sh);
        float[] blocks = m.forward(idA, validA, posA, null).hidden().toFloatArray();
        float[] whole;
        try (Autograd.Recording rec = Autograd.record()) {
          whole = m.forward(idA, validA, posA, null).hidden().toFloatArray();
        }
        for (int i = 0; i < whole.length; i++) {
          if (valid[i / cfg.hiddenSize()] > 0) {
            assertEquals(whole[i], blocks[i], 1e-5, cfg.modelType() + " at " + i);
          }
        }
      }
    }
  }

  @Test
  void kvCacheDecodingMatchesFullForward() {
    for (ModelConfig cfg : new ModelConfig[] {GQA, QWEN, LLAMA3, QWEN3, GEMMA, GEMMA2, PHI3}) {
      try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(cfg, 7, root);
          NDManager mgr = root.newSubManager()) {
        long[] ids = {1, 5, 9, 3, 3, 20, 11, 2, 30, 4};
        float[] full = logits(m, mgr, ids);
        // Prefill 4 tokens, then decode one at a time.
        KvCache cache = m.emptyCache(1);
        int v = cfg.vocabSize();
        double maxDiff = 0;
        int fed = 0;
        for (int chunk : new int[] {4, 1, 1, 1, 3}) {
          long[] part = new long[chunk];
          long[] pos = new long[chunk];
          float[] valid = new float[chunk];
          for (int i = 0; i < chunk; i++) {
            part[i] = ids[fed + i];
            pos[i] = fed + i;
            valid[i] = 1;
          }
          LlamaModel.Output out = m.forward(mgr.create(part, new Shape(1, chunk)), mgr.create(valid, new Shape(1, chunk)),
              mgr.create(pos, new Shape(1, chunk)), cache);
          cache = out.cache();
          float[] lg = m.logits(out.hidden()).toFloatArray();
          for (int i = 0; i < chunk * v; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(lg[i] - full[fed * v + i]));
          }
          fed += chunk;
        }
        assertEquals(ids.length, fed);
        assertTrue(maxDiff < 1e-4, "max abs diff " + maxDiff);
      }
    }
  }

  @Test
  void aSlidingWindowCountsRealTokensWhenPaddingSitsBetweenAppendedChunks() {
    // rows of different lengths appended to one cache are left-padded per chunk, so row 0 gets padding slots in the
    // middle of its sequence (chunk 2); its window of 5 must still cover its last 5 tokens, not its last 5 slots
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(GEMMA2, 7, root);
        NDManager mgr = root.newSubManager()) {
      int[][][] chunks = {{{1, 5, 9, 3, 3, 20}, {11, 2}}, {{30}, {4, 8, 8}}, {{6, 7}, {2}}, {{9}, {10}}};
      KvCache cache = m.emptyCache(2);
      java.util.List<java.util.List<Integer>> seen = java.util.List.of(new java.util.ArrayList<>(),
          new java.util.ArrayList<>());
      int v = GEMMA2.vocabSize();
      double maxDiff = 0;
      for (int[][] chunk : chunks) {
        LlamaModel.Output out = m.append(cache, java.util.List.of(chunk[0], chunk[1]), 0, mgr);
        cache = out.cache();
        float[] lg = m.logits(out.hidden()).toFloatArray(); // [2, T, V], rows right-aligned
        long t = out.hidden().getShape().get(1);
        for (int r = 0; r < 2; r++) {
          for (int id : chunk[r]) {
            seen.get(r).add(id);
          }
          long[] all = seen.get(r).stream().mapToLong(Integer::longValue).toArray();
          float[] full = logits(m, mgr, all);
          for (int i = 0; i < v; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(lg[(int) ((r * t + t - 1) * v + i)] - full[(all.length - 1) * v + i]));
          }
        }
      }
      assertTrue(maxDiff < 1e-4, "max abs diff " + maxDiff);
    }
  }

  @Test
  void changingALaterTokenNeverChangesEarlierLogits() {
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(GQA, 3, root);
        NDManager mgr = root.newSubManager()) {
      long[] a = {1, 5, 9, 3, 3, 20, 11, 2};
      long[] b = a.clone();
      b[5] = 17;
      float[] la = logits(m, mgr, a);
      float[] lb = logits(m, mgr, b);
      int v = GQA.vocabSize();
      for (int i = 0; i < 5 * v; i++) {
        assertEquals(la[i], lb[i], 0f, "position " + i / v);
      }
      boolean changed = false;
      for (int i = 5 * v; i < 6 * v; i++) {
        changed |= la[i] != lb[i];
      }
      assertTrue(changed, "the changed position's own logits must change");
    }
  }

  @Test
  void cachedDecodingKeepsOnlyTheCacheAlive() {
    // Regression: arrays derived from cached keys (GQA repeat, transpose, mask reshape) used to land in the cache's
    // manager and stay alive until the whole generation ended, a copy of the cache per decode step.
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(GQA, 7, root);
        NDManager gen = root.newSubManager()) {
      KvCache cache = m.emptyCache(2);
      for (int step = 0; step < 6; step++) {
        KvCache next;
        try (NDManager s = gen.newSubManager()) {
          java.util.List<int[]> rows = step == 0 ? java.util.List.of(new int[] {1, 5, 9}, new int[] {3})
              : java.util.List.of(new int[] {4}, new int[] {7});
          next = m.append(cache, rows, 0, s).cache();
          for (NDArray a : next.keys()) {
            a.attach(gen);
          }
          for (NDArray a : next.values()) {
            a.attach(gen);
          }
          next.valid().attach(gen);
        }
        if (step > 0) {
          io.genrm4j.infer.Generator.close(cache);
        }
        cache = next;
      }
      long alive = gen.getManagedArrays().stream().filter(a -> !a.isReleased()).count();
      assertEquals(2L * GQA.numHiddenLayers() + 1, alive, "only the cache's keys, values and validity mask");
    }
  }
}
