package io.genrm4j.verify;

import ai.djl.ndarray.NDManager;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.task.Prompts;
import io.genrm4j.util.UserException;
import java.nio.file.Path;
import java.util.List;

/** Opens a verifier of a given mode over checkpoint directories; the returned verifier owns and closes them. */
public final class Verifiers {
  private Verifiers() {}

  public static final List<String> MODES = List.of("orm", "direct", "cot", "dpo", "judge");

  /**
   * @param reference DPO's reference model directory (required for mode dpo, ignored otherwise)
   * @param votes rationales per candidate for cot / judge
   */
  public static Verifier open(Path modelDir, String mode, int votes, Prompts.Format format, SamplingParams sampling,
      double dpoBeta, Path reference) {
    return open(modelDir, mode, votes, format, sampling, dpoBeta, reference, RationalePositions.of(modelDir));
  }

  /** As above, with the cot rationale placement given instead of read from the checkpoint. */
  public static Verifier open(Path modelDir, String mode, int votes, Prompts.Format format, SamplingParams sampling,
      double dpoBeta, Path reference, RationalePositions positions) {
    if (!MODES.contains(mode)) {
      throw new UserException("unknown mode '" + mode + "' (one of " + String.join(", ", MODES) + ")");
    }
    NDManager root = NDManager.newBaseManager();
    try {
      Checkpoint.Loaded main = Checkpoint.load(modelDir, root);
      LlamaModel m = main.model();
      Verifier inner;
      switch (mode) {
        case "orm" -> {
          if (m.config().numLabels() != 1) {
            throw new UserException(modelDir + ": mode orm needs a checkpoint with a score head (score.weight)");
          }
          inner = new OrmVerifier(m, main.tokenizer(), format);
        }
        case "direct" -> inner = new GenRmDirect(m, main.tokenizer(), format);
        case "cot" -> inner = new GenRmCot(m, main.tokenizer(), format, votes, sampling, positions);
        case "judge" -> inner = GenRmCot.judge(m, main.tokenizer(), format, votes, sampling);
        default -> {
          if (reference == null) {
            throw new UserException("mode dpo needs --reference DIR (the model DPO started from)");
          }
          inner = new DpoVerifier(m, Checkpoint.load(reference, root).model(), main.tokenizer(), format, dpoBeta);
        }
      }
      return new Owning(inner, root);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private record Owning(Verifier inner, NDManager root) implements Verifier {
    @Override
    public String mode() {
      return inner.mode();
    }

    @Override
    public List<VerifierScore> score(String question, List<String> solutions) {
      return inner.score(question, solutions);
    }

    @Override
    public List<List<VerifierScore>> scoreAll(List<String> questions, List<List<String>> solutions) {
      return inner.scoreAll(questions, solutions);
    }

    @Override
    public void close() {
      root.close();
    }
  }
}
