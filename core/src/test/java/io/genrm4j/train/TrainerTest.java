package io.genrm4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.ModelConfig;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  static final CharTokenizer TOK = CharTokenizer.of("abcdefghijklmnopqrstuvwxyz ->.\n");

  static List<TokenExample> examples(String... pairs) {
    List<TokenExample> out = new ArrayList<>();
    for (int i = 0; i < pairs.length; i += 2) {
      int[] prompt = concat(new int[] {CharTokenizer.BOS_ID}, TOK.encode(pairs[i]));
      int[] completion = concat(TOK.encode(pairs[i + 1]), new int[] {CharTokenizer.EOS_ID});
      out.add(TokenExample.completion(prompt, completion, 1f));
    }
    return out;
  }

  static int[] concat(int[] a, int[] b) {
    int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  static ModelConfig config() {
    return Presets.get("test", TOK.vocabSize());
  }

  @Test
  void tinyModelOverfitsASmallBatch() {
    List<TokenExample> data = examples("noah paul ->", "hl", "elisha rebecca ->", "aa", "mary anne ->", "ye",
        "john ->", "n");
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(config(), 1, root)) {
      TrainConfig cfg = TrainConfig.defaults(150, 4, 1e-2, 3).withWarmupSteps(10).withWeightDecay(0);
      Trainer.Result r = Trainer.train(m, data, Losses.sft(0), cfg, null);
      assertTrue(r.finalLoss() < 0.05, "final loss " + r.finalLoss());
    }
  }

  @Test
  void trainingEndsAfterTheFirstStepTheStopConditionAccepts() {
    List<TokenExample> data = examples("noah paul ->", "hl", "elisha rebecca ->", "aa");
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(config(), 1, root)) {
      TrainConfig cfg = TrainConfig.defaults(150, 2, 1e-2, 3).withWarmupSteps(10).withWeightDecay(0);
      // Stop once the loss is below 1.0: the condition sees each step's log, after the optimizer step.
      List<Long> seen = new ArrayList<>();
      Trainer.Result r = Trainer.train(m, null, data, Losses.sft(0), cfg, null, false, null, e -> 0, l -> {
        seen.add(l.step());
        return l.loss() < 1.0;
      });
      assertTrue(r.steps() < 150, "stopped early: " + r.steps());
      assertEquals(r.steps(), (long) seen.get(seen.size() - 1));
      assertEquals(r.steps(), r.losses().size());
      assertTrue(r.finalLoss() < 1.0 && r.losses().subList(0, r.losses().size() - 1).stream().allMatch(x -> x >= 1.0));
    }
  }

  @Test
  void positionsOutsideTheLossMaskGetZeroGradient() {
    // Untied head, so the pad row of the embedding receives gradient only through pad inputs, which sit after
    // every target and are masked out.
    ModelConfig cfg = ModelConfig.builder().vocabSize(TOK.vocabSize()).hiddenSize(32).intermediateSize(64)
        .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).rmsNormEps(1e-5).maxPositionEmbeddings(64)
        .bosTokenId(1).eosTokenId(2).padTokenId(0).build();
    List<TokenExample> data = examples("ab ->", "ba", "abcdefgh ->", "hgfedcba");
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(cfg, 1, root)) {
      m.setRequiresGradient(true);
      try (NDManager sm = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(Losses.sft(0).loss(m, data, sm));
      }
      float[] g = m.parameters().get("model.embed_tokens.weight").getGradient().toFloatArray();
      int d = cfg.hiddenSize();
      for (int i = 0; i < d; i++) {
        assertEquals(0f, g[CharTokenizer.PAD_ID * d + i], 0f, "pad row, column " + i);
      }
      double other = 0;
      for (int i = 0; i < d; i++) {
        other += Math.abs(g[TOK.idOf('a') * d + i]);
      }
      assertTrue(other > 0, "a used token must get gradient");
    }
  }

  @Test
  void changingAMaskedTargetChangesNothing() {
    List<TokenExample> a = examples("abc ->", "cba");
    TokenExample e = a.get(0);
    int[] ids = e.ids().clone();
    boolean[] mask = e.target().clone();
    mask[ids.length - 1] = false; // the EOS target is masked out...
    ids[ids.length - 1] = TOK.idOf('z'); // ...so what token sits there cannot matter
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(config(), 1, root);
        NDManager sm = root.newSubManager()) {
      float l1 = Losses.sft(0).loss(m, List.of(new TokenExample(e.ids(), mask, 1f)), sm).getFloat();
      float l2 = Losses.sft(0).loss(m, List.of(new TokenExample(ids, mask, 1f)), sm).getFloat();
      float l3 = Losses.sft(0).loss(m, List.of(e), sm).getFloat();
      assertEquals(l1, l2, 0f);
      assertTrue(l1 != l3, "unmasking the target must change the loss");
    }
  }

  @Test
  void forcedGarbageCollectionBetweenForwardAndBackwardNeverYieldsNaN() throws Exception {
    List<TokenExample> data = examples("noah paul ->", "hl", "elisha rebecca ->", "aa");
    for (int run = 0; run < 5; run++) {
      try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(config(), run, root)) {
        m.setRequiresGradient(true);
        try (NDManager sm = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray loss = Losses.sft(0).loss(m, data, sm);
          NDArray orm = Losses.dpo(0, 0.1).loss(m,
              List.of(new Losses.PreferencePair(data.get(0), data.get(1), -3f, -4f)), sm);
          for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
          }
          gc.backward(loss.add(orm));
        }
        for (Map.Entry<String, NDArray> p : m.parameters().entrySet()) {
          for (float v : p.getValue().getGradient().toFloatArray()) {
            assertTrue(Float.isFinite(v), "run " + run + ": non-finite gradient in " + p.getKey());
          }
        }
      }
    }
  }

  @Test
  void resumeAfterAKillContinuesTheSameRun(@TempDir Path tmp) {
    List<TokenExample> data = examples("noah paul ->", "hl", "elisha rebecca ->", "aa", "mary anne ->", "ye",
        "john ->", "n", "abc ->", "cba");
    TrainConfig cfg = TrainConfig.defaults(12, 2, 5e-3, 9).withGradAccum(2).withWarmupSteps(2)
        .withCheckpointEvery(4);
    float[] straight;
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(config(), 4, root)) {
      Trainer.train(m, TOK, data, Losses.sft(0), cfg, tmp.resolve("a"), false, null, e -> e.ids().length);
      straight = m.parameters().get("model.layers.1.mlp.down_proj.weight").toFloatArray();
    }
    Path run = tmp.resolve("b");
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(config(), 4, root)) {
      RuntimeException killed = assertThrows(RuntimeException.class, () -> Trainer.train(m, TOK, data,
          Losses.sft(0), cfg, run, false, log -> {
            if (log.step() == 6) {
              throw new RuntimeException("killed"); // after step 6's update, before any step-6 checkpoint
            }
          }, e -> e.ids().length));
      assertEquals("killed", killed.getMessage());
    }
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(config(), 77, root)) {
      Trainer.Result r = Trainer.train(m, TOK, data, Losses.sft(0), cfg, run, true, null, e -> e.ids().length);
      assertEquals(4, r.startStep(), "resumes from the step-4 checkpoint");
      float[] resumed = m.parameters().get("model.layers.1.mlp.down_proj.weight").toFloatArray();
      assertArrayEquals(straight, resumed, 1e-6f);
    }
  }

  @Test
  void aBatchWithOneLongRowRunsAsTwoPassesWithTheGradientOfTheWholeBatch() {
    List<String> pairs = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      pairs.add("ab" + "cdefghijkl".charAt(i % 10) + " ->");
      pairs.add("ba");
    }
    pairs.add("the quick brown fox jumps over the lazy dog ".repeat(4) + "->");
    pairs.add("god yzal eht revo spmuj xof nworb kciuq eht");
    List<TokenExample> data = examples(pairs.toArray(String[]::new));
    // weights and positions must travel with their rows into the groups
    data.set(3, data.get(3).withWeight(2.5f));
    data.set(15, data.get(15).withPositions(java.util.stream.IntStream.range(0, data.get(15).ids().length)
        .map(i -> i / 2).toArray()));
    int heads = config().numAttentionHeads();
    assertEquals(2, Losses.lengthGroups(data, heads).size(), "15 rows of ~10 tokens and one of ~230");
    List<TokenExample> similar = data.subList(0, 15);
    assertEquals(List.of(similar), Losses.lengthGroups(similar, heads), "similar lengths: the batch itself, one pass");
    // 16 equal rows whose attention scores would take 41 MB: passes of at most 32 MB, every row once
    List<TokenExample> wide = java.util.Collections.nCopies(16, new TokenExample(new int[400], new boolean[400], 1f));
    List<List<TokenExample>> passes = Losses.lengthGroups(wide, 4);
    assertTrue(passes.size() > 1, "split");
    assertEquals(16, passes.stream().mapToInt(List::size).sum());
    passes.forEach(g -> assertTrue((long) g.size() * 4 * 400 * 400 <= Losses.MAX_SCORE_FLOATS, g.size() + " rows"));
    assertEquals(1, Losses.lengthGroups(wide.subList(0, 8), 4).size(), "8 rows of 400: 20 MB, one pass");

    Map<String, float[]> grouped = new java.util.HashMap<>();
    Map<String, float[]> padded = new java.util.HashMap<>();
    float groupedLoss;
    float paddedLoss;
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(config(), 5, root)) {
      m.setRequiresGradient(true);
      try (NDManager sm = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray loss = Losses.sft(0).loss(m, data, sm);
        groupedLoss = loss.getFloat();
        gc.backward(loss);
      }
      m.parameters().forEach((k, v) -> grouped.put(k, v.getGradient().toFloatArray()));
    }
    try (NDManager root = NDManager.newBaseManager(); LlamaModel m = LlamaModel.init(config(), 5, root)) {
      m.setRequiresGradient(true); // the same initialisation, fresh gradients (backward adds to them)
      try (NDManager sm = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        // the loss as one right-padded pass, written out
        var tb = Losses.collate(data, 0, sm);
        NDArray logp = io.genrm4j.model.LogProbs.ofTargets(m, tb);
        NDArray w = sm.create(Losses.targetWeights(data, tb.width()), logp.getShape());
        NDArray loss = logp.mul(w).sum().neg().div(w.sum());
        paddedLoss = loss.getFloat();
        gc.backward(loss);
      }
      m.parameters().forEach((k, v) -> padded.put(k, v.getGradient().toFloatArray()));
    }
    assertEquals(paddedLoss, groupedLoss, 1e-5f * Math.abs(paddedLoss));
    for (String k : padded.keySet()) {
      float[] a = padded.get(k);
      float[] b = grouped.get(k);
      double scale = 0;
      for (float x : a) {
        scale = Math.max(scale, Math.abs(x));
      }
      assertTrue(scale > 0, k + " gets gradient");
      for (int i = 0; i < a.length; i++) {
        assertEquals(a[i], b[i], 1e-4 * scale, k + "[" + i + "]");
      }
    }
  }

  @Test
  void scheduleWarmsUpThenDecaysToItsFloor() {
    LrSchedule s = new LrSchedule(1.0, 10, 110, 0.1);
    assertEquals(0.1, s.at(1), 1e-12);
    assertEquals(1.0, s.at(10), 1e-12);
    assertEquals(0.55, s.at(60), 1e-12);
    assertEquals(0.1, s.at(110), 1e-12);
  }
}
