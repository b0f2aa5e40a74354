package io.genrm4j.model;

import java.util.List;

/**
 * A LoRA configuration as PEFT writes it: rank r, alpha (the update is scaled by alpha / r), dropout on the adapters'
 * input and the linear modules that get adapters, by their last name ({@code q_proj}, {@code v_proj}, ...).
 *
 * @param rank r
 * @param alpha lora_alpha
 * @param dropout lora_dropout: the probability that an input feature of the adapter path (x in B A x, not the base
 *     W x) is zeroed while training, the kept ones scaled by 1 / (1 - p); inference and merging ignore it
 * @param targetModules module names, e.g. {@code [q_proj, k_proj, v_proj, o_proj]}
 */
public record Lora(int rank, double alpha, double dropout, List<String> targetModules) {
  /** Every linear layer of a Llama-family block. */
  public static final List<String> ALL_LINEAR =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  public Lora {
    if (rank < 1) {
      throw new IllegalArgumentException("LoRA rank must be >= 1, got " + rank);
    }
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("LoRA alpha must be positive, got " + alpha);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
    }
    if (targetModules.isEmpty() || !ALL_LINEAR.containsAll(targetModules)) {
      throw new IllegalArgumentException("LoRA target modules must be among " + ALL_LINEAR + ", got " + targetModules);
    }
    targetModules = List.copyOf(targetModules);
  }

  public double scale() {
    return alpha / rank;
  }

  /** Whether the parameter {@code name} (e.g. {@code model.layers.0.self_attn.q_proj.weight}) gets an adapter. */
  boolean targets(String name) {
    String[] parts = name.split("\\.");
    return parts.length >= 2 && name.startsWith("model.layers.") && targetModules.contains(parts[parts.length - 2]);
  }
}
