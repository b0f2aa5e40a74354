package io.genrm4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.util.UserException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Gsm8kTaskTest {
  private final Gsm8kTask task = Tasks.GSM8K;

  @Test
  void splitSizes() {
    assertEquals(7473, Gsm8kTask.load("train").size());
    assertEquals(1319, Gsm8kTask.load("test").size());
    assertEquals(1319, task.problems(Split.TEST_ID, 0, 1).size());
    assertThrows(UserException.class, () -> task.problems(Split.TEST_OOD, 0, 1));
  }

  @Test
  void everyReferenceSolutionGradesCorrectAndItsPerturbationIncorrect() {
    Random rng = new Random(7);
    int n = 0;
    for (String split : List.of("train", "test")) {
      for (Problem p : Gsm8kTask.load(split)) {
        String sol = task.solve(p);
        assertFalse(sol.contains("<<"), p.id());
        assertFalse(sol.contains("####"), p.id());
        assertTrue(sol.endsWith(Prompts.ANSWER_PREFIX + p.answer() + "."), p.id());
        Grade g = task.grade(p, sol);
        assertTrue(g.correct(), p.id() + ": " + g);
        String wrong = task.perturb(sol, rng);
        assertFalse(task.grade(p, wrong).correct(), p.id() + ": " + wrong);
        n++;
      }
    }
    assertEquals(7473 + 1319, n);
  }

  @Test
  void referenceAnswersNormalised() {
    assertEquals("1234", Gsm8kTask.referenceAnswer("so 1,234\n#### 1,234"));
    assertEquals("-3", Gsm8kTask.referenceAnswer("x\n#### -3"));
    assertEquals("0.5", Gsm8kTask.referenceAnswer("x\n#### 0.50"));
    assertEquals("120", Gsm8kTask.referenceAnswer("x\n#### 120"));
    assertThrows(IllegalArgumentException.class, () -> Gsm8kTask.referenceAnswer("no answer"));
    long withCommas = Gsm8kTask.load("train").stream().filter(p -> p.answer().contains(",")).count();
    assertEquals(0, withCommas);
    long negative = Gsm8kTask.load("train").stream().filter(p -> p.answer().startsWith("-")).count();
    assertEquals(3, negative);
  }

  @Test
  void calculatorAnnotationsStripped() {
    String a = "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nShe earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10";
    assertEquals(
        "Weng earns 12/60 = $0.2 per minute.\nShe earned 0.2 x 50 = $10.\nThe answer is 10.",
        Gsm8kTask.referenceSolution(a));
  }

  @Test
  void extraction() {
    assertEquals("1500", task.extractAnswer("so 3 + 4 = 7. The answer is $1,500."));
    assertEquals("81", task.extractAnswer("The answer is 80.\nWait.\nThe answer is $81."));
    assertEquals("45", task.extractAnswer("The answer is 45 ounces."));
    assertEquals("-4", task.extractAnswer("The answer is -4."));
    assertEquals("25", task.extractAnswer("The answer is 25%."));
    assertEquals("12", task.extractAnswer("hence \\boxed{12} and 13 more"));
    assertEquals("7", task.extractAnswer("3 + 4 = 7\n#### 7"));
    assertEquals("9", task.extractAnswer("We get 4 and then 9 apples"));
    assertEquals("3.5", task.extractAnswer("The final answer is 3.50."));
    assertEquals("5", task.extractAnswer("10 - 5 = 5"));
    assertEquals("75", task.extractAnswer("So the answer is 100% - 25% = 75%."));
    assertEquals("70", task.extractAnswer("The answer is $1750 / 25 = $70."));
    assertNull(task.extractAnswer("no digits here"));
  }

  @Test
  void numericComparison() {
    assertTrue(task.answersMatch("1234", "1,234"));
    assertTrue(task.answersMatch("12", "12.00"));
    assertTrue(task.answersMatch("5", "$5."));
    assertTrue(task.answersMatch("-2", "-2"));
    assertFalse(task.answersMatch("2", "-2"));
    assertFalse(task.answersMatch("12", "12.5"));
    assertFalse(task.answersMatch("12", null));
    assertTrue(task.grade("1234", "The answer is 1,234.").correct());
    assertFalse(task.grade("1234", "The answer is 1,235.").correct());
  }

  @Test
  void perturbChangesTheAnswer() {
    Random rng = new Random(1);
    String s = "2 + 2 = 4.\nThe answer is 4.";
    for (int i = 0; i < 50; i++) {
      String w = task.perturb(s, rng);
      assertNotEquals("4", task.extractAnswer(w));
      assertTrue(w.startsWith("2 + 2 = 4.\nThe answer is "), w);
    }
  }
}
