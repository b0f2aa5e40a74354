package io.genrm4j.task;

import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * A task: where problems come from, the solution format a generator writes, how a final answer is read from a
 * candidate, and the grader. Algorithmic tasks also have an {@link Oracle} that writes step-by-step verification
 * rationales. Implementations are stateless and thread-safe.
 */
public interface Task {
  /** The task's name on the command line and in files: {@code last-letter}, {@code word-sorting}, {@code gsm8k}. */
  String name();

  /**
   * Problems of a split. Generated tasks draw {@code count} distinct problems reproducibly from {@code seed};
   * loaded tasks return the split's problems (all of them when {@code count <= 0} or larger than the split,
   * otherwise a seeded sample of {@code count}, in file order).
   */
  List<Problem> problems(Split split, int count, long seed);

  /** A correct solution to {@code p} in the task's solution format, ending {@code The answer is X.} */
  String solve(Problem p);

  /** The final answer a candidate gives, normalised for comparison; null when it gives none. */
  String extractAnswer(String candidate);

  /** Whether an extracted (or reference-format) answer equals the reference answer. */
  boolean answersMatch(String reference, String extracted);

  /** Grades a candidate against a reference answer (a {@link Problem#answer()}). */
  default Grade grade(String reference, String candidate) {
    String a = extractAnswer(candidate);
    return new Grade(a, a != null && answersMatch(reference, a));
  }

  default Grade grade(Problem p, String candidate) {
    return grade(p.answer(), candidate);
  }

  /**
   * The reference answer of a problem known only by its question text, for tasks whose answer is a function of the
   * question (the algorithmic ones); empty otherwise.
   */
  default Optional<String> answerOf(String question) {
    return Optional.empty();
  }

  /**
   * An incorrect variant of a correct {@code solution}: a wrong step carried through to a wrong final answer, or a
   * wrong final answer. The final answer always differs from the input's, so a correct input becomes incorrect.
   */
  String perturb(String solution, Random rng);

  /**
   * The characters of the task's compact prompts, solutions and oracle rationales, sorted and distinct, for building
   * a character tokenizer.
   */
  String alphabet();

  /** The step-by-step verifier of an algorithmic task; empty for GSM8K. */
  default Optional<Oracle> oracle() {
    return Optional.empty();
  }
}
