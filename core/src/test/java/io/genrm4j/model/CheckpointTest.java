package io.genrm4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.genrm4j.model.io.FloatTensor;
import io.genrm4j.model.io.SafetensorsReader;
import io.genrm4j.model.io.SafetensorsWriter;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.util.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  static final CharTokenizer TOK = CharTokenizer.of("abcdefghij ");

  @Test
  void saveThenLoadGivesIdenticalLogitsAndAnIndependentReaderAgrees(@TempDir Path tmp) throws Exception {
    ModelConfig cfg = LlamaModelTest.GQA.withVocabSize(TOK.vocabSize()).withNumLabels(1);
    Path dir = tmp.resolve("ckpt");
    long[] ids = {1, 4, 5, 6, 3};
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(cfg, 9, root);
        NDManager mgr = root.newSubManager()) {
      Checkpoint.save(m, TOK, dir);
      float[] before = LlamaModelTest.logits(m, mgr, ids);
      try (Checkpoint.Loaded l = Checkpoint.load(dir, root)) {
        assertArrayEquals(before, LlamaModelTest.logits(l.model(), mgr, ids), 0f);
        assertEquals(cfg, l.model().config());
        assertTrue(l.model().parameters().containsKey("score.weight"), "the score head is saved and reloaded");
        assertArrayEquals(m.parameters().get("score.weight").toFloatArray(),
            l.model().parameters().get("score.weight").toFloatArray(), 0f);
      }
      // DJL's own safetensors decoder reads what we wrote.
      NDList decoded = NDList.decode(mgr, Files.readAllBytes(dir.resolve("model.safetensors")));
      assertEquals(m.parameters().size(), decoded.size());
      for (NDArray a : decoded) {
        assertArrayEquals(m.parameters().get(a.getName()).toFloatArray(), a.toFloatArray(), 0f, a.getName());
      }
    }
    assertTrue(Files.exists(dir.resolve("tokenizer.json")));
    try (var list = Files.list(tmp)) {
      assertEquals(1, list.count(), "no temporary directories are left beside the checkpoint");
    }
  }

  @Test
  void missingConfigFieldIsReportedWithTheFileName(@TempDir Path tmp) throws Exception {
    Files.writeString(tmp.resolve("config.json"), "{\"vocab_size\": 10, \"hidden_size\": 8, "
        + "\"num_hidden_layers\": 1, \"num_attention_heads\": 2}");
    UserException e = assertThrows(UserException.class, () -> ModelConfig.read(tmp.resolve("config.json")));
    assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("intermediate_size"),
        e.getMessage());
  }

  @Test
  void wrongTensorShapeIsReportedByName(@TempDir Path tmp) {
    ModelConfig cfg = LlamaModelTest.GQA.withVocabSize(TOK.vocabSize());
    Path dir = tmp.resolve("ckpt");
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(cfg, 9, root)) {
      Checkpoint.save(m, TOK, dir);
      Map<String, FloatTensor> tensors = new LinkedHashMap<>();
      try (SafetensorsReader r = SafetensorsReader.open(dir)) {
        for (String n : r.names()) {
          float[] data = r.readFloats(n);
          long[] shape = r.shape(n);
          if (n.equals("model.layers.1.mlp.up_proj.weight")) {
            shape = new long[] {shape[1], shape[0]};
          }
          tensors.put(n, new FloatTensor(shape, data));
        }
      }
      SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of());
      UserException e = assertThrows(UserException.class, () -> Checkpoint.load(dir, root));
      assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"));
    }
  }

  @Test
  void aSlidingWindowIsUsedWhereBuiltAndRefusedWhereNot(@TempDir Path tmp) throws Exception {
    String common = "\"vocab_size\": 8, \"hidden_size\": 8, \"intermediate_size\": 16, \"num_hidden_layers\": 1, "
        + "\"num_attention_heads\": 2, \"max_position_embeddings\": 64";
    Path f = tmp.resolve("config.json");
    Files.writeString(f, "{\"model_type\": \"mistral\", \"sliding_window\": 16, " + common + "}");
    ModelConfig mistral = ModelConfig.read(f);
    assertEquals(16, mistral.slidingWindow());
    assertTrue(mistral.slidingLayer(0), "Mistral windows every layer");
    // Qwen2 windows only the layers from max_window_layers on: not built, so refused rather than run unwindowed
    Files.writeString(f, "{\"model_type\": \"qwen2\", \"use_sliding_window\": true, \"sliding_window\": 16, "
        + common + "}");
    UserException e = assertThrows(UserException.class, () -> ModelConfig.read(f));
    assertTrue(e.getMessage().contains("sliding_window 16"), e.getMessage());
    // Qwen2 without use_sliding_window, and a window as long as the context, are full attention: they load.
    Files.writeString(f, "{\"model_type\": \"qwen2\", \"sliding_window\": 16, " + common + "}");
    assertEquals(64, ModelConfig.read(f).maxPositionEmbeddings());
    Files.writeString(f, "{\"model_type\": \"mistral\", \"sliding_window\": 64, " + common + "}");
    assertEquals("mistral", ModelConfig.read(f).modelType());
  }

  @Test
  void newerFamiliesSurviveASaveAndLoad(@TempDir Path tmp) throws Exception {
    long[] ids = {1, 4, 5, 6, 3, 2, 2, 7};
    for (ModelConfig c : new ModelConfig[] {LlamaModelTest.LLAMA3, LlamaModelTest.QWEN3, LlamaModelTest.GEMMA,
        LlamaModelTest.GEMMA2, LlamaModelTest.PHI3}) {
      ModelConfig cfg = c.withVocabSize(TOK.vocabSize());
      Path dir = tmp.resolve(cfg.modelType() + cfg.ropeScaling().type());
      try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(cfg, 9, root);
          NDManager mgr = root.newSubManager()) {
        Checkpoint.save(m, TOK, dir);
        try (Checkpoint.Loaded l = Checkpoint.load(dir, root)) {
          assertEquals(cfg, l.model().config());
          assertArrayEquals(LlamaModelTest.logits(m, mgr, ids), LlamaModelTest.logits(l.model(), mgr, ids), 0f);
        }
      }
    }
    String config = Files.readString(tmp.resolve("llamallama3").resolve("config.json"));
    assertTrue(config.contains("\"rope_type\" : \"llama3\"") && config.contains("original_max_position_embeddings"),
        config);
    assertTrue(Files.readString(tmp.resolve("qwen3default").resolve("config.json")).contains("Qwen3ForCausalLM"));
    assertTrue(Files.readString(tmp.resolve("gemma2default").resolve("config.json")).contains("\"sliding_window\" : 5"));
  }

  @Test
  void phi3IsSavedInItsFusedLayoutAndSplitOnLoad(@TempDir Path tmp) throws Exception {
    ModelConfig cfg = LlamaModelTest.PHI3.withVocabSize(TOK.vocabSize());
    Path dir = tmp.resolve("phi3");
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(cfg, 9, root)) {
      Checkpoint.save(m, TOK, dir);
      try (SafetensorsReader r = SafetensorsReader.open(dir)) {
        assertFalse(r.contains("model.layers.0.self_attn.q_proj.weight"), "Phi-3 has no separate q_proj on disk");
        int d = cfg.hiddenSize();
        int q = cfg.numAttentionHeads() * cfg.headDim();
        int kv = cfg.numKeyValueHeads() * cfg.headDim();
        assertArrayEquals(new long[] {q + 2L * kv, d}, r.shape("model.layers.1.self_attn.qkv_proj.weight"));
        assertArrayEquals(new long[] {2L * cfg.intermediateSize(), d}, r.shape("model.layers.1.mlp.gate_up_proj.weight"));
        float[] qkv = r.readFloats("model.layers.1.self_attn.qkv_proj.weight");
        float[] gateUp = r.readFloats("model.layers.1.mlp.gate_up_proj.weight");
        // rows: q, then k, then v; gate, then up (Phi3Attention / Phi3MLP slice them in this order)
        assertArrayEquals(m.parameters().get("model.layers.1.self_attn.k_proj.weight").toFloatArray(),
            Arrays.copyOfRange(qkv, q * d, (q + kv) * d), 0f);
        assertArrayEquals(m.parameters().get("model.layers.1.mlp.up_proj.weight").toFloatArray(),
            Arrays.copyOfRange(gateUp, cfg.intermediateSize() * d, gateUp.length), 0f);
      }
      assertTrue(Files.readString(dir.resolve("config.json")).contains("Phi3ForCausalLM"));
    }
  }

  @Test
  void ropeScalingIsReadAsHfWritesItAndOtherKindsAreRefusedByName(@TempDir Path tmp) throws Exception {
    String common = "\"vocab_size\": 8, \"hidden_size\": 8, \"intermediate_size\": 16, \"num_hidden_layers\": 1, "
        + "\"num_attention_heads\": 2, \"max_position_embeddings\": 64";
    Path f = tmp.resolve("config.json");
    // Llama 3.2's own rope_scaling, and the pre-4.45 spelling "type"
    Files.writeString(f, "{\"rope_scaling\": {\"factor\": 32.0, \"high_freq_factor\": 4.0, \"low_freq_factor\": "
        + "1.0, \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}, " + common + "}");
    assertEquals(new ModelConfig.RopeScaling("llama3", 32, 1, 4, 8192), ModelConfig.read(f).ropeScaling());
    Files.writeString(f, "{\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}, " + common + "}");
    assertEquals("linear", ModelConfig.read(f).ropeScaling().type());
    Files.writeString(f, "{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}, " + common + "}");
    UserException e = assertThrows(UserException.class, () -> ModelConfig.read(f));
    assertTrue(e.getMessage().contains("'yarn'") && !e.getMessage().contains("\n"), e.getMessage());
    Files.writeString(f, "{\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}, " + common + "}");
    assertThrows(UserException.class, () -> ModelConfig.read(f), "llama3 without its frequency factors");
    Files.writeString(f, "{\"model_type\": \"gemma3_text\", " + common + "}");
    assertTrue(assertThrows(UserException.class, () -> ModelConfig.read(f)).getMessage().contains("'gemma3_text'"));
    Files.writeString(f, "{\"hidden_act\": \"gelu\", " + common + "}");
    assertTrue(assertThrows(UserException.class, () -> ModelConfig.read(f)).getMessage().contains("gelu"));
    // Gemma 1's own config says hidden_act "gelu" but its MLP uses tanh GELU (hidden_activation unset): loads
    Files.writeString(f, "{\"model_type\": \"gemma\", \"hidden_act\": \"gelu\", \"hidden_activation\": null, "
        + common + "}");
    ModelConfig gemma = ModelConfig.read(f);
    assertTrue(gemma.tieWordEmbeddings() && gemma.headDim() == 256, gemma.toString());
    // Gemma2 without the soft-capping fields gets Gemma2Config's defaults; null turns one off
    Files.writeString(f, "{\"model_type\": \"gemma2\", \"sliding_window\": 32, \"final_logit_softcapping\": null, "
        + common + "}");
    ModelConfig gemma2 = ModelConfig.read(f);
    assertEquals(50.0, gemma2.attnLogitSoftcapping());
    assertEquals(0.0, gemma2.finalLogitSoftcapping());
    assertEquals(256.0, gemma2.queryPreAttnScalar());
    assertTrue(gemma2.slidingLayer(0) && !gemma2.slidingLayer(1));
  }
}
