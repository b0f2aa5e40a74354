package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.model.LoraAdapter;
import io.genrm4j.util.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code genrm train verifier --lora-rank}: a PEFT adapter that verify loads on its base, or a merged checkpoint. */
class LoraCliTest {
  @TempDir Path dir;

  @Test
  void aLoraVerifierIsAnAdapterThatVerifyLoadsAndMergingScoresTheSame() throws Exception {
    Path base = CliRun.randomCheckpoint(dir.resolve("base"), 3);
    Path data = dir.resolve("train.jsonl");
    Files.write(data, List.of(ContextLimitCliTest.record("p1", "c1", "\"Noah -> h\"", true),
        ContextLimitCliTest.record("p1", "c2", "\"Noah -> x\"", false),
        ContextLimitCliTest.record("p2", "c1", "\"Paul -> l\"", true),
        ContextLimitCliTest.record("p2", "c2", "\"Paul -> q\"", false)));
    String[] common = {"train", "verifier", "--kind", "genrm", "--model", base.toString(), "--data", data.toString(),
        "--steps", "20", "--batch-size", "4", "--lr", "1e-2", "--lora-rank", "4", "--lora-targets", "q_proj,v_proj"};
    Path adapter = dir.resolve("adapter");
    CliRun r = CliRun.of(CliRun.concat(common, "--out", adapter.toString()));
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.exists(adapter.resolve(LoraAdapter.CONFIG)) && !Files.exists(adapter.resolve("config.json")),
        "--out holds the adapter alone");
    JsonNode cfg = Jsonl.MAPPER.readTree(adapter.resolve(LoraAdapter.CONFIG).toFile());
    assertEquals(8.0, cfg.get("lora_alpha").asDouble(), "alpha defaults to 2 x rank");
    Path merged = dir.resolve("merged");
    r = CliRun.of(CliRun.concat(common, "--out", merged.toString(), "--merge"));
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.exists(merged.resolve("config.json")));
    double[] a = scores(adapter, data);
    double[] b = scores(merged, data);
    double[] before = scores(base, data);
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 1e-5, "merged scores as the adapter does: " + i);
    }
    assertFalse(java.util.Arrays.equals(a, before), "the adapter changed the scores");
    CliRun.assertOneLineError(CliRun.of("train", "verifier", "--kind", "orm", "--model", base.toString(), "--data",
        data.toString(), "--out", dir.resolve("x").toString(), "--lora-rank", "4"), "not built");
    CliRun.assertOneLineError(CliRun.of("train", "verifier", "--kind", "genrm", "--model", base.toString(), "--data",
        data.toString(), "--out", dir.resolve("y").toString(), "--merge"), "needs --lora-rank");
    CliRun.assertOneLineError(CliRun.of("train", "verifier", "--kind", "genrm", "--model", base.toString(), "--data",
        data.toString(), "--out", dir.resolve("z").toString(), "--lora-rank", "2", "--lora-targets", "qkv"), "qkv");
    CliRun.assertOneLineError(CliRun.of("train", "verifier", "--kind", "genrm", "--model", base.toString(), "--data",
        data.toString(), "--out", dir.resolve("w").toString(), "--lora-rank", "2", "--lora-dropout", "1"),
        "dropout must be in [0, 1)");
  }

  private double[] scores(Path model, Path data) throws Exception {
    Path out = dir.resolve("scores-" + model.getFileName() + ".jsonl");
    CliRun r = CliRun.of("verify", "--mode", "genrm", "--model", model.toString(), "--input", data.toString(), "--out",
        out.toString());
    assertEquals(0, r.code(), r.err());
    return Jsonl.readObjects(out).stream().mapToDouble(n -> n.get("score").asDouble()).toArray();
  }
}
