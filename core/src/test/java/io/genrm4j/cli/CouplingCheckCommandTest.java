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
  void trainsDirectVerifiersInEachLayoutAndScoresHeldOutPairs(@TempDir Path tmp) throws Exception {
    Path json = tmp.resolve("verifier.json");
    CliRun r = CliRun.of("coupling-check", "--verifier", "--preset", "test", "--steps", "2", "--problems", "4",
        "--train-problems", "8", "--layouts", "sequential,coupled+letters", "--out", json.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("GenRM direct") && r.out().contains("| coupled+letters | "), r.out());
    JsonNode rows = Jsonl.MAPPER.readTree(json.toFile());
    assertEquals(2, rows.size());
    for (JsonNode row : rows) {
      for (String f : new String[] {"aurocId", "aurocOod", "pairedId", "pairedOod"}) {
        double v = row.get(f).asDouble();
        assertTrue(v >= 0 && v <= 1, f + " = " + v);
      }
    }
  }

  @Test
  void badInputIsAOneLineError() {
    CliRun.assertOneLineError(CliRun.of("coupling-check", "--steps", "0"), "--steps");
    CliRun.assertOneLineError(CliRun.of("coupling-check", "--task", "gsm8k"), "--task");
    CliRun.assertOneLineError(CliRun.of("coupling-check", "--from-base", "no-such-base"), "no-such-base");
  }
}
