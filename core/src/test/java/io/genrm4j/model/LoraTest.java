package io.genrm4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.model.io.SafetensorsReader;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.train.TokenExample;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.util.Jsonl;
import io.genrm4j.verify.VerifierTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraTest {
  static final CharTokenizer TOK = CharTokenizer.of("abcdefghij ");
  static final long[] IDS = {1, 4, 5, 6, 3, 2, 2, 7};

  private static void randomise(LlamaModel m, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (NDArray a : m.adapters().values()) {
      float[] v = new float[(int) a.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (r.nextDouble() - 0.5) * 0.2f;
      }
      a.set(v);
    }
  }

  @Test
  void freshAdaptersChangeNothingAndMergingKeepsTheFunction() {
    for (ModelConfig c : new ModelConfig[] {LlamaModelTest.GQA, LlamaModelTest.QWEN}) {
      try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(c, 3, root);
          NDManager mgr = root.newSubManager()) {
        float[] base = LlamaModelTest.logits(m, mgr, IDS);
        m.attachLora(new Lora(4, 8, 0, Lora.ALL_LINEAR), 1, null);
        assertEquals(2 * 7 * c.numHiddenLayers(), m.adapters().size(), "A and B on each of 7 linears per layer");
        assertArrayEquals(base, LlamaModelTest.logits(m, mgr, IDS), 0f, "B starts at zero");
        randomise(m, 2);
        float[] adapted = LlamaModelTest.logits(m, mgr, IDS);
        assertFalse(java.util.Arrays.equals(base, adapted));
        try (LlamaModel merged = m.merged()) {
          assertEquals(null, merged.lora());
          float[] viaMerge = LlamaModelTest.logits(merged, mgr, IDS);
          for (int i = 0; i < adapted.length; i++) {
            assertEquals(adapted[i], viaMerge[i], 1e-5, "merged logit " + i);
          }
        }
        assertThrows(IllegalStateException.class, () -> Checkpoint.save(m, TOK, Path.of("never")),
            "saving the base alone would drop the adapters");
      }
    }
  }

  /** Logits as training sees them: recording for backward, dropout masks from micro-batch {@code microBatch}. */
  private static float[] trainingLogits(LlamaModel m, NDManager mgr, long microBatch) {
    m.startLoraDropout(microBatch);
    try (NDManager step = mgr.newSubManager(); Autograd.Recording r = Autograd.record()) {
      return LlamaModelTest.logits(m, step, IDS);
    }
  }

  @Test
  void dropoutActsOnTheAdapterInputOnlyAndOnlyInTraining() {
    ModelConfig c = LlamaModelTest.GQA;
    try (NDManager root = NDManager.newBaseManager(); LlamaModel plain = LlamaModel.init(c, 3, root);
        LlamaModel dropped = LlamaModel.init(c, 3, root); NDManager mgr = root.newSubManager()) {
      float[] base = LlamaModelTest.logits(plain, mgr, IDS);
      plain.attachLora(new Lora(4, 8, 0, Lora.ALL_LINEAR), 1, null);
      dropped.attachLora(new Lora(4, 8, 0.5, Lora.ALL_LINEAR), 1, null);
      assertArrayEquals(base, trainingLogits(dropped, mgr, 0), 0f,
          "B = 0: the adapter path adds nothing, so dropout (if it touched the base path) would show here");
      randomise(plain, 2);
      randomise(dropped, 2);
      float[] inference = LlamaModelTest.logits(plain, mgr, IDS);
      assertArrayEquals(inference, trainingLogits(plain, mgr, 0), 0f, "dropout 0: training computes the same");
      assertArrayEquals(inference, LlamaModelTest.logits(dropped, mgr, IDS), 0f, "inference ignores dropout");
      float[] masked = trainingLogits(dropped, mgr, 0);
      assertFalse(java.util.Arrays.equals(inference, masked), "training drops adapter inputs");
      assertArrayEquals(masked, trainingLogits(dropped, mgr, 0), 0f, "the masks follow the seed and micro-batch");
      assertFalse(java.util.Arrays.equals(masked, trainingLogits(dropped, mgr, 1)), "another micro-batch, other masks");
    }
  }

  @Test
  void onlyTheAdaptersTrainAndOptimizerStateIsTheirs() {
    ModelConfig c = LlamaModelTest.GQA.withVocabSize(TOK.vocabSize());
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(c, 3, root)) {
      m.attachLora(new Lora(2, 4, 0, List.of("q_proj", "v_proj")), 1, null);
      Map<String, float[]> before = new java.util.LinkedHashMap<>();
      m.parameters().forEach((k, v) -> before.put(k, v.toFloatArray()));
      List<TokenExample> data = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        data.add(TokenExample.completion(TOK.encode("abc" + "de".repeat(i % 3)), TOK.encode("fgh"), 1f));
      }
      var r = VerifierTrainer.sft(m, TOK, data, TrainConfig.defaults(30, 4, 1e-2, 5), l -> { });
      assertTrue(r.losses().get(r.losses().size() - 1) < r.losses().get(0), "the adapters learn: " + r.losses());
      m.parameters().forEach((k, v) -> assertArrayEquals(before.get(k), v.toFloatArray(), 0f, k + " is frozen"));
      assertTrue(m.adapters().entrySet().stream().filter(e -> e.getKey().contains("lora_B"))
          .allMatch(e -> e.getValue().abs().sum().getFloat() > 0), "every B moved off zero");
      long adapter = m.trainableParameters().values().stream().mapToLong(NDArray::size).sum();
      long all = m.parameters().values().stream().mapToLong(NDArray::size).sum();
      // rank 2: A [2, in] + B [out, 2] for q_proj (in d, out q) and v_proj (in d, out kv)
      assertEquals(2L * (c.hiddenSize() + c.numAttentionHeads() * c.headDim())
          + 2L * (c.hiddenSize() + c.numKeyValueHeads() * c.headDim()), adapter / c.numHiddenLayers());
      assertTrue(adapter * 20 < all, "optimizer state follows the trainable parameters: " + adapter + " of " + all);
    }
  }

  @Test
  void adaptersSaveInPeftLayoutAndLoadOnTheirBase(@TempDir Path tmp) throws Exception {
    ModelConfig c = LlamaModelTest.QWEN.withVocabSize(TOK.vocabSize());
    Path base = tmp.resolve("base");
    Path adapter = tmp.resolve("adapter");
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(c, 3, root);
        NDManager mgr = root.newSubManager()) {
      Checkpoint.save(m, TOK, base);
      m.attachLora(new Lora(3, 6, 0.25, List.of("q_proj", "down_proj")), 1, null);
      randomise(m, 4);
      LoraAdapter.save(m, TOK, base, adapter);
      JsonNode cfg = Jsonl.MAPPER.readTree(adapter.resolve(LoraAdapter.CONFIG).toFile());
      assertEquals("LORA", cfg.get("peft_type").asText());
      assertEquals(3, cfg.get("r").asInt());
      assertEquals(6.0, cfg.get("lora_alpha").asDouble());
      assertEquals(0.25, cfg.get("lora_dropout").asDouble());
      assertEquals(base.toAbsolutePath().normalize().toString(), cfg.get("base_model_name_or_path").asText());
      try (SafetensorsReader r = SafetensorsReader.open(adapter.resolve(LoraAdapter.WEIGHTS))) {
        assertArrayEquals(new long[] {3, c.hiddenSize()},
            r.shape("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
        assertArrayEquals(new long[] {c.hiddenSize(), 3},
            r.shape("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
        assertEquals(4 * c.numHiddenLayers(), r.names().size());
      }
      float[] want = LlamaModelTest.logits(m, mgr, IDS);
      try (Checkpoint.Loaded l = Checkpoint.load(adapter, root)) {
        assertEquals(new Lora(3, 6, 0.25, List.of("q_proj", "down_proj")), l.model().lora());
        assertArrayEquals(want, LlamaModelTest.logits(l.model(), mgr, IDS), 0f, "same logits after a save and load");
      }
    }
  }
}
