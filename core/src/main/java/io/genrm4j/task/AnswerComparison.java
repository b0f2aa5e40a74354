package io.genrm4j.task;

import io.genrm4j.util.UserException;
import java.util.List;
import java.util.Locale;

/**
 * How an oracle rationale compares its re-solved answer with the candidate's, after {@link Prompts#RESTATED_ANSWER}.
 *
 * <ul>
 *   <li>{@link #WHOLE}: the candidate's answer as written, then the judgement: {@code The answer is apple fig pear;
 *       the solution's answer is apple pear fig: wrong.}
 *   <li>{@link #MARKED}: after each word of the candidate's answer a running mark, {@link #SAME} while every word so
 *       far equals the re-solved answer's word at the same place, {@link #DIFFERENT} from the first that does not:
 *       {@code ...; the solution's answer is apple 1 pear 0 fig 0: wrong.} The judgement is then the last mark and
 *       whether the re-solved answer has more words, both a step away. Why (issue #21, step 5): with the whole answer
 *       the judgement has to read every character of both answers, across a span that grows with the list; verifiers
 *       trained on 2-4 words judged a third of identical 5-word answers wrong
 *       (docs/results/2026-12-05-word-sorting-comparison.md). Each mark reads one word and the mark before it.
 * </ul>
 */
public enum AnswerComparison {
  WHOLE,
  MARKED;

  /** The running mark after a word while every word so far matches, and from the first that does not. */
  public static final char SAME = '1';
  public static final char DIFFERENT = '0';

  /** What follows {@link Prompts#RESTATED_ANSWER}, up to the judgement's {@code :}. */
  public String restate(String reference, String answer) {
    if (this == WHOLE) {
      return answer;
    }
    List<String> want = words(reference);
    List<String> got = words(answer);
    StringBuilder b = new StringBuilder();
    boolean same = true;
    for (int k = 0; k < got.size(); k++) {
      same = same && k < want.size() && got.get(k).equals(want.get(k));
      b.append(k == 0 ? "" : " ").append(got.get(k)).append(' ').append(same ? SAME : DIFFERENT);
    }
    return b.toString();
  }

  private static List<String> words(String s) {
    String t = s.strip();
    return t.isEmpty() ? List.of() : List.of(t.split("\\s+"));
  }

  /** The name used on the command line and in files: {@code whole} or {@code marked}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static AnswerComparison of(String id) {
    for (AnswerComparison c : values()) {
      if (c.id().equals(id)) {
        return c;
      }
    }
    throw new UserException("unknown answer comparison '" + id + "' (whole or marked)");
  }
}
