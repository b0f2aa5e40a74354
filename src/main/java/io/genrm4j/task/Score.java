package io.genrm4j.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.genrm4j.util.Jsonl;
import java.nio.file.Path;
import java.util.List;

/**
 * A verifier's score for one candidate (JSONL schema in docs/schemas.md). {@code score} is what Best-of-N ranks by;
 * {@code p_yes}/{@code p_no} are the raw probabilities of the label tokens at the decision position (for CoT the
 * means over rationales), {@code votes} the number of sampled rationales (null for direct scoring),
 * {@code method} names the verifier.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Score(
    @JsonProperty("problem_id") String problemId,
    @JsonProperty("candidate_id") String candidateId,
    @JsonProperty("score") double score,
    @JsonProperty("p_yes") Double pYes,
    @JsonProperty("p_no") Double pNo,
    @JsonProperty("votes") Integer votes,
    @JsonProperty("method") String method) {

  public static Score fromJson(JsonNode n) {
    JsonNode s = n.get("score");
    if (s == null || !s.isNumber()) {
      throw new IllegalArgumentException("field 'score' must be a number");
    }
    return new Score(
        Jsonl.text(n, "problem_id"),
        Jsonl.text(n, "candidate_id"),
        s.doubleValue(),
        number(n, "p_yes"),
        number(n, "p_no"),
        n.hasNonNull("votes") ? Integer.valueOf(n.get("votes").intValue()) : null,
        n.hasNonNull("method") ? Jsonl.text(n, "method") : null);
  }

  private static Double number(JsonNode n, String f) {
    JsonNode v = n.get(f);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber()) {
      throw new IllegalArgumentException("field '" + f + "' must be a number");
    }
    return v.doubleValue();
  }

  public static List<Score> read(Path file) {
    return Jsonl.read(file, Score::fromJson);
  }
}
