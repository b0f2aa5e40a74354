package io.genrm4j.infer;

import java.util.List;

/**
 * How to pick tokens. {@code temperature <= 0} is greedy. {@code topK <= 0} and {@code topP >= 1} disable those
 * filters. Stop strings end a row when its text contains one (the stop string is not part of the returned text).
 *
 * @param topLogprobs how many most likely alternatives to report per generated token (0 = none)
 */
public record SamplingParams(int maxTokens, double temperature, double topP, int topK, List<String> stop,
    long seed, boolean stopAtEos, int topLogprobs) {
  /** A {@link #maxTokens} that leaves the limit to the model's context. */
  public static final int UNTIL_CONTEXT = Integer.MAX_VALUE;

  /**
   * A command-line token limit: {@code flag} tokens, or {@link #UNTIL_CONTEXT} for 0. A fixed default cut word
   * sorting's rationales (a token per character) before their judgement: an experiment's GenRM-CoT scored AUROC 0.51
   * under {@code genrm verify}'s former 256 against 0.84 in the experiment, whose rationales are uncapped.
   */
  public static int limitOrContext(int flag) {
    return flag == 0 ? UNTIL_CONTEXT : flag; // a negative flag fails in the constructor's check
  }

  public SamplingParams {
    if (maxTokens < 0) {
      throw new IllegalArgumentException("max_tokens must be >= 0");
    }
    if (topP <= 0 || topP > 1) {
      throw new IllegalArgumentException("top_p must be in (0, 1]");
    }
    stop = stop == null ? List.of() : List.copyOf(stop);
  }

  public static SamplingParams greedy(int maxTokens) {
    return new SamplingParams(maxTokens, 0, 1, 0, List.of(), 0, true, 0);
  }

  public static SamplingParams sample(int maxTokens, double temperature, long seed) {
    return new SamplingParams(maxTokens, temperature, 1, 0, List.of(), seed, true, 0);
  }

  public SamplingParams withStop(List<String> s) {
    return new SamplingParams(maxTokens, temperature, topP, topK, s, seed, stopAtEos, topLogprobs);
  }

  public SamplingParams withTopP(double p) {
    return new SamplingParams(maxTokens, temperature, p, topK, stop, seed, stopAtEos, topLogprobs);
  }

  public SamplingParams withTopK(int k) {
    return new SamplingParams(maxTokens, temperature, topP, k, stop, seed, stopAtEos, topLogprobs);
  }

  public SamplingParams withTopLogprobs(int n) {
    return new SamplingParams(maxTokens, temperature, topP, topK, stop, seed, stopAtEos, n);
  }

  public SamplingParams withSeed(long s) {
    return new SamplingParams(maxTokens, temperature, topP, topK, stop, s, stopAtEos, topLogprobs);
  }
}
