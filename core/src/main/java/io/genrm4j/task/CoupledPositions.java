package io.genrm4j.task;

import java.util.List;

/**
 * Position coupling (Cho et al. 2024) for the list tasks: rotary position ids, one per character, under which item k
 * of the question and line k of the solution share one block of positions, so that copying item k into line k is a
 * look-up at distance 0 whatever k is, and a model trained on 2-4 items meets no new distance at 6. The text is
 * unchanged; only the positions differ (rotary attention depends on distances only, so two characters may share a
 * position).
 *
 * <p>Layout: position 0 is the BOS token; the prompt before the first item counts 1, 2, ...; item k (with the
 * separator after it) counts up from {@code FIRST_BLOCK + k * BLOCK}; the prompt after the last item counts up from
 * block n (n items), and so does solution line n, the answer line of a correct solution; solution line k (with its
 * newline) counts up from block k. The positions of a text's prefix are a prefix of the text's positions, so a
 * decoder can extend them one token at a time.
 */
public final class CoupledPositions {
  /** Positions per block: more than the longest item or solution line (a 12-letter name, 10 letters so far). */
  public static final int BLOCK = 48;
  /** Where block 0 starts: after the prompt's head ({@code Q: Last letters: } is 17 characters). */
  public static final int FIRST_BLOCK = 64;

  private CoupledPositions() {}

  /**
   * The position of every character of {@code prompt + solution}.
   *
   * @param prompt the text before the solution, holding the items in order
   * @param items the question's items (names, words) as they appear in the prompt
   * @param solution the solution so far (may be empty or end mid-line)
   */
  public static int[] of(String prompt, List<String> items, String solution) {
    return of(prompt, items, solution, false);
  }

  /** Where letter j of a running string sits inside block j, with {@code letters}: after any line's step text. */
  public static final int LETTER_SLOT = 32;

  /**
   * As {@link #of(String, List, String)}; with {@code letters}, also letter j of every running string (the text
   * after a step line's second {@code " -> "}, and after {@code The answer is }) sits at {@code block(j) +
   * LETTER_SLOT}, beside item j, and what follows it (newline, final period) one position after the letter before.
   */
  public static int[] of(String prompt, List<String> items, String solution, boolean letters) {
    int[] out = new int[prompt.length() + solution.length()];
    int[] start = new int[items.size()];
    int from = 0;
    for (int k = 0; k < items.size(); k++) {
      start[k] = prompt.indexOf(items.get(k), from);
      if (start[k] < 0) {
        throw new IllegalArgumentException("item '" + items.get(k) + "' not in the prompt after offset " + from);
      }
      from = start[k] + items.get(k).length();
    }
    int tail = items.isEmpty() ? 0 : from;
    for (int i = 0; i < prompt.length(); i++) {
      if (items.isEmpty() || i < start[0]) {
        out[i] = 1 + i;
      } else if (i >= tail) {
        out[i] = block(items.size()) + (i - tail);
      } else {
        int k = items.size() - 1;
        while (start[k] > i) {
          k--;
        }
        out[i] = block(k) + (i - start[k]);
      }
    }
    int line = 0;
    int lineStart = 0;
    for (int i = 0; i < solution.length(); i++) {
      int col = i - lineStart;
      int running = letters ? runningStart(solution.substring(lineStart, i)) : -1;
      int at = prompt.length() + i;
      if (running < 0) {
        out[at] = block(line) + col;
      } else if (Character.isLetter(solution.charAt(i))) {
        out[at] = block(col - running) + LETTER_SLOT;
      } else {
        out[at] = out[at - 1] + 1;
      }
      if (solution.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return out;
  }

  /** Where a line's running string starts, given the line's text so far; -1 while it has not started. */
  private static int runningStart(String lineSoFar) {
    if (lineSoFar.startsWith(Prompts.ANSWER_PREFIX)) {
      return Prompts.ANSWER_PREFIX.length();
    }
    int first = lineSoFar.indexOf(" -> ");
    int second = first < 0 ? -1 : lineSoFar.indexOf(" -> ", first + 4);
    return second < 0 ? -1 : second + 4;
  }

  /** The first position of block k. */
  public static int block(int k) {
    return FIRST_BLOCK + k * BLOCK;
  }
}
