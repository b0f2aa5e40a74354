package io.genrm4j.cli;

import io.genrm4j.model.Lora;
import io.genrm4j.util.UserException;
import java.util.List;
import picocli.CommandLine.Option;

/** The LoRA flags that {@code genrm train} and {@code genrm train verifier} share. */
final class LoraOptions {
  @Option(names = "--lora-rank", defaultValue = "0", description = "train LoRA adapters of this rank instead of every "
      + "weight; the output then holds a PEFT adapter on --model; 0 = full fine-tuning (default: ${DEFAULT-VALUE})")
  int rank;

  @Option(names = "--lora-alpha", description = "LoRA alpha (the update is scaled by alpha / rank); default 2 x rank")
  Double alpha;

  @Option(names = "--lora-dropout", description = "probability of zeroing each input feature of the adapters while "
      + "training (PEFT's lora_dropout; the base weights' path, inference and --merge are unaffected; the masks "
      + "follow --seed and the step); default 0") Double dropout;

  @Option(names = "--lora-targets", split = ",", description = "modules that get adapters; default all linear layers: "
      + "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj") List<String> targets;

  /** The configuration of the flags; null for full fine-tuning (rank 0). */
  Lora lora() {
    if (rank == 0) {
      if (alpha != null || dropout != null || targets != null) {
        throw new UserException("--lora-alpha, --lora-dropout and --lora-targets need --lora-rank");
      }
      return null;
    }
    if (rank < 0) {
      throw new UserException("--lora-rank must be >= 0, got " + rank);
    }
    try {
      return new Lora(rank, alpha == null ? 2.0 * rank : alpha, dropout == null ? 0 : dropout,
          targets == null ? Lora.ALL_LINEAR : targets);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
  }
}
