package io.genrm4j.springai;

import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierScore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.springframework.ai.evaluation.EvaluationRequest;
import org.springframework.ai.evaluation.EvaluationResponse;
import org.springframework.ai.evaluation.Evaluator;

/**
 * A Spring AI {@link Evaluator} backed by a genrm4j {@link Verifier}: the request's user text is the verifier's
 * question and its response content the solution. The score is the verifier's ({@link VerifierScore#score()}: p(Yes)
 * for GenRM, the mean p(Yes) over K rationales for GenRM-CoT), pass is score >= the threshold (0.5 unless given), and
 * the feedback is the CoT rationales, each headed by its vote ("" for a verifier that writes none). The metadata holds
 * the kind, the raw p(Yes) and p(No), and for CoT the votes and rationales. The request's documents are not read: a
 * GenRM verifier judges an answer to its question and has no retrieved context in its prompt. The verifier is called
 * on the caller's thread and stays the caller's to close.
 */
public final class VerifierEvaluator implements Evaluator {
  private final Verifier verifier;
  private final double passThreshold;

  public VerifierEvaluator(Verifier verifier) {
    this(verifier, 0.5);
  }

  public VerifierEvaluator(Verifier verifier, double passThreshold) {
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    if (!Double.isFinite(passThreshold)) {
      throw new IllegalArgumentException("passThreshold must be a finite number, got " + passThreshold);
    }
    this.passThreshold = passThreshold;
  }

  @Override
  public EvaluationResponse evaluate(EvaluationRequest request) {
    return evaluateAll(List.of(request)).get(0);
  }

  /** Every request in one verifier call, so a batching verifier scores them together; the answers in order. */
  public List<EvaluationResponse> evaluateAll(List<EvaluationRequest> requests) {
    List<String> questions = new ArrayList<>();
    List<List<String>> answers = new ArrayList<>();
    for (EvaluationRequest r : requests) {
      if (r.getUserText() == null || r.getUserText().isBlank()) {
        throw new IllegalArgumentException("evaluate: the request has no user text; it is the question the response"
            + " is verified against");
      }
      if (r.getResponseContent() == null) {
        throw new IllegalArgumentException("evaluate: the request has no response content to verify");
      }
      questions.add(r.getUserText());
      answers.add(List.of(r.getResponseContent()));
    }
    List<EvaluationResponse> out = new ArrayList<>();
    for (List<VerifierScore> scores : verifier.scoreAll(questions, answers)) {
      VerifierScore s = scores.get(0);
      Map<String, Object> metadata = new LinkedHashMap<>();
      metadata.put("kind", verifier.kind().id());
      metadata.put("p_yes", s.pYes());
      metadata.put("p_no", s.pNo());
      if (s.votes().length > 0) {
        metadata.put("votes", Arrays.stream(s.votes()).boxed().toList());
        metadata.put("rationales", List.of(s.rationales()));
      }
      out.add(new EvaluationResponse(s.score() >= passThreshold, (float) s.score(), feedback(s), metadata));
    }
    return out;
  }

  /** The CoT rationales, each headed by its vote, blank-line separated; "" when the verifier wrote none. */
  static String feedback(VerifierScore s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.rationales().length; i++) {
      if (i > 0) {
        b.append("\n\n");
      }
      b.append(String.format(Locale.ROOT, "Rationale %d of %d (p(Yes) %.3f):\n", i + 1, s.rationales().length,
          s.votes()[i])).append(s.rationales()[i].strip());
    }
    return b.toString();
  }
}
