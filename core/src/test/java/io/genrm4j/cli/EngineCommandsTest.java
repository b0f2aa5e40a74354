package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.TestTokenizers;
import io.genrm4j.task.Candidate;
import io.genrm4j.task.Problem;
import io.genrm4j.util.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** create -> train -> sample -> logprobs through {@link Main#commandLine()}, with a tiny model on temp dirs. */
class EngineCommandsTest {
  @TempDir static Path dir;
  static Path base;
  static Path data;


  @BeforeAll
  static void createModelAndData() throws Exception {
    data = dir.resolve("train.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int a = i % 7;
      int b = (i * 3) % 5;
      lines.add("{\"prompt\": \"" + a + "+" + b + "=\", \"completion\": \"" + (a + b) + "\""
          + (i % 4 == 0 ? ", \"weight\": 0.5" : "") + "}");
    }
    Files.write(data, lines);
    base = dir.resolve("base");
    CliRun r = CliRun.of("create", "--preset", "test", "--tokenizer", "char:0123456789+=", "--seed", "7", "--out",
        base.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("vocab 15"), r.out());
    JsonNode cfg = Jsonl.MAPPER.readTree(Files.readString(base.resolve("config.json")));
    assertEquals(15, cfg.get("vocab_size").asInt());
    assertEquals(1, cfg.get("bos_token_id").asInt());
    assertEquals(2, cfg.get("eos_token_id").asInt());
    assertEquals(0, cfg.get("pad_token_id").asInt());
  }

  @Test
  void createWithPhraseTokensAndAnUntiedHead() throws Exception {
    Path m = dir.resolve("phrases");
    CliRun r = CliRun.of("create", "--preset", "test", "--tokenizer", "char:01 ", "--phrase-tokens", "--untied-head", "--out",
        m.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("vocab 8 (2 phrases), untied head"), r.out()); // 3 specials, 3 characters, 2 phrases
    assertFalse(Jsonl.MAPPER.readTree(Files.readString(m.resolve("config.json"))).get("tie_word_embeddings")
        .asBoolean());
    try (NDManager mgr = NDManager.newBaseManager(); Checkpoint.Loaded l = Checkpoint.load(m, mgr)) {
      assertEquals(List.of(io.genrm4j.task.Prompts.DECISION, io.genrm4j.task.Prompts.COT_REQUEST),
          ((io.genrm4j.model.tokenizer.CharTokenizer) l.tokenizer()).phrases());
      assertEquals(5, l.tokenizer().encode("1 " + io.genrm4j.task.Prompts.DECISION + " 0").length);
      assertFalse(l.model().config().tieWordEmbeddings());
    }
    r = CliRun.of("create", "--preset", "test", "--tokenizer", dir.toString(), "--phrase-tokens", "--out",
        dir.resolve("refused").toString());
    assertEquals(2, r.code(), r.out());
    assertTrue(r.err().contains("--phrase-tokens: only for character tokenizers"), r.err());
  }

  @Test
  void createTrainSampleLogprobs() throws Exception {
    Path trained = dir.resolve("trained");
    CliRun t = CliRun.of("train", "--model", base.toString(), "--data", data.toString(), "--out", trained.toString(),
        "--steps", "12", "--batch-size", "5", "--lr", "1e-2", "--warmup", "1");
    assertEquals(0, t.code(), t.err());
    List<JsonNode> log = Jsonl.read(trained.resolve("train_log.jsonl"), n -> n);
    assertEquals(12, log.size());
    assertTrue(log.get(11).get("loss").asDouble() < log.get(0).get("loss").asDouble() - 0.3,
        "loss should fall: " + log);
    assertTrue(log.get(0).has("grad_norm") && log.get(0).has("lr"));

    Path samples = dir.resolve("samples.jsonl");
    Path prompts = dir.resolve("prompts.jsonl");
    Files.write(prompts, List.of("{\"prompt\": \"3+4=\"}", "{\"prompt\": \"1+1=\"}"));
    CliRun s = CliRun.of("sample", "--model", trained.toString(), "--input", prompts.toString(), "--n", "3",
        "--max-tokens", "4", "--temperature", "0.8", "--top-k", "5", "--seed", "3", "--out", samples.toString());
    assertEquals(0, s.code(), s.err());
    List<JsonNode> recs = Jsonl.read(samples, n -> n);
    assertEquals(2, recs.size());
    assertEquals("1+1=", recs.get(1).get("prompt").asText());
    assertEquals(3, recs.get(0).get("completions").size());
    for (JsonNode c : recs.get(0).get("completions")) {
      String reason = c.get("finish_reason").asText();
      assertTrue(reason.equals("stop") || reason.equals("length") && c.get("text").asText().length() == 4, c.toString());
    }
    CliRun greedy = CliRun.of("sample", "--model", trained.toString(), "--prompt", "3+4=", "--temperature", "0",
        "--max-tokens", "3");
    assertEquals(0, greedy.code(), greedy.err());
    assertEquals("3+4=", Jsonl.MAPPER.readTree(greedy.out()).get("prompt").asText());

    CliRun greedyBf16 = CliRun.of("sample", "--model", trained.toString(), "--prompt", "3+4=", "--temperature", "0",
        "--max-tokens", "3", "--dtype", "BF16");
    assertEquals(0, greedyBf16.code(), greedyBf16.err());
    assertEquals("3+4=", Jsonl.MAPPER.readTree(greedyBf16.out()).get("prompt").asText());
    CliRun.assertOneLineError(CliRun.of("sample", "--model", trained.toString(), "--prompt", "3+4=", "--dtype", "fp8"),
        "unknown dtype 'fp8'");

    CliRun lp = CliRun.of("logprobs", "--model", trained.toString(), "--text", "3+4=7");
    assertEquals(0, lp.code(), lp.err());
    JsonNode toks = Jsonl.MAPPER.readTree(lp.out()).get("tokens");
    assertEquals(6, toks.size());
    assertEquals("<s>", toks.get(0).get("token").asText());
    assertTrue(toks.get(0).get("logprob").isNull());
    assertEquals("7", toks.get(5).get("token").asText());
    // Same numbers as scoring the ids directly.
    try (NDManager mgr = NDManager.newBaseManager("PyTorch"); Checkpoint.Loaded m = Checkpoint.load(trained, mgr)) {
      int[] ids = {1, 6, 13, 7, 14, 10};
      float[] ref = Scoring.tokenLogProbs(m.model(), 0, List.of(ids))[0];
      for (int i = 1; i < ids.length; i++) {
        assertEquals(ids[i], toks.get(i).get("id").asInt());
        assertEquals(ref[i - 1], toks.get(i).get("logprob").asDouble(), 1e-5);
      }
    }
    CliRun noBos = CliRun.of("logprobs", "--model", trained.toString(), "--text", "3+4=7", "--no-add-bos");
    JsonNode nb = Jsonl.MAPPER.readTree(noBos.out()).get("tokens");
    assertEquals(5, nb.size());
    assertEquals("3", nb.get(0).get("token").asText());
    assertTrue(nb.get(0).get("logprob").isNull());
  }

  @Test
  void malformedLineNamesFileAndLineAndWritesNothing() throws Exception {
    Path bad = dir.resolve("bad.jsonl");
    List<String> lines = new ArrayList<>(Files.readAllLines(data).subList(0, 5));
    lines.set(2, "{\"prompt\": \"1+2=\", \"completion\": ");
    Files.write(bad, lines);
    Path out = dir.resolve("never");
    CliRun r = CliRun.of("train", "--model", base.toString(), "--data", bad.toString(), "--out", out.toString(), "--steps", "2");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("error: " + bad + ":3: malformed JSON"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(Files.exists(out));

    lines = new ArrayList<>(Files.readAllLines(data).subList(0, 5));
    lines.set(3, "{\"prompt\": \"1+x=\", \"completion\": \"3\"}");
    Files.write(bad, lines);
    r = CliRun.of("train", "--model", base.toString(), "--data", bad.toString(), "--out", out.toString(), "--steps", "2");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("error: " + bad + ":4: character 'x'"), r.err());
    assertFalse(Files.exists(out));

    Path prompts = dir.resolve("bad-prompts.jsonl");
    Files.write(prompts, List.of("{\"prompt\": \"1+1=\"}", "", "{\"prompt\": \"1+x=\"}"));
    Path samples = dir.resolve("never.jsonl");
    r = CliRun.of("sample", "--model", base.toString(), "--input", prompts.toString(), "--out", samples.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("error: " + prompts + ":3: character 'x'"), r.err());
    assertFalse(Files.exists(samples));
  }

  @Test
  void sampleWritesCandidatesOfProblemsThatGradeLabels() throws Exception {
    Path ascii = dir.resolve("ascii");
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TestTokenizers.printableAscii().vocabSize()), 3, root)) {
      Checkpoint.save(m, TestTokenizers.printableAscii(), ascii);
    }
    Path problems = dir.resolve("problems.jsonl");
    assertEquals(0, CliRun.of("data", "generate", "--task", "last-letter", "--split", "train", "--count", "2",
        "--out", problems.toString()).code());
    Path candidates = dir.resolve("candidates.jsonl");
    CliRun s = CliRun.of("sample", "--model", ascii.toString(), "--problems", problems.toString(), "--n", "3",
        "--max-tokens", "5", "--out", candidates.toString());
    assertEquals(0, s.code(), s.err());
    List<Problem> ps = Problem.read(problems);
    List<Candidate> cs = Candidate.read(candidates);
    assertEquals(6, cs.size(), "3 candidates per problem");
    Candidate last = cs.get(5);
    assertEquals(ps.get(1).id(), last.problemId());
    assertEquals(ps.get(1).id() + "-c2", last.candidateId());
    assertEquals(ps.get(1).question(), last.question());
    assertEquals(ps.get(1).answer(), last.answer());
    Path graded = dir.resolve("graded.jsonl");
    CliRun g = CliRun.of("grade", "--task", "last-letter", "--input", candidates.toString(), "--out",
        graded.toString());
    assertEquals(0, g.code(), g.err());
    assertTrue(Candidate.read(graded).stream().allMatch(c -> c.correct() != null));
    CliRun.assertOneLineError(CliRun.of("sample", "--model", ascii.toString(), "--prompt", "Q: ", "--format", "paper"),
        "apply to --problems only");
  }

  /**
   * The kill is simulated with the hidden {@code --debug-crash-after-step K}: the run computes step K+1 and then
   * fails before saving anything more, exactly like a process killed between checkpoints. The total step count (so
   * the cosine schedule) is the same in every run.
   */
  @Test
  void resumeAfterCrashMatchesUninterruptedRun() throws Exception {
    String[] common = {"--model", base.toString(), "--data", data.toString(), "--steps", "6", "--batch-size", "3",
        "--lr", "5e-3", "--checkpoint-every", "2", "--seed", "11"};
    Path whole = dir.resolve("whole");
    CliRun a = CliRun.of(CliRun.concat(new String[] {"train", "--out", whole.toString()}, common));
    assertEquals(0, a.code(), a.err());

    Path crashed = dir.resolve("crashed");
    CliRun b = CliRun.of(CliRun.concat(new String[] {"train", "--out", crashed.toString(), "--debug-crash-after-step",
        "3"}, common));
    assertEquals(1, b.code());
    assertTrue(b.err().contains("simulated crash"), b.err());
    assertEquals("step-2", Files.readString(crashed.resolve("checkpoints/latest")).trim());
    assertFalse(Files.exists(crashed.resolve("model.safetensors")), "no final model after a crash");

    CliRun again = CliRun.of(CliRun.concat(new String[] {"train", "--out", crashed.toString()}, common));
    assertEquals(2, again.code(), "a non-empty run dir needs --resume");

    String[] otherLr = common.clone();
    otherLr[java.util.Arrays.asList(common).indexOf("--lr") + 1] = "1e-3";
    CliRun other = CliRun.of(CliRun.concat(new String[] {"train", "--out", crashed.toString(), "--resume"}, otherLr));
    assertEquals(2, other.code());
    assertTrue(other.err().contains("other settings"), other.err());

    CliRun c = CliRun.of(CliRun.concat(new String[] {"train", "--out", crashed.toString(), "--resume"}, common));
    assertEquals(0, c.code(), c.err());
    assertTrue(c.out().contains("resumed at step 2"), c.out());
    List<JsonNode> wholeLog = Jsonl.read(whole.resolve("train_log.jsonl"), n -> n);
    List<JsonNode> resumedLog = Jsonl.read(crashed.resolve("train_log.jsonl"), n -> n);
    assertEquals(6, resumedLog.size(), "steps 1-2 from the crashed run, 3-6 from the resumed one");
    for (int i = 0; i < 6; i++) {
      assertEquals(i + 1, resumedLog.get(i).get("step").asInt());
      assertEquals(wholeLog.get(i).get("loss").asDouble(), resumedLog.get(i).get("loss").asDouble(), 0.0);
    }
    assertEquals(-1L, Files.mismatch(whole.resolve("model.safetensors"), crashed.resolve("model.safetensors")),
        "resumed weights differ from the uninterrupted run");
    assertNotEquals(-1L, Files.mismatch(base.resolve("model.safetensors"), whole.resolve("model.safetensors")));
  }

  @Test
  void benchRunsOnTheShapeOfAnyCheckpointsConfig() throws Exception {
    Path qwen3 = dir.resolve("qwen3-shape");
    Files.createDirectories(qwen3);
    Files.writeString(qwen3.resolve("config.json"), "{\"model_type\": \"qwen3\", \"vocab_size\": 300, "
        + "\"hidden_size\": 32, \"intermediate_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, "
        + "\"num_key_value_heads\": 2, \"head_dim\": 16, \"max_position_embeddings\": 2048}");
    CliRun r = CliRun.of("bench", "forward", "--model", qwen3.toString(), "--seq-len", "16", "--batch-size", "1",
        "--steps", "1", "--warmup-steps", "0", "--threads", "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("qwen3-shape (qwen3)") && r.out().contains("tokens/s"), r.out());
    CliRun last = CliRun.of("bench", "forward", "--model", qwen3.toString(), "--seq-len", "16", "--batch-size", "1",
        "--steps", "1", "--warmup-steps", "0", "--threads", "1", "--logits", "last");
    assertEquals(0, last.code(), last.err());
    assertTrue(last.out().contains("logits at the last position (a prefill in plain Java)"), last.out());
    CliRun sample = CliRun.of("bench", "sample", "--model", qwen3.toString(), "--seq-len", "8", "--new-tokens", "4",
        "--threads", "1", "--no-recompute");
    assertEquals(0, sample.code(), sample.err());
    assertTrue(sample.out().contains("decode tokens/s") && !sample.out().contains("recompute"), sample.out());
    CliRun bf16 = CliRun.of("bench", "sample", "--model", qwen3.toString(), "--seq-len", "8", "--new-tokens", "4",
        "--threads", "1", "--no-recompute", "--dtype", "bf16");
    assertEquals(0, bf16.code(), bf16.err());
    assertTrue(bf16.out().matches("(?s).*\\(--dtype\\) +\\| BF16 .*") && bf16.out().contains("decode tokens/s"),
        bf16.out());
    // bench sample's stand-in alphabet skips the surrogate block, which a vocabulary of 55,040 + 259 tokens reaches
    Path wide = dir.resolve("wide-vocab");
    Files.createDirectories(wide);
    Files.writeString(wide.resolve("config.json"), Files.readString(qwen3.resolve("config.json"))
        .replace("\"vocab_size\": 300", "\"vocab_size\": 60000"));
    CliRun wideSample = CliRun.of("bench", "sample", "--model", wide.toString(), "--seq-len", "8", "--new-tokens", "4",
        "--threads", "1", "--no-recompute");
    assertEquals(0, wideSample.code(), wideSample.err());
    // a vocabulary larger than the bench's character tokenizer: every sampled id must still decode
    CliRun score = CliRun.of("bench", "score", "--model", qwen3.toString(), "--candidates", "1", "--votes", "2",
        "--rationale-tokens", "4", "--reencode-votes", "1", "--threads", "1");
    assertEquals(0, score.code(), score.err());
    assertTrue(score.out().contains("speed-up of prefix sharing"), score.out());
  }

  @Test
  void helpAndBadFlags() {
    CliRun h = CliRun.of("train", "--help");
    assertEquals(0, h.code());
    assertTrue(h.out().contains("--checkpoint-every"));
    CliRun missing = CliRun.of("sample", "--model", dir.resolve("nope").toString(), "--prompt", "1");
    assertEquals(2, missing.code());
    assertTrue(missing.err().startsWith("error: ") && missing.err().contains("no such model directory"),
        missing.err());
  }
}
