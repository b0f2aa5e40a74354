package io.genrm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Split;
import io.genrm4j.task.Tasks;
import io.genrm4j.task.TestData;
import io.genrm4j.util.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GradeCommandTest {
  @TempDir Path dir;

  @Test
  void gradesTheReleaseRecordsAsTheyAre() {
    Path out = dir.resolve("graded.jsonl");
    var r = CliRun.of("grade", "--task", "gsm8k", "--input",
        TestData.release(TestData.DC_INCORRECT).toString(), "--out", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("records: 8321, correct: "), r.out());
    List<ObjectNode> recs = Jsonl.readObjects(out);
    assertEquals(8321, recs.size());
    ObjectNode first = recs.get(0);
    for (String f : List.of("question", "question_id", "model_output", "model_output_id", "target", "correctness",
        "verifier_prompt", "verifier_output", "extracted_answer", "correct")) {
      assertTrue(first.has(f), f);
    }
    assertEquals("270", first.get("extracted_answer").asText());
    assertFalse(first.get("correct").asBoolean());
    long correct = recs.stream().filter(o -> o.get("correct").asBoolean()).count();
    assertTrue(correct < 100, "correct " + correct);
  }

  @Test
  void gradesAlgorithmicCandidatesFromTheQuestionOrTheProblems() throws Exception {
    List<Problem> ps = Tasks.WORD_SORTING.problems(Split.TEST_ID, 20, 4);
    Path pf = dir.resolve("p.jsonl");
    Jsonl.write(pf, ps);
    Random rng = new Random(2);
    List<Map<String, Object>> cands = new ArrayList<>();
    for (Problem p : ps) {
      cands.add(Map.of("problem_id", p.id(), "candidate_id", p.id() + "-0", "question", p.question(), "text",
          p.referenceSolution(), "sampler", "test"));
      cands.add(Map.of("problem_id", p.id(), "candidate_id", p.id() + "-1", "question", p.question(), "text",
          Tasks.WORD_SORTING.perturb(p.referenceSolution(), rng)));
    }
    Path cf = dir.resolve("c.jsonl");
    Jsonl.write(cf, cands);
    Path out = dir.resolve("g.jsonl");
    var r = CliRun.of("grade", "--task", "word-sorting", "--input", cf.toString(), "--out",
        out.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("records: 40, correct: 20, accuracy: 0.5000 -> " + out, r.out().strip());
    List<ObjectNode> g = Jsonl.readObjects(out);
    assertEquals("test", g.get(0).get("sampler").asText());
    assertTrue(g.get(0).get("correct").asBoolean());
    assertFalse(g.get(1).get("correct").asBoolean());

    // GSM8K candidates without an answer field need --problems
    List<Problem> gp = Tasks.GSM8K.problems(Split.TEST_ID, 5, 1);
    Path gpf = dir.resolve("gp.jsonl");
    Jsonl.write(gpf, gp);
    List<Map<String, Object>> gc = new ArrayList<>();
    for (Problem p : gp) {
      gc.add(Map.of("problem_id", p.id(), "candidate_id", p.id() + "-0", "question", p.question(), "text",
          p.referenceSolution()));
    }
    Path gcf = dir.resolve("gc.jsonl");
    Jsonl.write(gcf, gc);
    Path gout = dir.resolve("gout.jsonl");
    r = CliRun.of("grade", "--task", "gsm8k", "--input", gcf.toString(), "--out", gout.toString());
    assertEquals(2, r.code());
    assertEquals("error: " + gcf + ":1: no reference answer: the record has no 'answer' or 'target' (pass --problems)",
        r.err().strip());
    assertFalse(Files.exists(gout));
    r = CliRun.of("grade", "--task", "gsm8k", "--input", gcf.toString(), "--problems", gpf.toString(),
        "--out", gout.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("records: 5, correct: 5, accuracy: 1.0000"), r.out());
  }

  @Test
  void aBadLineStopsWithFileAndLineAndNoOutput() throws Exception {
    Path in = dir.resolve("in.jsonl");
    Files.writeString(in, "{\"text\":\"The answer is 3.\",\"answer\":\"3\"}\n{\"answer\":\"4\"}\n");
    Path out = dir.resolve("out.jsonl");
    var r = CliRun.of("grade", "--task", "gsm8k", "--input", in.toString(), "--out", out.toString());
    assertEquals(2, r.code());
    assertEquals("error: " + in + ":2: missing field 'text' (or 'model_output')", r.err().strip());
    assertFalse(Files.exists(out));
    Files.writeString(in, "{\"text\":\"The answer is 3.\",\"answer\":\"3\"}\nnot json\n");
    r = CliRun.of("grade", "--task", "gsm8k", "--input", in.toString(), "--out", out.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("error: " + in + ":2: malformed JSON"), r.err());
    assertFalse(Files.exists(out));
    try (var s = Files.list(dir)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".out.jsonl")));
    }
  }

  @Test
  void help() {
    var r = CliRun.of("grade", "--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("--problems"), r.out());
  }
}
