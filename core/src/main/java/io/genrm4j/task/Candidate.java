package io.genrm4j.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import java.nio.file.Path;
import java.util.List;

/**
 * One candidate solution to a problem (JSONL schema in docs/schemas.md). {@code answer} is the problem's reference
 * answer, carried along so a file of candidates can be graded on its own; {@code extracted_answer} and
 * {@code correct} are null until graded.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Candidate(
    @JsonProperty("problem_id") String problemId,
    @JsonProperty("candidate_id") String candidateId,
    @JsonProperty("question") String question,
    @JsonProperty("text") String text,
    @JsonProperty("answer") String answer,
    @JsonProperty("extracted_answer") String extractedAnswer,
    @JsonProperty("correct") Boolean correct) {

  /** This candidate with a grade filled in. */
  public Candidate withGrade(Grade g) {
    return new Candidate(problemId, candidateId, question, text, answer, g.extractedAnswer(), g.correct());
  }

  public static Candidate fromJson(JsonNode n) {
    JsonNode c = n.get("correct");
    if (c != null && !c.isNull() && !c.isBoolean()) {
      throw new IllegalArgumentException("field 'correct' must be true, false or null");
    }
    return new Candidate(
        Jsonl.text(n, "problem_id"),
        Jsonl.text(n, "candidate_id"),
        Jsonl.string(n, "question"),
        Jsonl.string(n, "text"),
        n.hasNonNull("answer") ? Jsonl.text(n, "answer") : null,
        n.hasNonNull("extracted_answer") ? Jsonl.text(n, "extracted_answer") : null,
        c == null || c.isNull() ? null : c.booleanValue());
  }

  public static List<Candidate> read(Path file) {
    return Jsonl.read(file, Candidate::fromJson);
  }
}
