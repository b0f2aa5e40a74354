package io.genrm4j.task;

import io.genrm4j.util.UserException;
import java.util.Locale;

/**
 * How an oracle rationale ({@link Oracle}) writes the comparison of its re-solved answer with the candidate's.
 *
 * <ul>
 *   <li>{@link #WHOLE}: the candidate's answer restated, then the judgement: {@code The answer is hlaa; the
 *       solution's answer is hlea: wrong.}
 *   <li>{@link #MARKED}: the same, then {@link #MARKS_FROM} and a running mark per character, {@link #SAME} while
 *       every character so far equals the re-solved answer's at the same place, {@link #DIFFERENT} from the first
 *       that does not (one mark per character of the longer answer): {@code ...; the solution's answer is hlea /
 *       1100: wrong.} Under coupled positions mark j sits one after character j of both answers
 *       ({@code verify.RationalePositions}), so it reads two characters and the mark before it at distance one, and
 *       the judgement reads the last mark, whatever the length. Why (issue #21, step 5): given the oracle's own
 *       rationale, last-letter's verifiers judged two six-letter answers with AUROC 0.69-0.76, and their sampled
 *       rationales agreed with their own two strings at chance (docs/results/2026-12-05-verifier-start.md).
 * </ul>
 *
 * <p>The oracle writes {@link #WHOLE}; {@link #apply} rewrites a body into the other form, so the verifier data on
 * disk is the same for both.
 */
public enum AnswerComparison {
  WHOLE,
  MARKED;

  /** The running mark while every character so far matches, and from the first that does not. */
  public static final char SAME = '1';
  public static final char DIFFERENT = '0';
  /** What separates the restated answer from its marks. */
  public static final String MARKS_FROM = " / ";

  /**
   * An oracle rationale body ({@link Oracle#rationaleBody}) with its comparison written this way; a body without a
   * restated answer ({@code the solution has no answer}) is unchanged.
   */
  public String apply(String body) {
    if (this == WHOLE) {
      return body;
    }
    int x = body.indexOf(Prompts.ANSWER_PREFIX);
    int marker = x < 0 ? -1 : body.indexOf(Prompts.RESTATED_ANSWER, x);
    int end = marker < 0 ? -1 : body.indexOf(':', marker);
    if (end < 0) {
      return body;
    }
    String solved = body.substring(x + Prompts.ANSWER_PREFIX.length(), marker);
    String restated = body.substring(marker + Prompts.RESTATED_ANSWER.length(), end);
    return body.substring(0, end) + MARKS_FROM + marks(solved, restated) + body.substring(end);
  }

  /** The running marks of {@code restated} against {@code solved}: one per character of the longer. */
  static String marks(String solved, String restated) {
    StringBuilder b = new StringBuilder();
    boolean same = true;
    for (int j = 0; j < Math.max(solved.length(), restated.length()); j++) {
      same = same && j < solved.length() && j < restated.length() && solved.charAt(j) == restated.charAt(j);
      b.append(same ? SAME : DIFFERENT);
    }
    return b.toString();
  }

  /**
   * Where a rationale's running marks are: {@code {first mark, one past the last mark written so far}} as offsets in
   * {@code text}, the restated answer starting at {@code restated} (just after {@link Prompts#RESTATED_ANSWER}); null
   * when {@link #MARKS_FROM} does not follow it before the judgement's {@code :} (a whole comparison, or not yet).
   * The one reading of the marked form, for training weights, positions and the probe.
   */
  public static int[] marksIn(String text, int restated) {
    int colon = text.indexOf(':', restated);
    int slash = text.indexOf(MARKS_FROM, restated);
    if (slash < 0 || colon >= 0 && colon < slash) {
      return null;
    }
    int from = slash + MARKS_FROM.length();
    int end = from;
    while (end < text.length() && (text.charAt(end) == SAME || text.charAt(end) == DIFFERENT)) {
      end++;
    }
    return new int[] {from, end};
  }

  /** What comes right after the restated answer: the judgement's {@code ": "} or {@link #MARKS_FROM}. */
  public String afterRestatement() {
    return this == WHOLE ? ": " : MARKS_FROM;
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
