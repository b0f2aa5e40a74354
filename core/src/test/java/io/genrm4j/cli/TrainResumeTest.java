package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A resumed {@code genrm train}: its log continues the counts, and other data is refused (issue #22, #8). */
class TrainResumeTest {

  static Path data(Path dir, String name, int shift) throws Exception {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      int a = (i + shift) % 7;
      lines.add("{\"prompt\": \"" + a + "+" + i % 3 + "=\", \"completion\": \"" + (a + i % 3) + "\"}");
    }
    return Files.write(dir.resolve(name), lines);
  }

  /** A fresh test-preset model over the digits and + =. */
  static Path base(Path dir) {
    Path base = dir.resolve("base");
    assertEquals(0, CliRun.of("create", "--preset", "test", "--tokenizer", "char:0123456789+=", "--out", base.toString())
        .code());
    return base;
  }

  static String[] train(Path base, Path data, Path out, String... more) {
    List<String> a = new ArrayList<>(List.of("train", "--model", base.toString(), "--data", data.toString(), "--out",
        out.toString(), "--steps", "5", "--batch-size", "2", "--checkpoint-every", "2", "--seed", "3"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  @Test
  void resumedLogContinuesAndOtherDataIsRefused(@TempDir Path dir) throws Exception {
    Path base = base(dir);
    Path data = data(dir, "a.jsonl", 0);
    Path whole = dir.resolve("whole");
    assertEquals(0, CliRun.of(train(base, data, whole)).code());
    Path crashed = dir.resolve("crashed");
    assertEquals(1, CliRun.of(train(base, data, crashed, "--debug-crash-after-step", "3")).code());

    Path other = data(dir, "b.jsonl", 3);
    CliRun refused = CliRun.of(train(base, other, crashed, "--resume"));
    System.out.println("probe | train --resume with other --data | exit " + refused.code() + ": "
        + refused.err().strip());
    assertEquals(2, refused.code(), refused.err());
    assertTrue(refused.err().contains("--data") && refused.err().strip().lines().count() == 1, refused.err());

    CliRun resumed = CliRun.of(train(base, data, crashed, "--resume"));
    assertEquals(0, resumed.code(), resumed.err());
    List<JsonNode> a = Jsonl.read(whole.resolve("train_log.jsonl"), n -> n);
    List<JsonNode> b = Jsonl.read(crashed.resolve("train_log.jsonl"), n -> n);
    assertEquals(5, b.size());
    for (int i = 0; i < 5; i++) {
      assertEquals(a.get(i).get("tokens").asLong(), b.get(i).get("tokens").asLong(), "tokens at step " + (i + 1));
      if (i > 0) {
        assertTrue(b.get(i).get("seconds").asDouble() >= b.get(i - 1).get("seconds").asDouble(),
            "seconds keep counting across the resume: " + b);
      }
    }
    System.out.println("probe | train_log tokens after a resume at step 2 | " + b.stream()
        .map(n -> n.get("tokens").asText()).toList() + " (uninterrupted " + a.stream()
        .map(n -> n.get("tokens").asText()).toList() + ")");
  }

  @Test
  void aLoraRunResumesToTheSameAdaptersAndSavesThemInPeftLayout(@TempDir Path dir) throws Exception {
    Path base = base(dir);
    Path data = data(dir, "a.jsonl", 0);
    // with dropout: its masks follow the step, so a resumed run draws what the uninterrupted one did
    String[] lora = {"--lora-rank", "4", "--lr", "1e-2", "--lora-dropout", "0.1"};
    Path whole = dir.resolve("whole");
    CliRun w = CliRun.of(train(base, data, whole, lora));
    assertEquals(0, w.code(), w.err());
    assertTrue(Files.exists(whole.resolve(io.genrm4j.model.LoraAdapter.CONFIG))
        && !Files.exists(whole.resolve("config.json")), "OUT is an adapter on --model");
    Path crashed = dir.resolve("crashed");
    assertEquals(1, CliRun.of(train(base, data, crashed, CliRun.concat(lora, "--debug-crash-after-step", "3"))).code());
    CliRun resumed = CliRun.of(train(base, data, crashed, CliRun.concat(lora, "--resume")));
    assertEquals(0, resumed.code(), resumed.err());
    assertTrue(resumed.out().contains("resumed at step 2"), resumed.out());
    try (ai.djl.ndarray.NDManager root = ai.djl.ndarray.NDManager.newBaseManager();
        io.genrm4j.model.Checkpoint.Loaded a = io.genrm4j.model.Checkpoint.load(whole, root);
        io.genrm4j.model.Checkpoint.Loaded b = io.genrm4j.model.Checkpoint.load(crashed, root);
        io.genrm4j.model.Checkpoint.Loaded start = io.genrm4j.model.Checkpoint.load(base, root)) {
      for (var e : a.model().adapters().entrySet()) {
        float[] x = e.getValue().toFloatArray();
        float[] y = b.model().adapters().get(e.getKey()).toFloatArray();
        for (int i = 0; i < x.length; i++) {
          assertEquals(x[i], y[i], 1e-6, e.getKey() + " after a resume");
        }
      }
      start.model().parameters().forEach((k, v) -> org.junit.jupiter.api.Assertions.assertArrayEquals(
          v.toFloatArray(), b.model().parameters().get(k).toFloatArray(), 0f, k + ": the base is untouched"));
    }
  }
}
