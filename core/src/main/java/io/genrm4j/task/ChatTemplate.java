package io.genrm4j.task;

import io.genrm4j.util.UserException;
import java.util.Locale;

/**
 * The chat formats a verification prompt can be wrapped in, for instruction-tuned models: the paper's prompt text
 * (question and solution) is the user's turn, and the assistant's turn starts with the verification request, so the
 * label still follows {@link Prompts#DECISION} as {@code " Yes"}/{@code " No"} and is read exactly as without a
 * template. The beginning-of-sequence token is not part of the wrap (the tokenizer adds it).
 */
public enum ChatTemplate {
  /** No wrapping: the paper's plain text. */
  NONE("", "", null),
  /** Qwen2/2.5, and Qwen3 without its empty think block. */
  CHATML("<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n", "<|im_start|>"),
  /** Llama 3.x instruct. */
  LLAMA3("<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
      "<|start_header_id|>"),
  /** Gemma and Gemma2 instruct. */
  GEMMA("<start_of_turn>user\n", "<end_of_turn>\n<start_of_turn>model\n", "<start_of_turn>");

  private final String userStart;
  private final String assistantStart;
  private final String marker; // what a Jinja chat_template of this format contains

  ChatTemplate(String userStart, String assistantStart, String marker) {
    this.userStart = userStart;
    this.assistantStart = assistantStart;
    this.marker = marker;
  }

  /** {@code user} as the user's turn, up to where the assistant's reply begins. */
  public String wrap(String user) {
    return this == NONE ? user : userStart + user + assistantStart;
  }

  /** The template a Hugging Face {@code chat_template} (Jinja text) writes, by its turn markers; NONE when none. */
  public static ChatTemplate detect(String jinja) {
    if (jinja == null || jinja.isBlank()) {
      return NONE;
    }
    for (ChatTemplate t : values()) {
      if (t.marker != null && jinja.contains(t.marker)) {
        return t;
      }
    }
    return NONE;
  }

  /**
   * The template a command uses: {@code auto} detects it from the model's Jinja {@code chat_template}
   * ({@code jinja}, null when the model has none), any other value names one ({@link #parse}).
   */
  public static ChatTemplate choose(String flag, String jinja) {
    return "auto".equalsIgnoreCase(flag) ? detect(jinja) : parse(flag);
  }

  /** {@code none}, {@code chatml}, {@code llama3} or {@code gemma} (any case); another name is a one-line error. */
  public static ChatTemplate parse(String s) {
    for (ChatTemplate t : values()) {
      if (t.name().equalsIgnoreCase(s)) {
        return t;
      }
    }
    throw new UserException("unknown chat template '" + s + "' (auto, none, chatml, llama3, gemma)");
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
