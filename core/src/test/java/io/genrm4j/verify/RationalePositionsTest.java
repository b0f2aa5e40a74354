package io.genrm4j.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Tasks;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RationalePositionsTest {
  static final CharTokenizer TOK = CharTokenizer.of(Tasks.LAST_LETTER.alphabet());
  static final Prompts.Format F = Prompts.Format.COMPACT;
  /** A three-name problem with its reference solution (also {@link OracleVerdictProbeTest}'s). */
  static final Problem PROBLEM = new Problem("p", "last-letter", "Last letters: Noah Paul Ines", "hls", "train",
      "Noah -> h -> h\nPaul -> l -> hl\nInes -> s -> hls\nThe answer is hls.");

  /**
   * Under COUPLED the oracle's restated answer takes the re-solved answer's positions letter by letter (also when it
   * is shorter or longer), what follows it counts on from where it would have been, everything else is SOLUTION's
   * layout, and the positions of every prefix are a prefix of the whole's (a decoder extends them a token at a time).
   */
  @Test
  void theRestatedAnswerSitsOnTheResolvedAnswer() {
    Problem p = PROBLEM;
    for (String candidate : new String[] {"Noah -> h -> h\nThe answer is hx.", "The answer is hlsa.",
        p.referenceSolution()}) {
      String rationale = Tasks.LAST_LETTER.rationale(p, candidate);
      int[] prompt = TOK.encodeWithBos(F.verifyCot(p.question(), candidate));
      int[] ids = Tokenizer.concat(prompt, TOK.encode(rationale));
      int[] coupled = RationalePositions.COUPLED.positions(TOK, F, p.question(), prompt.length, ids);
      int[] solution = RationalePositions.SOLUTION.positions(TOK, F, p.question(), prompt.length, ids);
      int x = prompt.length + rationale.indexOf(Prompts.ANSWER_PREFIX) + Prompts.ANSWER_PREFIX.length();
      int y = prompt.length + rationale.indexOf(Prompts.RESTATED_ANSWER) + Prompts.RESTATED_ANSWER.length();
      int yEnd = prompt.length + rationale.indexOf(':', y - prompt.length);
      for (int i = 0; i < ids.length; i++) {
        int expected = i >= y && i < yEnd ? solution[x] + (i - y) : solution[i];
        assertEquals(expected, coupled[i], candidate + ": token " + i + " '" + TOK.tokenText(ids[i]) + "'");
      }
      assertEquals(solution[x], coupled[y], "the first letters share a position");
      for (int n = prompt.length; n <= ids.length; n++) {
        assertArrayEquals(Arrays.copyOf(coupled, n), RationalePositions.COUPLED.positions(TOK, F, p.question(),
            prompt.length, Arrays.copyOf(ids, n)), "prefix of " + n);
      }
    }
  }
}
