package io.genrm4j.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import java.nio.file.Path;
import java.util.List;

/**
 * One problem (JSONL schema in docs/schemas.md): {@code id}, {@code task}, {@code question}, {@code answer} (the
 * normalised final answer), {@code split}, and optionally {@code reference_solution} in the task's solution format.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(
    @JsonProperty("id") String id,
    @JsonProperty("task") String task,
    @JsonProperty("question") String question,
    @JsonProperty("answer") String answer,
    @JsonProperty("split") String split,
    @JsonProperty("reference_solution") String referenceSolution) {

  /** Parses one JSONL record; a missing required field is an {@link IllegalArgumentException}. */
  public static Problem fromJson(JsonNode n) {
    return new Problem(
        Jsonl.text(n, "id"),
        Jsonl.text(n, "task"),
        Jsonl.text(n, "question"),
        Jsonl.text(n, "answer"),
        Jsonl.text(n, "split"),
        n.hasNonNull("reference_solution") ? Jsonl.text(n, "reference_solution") : null);
  }

  /** Reads a problems file; a bad line stops the read with {@code file:line: reason}. */
  public static List<Problem> read(Path file) {
    return Jsonl.read(file, Problem::fromJson);
  }
}
