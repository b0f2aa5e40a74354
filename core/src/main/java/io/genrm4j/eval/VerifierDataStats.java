package io.genrm4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.util.Jsonl;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts of the verifiers' training data ({@link RunDir#verifierDataStats}): written by the verifier-data stage,
 * copied into the report.
 *
 * @param examples training examples written
 * @param distinctCorrect distinct correct solutions the examples were drawn from (fills included)
 * @param distinctIncorrect distinct incorrect solutions the examples were drawn from (fills included)
 * @param filledCorrectWithReference problems whose correct example is the reference solution
 * @param filledIncorrectWithPerturbation problems whose incorrect example is a perturbed reference
 * @param droppedOutOfRange distinct sampled candidates dropped for step lines or answer length outside the training
 *     problems' range (leak-free data, issue #21)
 * @param droppedSingleLabelGroup distinct sampled candidates dropped because their (lines x answer length) group had
 *     one label only
 * @param singleLabelGroups those groups, e.g. {@code "1 x 1"}
 * @param syntheticPairs extra training-half problems that each gave their reference and a perturbed reference
 *     (profile {@code syntheticPairs})
 * @param answerless problems that gave one more No example, a sampled candidate without an answer (leak-free data)
 */
public record VerifierDataStats(int examples, int distinctCorrect, int distinctIncorrect,
    int filledCorrectWithReference, int filledIncorrectWithPerturbation, int droppedOutOfRange,
    int droppedSingleLabelGroup, List<String> singleLabelGroups, int syntheticPairs, int answerless) {

  public ObjectNode toJson() {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("examples", examples);
    o.put("distinct_correct", distinctCorrect);
    o.put("distinct_incorrect", distinctIncorrect);
    o.put("filled_correct_with_reference", filledCorrectWithReference);
    o.put("filled_incorrect_with_perturbation", filledIncorrectWithPerturbation);
    o.put("dropped_out_of_range", droppedOutOfRange);
    o.put("dropped_single_label_group", droppedSingleLabelGroup);
    singleLabelGroups.forEach(o.putArray("single_label_groups")::add);
    o.put("synthetic_pairs", syntheticPairs);
    o.put("answerless", answerless);
    return o;
  }

  /** Reads {@link #toJson}; older files have no dropped counts, synthetic pairs or answerless ones (read as 0). */
  public static VerifierDataStats of(JsonNode n) {
    List<String> groups = new ArrayList<>();
    if (n.has("single_label_groups")) {
      n.get("single_label_groups").forEach(g -> groups.add(g.asText()));
    }
    return new VerifierDataStats(n.get("examples").asInt(), n.get("distinct_correct").asInt(),
        n.get("distinct_incorrect").asInt(), n.get("filled_correct_with_reference").asInt(),
        n.get("filled_incorrect_with_perturbation").asInt(), n.path("dropped_out_of_range").asInt(0),
        n.path("dropped_single_label_group").asInt(0), groups, n.path("synthetic_pairs").asInt(0),
        n.path("answerless").asInt(0));
  }
}
