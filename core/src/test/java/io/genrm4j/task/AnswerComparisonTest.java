package io.genrm4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerComparisonTest {
  /** The mark after word k is 1 while words 1..k all equal the reference's, 0 from the first that does not. */
  @Test
  void marksRunUntilTheFirstDifference() {
    AnswerComparison m = AnswerComparison.MARKED;
    assertEquals("apple 1 fig 1 pear 1", m.restate("apple fig pear", "apple fig pear"));
    assertEquals("apple 1 pear 0 fig 0", m.restate("apple fig pear", "apple pear fig"));
    assertEquals("apple 1 fig 1", m.restate("apple fig pear", "apple fig"), "a word short: every mark 1");
    assertEquals("apple 1 fig 1 pear 1 fig 0", m.restate("apple fig pear", "apple fig pear fig"));
    assertEquals("", m.restate("apple fig pear", ""));
    assertEquals("apple pear fig", AnswerComparison.WHOLE.restate("apple fig pear", "apple pear fig"));
  }

  /** The marked rationale is the whole one with the marks in the restated answer; the judgement is the grader's. */
  @Test
  void theMarkedRationaleDiffersOnlyInTheRestatement() {
    WordSortingTask t = Tasks.WORD_SORTING;
    List<String> items = List.of("pear", "apple", "fig");
    Problem p = new Problem("p", t.name(), t.question(items), t.answer(items), "train", t.solve(items));
    String wrong = p.referenceSolution().replace("The answer is apple fig pear.", "The answer is apple pear fig.");
    for (String c : List.of(p.referenceSolution(), wrong)) {
      String whole = t.rationale(p, c);
      String marked = t.oracle(AnswerComparison.MARKED).orElseThrow().rationale(p, c);
      String restated = t.extractAnswer(c);
      assertEquals(whole.replace(Prompts.RESTATED_ANSWER + restated + ":",
          Prompts.RESTATED_ANSWER + AnswerComparison.MARKED.restate("apple fig pear", restated) + ":"), marked);
      assertTrue(marked.contains(c == wrong ? "fig 0: " + Prompts.JUDGED_WRONG : "pear 1: " + Prompts.JUDGED_CORRECT),
          marked);
    }
  }
}
