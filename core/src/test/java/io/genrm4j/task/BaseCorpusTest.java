package io.genrm4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BaseCorpusTest {
  private static final BaseCorpus.Spec SPEC = new BaseCorpus.Spec(
      List.of("first-letters", "second-to-last-letters", "last-letters-reversed", "last-letter"),
      List.of("first-letters", "second-to-last-letters", "last-letters-reversed"),
      List.of(BaseCorpus.Kind.DIRECT, BaseCorpus.Kind.COT), 1, 10, 300, 5L);

  @Test
  void relatedTasksPickTheirLetterAndBuildTheirRunningString() {
    assertEquals("First letters: Noah Paul", RelatedListTask.named("first-letters").question(List.of("Noah", "Paul")));
    assertEquals("np", RelatedListTask.named("first-letters").answer(List.of("Noah", "Paul")));
    assertEquals("au", RelatedListTask.named("second-to-last-letters").answer(List.of("Noah", "Paul")));
    assertEquals("lh", RelatedListTask.named("last-letters-reversed").answer(List.of("Noah", "Paul")));
    assertEquals("Noah -> h -> h\nPaul -> l -> lh\nThe answer is lh.",
        RelatedListTask.named("last-letters-reversed").solve(List.of("Noah", "Paul")));
    assertThrows(IllegalArgumentException.class, () -> RelatedListTask.named("last-letter"));
  }

  @Test
  void relatedWordTasksSortInTheirOwnOrder() {
    List<String> w = List.of("pear", "apple", "fig", "kiwi");
    assertEquals("apple fig kiwi pear", Tasks.WORD_SORTING.answer(w));
    assertEquals("fig kiwi pear apple", RelatedWordTask.named("sort-by-length").answer(w));
    assertEquals("cod dove bat ant", RelatedWordTask.named("sort-by-ending").answer(List.of("bat", "cod", "ant", "dove")),
        "doc < evod < tab < tna");
    assertEquals("pear kiwi fig apple", RelatedWordTask.named("sort-descending").answer(w));
    assertEquals("Sort descending: pear fig\npear fig -> pear\nfig -> fig\nThe answer is pear fig.",
        RelatedWordTask.named("sort-descending").question(List.of("pear", "fig")) + "\n"
            + RelatedWordTask.named("sort-descending").solve(List.of("pear", "fig")));
    assertEquals(List.of("sort-by-length", "sort-by-ending", "sort-descending"), BaseCorpus.relatedTo("word-sorting"));
    assertThrows(IllegalArgumentException.class, () -> RelatedWordTask.named("word-sorting"));
  }

  @Test
  void aWordCorpusVerifiesRelatedWordTasksOnlyAtOneToEightWords() {
    BaseCorpus.Spec spec = new BaseCorpus.Spec(List.of("sort-by-length", "sort-descending", "word-sorting"),
        List.of("sort-by-length", "sort-descending"), List.of(BaseCorpus.Kind.DIRECT, BaseCorpus.Kind.COT),
        RelatedWordTask.MIN_ITEMS, RelatedWordTask.MAX_ITEMS, 200, 4L);
    assertEquals("word-sorting", spec.target());
    assertThrows(IllegalArgumentException.class, () -> new BaseCorpus.Spec(List.of("word-sorting"),
        List.of("word-sorting"), List.of(BaseCorpus.Kind.DIRECT), 1, 8, 5, 1L));
    Set<Integer> lengths = new HashSet<>();
    int[] yesNo = new int[2];
    for (BaseCorpus.Item i : BaseCorpus.items(spec)) {
      AlgorithmicTask t = BaseCorpus.task(i.task());
      List<String> words = t.words(i.problem().question());
      lengths.add(words.size());
      assertFalse(AlgorithmicTask.inTestIdHalf(words), i.problem().question());
      assertEquals(t.grade(i.problem(), i.candidate()).correct(), i.correct(), i.candidate());
      if (i.task().equals("word-sorting")) {
        assertEquals(BaseCorpus.Kind.SOLUTION, i.kind(), "word sorting appears as solutions only");
      } else if (i.kind() != BaseCorpus.Kind.SOLUTION) {
        yesNo[i.correct() ? 0 : 1]++;
      }
    }
    assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7, 8), lengths);
    assertTrue(yesNo[0] > 300 && yesNo[1] > 300, yesNo[0] + " Yes, " + yesNo[1] + " No");
  }

  @Test
  void theTargetTaskIsNeverVerified() {
    assertThrows(IllegalArgumentException.class, () -> new BaseCorpus.Spec(List.of("last-letter"),
        List.of("last-letter"), List.of(BaseCorpus.Kind.DIRECT), 1, 10, 5, 1L));
    List<BaseCorpus.Item> items = BaseCorpus.items(SPEC);
    for (BaseCorpus.Item i : items) {
      if (i.task().equals("last-letter")) {
        assertEquals(BaseCorpus.Kind.SOLUTION, i.kind(), "last-letter appears as solutions only");
      }
    }
  }

  @Test
  void itemsAreLabelledByTheGraderAtEveryLengthAndNeverFromTheTestHalf() {
    List<BaseCorpus.Item> items = BaseCorpus.items(SPEC);
    assertEquals(4 * 300 + 3 * 2 * 300, items.size());
    Set<Integer> lengths = new HashSet<>();
    Map<BaseCorpus.Kind, int[]> yesNo = new EnumMap<>(BaseCorpus.Kind.class);
    for (BaseCorpus.Item i : items) {
      AlgorithmicTask t = BaseCorpus.task(i.task());
      List<String> words = t.words(i.problem().question());
      lengths.add(words.size());
      assertFalse(AlgorithmicTask.inTestIdHalf(words), "an in-distribution test list: " + i.problem().question());
      assertEquals(t.grade(i.problem(), i.candidate()).correct(), i.correct(), i.candidate());
      yesNo.computeIfAbsent(i.kind(), k -> new int[2])[i.correct() ? 0 : 1]++;
      if (i.kind() == BaseCorpus.Kind.COT) {
        assertNotNull(i.rationaleBody());
        assertTrue(i.rationaleBody().endsWith(i.correct() ? ": correct." : ": wrong."), i.rationaleBody());
      } else {
        assertNull(i.rationaleBody());
      }
    }
    assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), lengths);
    assertEquals(0, yesNo.get(BaseCorpus.Kind.SOLUTION)[1], "solutions are correct");
    for (BaseCorpus.Kind k : List.of(BaseCorpus.Kind.DIRECT, BaseCorpus.Kind.COT)) {
      int[] c = yesNo.get(k);
      double yes = c[0] / (double) (c[0] + c[1]);
      assertTrue(yes > 0.45 && yes < 0.65, k + ": " + c[0] + " Yes, " + c[1] + " No");
    }
    assertEquals(items, BaseCorpus.items(SPEC), "the same spec gives the same corpus");
  }

  @Test
  void everyMistakeTypeChangesTheSolutionAndMostAreWrong() {
    Random rng = new Random(3);
    for (AlgorithmicTask t : List.of(Tasks.LAST_LETTER, RelatedListTask.named("second-letters"),
        RelatedListTask.named("last-letters-reversed"), RelatedWordTask.named("sort-by-ending"))) {
      for (AlgorithmicTask.Mistake m : AlgorithmicTask.Mistake.values()) {
        int wrong = 0;
        for (int i = 0; i < 50; i++) {
          Problem p = t.randomProblem(2 + i % 8, rng);
          String c = t.withMistake(t.words(p.question()), m, rng);
          assertNotEquals(p.referenceSolution(), c, t.name() + " " + m);
          wrong += t.grade(p, c).correct() ? 0 : 1;
        }
        // a mis-copied item may keep its letter (same last letter), everything else changes the answer
        assertTrue(wrong >= (m == AlgorithmicTask.Mistake.MISCOPIED_ITEM ? 35 : 50), t.name() + " " + m + ": " + wrong);
      }
    }
  }

  @Test
  void aRunningSlipCarriesThroughTheLaterLines() {
    Random rng = new Random(1);
    AlgorithmicTask t = Tasks.LAST_LETTER;
    List<String> words = List.of("Noah", "Paul", "Elisha", "Rebecca");
    for (int trial = 0; trial < 20; trial++) {
      String c = t.withMistake(words, AlgorithmicTask.Mistake.RUNNING_SLIP, rng);
      List<String> lines = AlgorithmicTask.stepLines(c);
      int broken = 0;
      String prev = "";
      for (int k = 0; k < lines.size(); k++) {
        String[] cur = lines.get(k).split(" -> ");
        assertEquals(words.get(k), cur[0]);
        assertEquals(words.get(k).substring(words.get(k).length() - 1), cur[1], "picks stay right: " + c);
        broken += cur[2].equals(prev + cur[1]) ? 0 : 1;
        prev = cur[2];
      }
      assertEquals(1, broken, "one running string slips, the later lines build on it: " + c);
      assertEquals(prev, t.extractAnswer(c));
    }
  }
}
