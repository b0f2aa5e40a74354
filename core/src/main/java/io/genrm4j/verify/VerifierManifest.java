package io.genrm4j.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Task;
import io.genrm4j.task.Tasks;
import io.genrm4j.util.AtomicFiles;
import io.genrm4j.util.Jsonl;
import io.genrm4j.util.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a trained GenRM-CoT checkpoint's rationales are scored, recorded next to its weights in {@link #FILE} so that
 * {@code genrm verify} and {@code genrm serve} score it as the experiment did: where the rationales sit in position
 * space, how they compare the answers, and whether the scorer writes the candidate's answer they restate (the
 * {@code restatedBy} task extracting it) or the model samples it.
 *
 * @param restatedBy the task whose answer extraction the scorer forces into the rationale; null: sampled
 */
public record VerifierManifest(RationalePositions positions, AnswerComparison comparison, Task restatedBy) {
  public static final String FILE = "genrm_verifier.json";
  /** A checkpoint without the file: any model not trained here (the paper's layout). */
  public static final VerifierManifest NONE = new VerifierManifest(RationalePositions.SEQUENTIAL,
      AnswerComparison.WHOLE, null);

  /** Who writes the restated answer. */
  public Restatement restatement() {
    return restatedBy == null ? Restatement.SAMPLED : Restatement.forced(restatedBy, comparison);
  }

  public void save(Path checkpoint) {
    ObjectNode o = Jsonl.MAPPER.createObjectNode();
    o.put("rationale_positions", positions.id());
    if (comparison != AnswerComparison.WHOLE) {
      o.put("comparison", comparison.id());
    }
    if (restatedBy != null) {
      o.put("restatement", Restatement.FORCED_ID);
      o.put("task", restatedBy.name());
    }
    try {
      AtomicFiles.writeString(checkpoint.resolve(FILE), Jsonl.MAPPER.writerWithDefaultPrettyPrinter()
          .writeValueAsString(o) + "\n");
    } catch (IOException e) {
      throw new UserException(checkpoint.resolve(FILE) + ": cannot write: " + e.getMessage());
    }
  }

  /** What {@code checkpoint} records; {@link #NONE} when it has no {@link #FILE}. */
  public static VerifierManifest of(Path checkpoint) {
    Path f = checkpoint.resolve(FILE);
    if (!Files.exists(f)) {
      return NONE;
    }
    try {
      JsonNode n = Jsonl.MAPPER.readTree(f.toFile());
      boolean forced = Restatement.FORCED_ID.equals(Restatement.check(
          n.path("restatement").asText(Restatement.SAMPLED_ID)));
      return new VerifierManifest(RationalePositions.of(n.path("rationale_positions").asText("sequential")),
          AnswerComparison.of(n.path("comparison").asText("whole")),
          forced ? Tasks.byName(n.path("task").asText("")) : null);
    } catch (IOException e) {
      throw new UserException(f + ": cannot read: " + e.getMessage());
    } catch (UserException e) {
      throw new UserException(f + ": " + e.getMessage());
    }
  }
}
