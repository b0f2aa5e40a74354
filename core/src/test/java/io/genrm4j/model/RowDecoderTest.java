package io.genrm4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The plain-Java decoder gives the engine's next-token logits (to float rounding) step after step, for the
 * configurations it takes, on one thread and on two, one row or several (padded prompts, a shared prefix); a row's
 * logits do not depend on the rows beside it (GeneratorTest: sampling through it draws the engine's tokens).
 */
class RowDecoderTest {
  private static ModelConfig.Builder base(int vocab) {
    return ModelConfig.builder().vocabSize(vocab).hiddenSize(64).intermediateSize(96).numHiddenLayers(2)
        .numAttentionHeads(4).numKeyValueHeads(2).rmsNormEps(1e-5).maxPositionEmbeddings(128);
  }

  /** Every tensor random (biases and norms too, which init leaves at 0 and 1), so each one shows in the logits. */
  private static LlamaModel random(ModelConfig c, long seed, NDManager mgr) {
    return random(c, seed, false, mgr);
  }

  /**
   * {@link #random(ModelConfig, long, NDManager)}, with the matrices that a BF16 decoder holds in BF16 (the
   * projections and the head; the embedding when it is the head) rounded so when {@code bf16}.
   */
  private static LlamaModel random(ModelConfig c, long seed, boolean bf16, NDManager mgr) {
    Random r = new Random(seed);
    Map<String, float[]> w = new LinkedHashMap<>();
    LlamaModel.parameterShapes(c).forEach((name, shape) -> {
      float[] a = new float[Math.toIntExact(shape.size())];
      boolean norm = name.endsWith("norm.weight");
      boolean inPanels = name.endsWith("proj.weight") || name.equals("lm_head.weight")
          || (c.tieWordEmbeddings() && name.equals("model.embed_tokens.weight"));
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) ((norm ? 1 : 0) + 0.2 * r.nextGaussian());
        a[i] = bf16 && inPanels ? DecodeDtype.fromBf16(DecodeDtype.toBf16(a[i])) : a[i];
      }
      w.put(name, a);
    });
    return LlamaModel.of(c, mgr, w);
  }

  @Test
  void stepsGiveTheEnginesLogits() {
    List<ModelConfig> configs = List.of(
        base(4096).tieWordEmbeddings(true).build(), // the head is 1 MB: split over two threads
        base(50).modelType("qwen2").build(), // q/k/v biases, untied head
        base(50).attentionBias(true).build(), // Llama with q/k/v and o biases
        base(50).modelType("qwen3").build()); // per-head q/k norms
    int[] prompt = {1, 7, 3, 9, 4};
    int[] fed = {5, 2, 8, 8, 1, 6};
    for (ModelConfig c : configs) {
      try (NDManager root = NDManager.newBaseManager(); LlamaModel m = random(c, 11, root)) {
        RowDecoder d = m.rowDecoder();
        assertNotNull(d, c.modelType());
        try (NDManager mgr = root.newSubManager()) {
          LlamaModel.Output out = m.append(m.emptyCache(1), List.of(prompt), 0, mgr);
          KvCache cache = out.cache();
          RowDecoder.State one = d.fromCache(cache).get(0);
          RowDecoder.State two = d.fromCache(cache).get(0);
          for (int i = 0; i < fed.length; i++) {
            out = m.append(cache, List.of(new int[] {fed[i]}), 0, mgr);
            cache = out.cache();
            float[] engine = m.logits(out.hidden()).toFloatArray();
            float[] java = step(d, one, fed[i], prompt.length + i, 1);
            assertArrayEquals(engine, java, 1e-4f, c.modelType() + ", step " + i);
            assertArrayEquals(java, step(d, two, fed[i], prompt.length + i, 2), c.modelType() + ": 2 threads, step " + i);
          }
          assertEquals(prompt.length + fed.length, one.length());
        }
      }
    }
  }

  /**
   * In BF16 the decoder's products sum the weights rounded to BF16: its logits are bit for bit those of the F32
   * decoder on a model whose weights were rounded so (untied head and tied, one row and two, two threads), and its
   * next-token log-probabilities stay within 0.05 of the engine's F32 ones on the weights as they were.
   */
  @Test
  void bf16WeightsGiveTheF32DecoderOfTheRoundedWeights() {
    int[] prompt = {1, 7, 3, 9, 4};
    int[] fed = {5, 2, 8};
    for (ModelConfig c : List.of(base(300).build(), base(4096).tieWordEmbeddings(true).build())) {
      try (NDManager root = NDManager.newBaseManager(); LlamaModel m = random(c, 13, root);
          LlamaModel rounded = random(c, 13, true, root); NDManager mgr = root.newSubManager()) {
        m.decodeIn(DecodeDtype.BF16);
        RowDecoder d = m.rowDecoder();
        assertEquals(DecodeDtype.BF16, d.dtype());
        RowDecoder f32 = rounded.rowDecoder();
        assertEquals(DecodeDtype.F32, f32.dtype());
        KvCache cache = m.append(m.emptyCache(1), List.of(prompt), 0, mgr).cache();
        RowDecoder.State st = d.fork(null);
        RowDecoder.State ref = f32.fork(null);
        for (int i = 0; i < prompt.length; i++) {
          assertArrayEquals(step(f32, ref, prompt[i], i, 1), step(d, st, prompt[i], i, 1), "prompt token " + i);
        }
        double worst = 0;
        for (int i = 0; i < fed.length; i++) {
          float[] java = step(d, st, fed[i], prompt.length + i, 2);
          assertArrayEquals(step(f32, ref, fed[i], prompt.length + i, 2), java, "step " + i);
          LlamaModel.Output out = m.append(cache, List.of(new int[] {fed[i]}), 0, mgr);
          cache = out.cache();
          double[] a = logSoftmax(m.logits(out.hidden()).toFloatArray());
          double[] b = logSoftmax(java);
          for (int t = 0; t < a.length; t++) {
            worst = Math.max(worst, Math.abs(a[t] - b[t]));
          }
        }
        assertTrue(worst < 0.05 && worst > 0, "largest log-probability difference from F32: " + worst);
        m.decodeIn(DecodeDtype.F32);
        assertEquals(DecodeDtype.F32, m.rowDecoder().dtype(), "the copies follow the setting");
      }
    }
  }

  private static double[] logSoftmax(float[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : z) {
      sum += Math.exp(v - max);
    }
    double[] out = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      out[i] = z[i] - max - Math.log(sum);
    }
    return out;
  }

  private static float[] step(RowDecoder d, RowDecoder.State st, int token, int position, int threads) {
    return d.step(List.of(st), new int[] {token}, new int[] {position}, null, threads);
  }

  /**
   * Two prompts of different lengths (left-padded in the engine's cache), the first continued by two rows that read
   * it once: each row's logits step after step are the engine's for that prompt and tokens alone, and bit for bit
   * those of the same row stepped by itself.
   */
  @Test
  void rowsStepTogetherAsEachAlone() {
    ModelConfig c = base(300).build();
    int[][] prompts = {{1, 7, 3, 9, 4}, {2, 8, 5}};
    int[][] fed = {{5, 2, 8, 8}, {6, 1, 1, 3}, {9, 9, 4, 2}}; // row r continues prompt r == 0 ? 0 : r - 1
    int[] promptOf = {0, 0, 1};
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = random(c, 12, root);
        NDManager mgr = root.newSubManager()) {
      RowDecoder d = m.rowDecoder();
      List<RowDecoder.State> prefixes = d.fromCache(m.append(m.emptyCache(2), List.of(prompts), 0, mgr).cache());
      List<RowDecoder.State> together = new java.util.ArrayList<>();
      List<RowDecoder.State> alone = new java.util.ArrayList<>();
      KvCache[] engine = new KvCache[3];
      for (int r = 0; r < 3; r++) {
        together.add(d.fork(prefixes.get(promptOf[r])));
        alone.add(d.fork(prefixes.get(promptOf[r])));
        engine[r] = m.append(m.emptyCache(1), List.of(prompts[promptOf[r]]), 0, mgr).cache();
      }
      for (int i = 0; i < 4; i++) {
        int[] tokens = new int[3];
        int[] positions = new int[3];
        for (int r = 0; r < 3; r++) {
          tokens[r] = fed[r][i];
          positions[r] = prompts[promptOf[r]].length + i;
        }
        float[] all = d.step(together, tokens, positions, null, 2);
        for (int r = 0; r < 3; r++) {
          float[] row = java.util.Arrays.copyOfRange(all, r * 300, (r + 1) * 300);
          assertArrayEquals(step(d, alone.get(r), tokens[r], positions[r], 1), row, "row " + r + ", step " + i);
          LlamaModel.Output out = m.append(engine[r], List.of(new int[] {tokens[r]}), 0, mgr);
          engine[r] = out.cache();
          assertArrayEquals(m.logits(out.hidden()).toFloatArray(), row, 1e-4f, "row " + r + ", step " + i);
        }
      }
      assertEquals(prompts[0].length + 4, together.get(0).length());
    }
  }

  @Test
  void theStateGrowsPastItsFirstRoom() {
    ModelConfig c = base(50).build();
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = random(c, 5, root)) {
      RowDecoder d = m.rowDecoder();
      LlamaModel.Output out = m.append(m.emptyCache(1), List.of(new int[] {1, 2}), 0, root);
      KvCache cache = out.cache();
      RowDecoder.State st = d.fork(d.fromCache(cache).get(0)); // room for 64 slots of its own, then doubled
      float[] java = null;
      for (int i = 0; i < 100; i++) {
        java = step(d, st, 3 + i % 40, 2 + i, 1);
        out = m.append(cache, List.of(new int[] {3 + i % 40}), 0, root);
        cache = out.cache();
      }
      assertArrayEquals(m.logits(out.hidden()).toFloatArray(), java, 1e-4f);
    }
  }

  /**
   * A prompt prefill in plain Java ({@link LlamaModel#append} to an empty cache) gives the engine's hidden states and
   * cache to float rounding: rows of different lengths from given start positions, more tokens than a chunk (the
   * third row split across two), several query blocks a row; each row's hidden states bit for bit those of the row
   * fed alone, on one thread or two.
   */
  @Test
  void prefillGivesTheEnginesHiddenStatesAndCache() {
    List<ModelConfig> configs = List.of(
        base(300).maxPositionEmbeddings(1024).build(),
        base(50).modelType("qwen2").build(), // q/k/v biases, untied head
        base(50).attentionBias(true).build(), // Llama with q/k/v and o biases
        base(50).modelType("qwen3").build()); // per-head q/k norms
    Random r = new Random(3);
    for (ModelConfig c : configs) {
      boolean chunked = c.maxPositionEmbeddings() > 128;
      int[] lengths = chunked ? new int[] {300, 5, 400} : new int[] {37, 5, 70};
      long[] start = {0, 9, 2};
      List<int[]> rows = new java.util.ArrayList<>();
      for (int len : lengths) {
        rows.add(r.ints(len, 0, c.vocabSize()).toArray());
      }
      try (NDManager root = NDManager.newBaseManager(); LlamaModel m = random(c, 21, root);
          NDManager mgr = root.newSubManager()) {
        KvCache empty = new KvCache(m.emptyCache(3).keys(), m.emptyCache(3).values(), null, start);
        LlamaModel.Output plain = m.append(empty, rows, 0, mgr);
        TokenBatch tb = TokenBatch.leftPadded(rows, 0, start, mgr);
        LlamaModel.Output engine = m.forward(tb.ids(), tb.valid(), tb.positions(), empty);
        assertArrayEquals(tb.valid().toFloatArray(), plain.cache().valid().toFloatArray(), c.modelType());
        assertArrayEquals(engine.cache().nextPosition(), plain.cache().nextPosition(), c.modelType());
        float[] valid = tb.valid().toFloatArray();
        assertClose(engine.hidden().toFloatArray(), plain.hidden().toFloatArray(), valid, c.hiddenSize(),
            c.modelType() + ": hidden states");
        for (int l = 0; l < c.numHiddenLayers(); l++) {
          NDArray k = engine.cache().keys()[l].transpose(0, 2, 1, 3); // [B, T, KV, hd]: a slot's keys together
          NDArray jk = plain.cache().keys()[l].transpose(0, 2, 1, 3);
          NDArray v = engine.cache().values()[l].transpose(0, 2, 1, 3);
          NDArray jv = plain.cache().values()[l].transpose(0, 2, 1, 3);
          int slot = c.numKeyValueHeads() * c.headDim();
          assertClose(k.toFloatArray(), jk.toFloatArray(), valid, slot, c.modelType() + ": keys, layer " + l);
          assertClose(v.toFloatArray(), jv.toFloatArray(), valid, slot, c.modelType() + ": values, layer " + l);
        }
        RowDecoder d = m.rowDecoder();
        List<RowDecoder.State> two = List.of(d.fork(null), d.fork(null), d.fork(null));
        List<int[]> positions = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
          positions.add(java.util.stream.IntStream.range((int) start[i], (int) start[i] + lengths[i]).toArray());
        }
        float[] together = d.feed(two, rows, positions, 2);
        for (int i = 0, at = 0; i < 3; i++) {
          float[] alone = d.feed(List.of(d.fork(null)), List.of(rows.get(i)), List.of(positions.get(i)), 1);
          assertArrayEquals(alone, java.util.Arrays.copyOfRange(together, at, at + alone.length),
              c.modelType() + ": row " + i + " alone on one thread, with the others on two");
          at += alone.length;
        }
      }
    }
  }

  /** a and b agree to 1e-4 (relative to 1) at the rows of {@code width} floats whose {@code valid} entry is 1. */
  private static void assertClose(float[] a, float[] b, float[] valid, int width, String what) {
    for (int i = 0; i < valid.length; i++) {
      if (valid[i] == 1f) {
        for (int j = i * width; j < (i + 1) * width; j++) {
          assertEquals(a[j], b[j], 1e-4 * Math.max(1, Math.abs(a[j])), what + ", row " + i);
        }
      }
    }
  }

  @Test
  void aTrainingStepDropsTheCopiesAndUnsupportedModelsHaveNone() {
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = random(base(50).build(), 1, root)) {
      RowDecoder d = m.rowDecoder();
      assertSame(d, m.rowDecoder());
      m.setRequiresGradient(true);
      try (Autograd.Recording rec = Autograd.record(); NDManager mgr = root.newSubManager()) {
        NDArray ids = mgr.create(new long[] {1, 2}, new Shape(1, 2));
        m.forward(ids, mgr.ones(new Shape(1, 2)), mgr.create(new long[] {0, 1}, new Shape(1, 2)), null);
      }
      assertNotSame(d, m.rowDecoder());
    }
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel gemma = random(base(50).modelType("gemma").build(), 1, root)) {
      assertNull(gemma.rowDecoder());
    }
    assertTrue(RowDecoder.supports(base(50).build(), false));
    assertTrue(!RowDecoder.supports(base(50).build(), true), "LoRA adapters decode in the engine");
  }
}
