package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.TestTokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over-long and malformed records on the CLI (issue #22, findings 1 and 6): {@code genrm verify} checks every record
 * before scoring and stops with {@code file:line}, writing nothing; {@code train verifier} drops ORM/DPO examples
 * that do not fit with a warning; a config.json with an impossible context is a one-line error naming the file.
 */
class ContextLimitCliTest {
  @TempDir static Path dir;
  static Path base;
  static Path orm;

  @BeforeAll
  static void create() {
    CharTokenizer tok = TestTokenizers.printableAscii();
    base = dir.resolve("base");
    orm = dir.resolve("orm");
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", tok.vocabSize()), 3, root);
        LlamaModel withHead = m.withScoreHead(1)) {
      Checkpoint.save(m, tok, base);
      Checkpoint.save(withHead, tok, orm);
    }
  }

  static String record(String problem, String candidate, String text, boolean correct) {
    return "{\"problem_id\":\"" + problem + "\",\"candidate_id\":\"" + candidate + "\",\"question\":\"q\",\"text\":"
        + text + ",\"correct\":" + correct + "}";
  }



  @Test
  void verifyStopsAtTheFirstRecordThatDoesNotFitAndWritesNothing() throws Exception {
    Path in = dir.resolve("in.jsonl");
    String tooLong = "\"" + "a".repeat(1100) + "\"";
    Files.write(in, List.of(record("p1", "c1", "\"a\"", true), "", record("p1", "c2", "\"b\"", false),
        record("p2", "c1", tooLong, false), record("p2", "c2", tooLong, true)));
    for (String mode : List.of("genrm", "orm", "genrm-cot", "llm-judge", "dpo")) {
      Path out = dir.resolve("scores-" + mode + ".jsonl");
      List<String> args = new ArrayList<>(List.of("verify", "--mode", mode, "--model",
          (mode.equals("orm") ? orm : base).toString(), "--input", in.toString(), "--out", out.toString(),
          "--votes", "2", "--max-rationale-tokens", "4"));
      if (mode.equals("dpo")) {
        args.addAll(List.of("--reference", base.toString()));
      }
      CliRun r = CliRun.probe("verify --mode " + mode + ", records 4 and 5 over the context",
          args.toArray(String[]::new));
      CliRun.assertOneLineError(r, in + ":4: candidate does not fit the model's context");
      assertTrue(r.err().contains("the model has 1024 (max_position_embeddings); 1 more records do not fit (lines 5)"),
          r.err());
      assertFalse(Files.exists(out), mode);
    }
    // the same file without them is scored
    Files.write(in, List.of(record("p1", "c1", "\"a\"", true), record("p1", "c2", "\"b\"", false)));
    Path out = dir.resolve("scores.jsonl");
    CliRun ok = CliRun.of("verify", "--mode", "genrm", "--model", base.toString(), "--input",
        in.toString(), "--out", out.toString());
    assertEquals(0, ok.code(), ok.err());
    assertEquals(2, Files.readAllLines(out).size());
  }

  @Test
  void verifyRefusesDuplicateIdsAndNonStringTexts() throws Exception {
    Path in = dir.resolve("dup.jsonl");
    Path out = dir.resolve("dup-scores.jsonl");
    Files.write(in, List.of(record("p1", "c1", "\"a\"", true), record("p1", "c1", "\"b\"", false)));
    CliRun.assertOneLineError(CliRun.probe("verify, duplicate candidate_id", "verify", "--mode", "genrm", "--model",
        base.toString(), "--input", in.toString(), "--out", out.toString()),
        in + ":2: duplicate candidate (problem_id 'p1', candidate_id 'c1'), first at line 1");
    Files.write(in, List.of(record("p1", "c1", "5", true)));
    CliRun.assertOneLineError(CliRun.probe("verify, numeric text", "verify", "--mode", "genrm", "--model", base.toString(),
        "--input", in.toString(), "--out", out.toString()), in + ":1: field 'text' must be a string, got 5");
    assertFalse(Files.exists(out));
  }

  @Test
  void trainVerifierDropsOrmAndDpoExamplesThatDoNotFit() throws Exception {
    Path data = dir.resolve("train.jsonl");
    String tooLong = "\"" + "a".repeat(1100) + "\"";
    Files.write(data, List.of(record("p1", "c1", "\"a\"", true), record("p1", "c2", "\"b\"", false),
        record("p1", "c3", tooLong, true), record("p1", "c4", "\"c\"", false)));
    for (String kind : List.of("orm", "dpo")) {
      java.io.PrintStream was = System.err; // the warning goes to the process's stderr, beside the progress bar
      java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
      CliRun r;
      System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
      try {
        // one batch of 4: every example in it (before the check: an EngineException, exit 1)
        r = CliRun.of("train", "verifier", "--kind", kind, "--model", base.toString(), "--data",
            data.toString(), "--out", dir.resolve("v-" + kind).toString(), "--steps", "1", "--batch-size", "4");
      } finally {
        System.setErr(was);
      }
      String all = err.toString(java.nio.charset.StandardCharsets.UTF_8);
      String warned = all.contains("warning:") ? all.substring(all.indexOf("warning:")).lines().findFirst().get() : all;
      System.out.println("probe | train verifier --kind " + kind + ", one record over the context | exit " + r.code()
          + ": " + warned);
      assertEquals(0, r.code(), r.err());
      assertEquals("warning: " + kind + ": dropped 1 of 4 training examples longer than the model's 1024-token "
          + "context", warned);
    }
  }

  @Test
  void configWithAnImpossibleContextIsAOneLineError() throws Exception {
    for (String v : List.of("-5", "2e9", "2000000000")) {
      Path bad = dir.resolve("bad" + v.replace('-', 'm'));
      Files.createDirectories(bad);
      try (var files = Files.list(base)) {
        for (Path f : files.toList()) {
          Files.copy(f, bad.resolve(f.getFileName()));
        }
      }
      Path cfg = bad.resolve("config.json");
      Files.writeString(cfg, Files.readString(cfg).replaceAll("\"max_position_embeddings\"\\s*:\\s*\\d+",
          "\"max_position_embeddings\": " + v));
      CliRun.assertOneLineError(CliRun.probe("config.json max_position_embeddings " + v, "sample", "--model", bad.toString(),
          "--prompt", "a", "--max-tokens", "1"), cfg + ": max_position_embeddings must be in [1, 1048576]");
    }
  }
}
