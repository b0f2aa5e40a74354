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
        "Noah -> h -> h\n"
            + "Paul -> l -> hl\n"
            + "Elisha -> a -> hla\n"
            + "Rebecca -> a -> hlaa\n"
            + "The answer is hlaa; the solution's answer is hlea: wrong.\n"
            + "\n"
            + "Verification: Is the answer correct (Yes/No)? No",
        t.rationale(p, wrong));
    // the re-solve is the reference solution verbatim up to its final '.'
    String ref = t.solve(p);
    assertEquals(ref.substring(0, ref.length() - 1) + "; the solution's answer is hlaa: correct.\n\n"
        + "Verification: Is the answer correct (Yes/No)? Yes", t.rationale(p, ref));
    // outcome grading: a misspelt name that picks the right letter is still correct
    assertTrue(t.rationale(p, ref.replace("Paul", "Saul")).endsWith(": correct.\n\n"
        + "Verification: Is the answer correct (Yes/No)? Yes"));
    assertTrue(t.rationale(p, "Noah h").endsWith("The answer is hlaa; the solution has no answer: wrong.\n\n"
        + "Verification: Is the answer correct (Yes/No)? No"));
    assertEquals(1875, DataFiles.names().size());
  }

  @Test
  void wordSortingTiesAndRepeats() {
    WordSortingTask t = Tasks.WORD_SORTING;
    Problem p = problem(t, "pear apple fig");
    assertEquals("Sort: pear apple fig", p.question());
    assertEquals("pear apple fig -> apple\npear fig -> fig\npear -> pear\nThe answer is apple fig pear.", t.solve(p));
    Problem r = problem(t, "be bee a be");
    assertEquals("a be be bee", r.answer());
    assertEquals("be bee a be -> a\nbe bee be -> be\nbee be -> be\nbee -> bee\nThe answer is a be be bee.", t.solve(r));
    assertTrue(t.grade(r, t.solve(r)).correct());
    assertFalse(t.grade(r, "The answer is a be bee.").correct());
    String wrong = "pear apple fig -> apple\npear fig -> pear\nfig -> fig\nThe answer is apple pear fig.";
    assertEquals(
        "pear apple fig -> apple\n"
            + "pear fig -> fig\n"
            + "pear -> pear\n"
            + "The answer is apple fig pear; the solution's answer is apple pear fig: wrong.\n"
            + "\n"
            + "Verification: Is the answer correct (Yes/No)? No",
        t.rationale(p, wrong));
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
  }

  /** Thousands of candidates: references, perturbed ones, and random line edits. */
  @ParameterizedTest
  @MethodSource("tasks")
  void oracleVerdictMatchesGraderAndRationaleReSolves(AlgorithmicTask t) {
    Random rng = new Random(11);
    List<Problem> problems = new ArrayList<>(t.problems(Split.TRAIN, 600, 5));
    problems.addAll(t.problems(Split.TEST_OOD, 400, 5));
    int checked = 0;
    int wrong = 0;
    String alphabet = t.alphabet();
    for (Problem p : problems) {
      String ref = t.solve(p);
      assertEquals(ref, p.referenceSolution());
      String reSolve = ref.substring(0, ref.length() - 1); // up to the reference's final '.'
      List<String> candidates = new ArrayList<>();
      candidates.add(ref);
      String once = t.perturb(ref, rng);
      assertFalse(t.grade(p, once).correct(), once);
      candidates.add(once);
      candidates.add(t.perturb(once, rng));
      candidates.add(edit(ref, rng));
      for (String c : candidates) {
        Grade g = t.grade(p, c);
        String r = t.rationale(p, c);
        assertTrue(r.startsWith(reSolve + "; the solution"), r);
        assertTrue(r.endsWith("\n\n" + Prompts.verdictLine(g.correct())), r);
        assertEquals(g.correct(), Prompts.parseVerdict(r).orElseThrow());
        String compared = g.extractedAnswer() == null ? "; the solution has no answer: wrong."
            : "; the solution's answer is " + g.extractedAnswer() + (g.correct() ? ": correct." : ": wrong.");
        assertTrue(r.contains(compared + "\n\n"), r);
        for (String text : List.of(Prompts.Format.COMPACT.verifyCot(p.question(), c) + r,
            Prompts.Format.COMPACT.verifyDirect(p.question(), c) + Prompts.label(g.correct()))) {
          for (char ch : text.toCharArray()) {
            assertTrue(alphabet.indexOf(ch) >= 0, "char '" + ch + "' not in the alphabet: " + text);
          }
        }
        wrong += g.correct() ? 0 : 1;
        checked++;
      }
    }
    assertTrue(checked >= 4000, "checked " + checked);
    assertTrue(wrong >= 1500, "wrong " + wrong);
    System.out.println(t.name() + ": oracle checked " + checked + " candidates, " + wrong + " incorrect");
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

  /**
   * Issue #21: perturbed last-letter solutions carry the generator's own kinds of mistakes in about its shares
   * (LetterListTask#realisticMistake), told apart by the first line that leaves the reference, and only letters that
   * end some pool name (a letter no name ends with would mark wrong solutions).
   */
  @Test
  void lastLetterPerturbationsLookLikeRealMistakes() {
    LastLetterTask t = Tasks.LAST_LETTER;
    java.util.Set<Character> ends = new java.util.HashSet<>();
    t.pool().forEach(w -> ends.add(w.charAt(w.length() - 1)));
    assertTrue(ends.size() < 26, "every letter ends some name: the test needs one that does not");
    Random rng = new Random(4);
    int[] kinds = new int[5]; // garbled name, answer line, running slip, line count, wrong pick
    List<Problem> problems = t.problems(Split.TRAIN, 3000, 1);
    for (Problem p : problems) {
      String bad = t.perturb(p.referenceSolution(), rng);
      assertFalse(t.grade(p, bad).correct(), bad);
      for (char ch : t.extractAnswer(bad).toCharArray()) {
        assertTrue(ends.contains(ch), "'" + ch + "' ends no pool name: " + bad);
      }
      List<String> names = t.words(p.question());
      List<String[]> lines = bad.lines().filter(l -> l.contains(AlgorithmicTask.ARROW))
          .map(l -> l.split(AlgorithmicTask.ARROW)).toList();
      List<String[]> ref = p.referenceSolution().lines().filter(l -> l.contains(AlgorithmicTask.ARROW))
          .map(l -> l.split(AlgorithmicTask.ARROW)).toList();
      int kind = lines.size() == ref.size() ? 1 : 3;
      for (int k = 0; k < Math.min(lines.size(), ref.size()); k++) {
        if (!lines.get(k)[0].equals(ref.get(k)[0])) {
          kind = names.contains(lines.get(k)[0]) ? 3 : 0;
          break;
        } else if (!lines.get(k)[1].equals(ref.get(k)[1])) {
          kind = 4;
          break;
        } else if (!lines.get(k)[2].equals(ref.get(k)[2])) {
          kind = 2;
          break;
        }
      }
      kinds[kind]++;
    }
    double[] expected = {0.41, 0.31, 0.16, 0.07, 0.05};
    for (int i = 0; i < kinds.length; i++) {
      assertEquals(expected[i], kinds[i] / (double) problems.size(), 0.05, java.util.Arrays.toString(kinds));
    }
  }

  /**
   * Issue #21: perturbed word-sorting solutions carry the generator's own kinds of mistakes in about its shares
   * (WordListTask#perturb), told apart here by the first line that leaves the reference: a garbled pick, a slip in
   * a later line's list, a dropped word, a wrong pick, a wrong answer line.
   */
  @Test
  void wordSortingPerturbationsLookLikeRealMistakes() {
    WordSortingTask t = Tasks.WORD_SORTING;
    Random rng = new Random(4);
    int[] kinds = new int[5]; // garbled pick, later list slip, dropped word, wrong pick, answer line
    List<Problem> problems = t.problems(Split.TRAIN, 3000, 1);
    for (Problem p : problems) {
      String bad = t.perturb(p.referenceSolution(), rng);
      assertFalse(t.grade(p, bad).correct(), bad);
      List<String> lines = List.of(bad.split("\n"));
      List<String> ref = List.of(p.referenceSolution().split("\n"));
      int k = 0;
      while (k < ref.size() - 1 && k < lines.size() - 1 && lines.get(k).equals(ref.get(k))) {
        k++;
      }
      if (k == ref.size() - 1) {
        kinds[4]++;
        continue;
      }
      String[] got = lines.get(k).split(AlgorithmicTask.ARROW);
      String[] want = ref.get(k).split(AlgorithmicTask.ARROW);
      if (got[0].equals(want[0])) {
        kinds[List.of(want[0].split(" ")).contains(got[1]) ? 3 : 0]++;
      } else {
        assertTrue(k > 0 || got[0].split(" ").length < want[0].split(" ").length, bad);
        kinds[got[0].split(" ").length < want[0].split(" ").length ? 2 : 1]++;
      }
    }
    double[] shares = {0.375, 0.333, 0.083, 0.125, 0.083}; // drops redrawn on the third of two-word problems
    for (int i = 0; i < kinds.length; i++) {
      assertEquals(shares[i], kinds[i] / (double) problems.size(), 0.05, java.util.Arrays.toString(kinds));
    }
  }

  @Test
  void garbledWordsDifferFromTheWordAndAreLowercase() {
    Random rng = new Random(2);
    List<String> words = List.of("sparkle", "leopard", "keto");
    for (int i = 0; i < 2000; i++) {
      String w = words.get(i % words.size());
      String g = AlgorithmicTask.garble(w, words, rng);
      assertNotEquals(w, g);
      assertTrue(g.matches("[a-z]{2,}"), g);
    }
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
