package io.genrm4j.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import java.nio.file.Path;
import java.util.List;

/**
 * One verifier SFT example (JSONL schema in docs/schemas.md): the model reads {@code prompt} and is trained on
 * {@code completion} ({@link Prompts#YES}/{@link Prompts#NO} for direct verification, a rationale ending in the
 * verdict line for CoT); {@code label} is true when the candidate is correct. {@code kind} is {@code direct} or
 * {@code cot}; ids are optional.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VerificationExample(
    @JsonProperty("prompt") String prompt,
    @JsonProperty("completion") String completion,
    @JsonProperty("label") boolean label,
    @JsonProperty("kind") String kind,
    @JsonProperty("problem_id") String problemId,
    @JsonProperty("candidate_id") String candidateId) {

  public static final String DIRECT = "direct";
  public static final String COT = "cot";

  public static VerificationExample fromJson(JsonNode n) {
    JsonNode l = n.get("label");
    if (l == null || !l.isBoolean()) {
      throw new IllegalArgumentException("field 'label' must be true or false");
    }
    return new VerificationExample(
        Jsonl.text(n, "prompt"),
        Jsonl.text(n, "completion"),
        l.booleanValue(),
        n.hasNonNull("kind") ? Jsonl.text(n, "kind") : null,
        n.hasNonNull("problem_id") ? Jsonl.text(n, "problem_id") : null,
        n.hasNonNull("candidate_id") ? Jsonl.text(n, "candidate_id") : null);
  }

  public static List<VerificationExample> read(Path file) {
    return Jsonl.read(file, VerificationExample::fromJson);
  }
}
