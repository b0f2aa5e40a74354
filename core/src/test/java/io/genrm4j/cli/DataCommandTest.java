package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.task.Candidate;
import io.genrm4j.task.Problem;
import io.genrm4j.task.TestData;
import io.genrm4j.task.VerificationExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {
  @TempDir Path dir;


  @Test
  void generateIsReproducible() throws Exception {
    Path a = dir.resolve("a.jsonl");
    Path b = dir.resolve("b.jsonl");
    CliRun r = CliRun.of("data", "generate", "--task", "last-letter", "--split", "test-ood", "--count", "50", "--seed",
        "9", "--out", a.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("records: 50 "), r.out());
    CliRun.of("data", "generate", "--task", "last-letter", "--split", "test-ood", "--count", "50", "--seed", "9",
        "--out", b.toString());
    assertEquals(Files.readString(a), Files.readString(b));
    List<Problem> ps = Problem.read(a);
    assertEquals(50, ps.size());
    assertEquals("test-ood", ps.get(0).split());
    assertEquals(6, ps.get(0).question().substring("Last letters: ".length()).split(" ").length);

    Path w = dir.resolve("w.jsonl");
    assertEquals(0, CliRun.of("data", "generate", "--task", "word-sorting", "--split", "train", "--count", "20",
        "--out", w.toString()).code());
    assertEquals(20, Problem.read(w).size());
  }

  @Test
  void pairsAreAReferenceAndAGradedMistakePerProblemAndReproducible() throws Exception {
    Path a = dir.resolve("pairs.jsonl");
    CliRun r = CliRun.of("data", "pairs", "--task", "last-letter", "--split", "train", "--count", "200", "--seed",
        "4", "--out", a.toString());
    assertEquals(0, r.code(), r.err());
    List<Candidate> cs = Candidate.read(a);
    assertEquals(400, cs.size());
    List<Problem> ps = Problem.read(generated("last-letter", "train", 200, 4));
    io.genrm4j.task.Task t = io.genrm4j.task.Tasks.byName("last-letter");
    for (int i = 0; i < ps.size(); i++) {
      Candidate ref = cs.get(2 * i);
      Candidate bad = cs.get(2 * i + 1);
      assertEquals(ps.get(i).id(), ref.problemId());
      assertEquals(ps.get(i).question(), bad.question());
      assertEquals(t.solve(ps.get(i)), ref.text());
      assertTrue(ref.correct(), ref.text());
      assertEquals(t.grade(ps.get(i), bad.text()).correct(), bad.correct(), "the label is the task's grade");
    }
    long wrong = cs.stream().filter(c -> !c.correct()).count();
    assertTrue(wrong >= 190, "nearly every perturbation is a mistake: " + wrong + " of 200");
    assertTrue(r.out().startsWith("records: 400 (" + (400 - wrong) + " correct) from 200 "), r.out());
    Path b = dir.resolve("again.jsonl");
    CliRun.of("data", "pairs", "--task", "last-letter", "--split", "train", "--count", "200", "--seed", "4", "--out",
        b.toString());
    assertEquals(Files.readString(a), Files.readString(b));
    CliRun.assertOneLineError(CliRun.probe("data pairs --count -1", "data", "pairs", "--task", "last-letter",
        "--split", "train", "--count", "-1", "--out", dir.resolve("x.jsonl").toString()), "--count must be in");
    assertFalse(Files.exists(dir.resolve("x.jsonl")));
  }

  private Path generated(String task, String split, int count, long seed) {
    Path p = dir.resolve("problems-" + seed + ".jsonl");
    assertEquals(0, CliRun.of("data", "generate", "--task", task, "--split", split, "--count", String.valueOf(count),
        "--seed", String.valueOf(seed), "--out", p.toString()).code());
    return p;
  }

  @Test
  void generateGsm8kLoadsTheShippedSplit() throws Exception {
    Path g = dir.resolve("g.jsonl");
    CliRun r = CliRun.of("data", "generate", "--task", "gsm8k", "--split", "test-id", "--out", g.toString());
    assertEquals(0, r.code(), r.err());
    List<Problem> ps = Problem.read(g);
    assertEquals(1319, ps.size());
    assertEquals("gsm8k-test-0", ps.get(0).id());
    assertEquals("test", ps.get(0).split());
    CliRun s = CliRun.of("data", "generate", "--task", "gsm8k", "--split", "train", "--count", "10", "--seed", "3",
        "--out", g.toString());
    assertEquals(0, s.code(), s.err());
    assertEquals(10, Problem.read(g).size());
  }

  @Test
  void errorsAreOneLineAndWriteNothing() {
    Path o = dir.resolve("o.jsonl");
    CliRun r = CliRun.of("data", "generate", "--task", "chess", "--split", "train", "--count", "5", "--out", o.toString());
    assertEquals(2, r.code());
    assertEquals("error: unknown task 'chess' (expected last-letter, word-sorting or gsm8k)", r.err().strip());
    r = CliRun.of("data", "generate", "--task", "gsm8k", "--split", "test-ood", "--out", o.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("error: gsm8k has no test-ood split"), r.err());
    r = CliRun.of("data", "convert", "--from", "release-rm", "--input", dir.resolve("none.zip").toString(), "--out",
        o.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().strip().endsWith("none.zip: no such file"), r.err());
    assertFalse(Files.exists(o));
  }

  @Test
  void help() {
    for (String[] args : List.of(new String[] {"data", "--help"}, new String[] {"data", "generate", "--help"},
        new String[] {"data", "convert", "--help"})) {
      CliRun r = CliRun.of(args);
      assertEquals(0, r.code());
      assertTrue(r.out().contains("Usage: genrm data"), r.out());
    }
  }

  @Test
  void convertRelease() throws Exception {
    Path o = dir.resolve("rm.jsonl");
    CliRun r = CliRun.of("data", "convert", "--from", "release-rm", "--input",
        TestData.release("rm_incorrect_solutions_batch_08_val.zip").toString(), "--out", o.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("records: 87, correct: 0, accuracy: 0.0000"), r.out());
    List<VerificationExample> ex = VerificationExample.read(o);
    assertEquals(87, ex.size());
    assertEquals(" No", ex.get(0).completion());

    r = CliRun.of("data", "convert", "--from", "release-critiques", "--input",
        TestData.release("critiques_correct_solutions_batch_16_val.zip").toString(), "--out", o.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(VerificationExample.read(o).stream().allMatch(v -> v.label() && v.kind().equals("cot")));

    Path bad = dir.resolve("bad.jsonl");
    r = CliRun.of("data", "convert", "--from", "release-critiques", "--input",
        TestData.release("rm_correct_solutions_batch_08_val.zip").toString(), "--out", bad.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("is a direct record, not release-critiques"), r.err());
    assertFalse(Files.exists(bad));

    Path c = dir.resolve("c.jsonl");
    r = CliRun.of("data", "convert", "--from", "release-candidates", "--input",
        TestData.release(TestData.DC_INCORRECT).toString(), "--out", c.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("records: 8321, correct: 0,"), r.out());
    List<Candidate> cs = Candidate.read(c);
    assertEquals(8321, cs.size());
    assertEquals("genrm-release-q1-c64", cs.get(0).candidateId());
  }
}
