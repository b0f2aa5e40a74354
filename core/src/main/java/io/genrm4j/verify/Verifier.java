package io.genrm4j.verify;

import java.util.List;

/**
 * Scores candidate solutions of one question; higher is better. The Java API a JVM application calls; the CLI and
 * the HTTP server sit on top of it. Implementations: discriminative RM, GenRM (direct), GenRM-CoT, DPO, LLM judge.
 */
public interface Verifier extends AutoCloseable {
  /** What this verifier computes (a genrm-unified checkpoint scores as {@link VerifierKind#GENRM}). */
  VerifierKind kind();

  /** One score per solution, in order. */
  List<VerifierScore> score(String question, List<String> solutions);

  /**
   * Throws {@link ContextLengthException} naming the first solution whose verification would need more positions
   * than the model has; tokenises only, builds no tensor. {@link #score} and {@link #scoreAll} check this before any
   * work; call it to validate a whole input before a run starts. A remote verifier checks nothing here (its server
   * answers 400).
   */
  default void requireFits(String question, List<String> solutions) {}

  /** Scores of many questions at once (implementations batch across them). */
  default List<List<VerifierScore>> scoreAll(List<String> questions, List<List<String>> solutions) {
    java.util.ArrayList<List<VerifierScore>> out = new java.util.ArrayList<>();
    for (int i = 0; i < questions.size(); i++) {
      out.add(score(questions.get(i), solutions.get(i)));
    }
    return out;
  }

  /** Splits scores of all candidates, flattened question by question, back into one list per question. */
  static List<List<VerifierScore>> regroup(List<VerifierScore> flat, List<List<String>> solutions) {
    List<List<VerifierScore>> out = new java.util.ArrayList<>();
    int i = 0;
    for (List<String> sols : solutions) {
      out.add(new java.util.ArrayList<>(flat.subList(i, i + sols.size())));
      i += sols.size();
    }
    return out;
  }

  @Override
  default void close() {}
}
