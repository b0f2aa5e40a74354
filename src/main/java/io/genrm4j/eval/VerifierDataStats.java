package io.genrm4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.Jsonl;

/**
 * Counts of the verifiers' training data ({@link RunDir#verifierDataStats}): written by the verifier-data stage,
 * copied into the report.
 */
public record VerifierDataStats(int examples, int distinctCorrect, int distinctIncorrect,
    int filledCorrectWithReference, int filledIncorrectWithPerturbation) {

  public ObjectNode toJson() {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("examples", examples);
    o.put("distinct_correct", distinctCorrect);
    o.put("distinct_incorrect", distinctIncorrect);
    o.put("filled_correct_with_reference", filledCorrectWithReference);
    o.put("filled_incorrect_with_perturbation", filledIncorrectWithPerturbation);
    return o;
  }

  public static VerifierDataStats of(JsonNode n) {
    return new VerifierDataStats(n.get("examples").asInt(), n.get("distinct_correct").asInt(),
        n.get("distinct_incorrect").asInt(), n.get("filled_correct_with_reference").asInt(),
        n.get("filled_incorrect_with_perturbation").asInt());
  }
}
