package io.genrm4j.verify;

import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Prompts;
import io.genrm4j.util.UserException;
import java.util.Arrays;

/**
 * The token ids of " Yes" and " No" as they are tokenised right after a verification prompt (in context, not
 * alone: SentencePiece and BPE tokenise a leading space differently at a boundary). A label may be several tokens
 * (character-level models); its probability is then the product over its tokens.
 */
public record DecisionLabels(int[] yes, int[] no) {

  public int[] of(boolean correct) {
    return correct ? yes : no;
  }

  /** Resolves the labels after {@code prompt}; fails loudly when a label does not extend the prompt's tokens. */
  public static DecisionLabels resolve(Tokenizer tok, String prompt) {
    int[] base = tok.encode(prompt);
    return new DecisionLabels(suffix(tok, prompt, base, Prompts.YES), suffix(tok, prompt, base, Prompts.NO));
  }

  private static int[] suffix(Tokenizer tok, String prompt, int[] base, String label) {
    int[] full = tok.encode(prompt + label);
    if (full.length <= base.length || !Arrays.equals(Arrays.copyOf(full, base.length), base)) {
      throw new UserException("the tokenizer merges the label '" + label + "' with the end of the verification"
          + " prompt, so p(label) cannot be read at a fixed position; the prompt ends with '"
          + prompt.substring(Math.max(0, prompt.length() - 20)) + "'");
    }
    return Arrays.copyOfRange(full, base.length, full.length);
  }
}
