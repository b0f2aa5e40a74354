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
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.tokenizer.CharTokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The plain-Java decoder of one row gives the engine's next-token logits (to float rounding) step after step, for the
 * configurations it takes, on one thread and on two; single-row sampling through it draws the engine's tokens.
 */
class RowDecoderTest {
  private static ModelConfig.Builder base(int vocab) {
    return ModelConfig.builder().vocabSize(vocab).hiddenSize(64).intermediateSize(96).numHiddenLayers(2)
        .numAttentionHeads(4).numKeyValueHeads(2).rmsNormEps(1e-5).maxPositionEmbeddings(128);
  }

  /** Every tensor random (biases and norms too, which init leaves at 0 and 1), so each one shows in the logits. */
  private static LlamaModel random(ModelConfig c, long seed, NDManager mgr) {
    Random r = new Random(seed);
    Map<String, float[]> w = new LinkedHashMap<>();
    LlamaModel.parameterShapes(c).forEach((name, shape) -> {
      float[] a = new float[Math.toIntExact(shape.size())];
      boolean norm = name.endsWith("norm.weight");
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) ((norm ? 1 : 0) + 0.2 * r.nextGaussian());
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
          RowDecoder.State one = d.fromCache(cache);
          RowDecoder.State two = d.fromCache(cache);
          for (int i = 0; i < fed.length; i++) {
            out = m.append(cache, List.of(new int[] {fed[i]}), 0, mgr);
            cache = out.cache();
            float[] engine = m.logits(out.hidden()).toFloatArray();
            float[] java = d.step(one, fed[i], prompt.length + i, 1);
            assertArrayEquals(engine, java, 1e-4f, c.modelType() + ", step " + i);
            assertArrayEquals(java, d.step(two, fed[i], prompt.length + i, 2), c.modelType() + ": 2 threads, step " + i);
          }
          assertEquals(prompt.length + fed.length, one.length());
        }
      }
    }
  }

  /**
   * The tests' JVM has the Vector API (parent pom), so the SIMD rows ran above; here they and the scalar fallback meet
   * plain sums.
   */
  @Test
  void vectorRowsGiveTheScalarSums() {
    assertTrue(RowDecoder.VECTOR_API, "the tests run with --add-modules jdk.incubator.vector");
    Random r = new Random(4);
    for (int in : new int[] {64, 77, 512}) { // 77: a tail past the last whole pair of vectors
      float[] w = new float[301 * in];
      float[] x = new float[in];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) r.nextGaussian();
      }
      for (int i = 0; i < in; i++) {
        x[i] = (float) r.nextGaussian();
      }
      float[] scalar = new float[301];
      float[] vector = new float[301];
      for (int o = 0; o < 301; o++) {
        for (int i = 0; i < in; i++) {
          scalar[o] += w[o * in + i] * x[i];
        }
      }
      RowDecoder.matvec(w, x, vector, 1);
      assertArrayEquals(scalar, vector, 1e-4f, in + " inputs");
      float[] fallback = new float[301];
      RowDecoder.scalarRows(w, 0, x, 0, in, fallback, 0, 301); // the rows of a JVM without the module
      assertArrayEquals(scalar, fallback, 1e-4f, in + " inputs, scalar");
    }
  }

  @Test
  void theStateGrowsPastItsFirstRoom() {
    ModelConfig c = base(50).build();
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = random(c, 5, root)) {
      RowDecoder d = m.rowDecoder();
      LlamaModel.Output out = m.append(m.emptyCache(1), List.of(new int[] {1, 2}), 0, root);
      KvCache cache = out.cache();
      RowDecoder.State st = d.fromCache(cache); // room for 66 slots, then doubled
      float[] java = null;
      for (int i = 0; i < 100; i++) {
        java = d.step(st, 3 + i % 40, 2 + i, 1);
        out = m.append(cache, List.of(new int[] {3 + i % 40}), 0, root);
        cache = out.cache();
      }
      assertArrayEquals(m.logits(out.hidden()).toFloatArray(), java, 1e-4f);
    }
  }

  /** One prompt samples through the decoder; the same prompt beside another samples in the engine. */
  @Test
  void oneRowSamplesTheEnginesTokens() {
    CharTokenizer tok = CharTokenizer.of("abcdefghijklmnopqrstuvwxyz ?.\n");
    ModelConfig c = base(tok.vocabSize()).build();
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = random(c, 3, root)) {
      Generator g = new Generator(m, tok);
      for (SamplingParams p : List.of(SamplingParams.greedy(30), SamplingParams.sample(30, 1.0, 7).withTopLogprobs(2))) {
        Generation one = g.generate(List.of("hello there"), p).get(0);
        Generation engine = g.generate(List.of("hello there", "abc"), p).get(0);
        assertArrayEquals(engine.tokens(), one.tokens());
        assertArrayEquals(engine.logprobs(), one.logprobs(), 1e-4f);
        assertEquals(engine.finishReason(), one.finishReason());
        assertTrue(one.tokens().length >= 10, "a generation long enough to compare");
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
