package io.genrm4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.util.UserException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AnswerComparisonTest {
  /** One running mark per character of the longer answer, 1 until the first difference and 0 from there on. */
  @Test
  void marksRunUntilTheFirstDifference() {
    assertEquals("1100", AnswerComparison.marks("hlaa", "hlea"));
    assertEquals("1111", AnswerComparison.marks("hlaa", "hlaa"));
    assertEquals("1110", AnswerComparison.marks("hlaa", "hla"), "a restated answer too short");
    assertEquals("11100", AnswerComparison.marks("hla", "hlaxa"), "or too long");
    assertEquals("000", AnswerComparison.marks("hla", ""));
  }

  /**
   * The marked form of every oracle rationale of last-letter (right, perturbed and mistaken candidates) is the whole
   * form with {@code " / "} and the marks before the judgement, and its last mark is 1 exactly when the grader
   * accepts the candidate; a rationale without a restated answer is unchanged; WHOLE changes nothing.
   */
  @Test
  void theLastMarkAgreesWithTheGrader() {
    AlgorithmicTask t = Tasks.LAST_LETTER;
    Random rng = new Random(3);
    int wrong = 0;
    for (Problem p : t.problems(Split.TEST_OOD, 40, 11L)) {
      List<String> words = t.words(p.question());
      for (String c : List.of(p.referenceSolution(), t.perturb(p.referenceSolution(), rng),
          t.withMistake(words, AlgorithmicTask.Mistake.DROPPED_LINE, rng), "no answer here")) {
        boolean correct = t.grade(p, c).correct();
        String whole = t.rationaleBody(p, c, correct);
        String marked = AnswerComparison.MARKED.apply(whole);
        assertEquals(whole, AnswerComparison.WHOLE.apply(whole));
        int slash = marked.indexOf(AnswerComparison.MARKS_FROM);
        if (t.extractAnswer(c) == null) {
          assertEquals(whole, marked, "nothing to mark");
          continue;
        }
        int colon = marked.indexOf(':', slash);
        assertEquals(whole, marked.substring(0, slash) + marked.substring(colon));
        String marks = marked.substring(slash + AnswerComparison.MARKS_FROM.length(), colon);
        assertTrue(marks.matches("[01]+"), marked);
        assertEquals(correct, marks.endsWith(String.valueOf(AnswerComparison.SAME)), marked);
        wrong += correct ? 0 : 1;
      }
    }
    assertTrue(wrong >= 60, wrong + " wrong candidates marked");
  }

  @Test
  void unknownNamesAreAOneLineError() {
    assertEquals(AnswerComparison.MARKED, AnswerComparison.of("marked"));
    assertThrows(UserException.class, () -> AnswerComparison.of("bogus"));
  }
}
