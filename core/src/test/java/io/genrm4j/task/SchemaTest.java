package io.genrm4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaTest {
  @TempDir Path dir;

  @Test
  void recordsRoundTripWithSnakeCaseFields() throws Exception {
    Path f = dir.resolve("p.jsonl");
    List<Problem> ps = Tasks.LAST_LETTER.problems(Split.TRAIN, 3, 1);
    Jsonl.write(f, ps);
    String first = Files.readAllLines(f).get(0);
    assertTrue(first.contains("\"reference_solution\":"), first);
    assertEquals(ps, Problem.read(f));

    Candidate c = new Candidate("p1", "p1-c0", "Q", "The answer is 3.", "3", null, null);
    Path cf = dir.resolve("c.jsonl");
    Jsonl.write(cf, List.of(c, c.withGrade(Tasks.GSM8K.grade("3", c.text()))));
    List<String> lines = Files.readAllLines(cf);
    assertEquals("{\"problem_id\":\"p1\",\"candidate_id\":\"p1-c0\",\"question\":\"Q\",\"text\":\"The answer is 3.\","
        + "\"answer\":\"3\"}", lines.get(0));
    assertTrue(lines.get(1).endsWith("\"extracted_answer\":\"3\",\"correct\":true}"), lines.get(1));
    assertEquals(Boolean.TRUE, Candidate.read(cf).get(1).correct());

    Score s = Score.of("p1", "p1-c0", 0.75, 0.6, 0.2, List.of(0.5, 1.0), 32).withMass().withMethod("genrm-cot", true);
    // as the experiment writes it: no optional fields, a number that is not finite is null
    Score row = Score.of("p1", "p1-c1", Double.NaN, Double.NaN, Double.NaN, List.of(0.25, Double.NaN), 7);
    Path sf = dir.resolve("s.jsonl");
    Jsonl.write(sf, List.of(s, row));
    List<String> scoreLines = Files.readAllLines(sf);
    assertTrue(scoreLines.get(0).contains("\"p_yes\":0.6,\"p_no\":0.2,\"votes\":[0.5,1.0],\"tokens\":32"),
        scoreLines.get(0));
    assertTrue(scoreLines.get(0).endsWith("\"mass\":0.8,\"method\":\"genrm-cot\",\"correct\":true}"),
        scoreLines.get(0));
    assertEquals("{\"problem_id\":\"p1\",\"candidate_id\":\"p1-c1\",\"score\":null,\"p_yes\":null,\"p_no\":null,"
        + "\"votes\":[0.25,null],\"tokens\":7}", scoreLines.get(1));
    assertEquals(List.of(s, row), Score.read(sf));

    VerificationExample v = new VerificationExample("Q: x\nA: y" + Prompts.DIRECT_SUFFIX, Prompts.YES, true,
        VerificationExample.DIRECT, "p1", "p1-c0");
    Path vf = dir.resolve("v.jsonl");
    Jsonl.write(vf, List.of(v));
    assertEquals(List.of(v), VerificationExample.read(vf));
  }

  @Test
  void badLinesAreNamedByFileAndLine() throws Exception {
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(f, "{\"id\":\"a\",\"task\":\"t\",\"question\":\"q\",\"answer\":\"1\",\"split\":\"train\"}\n"
        + "{\"id\":\"b\",\"task\":\"t\",\"question\":\"q\",\"split\":\"train\"}\n");
    UserException e = assertThrows(UserException.class, () -> Problem.read(f));
    assertEquals(f + ":2: missing field 'answer'", e.getMessage());

    Files.writeString(f, "{\"problem_id\":\"a\",\"candidate_id\":\"c\",\"score\":\"high\"}\n");
    e = assertThrows(UserException.class, () -> Score.read(f));
    assertEquals(f + ":1: field 'score' must be a number", e.getMessage());

    Files.writeString(f, "\n{\"prompt\":\"p\",\"completion\":\" Yes\",\"label\":\"yes\"}\n");
    e = assertThrows(UserException.class, () -> VerificationExample.read(f));
    assertEquals(f + ":2: field 'label' must be true or false", e.getMessage());

    Files.writeString(f, "{\"problem_id\":\"a\",\"candidate_id\":\"c\",\"question\":\"q\",\"text\":\"t\"}\n{oops\n");
    e = assertThrows(UserException.class, () -> Candidate.read(f));
    assertTrue(e.getMessage().startsWith(f + ":2: malformed JSON"), e.getMessage());
  }

  @Test
  void badLineInsideAZipIsNamed() throws Exception {
    Path z = dir.resolve("rm_x.zip");
    try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(z))) {
      out.putNextEntry(new java.util.zip.ZipEntry("rm_x.jsonl"));
      out.write("{\"inputs\":\"a\",\"targets\":\" Yes\",\"question_id\":1,\"model_output_id\":2}\n{\"inputs\":\"a\"}\n"
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.closeEntry();
    }
    UserException e = assertThrows(UserException.class, () -> ReleaseData.readSft(z));
    assertEquals(z + "!rm_x.jsonl:2: missing field 'targets'", e.getMessage());
  }
}
