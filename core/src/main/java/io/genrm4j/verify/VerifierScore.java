package io.genrm4j.verify;

import io.genrm4j.task.Score;
import java.util.Arrays;

/**
 * A verifier's judgement of one candidate.
 *
 * @param score the ranking score (p(Yes) renormalised for GenRM, sigmoid for ORM, the DPO reward for DPO)
 * @param pYes p(" Yes" | prompt), raw (not renormalised); NaN where not applicable (ORM, DPO)
 * @param pNo p(" No" | prompt), raw; NaN where not applicable
 * @param votes GenRM-CoT / judge: the renormalised p(Yes) of each sampled rationale (score is their mean); else empty
 * @param rationales the sampled rationales, when kept; else empty
 * @param tokens tokens processed to produce this score (prompt + generated), for compute accounting
 */
public record VerifierScore(double score, double pYes, double pNo, double[] votes, String[] rationales,
    long tokens) {

  /** p(Yes) + p(No): how much of the next-token mass the two labels hold (low = the model is off-format). */
  public double mass() {
    return pYes + pNo;
  }

  /** The on-disk record of this score, without the optional fields (the rationales: {@link Score#withRationales}). */
  public Score toScore(String problemId, String candidateId) {
    return Score.of(problemId, candidateId, score, pYes, pNo, Arrays.stream(votes).boxed().toList(), tokens);
  }

  public static VerifierScore scalar(double score, long tokens) {
    return new VerifierScore(score, Double.NaN, Double.NaN, new double[0], new String[0], tokens);
  }
}
