package io.genrm4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.genrm4j.infer.Generation;
import io.genrm4j.infer.Generator;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.tokenizer.CharTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A large weight's matrix-vector product split over threads gives the floats of the product in one piece. */
class SplitGemvTest {
  @Test
  void splitProductEqualsTheWholeOne() {
    try (NDManager mgr = NDManager.newBaseManager()) {
      NDArray w = mgr.randomNormal(new Shape(3001, 512)); // 6 MB; 3,001 rows: blocks of unequal size
      NDArray x = mgr.randomNormal(new Shape(1, 2, 512));
      float[] whole = x.getNDArrayInternal().linear(x, w, null).singletonOrThrow().toFloatArray();
      SplitGemv split = new SplitGemv();
      for (int n : new int[] {2, 3}) {
        NDArray y = split.linear(x, w, null, n);
        assertNotNull(y, n + " threads");
        assertArrayEquals(new long[] {1, 2, 3001}, y.getShape().getShape());
        assertArrayEquals(whole, y.toFloatArray(), n + " threads");
      }
      NDArray many = mgr.randomNormal(new Shape(1, SplitGemv.MAX_ROWS + 1, 512));
      assertNull(split.linear(many, w, null, 2), "a matrix product is left to libtorch");
      NDArray small = mgr.randomNormal(new Shape(100, 512));
      assertNull(split.linear(x, small, null, 2), "a small weight is not worth a hand-off");
      assertNull(split.linear(x, w, null, 1), "one thread: nothing to split over");
    }
  }

  /**
   * Decoding with two intra-op threads (each step on one, the LM head split over both: 17,000 x 64 floats is over
   * {@link SplitGemv#MIN_WEIGHT_BYTES}) samples the tokens and log-probs of decoding with one, and leaves the
   * thread count as it found it.
   */
  @Test
  void decodingOnTwoThreadsMatchesOne() {
    StringBuilder alphabet = new StringBuilder();
    for (int i = 0; i < 16_997; i++) {
      alphabet.appendCodePoint(0x4E00 + i);
    }
    CharTokenizer tok = CharTokenizer.of(alphabet.toString());
    ModelConfig cfg = ModelConfig.builder().vocabSize(tok.vocabSize()).hiddenSize(64).intermediateSize(128)
        .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).rmsNormEps(1e-5).maxPositionEmbeddings(64)
        .tieWordEmbeddings(true).build();
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(cfg, 3, root)) {
      int threads = JniUtils.getNumThreads();
      try {
        Generator g = new Generator(m, tok);
        List<String> prompts = List.of("\u4E01\u4E02\u4E03", "\u4E10");
        SamplingParams p = SamplingParams.sample(12, 1.0, 7).withTopLogprobs(2);
        JniUtils.setNumThreads(1);
        List<Generation> one = g.generate(prompts, p);
        JniUtils.setNumThreads(2);
        List<Generation> two = g.generate(prompts, p);
        assertEquals(2, JniUtils.getNumThreads());
        for (int r = 0; r < prompts.size(); r++) {
          assertArrayEquals(one.get(r).tokens(), two.get(r).tokens());
          assertArrayEquals(one.get(r).logprobs(), two.get(r).logprobs());
          assertEquals(one.get(r).topLogprobs(), two.get(r).topLogprobs());
        }
      } finally {
        JniUtils.setNumThreads(threads);
      }
    }
  }
}
