package io.genrm4j.task;

/**
 * Writes a verification rationale for any candidate of a problem: each step of the candidate is checked against the
 * truth ({@code Step 2: Paul -> l -> hl is correct.}, {@code Step 3: Elisha -> e is wrong: the last letter of Elisha is
 * a.}), the final answer is checked as the last step, and the rationale ends with a blank line and
 * {@link Prompts#verdictLine(boolean)}. The verdict always equals the task's grader on the same candidate.
 */
public interface Oracle {
  String rationale(Problem problem, String candidate);
}
