package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CouplingCheckCommandTest {
  @Test
  void runsEveryLayoutEndToEndAndWritesTheTable(@TempDir Path tmp) throws Exception {
    Path json = tmp.resolve("coupling.json");
    CliRun r = CliRun.of("coupling-check", "--preset", "test", "--steps", "2", "--problems", "2",
        "--train-problems", "8", "--out", json.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("| sequential | ") && r.out().contains("| coupled | ")
        && r.out().contains("| coupled+letters | "), r.out());
    JsonNode rows = Jsonl.MAPPER.readTree(json.toFile());
    assertEquals(3, rows.size());
    for (JsonNode row : rows) {
      assertEquals(2, row.get("steps").asInt());
      assertTrue(row.get("solvedOod").asInt() >= 0 && row.get("solvedOod").asInt() <= 2);
    }
  }

  @Test
  void badInputIsAOneLineError() {
    CliRun.assertOneLineError(CliRun.of("coupling-check", "--steps", "0"), "--steps");
    CliRun.assertOneLineError(CliRun.of("coupling-check", "--task", "gsm8k"), "--task");
  }
}
