package io.genrm4j.task;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.Jsonl;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A verifier's score for one candidate: the one record that every score output writes (the experiment's
 * {@code scores/*.jsonl}, {@code genrm verify}, the server's {@code /v1/verify} and {@code /v1/rerank}), in the
 * JSONL schema of docs/schemas.md. A number that does not apply or is not finite is NaN here and {@code null} in
 * JSON; the optional fields (null here) are left out.
 *
 * @param problemId the problem; null in HTTP responses, which index the request's solutions instead
 * @param candidateId the candidate; null in HTTP responses
 * @param score what Best-of-N ranks by (see {@code method})
 * @param pYes p(" Yes") at the decision position, raw (GenRM-CoT: the mean over rationales); NaN for orm, dpo
 * @param pNo p(" No"), likewise
 * @param votes the renormalised p(Yes) of each sampled rationale (genrm-cot, llm-judge; score is their mean); empty
 *     for the other kinds
 * @param tokens tokens processed to produce the score (0 where not counted: a remote backend)
 * @param mass optional: p_yes + p_no, how much of the next-token mass the labels hold (low = off-format)
 * @param method optional: the verifier kind's canonical id
 * @param correct optional: the candidate's grade, when known
 * @param rationales optional: the text of each sampled rationale, in the order of {@code votes}, when asked for
 */
public record Score(String problemId, String candidateId, double score, double pYes, double pNo, List<Double> votes,
    long tokens, Double mass, String method, Boolean correct, List<String> rationales) {

  /** The record without the optional fields. */
  public static Score of(String problemId, String candidateId, double score, double pYes, double pNo,
      List<Double> votes, long tokens) {
    return new Score(problemId, candidateId, score, pYes, pNo, votes, tokens, null, null, null, null);
  }

  /** With {@code mass} = p_yes + p_no. */
  public Score withMass() {
    return new Score(problemId, candidateId, score, pYes, pNo, votes, tokens, pYes + pNo, method, correct, rationales);
  }

  /** With the verifier's name and the candidate's grade (either may be null: left out). */
  public Score withMethod(String method, Boolean correct) {
    return new Score(problemId, candidateId, score, pYes, pNo, votes, tokens, mass, method, correct, rationales);
  }

  /** With the sampled rationales' text (the kinds that sample none leave an empty list). */
  public Score withRationales(List<String> rationales) {
    return new Score(problemId, candidateId, score, pYes, pNo, votes, tokens, mass, method, correct,
        List.copyOf(rationales));
  }

  /** The JSON object, fields in schema order; what {@link Jsonl#write} writes for a Score. */
  @JsonValue
  public ObjectNode toJson() {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    if (problemId != null) {
      o.put("problem_id", problemId);
    }
    if (candidateId != null) {
      o.put("candidate_id", candidateId);
    }
    Jsonl.putNumber(o, "score", score);
    Jsonl.putNumber(o, "p_yes", pYes);
    Jsonl.putNumber(o, "p_no", pNo);
    ArrayNode v = o.putArray("votes");
    votes.forEach(d -> {
      if (Double.isFinite(d)) {
        v.add(d);
      } else {
        v.addNull();
      }
    });
    o.put("tokens", tokens);
    if (mass != null) {
      Jsonl.putNumber(o, "mass", mass);
    }
    if (method != null) {
      o.put("method", method);
    }
    if (correct != null) {
      o.put("correct", correct);
    }
    if (rationales != null) {
      ArrayNode r = o.putArray("rationales");
      rationales.forEach(r::add);
    }
    return o;
  }

  public static Score fromJson(JsonNode n) {
    JsonNode s = n.get("score");
    if (s == null || !(s.isNumber() || s.isNull())) {
      throw new IllegalArgumentException("field 'score' must be a number");
    }
    List<Double> votes = new ArrayList<>();
    JsonNode v = n.get("votes");
    if (v != null && !v.isNull()) {
      if (!v.isArray()) {
        throw new IllegalArgumentException("field 'votes' must be an array of numbers");
      }
      v.forEach(x -> votes.add(x.isNull() ? Double.NaN : x.doubleValue()));
    }
    JsonNode mass = n.get("mass");
    List<String> rationales = null;
    JsonNode r = n.get("rationales");
    if (r != null && !r.isNull()) {
      if (!r.isArray()) {
        throw new IllegalArgumentException("field 'rationales' must be an array of strings");
      }
      rationales = new ArrayList<>();
      for (JsonNode x : r) {
        if (!x.isTextual()) {
          throw new IllegalArgumentException("field 'rationales' must be an array of strings");
        }
        rationales.add(x.textValue());
      }
    }
    return new Score(
        n.hasNonNull("problem_id") ? Jsonl.text(n, "problem_id") : null,
        n.hasNonNull("candidate_id") ? Jsonl.text(n, "candidate_id") : null,
        number(n, "score"),
        number(n, "p_yes"),
        number(n, "p_no"),
        votes,
        n.path("tokens").asLong(0),
        mass == null ? null : number(n, "mass"),
        n.hasNonNull("method") ? Jsonl.text(n, "method") : null,
        n.hasNonNull("correct") ? n.get("correct").booleanValue() : null,
        rationales);
  }

  /** A number field; absent or null is NaN. */
  private static double number(JsonNode n, String f) {
    JsonNode v = n.get(f);
    if (v == null || v.isNull()) {
      return Double.NaN;
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
