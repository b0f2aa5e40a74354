package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Tasks;
import io.genrm4j.util.UserException;
import io.genrm4j.verify.RationalePositions;
import io.genrm4j.verify.Restatement;
import io.genrm4j.verify.VerifierManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GenRM-CoT checkpoint is scored as its {@code genrm_verifier.json} records (positions, comparison, who writes the
 * restated answer), so {@code genrm verify} scores an experiment's verifier as the experiment did; the flags change
 * one setting each, and a forced restatement without a task to extract the answers is a one-line error.
 */
class VerifyRestatementCliTest {
  @TempDir Path dir;

  private VerifierManifest opened(Path model, String... flags) {
    return VerifierOptions.of(CliRun.concat(new String[] {"--mode", "genrm-cot", "--model", model.toString()},
        flags)).manifest();
  }

  @Test
  void theCheckpointsManifestIsReadBackAndEachFlagChangesOneSetting() throws Exception {
    Path model = CliRun.randomCheckpoint(dir.resolve("model"), 5);
    assertEquals(VerifierManifest.NONE, opened(model), "no file: the paper's layout, the model restates");
    VerifierManifest saved = new VerifierManifest(RationalePositions.COUPLED, AnswerComparison.MARKED,
        Tasks.LAST_LETTER);
    saved.save(model);
    assertEquals(saved, VerifierManifest.of(model));
    assertEquals(saved, opened(model));
    assertEquals(Restatement.forced(Tasks.LAST_LETTER, AnswerComparison.MARKED), opened(model).restatement());

    VerifierManifest sampled = opened(model, "--restatement", "sampled");
    assertNull(sampled.restatedBy());
    assertEquals(RationalePositions.COUPLED, sampled.positions());
    assertEquals(Restatement.SAMPLED, sampled.restatement());
    assertEquals(Tasks.WORD_SORTING, opened(model, "--task", "word-sorting").restatedBy());
    assertEquals(RationalePositions.SOLUTION, opened(model, "--rationale-positions", "solution").positions());

    // a sampled checkpoint (genrm train verifier's) writes the file as before: positions only
    new VerifierManifest(RationalePositions.COUPLED, AnswerComparison.WHOLE, null).save(model);
    assertEquals("{\n  \"rationale_positions\" : \"coupled\"\n}\n",
        Files.readString(model.resolve(VerifierManifest.FILE)));
  }

  @Test
  void aForcedRestatementNeedsATaskAndABadManifestNamesItsFile() throws Exception {
    Path model = CliRun.randomCheckpoint(dir.resolve("model"), 5);
    UserException e = assertThrows(UserException.class, () -> opened(model, "--restatement", "forced"));
    assertTrue(e.getMessage().contains("--task"), e.getMessage());
    assertEquals(Tasks.LAST_LETTER, opened(model, "--restatement", "forced", "--task", "last-letter").restatedBy());

    Path in = dir.resolve("in.jsonl");
    Files.write(in, List.of("{\"problem_id\":\"p\",\"candidate_id\":\"a\",\"question\":\"Last letters: Ann Bo\","
        + "\"text\":\"The answer is no.\"}"));
    CliRun r = CliRun.of("verify", "--mode", "genrm-cot", "--model", model.toString(), "--input", in.toString(),
        "--out", dir.resolve("out.jsonl").toString(), "--restatement", "forced");
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(Files.notExists(dir.resolve("out.jsonl")));

    Files.writeString(model.resolve(VerifierManifest.FILE), "{\"restatement\": \"guessed\"}");
    UserException bad = assertThrows(UserException.class, () -> opened(model));
    assertTrue(bad.getMessage().startsWith(model.resolve(VerifierManifest.FILE).toString()), bad.getMessage());
  }
}
