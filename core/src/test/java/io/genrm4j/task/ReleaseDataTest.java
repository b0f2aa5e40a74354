package io.genrm4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReleaseDataTest {
  private static final String SOLVE_END = "\nA: Let's think step by step.\n";

  @Test
  void directRecordsReproduceThePaperPrompt() {
    var correct = ReleaseData.readSft(TestData.release("rm_correct_solutions_batch_08_val.zip"));
    var incorrect = ReleaseData.readSft(TestData.release("rm_incorrect_solutions_batch_08_val.zip"));
    assertEquals(125, correct.size());
    assertEquals(87, incorrect.size());
    assertTrue(correct.stream().allMatch(r -> r.direct() && r.label() && r.targets().equals(Prompts.YES)));
    assertTrue(incorrect.stream().allMatch(r -> r.direct() && !r.label() && r.targets().equals(Prompts.NO)));
    for (var r : concat(correct, incorrect)) {
      String q = r.question();
      int a = r.inputs().indexOf(SOLVE_END);
      assertTrue(r.inputs().endsWith(Prompts.DIRECT_SUFFIX));
      String solution = r.inputs().substring(a + SOLVE_END.length(), r.inputs().length() - Prompts.DIRECT_SUFFIX.length());
      assertEquals(r.inputs(), Prompts.Format.PAPER.verifyDirect(q, solution));
    }
  }

  @Test
  void cotRecordsReproduceThePaperPromptAndEndInTheVerdict() {
    var correct = ReleaseData.readSft(TestData.release("critiques_correct_solutions_batch_16_val.zip"));
    var incorrect = ReleaseData.readSft(TestData.release("critiques_incorrect_solutions_batch_16_val.zip"));
    assertEquals(125, correct.size());
    assertEquals(134, incorrect.size());
    assertTrue(correct.stream().allMatch(r -> !r.direct() && r.label()));
    assertTrue(incorrect.stream().allMatch(r -> !r.direct() && !r.label()));
    int blankLine = 0;
    for (var r : concat(correct, incorrect)) {
      int a = r.inputs().indexOf(SOLVE_END);
      assertTrue(r.inputs().endsWith(Prompts.COT_SUFFIX));
      String solution = r.inputs().substring(a + SOLVE_END.length(), r.inputs().length() - Prompts.COT_SUFFIX.length());
      assertEquals(r.inputs(), Prompts.Format.PAPER.verifyCot(r.question(), solution));
      assertTrue(
          r.targets().endsWith(Prompts.verdictLine(r.label())),
          r.targets().substring(Math.max(0, r.targets().length() - 80)));
      if (r.targets().endsWith(Prompts.VERDICT_SEPARATOR + Prompts.verdictLine(r.label()))) {
        blankLine++;
      }
      VerificationExample ex = r.toExample();
      assertEquals(VerificationExample.COT, ex.kind());
    }
    System.out.println("critiques val: verdict line preceded by a blank line in " + blankLine + " of 259");
    assertTrue(blankLine > 200, "blank line before the verdict in " + blankLine);
  }

  @Test
  void teacherPromptReproduced() {
    var recs = ReleaseData.readCandidates(TestData.release(TestData.DC_INCORRECT));
    int checked = 0;
    for (var r : recs.subList(0, 200)) {
      String p = r.verifierPrompt();
      String expected = p.substring(p.lastIndexOf("\nExpected Answer: ") + "\nExpected Answer: ".length());
      assertEquals(p, Prompts.teacher(r.question(), r.modelOutput(), expected));
      checked++;
    }
    assertEquals(200, checked);
  }

  /**
   * The grader against the release's own correctness labels on the 30,778 data_collection records. Prints the
   * disagreements by kind; the figures go into NOTES-tasks.md.
   */
  @Test
  void graderAgreesWithReleaseLabels() {
    Gsm8kTask task = Tasks.GSM8K;
    List<ReleaseData.CandidateRecord> all = new ArrayList<>();
    var correct = ReleaseData.readCandidates(TestData.release(TestData.DC_CORRECT));
    var incorrect = ReleaseData.readCandidates(TestData.release(TestData.DC_INCORRECT));
    assertEquals(22457, correct.size());
    assertEquals(8321, incorrect.size());
    all.addAll(correct);
    all.addAll(incorrect);
    int agree = 0;
    Map<String, List<String>> kinds = new LinkedHashMap<>();
    for (var r : all) {
      Grade g = task.grade(r.target(), r.modelOutput());
      if (g.correct() == (r.correctness() == 1)) {
        agree++;
        continue;
      }
      String kind;
      if (g.correct()) {
        kind = "we=correct release=incorrect, release extracted non-numeric '" + "...'";
        String ea = r.extractedAnswer() == null ? "" : r.extractedAnswer();
        kind = ea.matches("-?[\\d.,]+") ? "we=correct release=incorrect (release extracted a number)"
            : "we=correct release=incorrect (release extracted text with units/words)";
      } else {
        kind = "we=incorrect release=correct";
      }
      String tail = r.modelOutput().substring(Math.max(0, r.modelOutput().length() - 90)).replace("\n", "\\n");
      kinds.computeIfAbsent(kind, k -> new ArrayList<>())
          .add("q" + r.questionId() + "/c" + r.modelOutputId() + " target=" + r.target() + " release_extracted="
              + r.extractedAnswer() + " ours=" + g.extractedAnswer() + " | ..." + tail);
    }
    double agreement = (double) agree / all.size();
    System.out.printf("release agreement: %d / %d = %.4f, disagreements %d%n", agree, all.size(), agreement,
        all.size() - agree);
    kinds.forEach((k, v) -> {
      System.out.println("  " + k + ": " + v.size());
      v.stream().limit(8).forEach(s -> System.out.println("    " + s));
    });
    assertTrue(agreement >= 0.99, "agreement " + agreement);
    assertFalse(kinds.isEmpty() && agreement < 1.0);
  }

  @Test
  void candidatesConvertWithTheirLabels() {
    var recs = ReleaseData.readCandidates(TestData.release(TestData.DC_INCORRECT));
    Candidate c = recs.get(0).toCandidate();
    assertEquals("genrm-release-q1", c.problemId());
    assertEquals("genrm-release-q1-c64", c.candidateId());
    assertEquals("90", c.answer());
    assertEquals("270", c.extractedAnswer());
    assertEquals(Boolean.FALSE, c.correct());
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
