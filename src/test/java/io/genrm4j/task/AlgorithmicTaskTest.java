package io.genrm4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AlgorithmicTaskTest {
  static Stream<AlgorithmicTask> tasks() {
    return Stream.of(Tasks.LAST_LETTER, Tasks.WORD_SORTING);
  }

  private static Problem problem(AlgorithmicTask t, String words) {
    List<String> w = List.of(words.split(" "));
    return new Problem("x", t.name(), t.question(w), t.answer(w), "train", t.solve(w));
  }

  @Test
  void lastLetterExample() {
    LastLetterTask t = Tasks.LAST_LETTER;
    Problem p = problem(t, "Noah Paul Elisha Rebecca");
    assertEquals("Last letters: Noah Paul Elisha Rebecca", p.question());
    assertEquals("hlaa", p.answer());
    assertEquals("Noah -> h -> h\nPaul -> l -> hl\nElisha -> a -> hla\nRebecca -> a -> hlaa\nThe answer is hlaa.",
        t.solve(p));
    String wrong = "Noah -> h -> h\nPaul -> l -> hl\nElisha -> e -> hle\nRebecca -> a -> hlea\nThe answer is hlea.";
    assertEquals(
        "Noah -> h -> h (same); next Paul\n"
            + "Paul -> l -> hl (same); next Elisha\n"
            + "Elisha -> a -> hla (solution: e -> hle); next Rebecca\n"
            + "Rebecca -> a -> hlaa (solution: a -> hlea); last\n"
            + "The answer is hlaa; the solution's answer is hlea: wrong.\n"
            + "\n"
            + "Verification: Is the answer correct (Yes/No)? No",
        t.rationale(p, wrong));
    // a copying slip in the answer so far is caught on its own line
    String slip = "Noah -> h -> h\nPaul -> l -> lh\nElisha -> a -> lha\nRebecca -> a -> lhaa\nThe answer is lhaa.";
    assertTrue(t.rationale(p, slip).startsWith("Noah -> h -> h (same); next Paul\n"
        + "Paul -> l -> hl (solution: l -> lh); next Elisha\n"), t.rationale(p, slip));
    assertTrue(t.rationale(p, t.solve(p)).endsWith(
        "Rebecca -> a -> hlaa (same); last\nThe answer is hlaa; the solution's answer is hlaa: correct.\n\n"
            + "Verification: Is the answer correct (Yes/No)? Yes"));
    // a written name that differs but picks the same letter is the same step: grading is by outcome
    assertTrue(t.rationale(p, t.solve(p).replace("Paul", "Saul")).startsWith("Noah -> h -> h (same); next Paul\n"
        + "Paul -> l -> hl (same); next Elisha\n"));
    assertEquals("Noah -> h -> h (solution: not name -> letter -> letters); next Paul\n"
            + "Paul -> l -> hl (solution: missing); next Elisha\nElisha -> a -> hla (solution: missing); next Rebecca\n"
            + "Rebecca -> a -> hlaa (solution: missing); last\n"
            + "The answer is hlaa; the solution has no answer: wrong.\n\n"
            + "Verification: Is the answer correct (Yes/No)? No",
        t.rationale(p, "Noah h"));
    assertEquals(1875, DataFiles.names().size());
  }

  @Test
  void wordSortingTiesAndRepeats() {
    WordSortingTask t = Tasks.WORD_SORTING;
    Problem p = problem(t, "pear apple fig");
    assertEquals("Sort: pear apple fig", p.question());
    assertEquals("pear apple fig -> apple -> apple\npear fig -> fig -> apple fig\npear -> pear -> apple fig pear\n"
        + "The answer is apple fig pear.", t.solve(p));
    Problem r = problem(t, "be bee a be");
    assertEquals("a be be bee", r.answer());
    assertEquals("be bee a be -> a -> a\nbe bee be -> be -> a be\nbee be -> be -> a be be\nbee -> bee -> a be be bee\n"
        + "The answer is a be be bee.", t.solve(r));
    assertTrue(t.grade(r, t.solve(r)).correct());
    assertFalse(t.grade(r, "The answer is a be bee.").correct());
    String wrong = "pear apple fig -> apple -> apple\npear fig -> pear -> apple pear\nfig -> fig -> apple pear fig\n"
        + "The answer is apple pear fig.";
    String rat = t.rationale(p, wrong);
    assertEquals(
        "pear apple fig -> apple -> apple (same); next pear fig\n"
            + "pear fig -> fig -> apple fig (solution: pear -> apple pear); next pear\n"
            + "pear -> pear -> apple fig pear (solution: fig -> apple pear fig); last\n"
            + "The answer is apple fig pear; the solution's answer is apple pear fig: wrong.\n"
            + "\n"
            + "Verification: Is the answer correct (Yes/No)? No",
        rat);
    // the words left may be written in another order
    String reordered = "apple pear fig -> apple -> apple\npear fig -> fig -> apple fig\npear -> pear -> apple fig pear\n"
        + "The answer is apple fig pear.";
    assertTrue(t.rationale(p, reordered).startsWith("pear apple fig -> apple -> apple (same); next pear fig\n"));
    String extra = t.solve(p).replace("\nThe answer", "\nfig -> fig -> apple fig pear fig\nThe answer");
    assertTrue(t.rationale(p, extra).contains("(same); last\nThe solution has 1 extra line.\nThe answer is apple fig pear; "
        + "the solution's answer is apple fig pear: correct.\n"), t.rationale(p, extra));
    assertEquals(63875, DataFiles.words().size());
  }

  @ParameterizedTest
  @MethodSource("tasks")
  void malformedCandidatesAreHandled(AlgorithmicTask t) {
    Problem p = t.problems(Split.TRAIN, 1, 3).get(0);
    for (String c : List.of("", "garbage", "The answer is .", "x -> y\n\n\nThe answer is q.", t.solve(p) + "\nextra")) {
      String r = t.rationale(p, c);
      assertEquals(t.grade(p, c).correct(), Prompts.parseVerdict(r).orElseThrow(), c);
      assertTrue(r.endsWith("\n\n" + Prompts.verdictLine(t.grade(p, c).correct())));
    }
    String shortSol = t.solve(p).lines().skip(1).reduce((a, b) -> a + "\n" + b).orElseThrow();
    assertTrue(t.rationale(p, shortSol).contains("(solution: missing)"), t.rationale(p, shortSol));
  }

  /** Thousands of candidates: references, perturbed ones, and random line edits. */
  @ParameterizedTest
  @MethodSource("tasks")
  void oracleVerdictMatchesGraderAndNamesTheFirstWrongStep(AlgorithmicTask t) {
    Random rng = new Random(11);
    List<Problem> problems = new ArrayList<>(t.problems(Split.TRAIN, 600, 5));
    problems.addAll(t.problems(Split.TEST_OOD, 400, 5));
    int checked = 0;
    int wrong = 0;
    int rightAnswerWrongSteps = 0;
    String alphabet = t.alphabet();
    for (Problem p : problems) {
      String ref = t.solve(p);
      assertEquals(ref, p.referenceSolution());
      List<String> candidates = new ArrayList<>();
      candidates.add(ref);
      String once = t.perturb(ref, rng);
      candidates.add(once);
      candidates.add(t.perturb(once, rng));
      candidates.add(edit(ref, rng));
      for (String c : candidates) {
        Grade g = t.grade(p, c);
        String r = t.rationale(p, c);
        assertTrue(r.endsWith("\n\n" + Prompts.verdictLine(g.correct())), r);
        assertEquals(g.correct(), Prompts.parseVerdict(r).orElseThrow());
        for (String text : List.of(Prompts.Format.COMPACT.verifyCot(p.question(), c) + r,
            Prompts.Format.COMPACT.verifyDirect(p.question(), c) + Prompts.label(g.correct()))) {
          for (char ch : text.toCharArray()) {
            assertTrue(alphabet.indexOf(ch) >= 0, "char '" + ch + "' not in the alphabet: " + text);
          }
        }
        if (!g.correct()) {
          wrong++;
          assertTrue(firstWrongStep(r) > 0, r);
        } else {
          // outcome-graded: a right final answer is "Yes" even when a step was garbled (the rationale says which)
          assertTrue(r.contains("; the solution's answer is " + g.extractedAnswer() + ": correct."), r);
          if (firstWrongStep(r) > 0) {
            rightAnswerWrongSteps++;
          }
        }
        checked++;
      }
      assertEquals(-1, firstWrongStep(t.rationale(p, ref)));
      // a perturbed reference: incorrect, and the first wrong step is the first line that differs
      assertFalse(t.grade(p, once).correct(), once);
      int diff = firstDifferentLine(ref, once);
      assertEquals(diff, firstWrongStep(t.rationale(p, once)), once + "\n" + t.rationale(p, once));
    }
    assertTrue(checked >= 4000, "checked " + checked);
    assertTrue(wrong >= 1500, "wrong " + wrong);
    System.out.println(t.name() + ": oracle checked " + checked + " candidates, " + wrong + " incorrect, "
        + rightAnswerWrongSteps + " with a right answer but a wrong step");
  }

  /**
   * The 1-based number of the first rationale line that finds the candidate different from the truth (a step that
   * is not "(same)", an extra-lines line, or a final answer that is not "correct."); -1 when none does.
   */
  private static int firstWrongStep(String rationale) {
    String[] lines = rationale.split("\n");
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i];
      if (l.isEmpty()) {
        break;
      }
      if (!l.contains(" (same); ") && !l.endsWith(" (same); last") && !l.endsWith(": correct.")) {
        return i + 1;
      }
    }
    return -1;
  }

  private static int firstDifferentLine(String a, String b) {
    String[] x = a.split("\n");
    String[] y = b.split("\n");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      if (!x[i].equals(y[i])) {
        return i + 1;
      }
    }
    return Math.min(x.length, y.length) + 1;
  }

  /** A random edit of a solution: a line dropped, duplicated or swapped with the next. */
  private static String edit(String s, Random rng) {
    List<String> lines = new ArrayList<>(List.of(s.split("\n")));
    int i = rng.nextInt(lines.size());
    switch (rng.nextInt(3)) {
      case 0 -> lines.remove(i);
      case 1 -> lines.add(i, lines.get(i));
      default -> {
        if (i + 1 < lines.size()) {
          String tmp = lines.get(i);
          lines.set(i, lines.get(i + 1));
          lines.set(i + 1, tmp);
        }
      }
    }
    return String.join("\n", lines);
  }

  @ParameterizedTest
  @MethodSource("tasks")
  void splitsReproducibleAndDisjoint(AlgorithmicTask t) {
    List<Problem> a = t.problems(Split.TRAIN, 3000, 42);
    assertEquals(a, t.problems(Split.TRAIN, 3000, 42));
    assertNotEquals(a, t.problems(Split.TRAIN, 3000, 43));
    List<Problem> id = t.problems(Split.TEST_ID, 1000, 42);
    List<Problem> id2 = t.problems(Split.TEST_ID, 1000, 42);
    assertEquals(id, id2);
    List<Problem> ood = t.problems(Split.TEST_OOD, 500, 42);
    Set<String> trainKeys = new HashSet<>();
    for (Problem p : a) {
      int n = t.words(p.question()).size();
      assertTrue(n >= 2 && n <= 4, p.question());
      assertEquals("train", p.split());
      trainKeys.add(sortedKey(t, p));
    }
    assertEquals(3000, a.stream().map(Problem::question).distinct().count());
    for (Problem p : id) {
      int n = t.words(p.question()).size();
      assertTrue(n >= 2 && n <= 4, p.question());
      assertFalse(trainKeys.contains(sortedKey(t, p)), p.question());
    }
    // also disjoint from a train set drawn with another seed
    for (Problem p : t.problems(Split.TRAIN, 3000, 7)) {
      assertFalse(id.stream().anyMatch(q -> q.question().equals(p.question())));
    }
    for (Problem p : ood) {
      assertEquals(t.oodLength(), t.words(p.question()).size());
      assertEquals(t.answer(t.words(p.question())), p.answer());
    }
    assertEquals(6, Tasks.LAST_LETTER.oodLength());
    assertEquals(5, Tasks.WORD_SORTING.oodLength());
  }

  private static String sortedKey(AlgorithmicTask t, Problem p) {
    List<String> w = new ArrayList<>(t.words(p.question()));
    w.sort(null);
    return String.join(" ", w);
  }

  @Test
  void alphabetIsSmallAndCoversThePromptStrings() {
    String a = Tasks.LAST_LETTER.alphabet();
    assertTrue(a.length() < 80, a);
    for (char c : (Prompts.DECISION + Prompts.COT_SUFFIX + Prompts.YES + Prompts.NO).toCharArray()) {
      assertTrue(a.indexOf(c) >= 0, "missing " + c);
    }
    assertEquals(a, Tasks.WORD_SORTING.alphabet());
  }
}
