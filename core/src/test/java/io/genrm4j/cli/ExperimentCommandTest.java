package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentCommandTest {
  @TempDir Path tmp;


  @Test
  void badTaskOrProfileIsAUserErrorAndWritesNothing() {
    Path out = tmp.resolve("run");
    CliRun r = CliRun.of("experiment", "--task", "gsm8k", "--profile", "mini", "--out", out.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("expected last-letter, word-sorting or all"), r.err());
    r = CliRun.of("experiment", "--task", "last-letter", "--profile", "huge", "--out", out.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("mini, quick, full"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void aRunDirectoryInUseByAnotherProcessIsRefusedWithOneLine() {
    Path out = tmp.resolve("busy");
    try (io.genrm4j.util.ProcessLock other = io.genrm4j.util.ProcessLock.exclusive(out)) {
      CliRun r = CliRun.of("experiment", "--task", "last-letter", "--profile", "mini", "--out", out.toString());
      CliRun.assertOneLineError(r, "in use by another genrm process");
    }
  }

  @Test
  void helpListsTheProfiles() {
    CliRun r = CliRun.of("experiment", "--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("--profile") && r.out().contains("mini"), r.out());
  }

  @Test
  void severalSeedsRunIntoTheirOwnDirectoriesWithASummary() throws Exception {
    Path out = tmp.resolve("seeds");
    CliRun r = CliRun.of("experiment", "--task", "last-letter", "--profile", "mini", "--seeds", "1,2", "--workers", "1",
        "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    for (String s : new String[] {"seed-1", "seed-2"}) {
      assertTrue(Files.exists(out.resolve(s).resolve("metrics.json")), s);
    }
    String table = Files.readString(out.resolve("seeds.md"));
    assertTrue(table.contains("seed 1 |") && table.contains("seed 2 |") && table.contains("mean |"), table);
    assertTrue(table.contains("genrm-cot") && table.contains("% ["), table);
  }
}
