package io.genrm4j.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.AnswerComparison;
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

  /**
   * With running marks ({@link AnswerComparison#MARKED}) under COUPLED the restated answer still sits on the
   * re-solved one, the separator counts on from it, mark j sits one after re-solved letter j (also past the end of
   * the shorter answer), the judgement counts on from the last mark, everything before the marks is placed as
   * without them, and every prefix's positions are a prefix of the whole's.
   */
  @Test
  void markJSitsOneAfterLetterJAndTheJudgementAfterTheLastMark() {
    Problem p = PROBLEM;
    for (String candidate : new String[] {"Noah -> h -> h\nThe answer is hx.", "The answer is hlsa.",
        p.referenceSolution()}) {
      String whole = Tasks.LAST_LETTER.rationale(p, candidate);
      String rationale = AnswerComparison.MARKED.apply(whole);
      int[] prompt = TOK.encodeWithBos(F.verifyCot(p.question(), candidate));
      int[] ids = Tokenizer.concat(prompt, TOK.encode(rationale));
      int[] marked = RationalePositions.COUPLED.positions(TOK, F, p.question(), prompt.length, ids);
      int[] plain = RationalePositions.COUPLED.positions(TOK, F, p.question(), prompt.length,
          Tokenizer.concat(prompt, TOK.encode(whole)));
      int x = prompt.length + rationale.indexOf(Prompts.ANSWER_PREFIX) + Prompts.ANSWER_PREFIX.length();
      int slash = prompt.length + rationale.indexOf(AnswerComparison.MARKS_FROM);
      int marks = slash + AnswerComparison.MARKS_FROM.length();
      int colon = prompt.length + rationale.indexOf(':', slash - prompt.length);
      assertArrayEquals(Arrays.copyOf(plain, slash), Arrays.copyOf(marked, slash), candidate);
      for (int i = slash; i < ids.length; i++) {
        int expected = i < marks ? marked[i - 1] + 1 : i < colon ? marked[x] + (i - marks) + 1 : marked[i - 1] + 1;
        assertEquals(expected, marked[i], candidate + ": token " + i + " '" + TOK.tokenText(ids[i]) + "'");
      }
      for (int n = prompt.length; n <= ids.length; n++) {
        assertArrayEquals(Arrays.copyOf(marked, n), RationalePositions.COUPLED.positions(TOK, F, p.question(),
            prompt.length, Arrays.copyOf(ids, n)), "prefix of " + n);
      }
    }
  }

  /**
   * Under COUPLED_LINES rationale line k starts on candidate line k, the re-solved answer sits on the candidate's
   * answer letter by letter and the restated answer on both, however long the lines before them (here the
   * candidate's second line is longer than the re-solve's, and it has a line too many or too few); every prefix's
   * positions are a prefix of the whole's.
   */
  @Test
  void everyLineAndBothAnswersSitOnTheCandidates() {
    Problem p = PROBLEM;
    for (String candidate : new String[] {"Noah -> h -> h\nPaulie -> e -> he\nInes -> s -> hes\nThe answer is hes.",
        "Noah -> h -> h\nThe answer is hx.", "Noah -> h -> h\nNoah -> h -> hh\nPaul -> l -> hhl\nInes -> s -> hhls\n"
        + "The answer is hhls.", p.referenceSolution()}) {
      String rationale = Tasks.LAST_LETTER.rationale(p, candidate);
      int[] prompt = TOK.encodeWithBos(F.verifyCot(p.question(), candidate));
      int[] ids = Tokenizer.concat(prompt, TOK.encode(rationale));
      int[] pos = RationalePositions.COUPLED_LINES.positions(TOK, F, p.question(), prompt.length, ids);
      int start = TOK.encodeWithBos(F.solve(p.question())).length; // the candidate's first token
      String[] candLines = candidate.split("\n");
      String[] ratLines = rationale.split("\n");
      int c = start;
      int r = prompt.length;
      for (int k = 0; k < ratLines.length && k < candLines.length - 1; k++) {
        assertEquals(c, pos[r], candidate + ": line " + k);
        c += candLines[k].length() + 1;
        r += ratLines[k].length() + 1;
      }
      int candY = start + candidate.lastIndexOf(Prompts.ANSWER_PREFIX) + Prompts.ANSWER_PREFIX.length();
      int x = prompt.length + rationale.indexOf(Prompts.ANSWER_PREFIX) + Prompts.ANSWER_PREFIX.length();
      int y = prompt.length + rationale.indexOf(Prompts.RESTATED_ANSWER) + Prompts.RESTATED_ANSWER.length();
      for (int j = 0; j < 3; j++) {
        assertEquals(candY + j, pos[x + j], candidate + ": re-solved answer letter " + j);
      }
      for (int j = 0; j < Tasks.LAST_LETTER.extractAnswer(candidate).length(); j++) {
        assertEquals(candY + j, pos[y + j], candidate + ": restated answer letter " + j);
      }
      assertEquals(pos[x + 3] + 1, pos[x + 4], "the marker counts on from the re-solved answer");
      for (int n = prompt.length; n <= ids.length; n++) {
        assertArrayEquals(Arrays.copyOf(pos, n), RationalePositions.COUPLED_LINES.positions(TOK, F, p.question(),
            prompt.length, Arrays.copyOf(ids, n)), "prefix of " + n);
      }
    }
    assertEquals(RationalePositions.COUPLED_LINES, RationalePositions.of("coupled-lines"));
  }
}
