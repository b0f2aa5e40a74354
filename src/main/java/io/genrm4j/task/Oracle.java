package io.genrm4j.task;

/**
 * Writes a verification rationale for any candidate of a problem: the problem solved again, written as a correct
 * solution, then the final answers compared ({@code The answer is hlaa; the solution's answer is hlea: wrong.}); it
 * ends with a blank line and {@link Prompts#verdictLine(boolean)}. The verdict always equals the task's grader on the
 * same candidate.
 */
public interface Oracle {
  String rationale(Problem problem, String candidate);
}
