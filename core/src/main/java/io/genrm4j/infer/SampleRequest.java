package io.genrm4j.infer;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@link Generator#sample} samples: K continuations of each prefix, drawn from one encoding of the prefix.
 *
 * @param prefixes token ids of each prefix (BOS included when the tokenizer has one)
 * @param k continuations per prefix
 * @param params how to pick tokens; {@code params.maxTokens()} bounds every row
 * @param maxTokens per prefix, its own token limit (at most {@code params.maxTokens()}), so that a long prompt gets the
 *     room its context has left without shortening the other rows; null: {@code params.maxTokens()} for all
 * @param restart where each row's positions restart after its prefix; null: they do not
 * @param keepCache whether the result keeps the cache over every fed token (its caller then closes it)
 * @param positionRule where each sampled token is fed in position space; null: one after the token before
 * @param forcing tokens a row must take next instead of sampling them; null: none
 */
public record SampleRequest(List<int[]> prefixes, int k, SamplingParams params, int[] maxTokens, Restart restart,
    boolean keepCache, PositionRule positionRule, Forcing forcing) {

  public SampleRequest {
    if (maxTokens != null && maxTokens.length != prefixes.size()) {
      throw new IllegalArgumentException(maxTokens.length + " token limits for " + prefixes.size() + " prefixes");
    }
    if (restart != null && restart.at().length != prefixes.size()) {
      throw new IllegalArgumentException(restart.at().length + " restart positions for " + prefixes.size()
          + " prefixes");
    }
  }

  /** K continuations of each prefix, each row limited by {@code params.maxTokens()}, the cache not kept. */
  public static SampleRequest of(List<int[]> prefixes, int k, SamplingParams params) {
    return new SampleRequest(prefixes, k, params, null, null, false, null, null);
  }

  /** The same request with a token limit per prefix (see {@link #maxTokens}). */
  public SampleRequest withMaxTokens(int[] perPrefix) {
    return new SampleRequest(prefixes, k, params, perPrefix, restart, keepCache, positionRule, forcing);
  }

  /** The same request with each row's positions restarting after its prefix (null: they do not). */
  public SampleRequest withRestart(Restart r) {
    return new SampleRequest(prefixes, k, params, maxTokens, r, keepCache, positionRule, forcing);
  }

  /** The same request whose result keeps the final cache. */
  public SampleRequest keepingCache() {
    return new SampleRequest(prefixes, k, params, maxTokens, restart, true, positionRule, forcing);
  }

  /** The same request with its sampled tokens fed where {@code rule} puts them. */
  public SampleRequest withPositionRule(PositionRule rule) {
    return new SampleRequest(prefixes, k, params, maxTokens, restart, keepCache, rule, forcing);
  }

  /** The same request whose rows take the tokens {@code rule} forces. */
  public SampleRequest withForcing(Forcing rule) {
    return new SampleRequest(prefixes, k, params, maxTokens, restart, keepCache, positionRule, rule);
  }

  /**
   * Tokens a row takes instead of sampling, for text whose next part is known to the caller (e.g. a verifier's
   * restatement of the candidate's answer, {@code verify.Restatement#FORCED}). Forced tokens go through the same stop
   * checks and token limit as sampled ones; their recorded log-prob is 0 (they were not drawn).
   */
  @FunctionalInterface
  public interface Forcing {
    /**
     * @param prefix the index of the row's prefix
     * @param text the row's text so far
     * @return the tokens the row takes next, one a step; empty: it samples
     */
    int[] next(int prefix, String text);
  }

  /**
   * The rotary position of a sampled token, for positions that depend on the text (e.g. a verifier's rationale whose
   * restated answer sits on its own answer, {@code verify.RationalePositions#COUPLED}).
   */
  @FunctionalInterface
  public interface PositionRule {
    /**
     * @param prefix the index of the row's prefix
     * @param sampled every token the row sampled so far, the last one about to be fed
     */
    long position(int prefix, int[] sampled);
  }

  /** Prefix {@code c}'s token limit. */
  int maxTokens(int c) {
    return maxTokens == null ? params.maxTokens() : Math.min(params.maxTokens(), maxTokens[c]);
  }

  /** The position of prefix {@code c}'s first sampled token. */
  long firstSampledPosition(int c) {
    return restart == null ? prefixes.get(c).length : restart.at()[c] + restart.tails().get(c).length;
  }

  /**
   * Where a row's positions restart after its prefix: at {@code at[c]}, with {@code tails.get(c)} (possibly empty)
   * fed from there before sampling continues. For verifiers whose rationale re-uses earlier positions
   * ({@code verify.RationalePositions}).
   */
  public record Restart(long[] at, List<int[]> tails) {
    public static Restart at(long[] positions) {
      List<int[]> none = new ArrayList<>();
      for (int i = 0; i < positions.length; i++) {
        none.add(new int[0]);
      }
      return new Restart(positions, none);
    }
  }
}
