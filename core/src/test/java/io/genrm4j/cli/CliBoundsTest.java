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
    assertEquals(0, CliRun.of("create", "--preset", "test", "--tokenizer", "char:0123456789+=", "--out",
        base.toString()).code());
  }



  @Test
  void negativeTemperatureIsAnError() {
    CliRun.assertOneLineError(CliRun.probe("sample --temperature -1", "sample", "--model", base.toString(), "--prompt", "1+",
        "--temperature", "-1", "--max-tokens", "3"), "--temperature");
    CliRun.assertOneLineError(CliRun.probe("sample --temperature NaN", "sample", "--model", base.toString(), "--prompt", "1+",
        "--temperature", "NaN", "--max-tokens", "3"), "--temperature");
  }

  @Test
  void aVerdictWeightMustBePositive() {
    for (String w : new String[] {"0", "-2", "NaN"}) {
      CliRun.assertOneLineError(CliRun.probe("train verifier --verdict-weight " + w, "train", "verifier", "--kind",
          "genrm-cot", "--model", base.toString(), "--data", dir.resolve("none.jsonl").toString(), "--out",
          dir.resolve("v").toString(), "--task", "last-letter", "--verdict-weight", w), "--verdict-weight");
    }
    assertFalse(Files.exists(dir.resolve("v")));
  }

  @Test
  void hugeGenerateCountIsAnError() {
    Path out = dir.resolve("gen.jsonl");
    CliRun.assertOneLineError(CliRun.probe("data generate --count 1000000000", "data", "generate", "--task", "last-letter",
        "--split", "train", "--count", "1000000000", "--out", out.toString()), "--count");
    CliRun.assertOneLineError(CliRun.probe("data generate --count -1", "data", "generate", "--task", "last-letter", "--split",
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
    CliRun.assertOneLineError(CliRun.probe("sample on a model with NaN weights", "sample", "--model", bad.toString(), "--prompt",
        "1+", "--max-tokens", "3"), "not finite");
    CliRun.assertOneLineError(CliRun.probe("logprobs on a model with NaN weights", "logprobs", "--model", bad.toString(), "--text",
        "1+2"), "not finite");
  }
}
