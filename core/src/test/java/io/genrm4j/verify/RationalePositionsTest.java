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
import java.util.List;
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
   * A marked restatement ({@code apple 1 pear 0 fig 0}) is placed word by word: word k's letters on the re-solved
   * answer's word k (also when the words differ in length or number), every other character one on from the one
   * before; what follows it counts on from its last character; prefixes stay prefixes.
   */
  @Test
  void aMarkedRestatementSitsWordByWordAndTheJudgementCountsOn() {
    CharTokenizer tok = CharTokenizer.of(Tasks.WORD_SORTING.alphabet());
    List<String> items = List.of("pear", "apple", "fig");
    Problem p = new Problem("p", "word-sorting", Tasks.WORD_SORTING.question(items), Tasks.WORD_SORTING.answer(items),
        "train", Tasks.WORD_SORTING.solve(items));
    String reference = p.referenceSolution();
    for (String candidate : new String[] {reference, reference.replace("The answer is apple fig pear.",
        "The answer is apple pear fig."), "The answer is apples fig.", "The answer is apple fig pear fig."}) {
      String rationale = Tasks.WORD_SORTING.rationale(p, candidate, AnswerComparison.MARKED);
      int[] prompt = tok.encodeWithBos(F.verifyCot(p.question(), candidate));
      int[] ids = Tokenizer.concat(prompt, tok.encode(rationale));
      int[] coupled = RationalePositions.COUPLED.positions(tok, F, p.question(), prompt.length, ids);
      int[] solution = RationalePositions.SOLUTION.positions(tok, F, p.question(), prompt.length, ids);
      int x = prompt.length + rationale.indexOf(Prompts.ANSWER_PREFIX) + Prompts.ANSWER_PREFIX.length();
      int y = prompt.length + rationale.indexOf(Prompts.RESTATED_ANSWER) + Prompts.RESTATED_ANSWER.length();
      int yEnd = prompt.length + rationale.indexOf(':', y - prompt.length);
      String solved = "apple fig pear";
      String restated = rationale.substring(y - prompt.length, yEnd - prompt.length);
      String[] words = restated.split(" ");
      int at = y;
      for (int w = 0; w < words.length; w += 2) { // word, mark, word, mark, ...
        int wordStart = w / 2 < 3 ? solution[x] + new int[] {0, 6, 10}[w / 2] : coupled[at - 1] + 1;
        for (int c = 0; c < words[w].length(); c++) {
          assertEquals(wordStart + c, coupled[at + c], candidate + ": '" + restated + "' word " + w / 2);
        }
        at += words[w].length();
        assertEquals(coupled[at - 1] + 1, coupled[at], "the space after word " + w / 2);
        assertEquals(coupled[at] + 1, coupled[at + 1], "the mark after word " + w / 2);
        at += 2 + (w + 2 < words.length ? 1 : 0);
      }
      assertEquals(yEnd, at);
      for (int i = yEnd; i < ids.length; i++) {
        assertEquals(coupled[yEnd - 1] + (i - yEnd + 1), coupled[i], "counts on after the marks: token " + i);
      }
      for (int i = 0; i < y; i++) {
        assertEquals(solution[i], coupled[i]);
      }
      for (int n = prompt.length; n <= ids.length; n++) {
        assertArrayEquals(Arrays.copyOf(coupled, n), RationalePositions.COUPLED.positions(tok, F, p.question(),
            prompt.length, Arrays.copyOf(ids, n)), "prefix of " + n);
      }
      assertEquals(solved, rationale.substring(x - prompt.length, rationale.indexOf(Prompts.RESTATED_ANSWER)));
    }
  }
}
