package io.genrm4j.train;

/**
 * A token sequence with the positions whose token is a training target (loss only there) and a weight (e.g. the
 * lambda of unified generation + verification training).
 *
 * @param ids the tokens, BOS first when the tokenizer has one
 * @param target target[i] = ids[i] is predicted from ids[..i-1] in the loss; target[0] is always false
 * @param weight multiplies this example's token losses
 */
public record TokenExample(int[] ids, boolean[] target, float weight) {
  public TokenExample {
    if (ids.length != target.length) {
      throw new IllegalArgumentException("ids and target mask differ in length");
    }
  }

  /** prompt + completion, loss on the completion only. */
  public static TokenExample completion(int[] prompt, int[] completion, float weight) {
    int[] ids = new int[prompt.length + completion.length];
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    System.arraycopy(completion, 0, ids, prompt.length, completion.length);
    boolean[] t = new boolean[ids.length];
    for (int i = Math.max(1, prompt.length); i < ids.length; i++) {
      t[i] = true;
    }
    return new TokenExample(ids, t, weight);
  }

  public int targetCount() {
    int n = 0;
    for (boolean b : target) {
      n += b ? 1 : 0;
    }
    return n;
  }
}
