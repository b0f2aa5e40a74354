package io.genrm4j.train;

import java.util.List;

/**
 * A token sequence with the positions whose token is a training target (loss only there), a weight (e.g. the lambda
 * of unified generation + verification training) and, optionally, the rotary position of every token and a per-token
 * emphasis.
 *
 * @param ids the tokens, BOS first when the tokenizer has one
 * @param target target[i] = ids[i] is predicted from ids[..i-1] in the loss; target[0] is always false
 * @param weight multiplies this example's token losses
 * @param positions rotary position of each token, or null for 0, 1, 2, ... (the usual case); see
 *     {@link io.genrm4j.verify.RationalePositions} for why a verifier may re-use positions
 * @param emphasis per token, multiplies the weight of a target token (null: 1 everywhere); a CoT rationale's
 *     verdict is one token among a hundred ({@link io.genrm4j.verify.VerifierData#cot})
 */
public record TokenExample(int[] ids, boolean[] target, float weight, int[] positions, float[] emphasis) {
  public TokenExample {
    if (ids.length != target.length) {
      throw new IllegalArgumentException("ids and target mask differ in length");
    }
    if (positions != null && positions.length != ids.length) {
      throw new IllegalArgumentException("ids and positions differ in length");
    }
    if (emphasis != null && emphasis.length != ids.length) {
      throw new IllegalArgumentException("ids and emphasis differ in length");
    }
  }

  public TokenExample(int[] ids, boolean[] target, float weight) {
    this(ids, target, weight, null, null);
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

  /** This example with another weight. */
  public TokenExample withWeight(float w) {
    return new TokenExample(ids, target, w, positions, emphasis);
  }

  /** The weight of target token {@code i} in a token-mean loss: weight x its emphasis. */
  public float tokenWeight(int i) {
    return emphasis == null ? weight : weight * emphasis[i];
  }

  /** This example's share of a token-mean loss: the sum of its target tokens' weights. */
  public double totalWeight() {
    double w = 0;
    for (int i = 0; i < target.length; i++) {
      w += target[i] ? tokenWeight(i) : 0;
    }
    return w;
  }

  /**
   * {@code others} reweighted so that each carries the total weight of an average example of {@code host}. The
   * SFT loss is a token mean, so without this a mixed-in 100-token solution outweighs a one-token Yes/No label a
   * hundredfold (measured: replaying the base's corpus into GenRM direct training at 30% of the examples put ~95%
   * of the loss on replayed solutions).
   */
  public static List<TokenExample> weighedLike(List<TokenExample> host,
      List<TokenExample> others) {
    double mean = host.stream().mapToDouble(TokenExample::totalWeight).average().orElse(1);
    return others.stream().map(e -> e.withWeight((float) (mean / Math.max(1, e.targetCount())))).toList();
  }

  /** This example with explicit rotary positions. */
  public TokenExample withPositions(int[] p) {
    return new TokenExample(ids, target, weight, p, emphasis);
  }

  /** This example with a per-token emphasis (see the record's parameters). */
  public TokenExample withEmphasis(float[] e) {
    return new TokenExample(ids, target, weight, positions, e);
  }

  public int targetCount() {
    int n = 0;
    for (boolean b : target) {
      n += b ? 1 : 0;
    }
    return n;
  }
}
