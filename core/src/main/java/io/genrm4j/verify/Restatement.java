package io.genrm4j.verify;

import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Task;
import io.genrm4j.util.UserException;

/**
 * Who writes the candidate's answer that a GenRM-CoT rationale restates after {@link Prompts#RESTATED_ANSWER}
 * ({@code The answer is X; the solution's answer is Y: wrong.}, the algorithmic tasks' rationales).
 *
 * <p>{@link #SAMPLED}: the verifier, as every other rationale token. {@link #forced}: the scorer, which knows the
 * candidate's answer: the first time a rationale reaches the marker, it takes the answer and what follows it in the
 * comparison ({@link AnswerComparison#afterRestatement}) as forced tokens and samples on from there (the judgement,
 * or the marks and the judgement). Issue #21: tiny verifiers copy the candidate's answer exactly in a quarter to a
 * third of their rationales (5-word sorts, docs/results/2026-12-05-marked-comparison.md; 6-name last-letter 25-27%,
 * half of the others a copy of their own re-solved answer, docs/results/2026-12-05-verifier-start.md), and then
 * judge a garbled copy; training rationales always restate it exactly.
 *
 * @param task the task whose answer extraction gives the candidate's answer; null for {@link #SAMPLED}
 * @param comparison how the rationales compare the answers (what the forced answer is followed by)
 */
public record Restatement(Task task, AnswerComparison comparison) {
  public static final Restatement SAMPLED = new Restatement(null, AnswerComparison.WHOLE);
  /** The profile and command-line names of the two. */
  public static final String SAMPLED_ID = "sampled";
  public static final String FORCED_ID = "forced";

  /** The scorer writes the answer {@code task} extracts from the candidate. */
  public static Restatement forced(Task task, AnswerComparison comparison) {
    if (task == null) {
      throw new IllegalArgumentException("a forced restatement needs the task that extracts the candidates' answers");
    }
    return new Restatement(task, comparison);
  }

  /** From a profile or command-line name, {@code sampled} or {@code forced}. */
  public static Restatement of(String id, Task task, AnswerComparison comparison) {
    return switch (check(id)) {
      case FORCED_ID -> forced(task, comparison);
      default -> SAMPLED;
    };
  }

  /** {@code sampled} or {@code forced}. */
  public String id() {
    return isForced() ? FORCED_ID : SAMPLED_ID;
  }

  /** {@code id} when it names a restatement; else a one-line error. */
  public static String check(String id) {
    if (!SAMPLED_ID.equals(id) && !FORCED_ID.equals(id)) {
      throw new UserException("unknown restatement '" + id + "' (sampled or forced)");
    }
    return id;
  }

  public boolean isForced() {
    return task != null;
  }

  /**
   * The tokens a rationale {@code text} takes next for {@code solution}: when the text has just reached its first
   * restatement marker, the candidate's answer and what follows it; for a candidate without an answer, from where
   * the two markers part ({@link #PARTING}), the rest of {@link Prompts#NO_ANSWER}, as the oracle writes it; else
   * none. Without it, a verifier given a candidate whose answer line was garbled restated an answer of its own and
   * judged it: such candidates scored highest of all on 21 of 100 in-distribution problems (2026-12-07, seed 1).
   */
  public int[] next(Tokenizer tok, String solution, String text) {
    if (task == null) {
      return new int[0];
    }
    if (firstEndsWith(text, Prompts.RESTATED_ANSWER)) {
      String answer = task.extractAnswer(solution);
      return answer == null ? new int[0] : tok.encode(answer + comparison.afterRestatement());
    }
    if (firstEndsWith(text, PARTING) && task.extractAnswer(solution) == null) {
      return tok.encode(Prompts.NO_ANSWER.substring(PARTING.length()));
    }
    return new int[0];
  }

  /** What {@link Prompts#RESTATED_ANSWER} and {@link Prompts#NO_ANSWER} begin with: {@code ; the solution}. */
  static final String PARTING = commonPrefix(Prompts.RESTATED_ANSWER, Prompts.NO_ANSWER);

  private static String commonPrefix(String a, String b) {
    int n = 0;
    while (n < Math.min(a.length(), b.length()) && a.charAt(n) == b.charAt(n)) {
      n++;
    }
    return a.substring(0, n);
  }

  /** Whether {@code text} ends with the first occurrence of {@code marker}. */
  private static boolean firstEndsWith(String text, String marker) {
    return text.endsWith(marker) && text.indexOf(marker) == text.length() - marker.length();
  }
}
