package io.genrm4j.task;

/**
 * Writes a verification rationale for any candidate of a problem: the problem solved again one correct step per line,
 * each compared with the candidate's step on the same line ({@code Paul -> l -> hl (same)}, {@code Elisha -> a -> hla
 * (solution: e -> hle)}), then the final answers compared; it ends with a blank line and
 * {@link Prompts#verdictLine(boolean)}. The verdict always equals the task's grader on the same candidate.
 */
public interface Oracle {
  String rationale(Problem problem, String candidate);
}
