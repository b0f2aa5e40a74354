package io.genrm4j.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoupledPositionsTest {
  private static final LastLetterTask TASK = Tasks.LAST_LETTER;

  @Test
  void itemKAndLineKShareBlockKAndTheAnswerLineSitsAfterTheLastBlock() {
    Problem p = TASK.problems(Split.TEST_OOD, 1, 3).get(0);
    List<String> items = TASK.words(p.question());
    assertEquals(6, items.size());
    String prompt = Prompts.Format.COMPACT.solve(p.question());
    String solution = TASK.solve(p);
    int[] pos = CoupledPositions.of(prompt, items, solution);
    assertEquals(prompt.length() + solution.length(), pos.length);
    assertEquals(1, pos[0], "the prompt's head counts from 1 (0 is the BOS)");
    String[] lines = solution.split("\n");
    assertEquals(7, lines.length, "6 step lines and the answer line");
    int lineStart = prompt.length();
    int from = 0;
    for (int k = 0; k < 6; k++) {
      int at = prompt.indexOf(items.get(k), from);
      from = at + items.get(k).length();
      assertEquals(CoupledPositions.block(k), pos[at], "item " + k);
      assertEquals(CoupledPositions.block(k), pos[lineStart], "line " + k);
      // the line's copy of the name sits on the name itself, character by character
      for (int j = 0; j < items.get(k).length(); j++) {
        assertEquals(pos[at + j], pos[lineStart + j]);
      }
      lineStart += lines[k].length() + 1;
    }
    assertEquals(CoupledPositions.block(6), pos[from], "the prompt after the last item");
    assertEquals(CoupledPositions.block(6), pos[lineStart], "the answer line");
  }

  @Test
  void withLettersEveryRunningLetterJSitsBesideItemJ() {
    Problem p = TASK.problems(Split.TEST_OOD, 1, 3).get(0);
    String prompt = Prompts.Format.COMPACT.solve(p.question());
    String solution = TASK.solve(p);
    int[] pos = CoupledPositions.of(prompt, TASK.words(p.question()), solution, true);
    int[] plain = CoupledPositions.of(prompt, TASK.words(p.question()), solution);
    String[] lines = solution.split("\n");
    int lineStart = prompt.length();
    for (int k = 0; k < lines.length; k++) {
      String line = lines[k];
      int running = k < 6 ? line.lastIndexOf(" -> ") + 4 : Prompts.ANSWER_PREFIX.length();
      assertEquals(plain[lineStart], pos[lineStart], "the line's step text is placed as without letters");
      int letters = k < 6 ? k + 1 : 6;
      for (int j = 0; j < letters; j++) {
        assertEquals(CoupledPositions.block(j) + CoupledPositions.LETTER_SLOT, pos[lineStart + running + j],
            "line " + k + " letter " + j);
      }
      // the newline (or the answer's period) follows the last letter's position
      assertEquals(CoupledPositions.block(letters - 1) + CoupledPositions.LETTER_SLOT + 1,
          pos[lineStart + running + letters], "after line " + k);
      lineStart += line.length() + 1;
    }
  }

  @Test
  void thePositionsOfAPrefixAreAPrefixOfThePositions() {
    Problem p = TASK.problems(Split.TRAIN, 1, 5).get(0);
    String prompt = Prompts.Format.COMPACT.solve(p.question());
    List<String> items = TASK.words(p.question());
    String solution = TASK.solve(p);
    for (boolean letters : new boolean[] {false, true}) {
      int[] all = CoupledPositions.of(prompt, items, solution, letters);
      for (int n = 0; n <= solution.length(); n++) {
        assertArrayEquals(Arrays.copyOf(all, prompt.length() + n),
            CoupledPositions.of(prompt, items, solution.substring(0, n), letters), "prefix of " + n);
      }
    }
  }

  @Test
  void anItemMissingFromThePromptIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> CoupledPositions.of("Q: Last letters: Ann Bo\nA: ",
        List.of("Ann", "Cy"), ""));
  }
}
