package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.genrm4j.model.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Out-of-range CLI input is a one-line error, never a silent fallback (issue #22, #6 and #9). */
class CliBoundsTest {
  @TempDir static Path dir;
  static Path base;

  @BeforeAll
  static void create() {
    base = dir.resolve("base");
    assertEquals(0, TrainResumeTest.run("create", "--preset", "test", "--tokenizer", "char:0123456789+=", "--out",
        base.toString()).code());
  }

  static void assertOneLineError(TrainResumeTest.Run r, String fragment) {
    assertEquals(2, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("error: ") && r.err().contains(fragment), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }

  static TrainResumeTest.Run probe(String name, String... args) {
    TrainResumeTest.Run r = TrainResumeTest.run(args);
    System.out.println("probe | " + name + " | exit " + r.code() + ": "
        + (r.code() == 0 ? r.out().strip() : r.err().strip()));
    return r;
  }

  @Test
  void negativeTemperatureIsAnError() {
    assertOneLineError(probe("sample --temperature -1", "sample", "--model", base.toString(), "--prompt", "1+",
        "--temperature", "-1", "--max-tokens", "3"), "--temperature");
    assertOneLineError(probe("sample --temperature NaN", "sample", "--model", base.toString(), "--prompt", "1+",
        "--temperature", "NaN", "--max-tokens", "3"), "--temperature");
  }

  @Test
  void hugeGenerateCountIsAnError() {
    Path out = dir.resolve("gen.jsonl");
    assertOneLineError(probe("data generate --count 1000000000", "data", "generate", "--task", "last-letter",
        "--split", "train", "--count", "1000000000", "--out", out.toString()), "--count");
    assertOneLineError(probe("data generate --count -1", "data", "generate", "--task", "last-letter", "--split",
        "train", "--count", "-1", "--out", out.toString()), "--count");
    assertFalse(Files.exists(out));
  }

  @Test
  void nanWeightsAreAnErrorNotAnEmptySample() {
    Path bad = dir.resolve("nan");
    try (NDManager mgr = NDManager.newBaseManager(); Checkpoint.Loaded l = Checkpoint.load(base, mgr)) {
      for (NDArray p : l.model().parameters().values()) {
        p.muli(Float.NaN);
      }
      Checkpoint.save(l.model(), l.tokenizer(), bad);
    }
    assertOneLineError(probe("sample on a model with NaN weights", "sample", "--model", bad.toString(), "--prompt",
        "1+", "--max-tokens", "3"), "not finite");
    assertOneLineError(probe("logprobs on a model with NaN weights", "logprobs", "--model", bad.toString(), "--text",
        "1+2"), "not finite");
  }
}
