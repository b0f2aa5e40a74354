package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainCommandTest {
  @Test
  void buildsOnceAndPrintsWhatTheBaseCanDo(@TempDir Path tmp) throws Exception {
    String before = System.getProperty("genrm4j.cache");
    try {
      CliRun r = CliRun.of("pretrain", "--base", "test", "--preset", "test", "--cache", tmp.toString());
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("last-letter solved greedily: 3 items") && r.out().contains("AUROC"), r.out());
      try (var dirs = Files.list(tmp.resolve("bases"))) {
        Path dir = dirs.filter(p -> p.getFileName().toString().startsWith("test-test-")).findFirst().orElseThrow();
        assertTrue(Files.exists(dir.resolve("base.json")) && Files.exists(dir.resolve("config.json")));
      }
      CliRun again = CliRun.of("pretrain", "--base", "test", "--preset", "test", "--cache", tmp.toString());
      assertEquals(0, again.code(), again.err());
      assertEquals(r.out(), again.out(), "the cached base is found, not rebuilt");
    } finally {
      if (before == null) {
        System.clearProperty("genrm4j.cache");
      } else {
        System.setProperty("genrm4j.cache", before);
      }
    }
  }

  @Test
  void badInputIsAOneLineError() {
    CliRun.assertOneLineError(CliRun.of("pretrain", "--base", "nope"), "unknown base");
    CliRun.assertOneLineError(CliRun.of("pretrain", "--preset", "nope"), "unknown preset");
  }
}
