package io.genrm4j.task;

/**
 * Writes a verification rationale for any candidate of a problem: the problem solved again, written as a correct
 * solution, then the final answers compared ({@code The answer is hlaa; the solution's answer is hlea: wrong.}); it
 * ends with a blank line and {@link Prompts#verdictLine(boolean)}. The verdict always equals the task's grader on the
 * same candidate.
 */
public interface Oracle {
  String rationale(Problem problem, String candidate);

  /** The rationale without its verdict line (what CoT training data holds; the trainer appends the verdict). */
  default String rationaleBody(Problem problem, String candidate, boolean correct) {
    String r = rationale(problem, candidate);
    String tail = Prompts.VERDICT_SEPARATOR + Prompts.verdictLine(correct);
    if (!r.endsWith(tail)) {
      throw new IllegalStateException("oracle rationale does not end with the grader's verdict: " + r);
    }
    return r.substring(0, r.length() - tail.length());
  }
}
