package io.genrm4j.springai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.infer.SamplingParams;
import io.genrm4j.testing.TinyModels;
import io.genrm4j.verify.GenRmCot;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierScore;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.ai.document.Document;
import org.springframework.ai.evaluation.EvaluationRequest;
import org.springframework.ai.evaluation.EvaluationResponse;

/** Spring AI evaluation requests judged by a GenRM trained here (direct) and by GenRM-CoT on the same model. */
class VerifierEvaluatorTest {
  static final TinyModels models = TinyModels.shared();

  /** Twenty held-out answers, alternately ending in a consonant and in a vowel. */
  static List<EvaluationRequest> requests() {
    Random rng = new Random(17);
    return IntStream.range(0, 20)
        .mapToObj(i -> new EvaluationRequest(TinyModels.QUESTION, TinyModels.word(rng, i % 2 == 1))).toList();
  }

  @Test
  void scoreIsTheVerifiersPYesAndPassFollowsTheTrainedRule() {
    Verifier v = models.verifier();
    List<EvaluationRequest> reqs = requests();
    List<EvaluationResponse> out = new VerifierEvaluator(v).evaluateAll(reqs);
    int agree = 0;
    for (int i = 0; i < reqs.size(); i++) {
      VerifierScore s = v.score(TinyModels.QUESTION, List.of(reqs.get(i).getResponseContent())).get(0);
      EvaluationResponse r = out.get(i);
      // the batch scores twenty answers in one padded forward: equal to scoring each alone up to float rounding
      assertEquals((float) s.score(), r.getScore(), 1e-5f);
      assertEquals(r.getScore() >= 0.5f, r.isPass());
      assertEquals(s.pYes(), (Double) r.getMetadata().get("p_yes"), 1e-5);
      assertEquals("genrm", r.getMetadata().get("kind"));
      assertEquals("", r.getFeedback(), "a direct verifier writes no rationale");
      agree += r.isPass() == TinyModels.endsInVowel(reqs.get(i).getResponseContent()) ? 1 : 0;
    }
    System.out.println("probe | Spring AI evaluator: pass agrees with the trained rule on " + agree + " of 20");
    assertTrue(agree >= 16, "pass agrees with the trained rule on " + agree + " of 20");
    // the Evaluator entry point gives what the batch gives; a higher threshold passes fewer
    assertEquals(out.get(3).getScore(), new VerifierEvaluator(v).evaluate(reqs.get(3)).getScore(), 1e-5f);
    long strict = new VerifierEvaluator(v, 0.9).evaluateAll(reqs).stream().filter(EvaluationResponse::isPass).count();
    assertTrue(strict < out.stream().filter(EvaluationResponse::isPass).count(), "threshold 0.9 passes " + strict);
  }

  @Test
  void cotFeedbackIsTheRationalesWithTheirVotes() {
    Verifier cot = new GenRmCot(models.verifierModel, TinyModels.TOK, TinyModels.F, 3, SamplingParams.sample(6, 1.0, 0));
    EvaluationRequest req = new EvaluationRequest(TinyModels.QUESTION, "banana");
    EvaluationResponse r = new VerifierEvaluator(cot).evaluate(req);
    VerifierScore s = cot.score(TinyModels.QUESTION, List.of("banana")).get(0); // seeded: the same rationales
    assertEquals((float) s.score(), r.getScore(), 0f);
    assertEquals("genrm-cot", r.getMetadata().get("kind"));
    assertEquals(3, ((List<?>) r.getMetadata().get("votes")).size());
    assertEquals(List.of(s.rationales()), r.getMetadata().get("rationales"));
    for (int i = 0; i < 3; i++) {
      assertTrue(r.getFeedback().contains("Rationale " + (i + 1) + " of 3 (p(Yes) ")
          && r.getFeedback().contains(s.rationales()[i].strip()), r.getFeedback());
    }
  }

  @Test
  void aRequestWithoutAQuestionIsAOneLineError() {
    VerifierEvaluator e = new VerifierEvaluator(models.verifier());
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
        () -> e.evaluate(new EvaluationRequest(List.of(new Document("context")), "banana")));
    assertEquals("evaluate: the request has no user text; it is the question the response is verified against",
        x.getMessage());
  }
}
