package io.genrm4j.serve.client;

import java.util.Map;

/**
 * p(Yes) read from a served model's next-token log-probs.
 *
 * @param pYes raw probability of the Yes label(s) (summed over the visible variants in the fallback)
 * @param pNo raw probability of the No label(s)
 * @param score pYes / (pYes + pNo)
 * @param method {@code exact} (both label ids' probabilities returned: SGLang's /v1/score or vLLM's logprob_token_ids)
 *     or {@code topk-fallback} (top-k alternatives renormalised over the Yes/No variants found among them)
 * @param missing null when both labels were seen; else "yes" or "no": that label was outside the top-k and counted
 *     as 0, so the score is an upper (missing No) or lower (missing Yes) bound
 * @param seen the label strings found and their log-probs
 */
public record PYes(double pYes, double pNo, double score, String method, String missing, Map<String, Double> seen) {
  public static final String EXACT = "exact";
  public static final String TOPK_FALLBACK = "topk-fallback";

  public double mass() {
    return pYes + pNo;
  }
}
