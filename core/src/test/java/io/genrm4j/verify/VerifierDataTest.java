package io.genrm4j.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Tasks;
import io.genrm4j.train.TokenExample;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerifierDataTest {
  static final CharTokenizer TOK = CharTokenizer.of(Tasks.LAST_LETTER.alphabet());

  static final VerifierData.Labeled WRONG = new VerifierData.Labeled("Last letters: Noah Paul", "Noah -> h -> h\n"
      + "Paul -> x -> hx\nThe answer is hx.", false, "Noah -> h -> h\nPaul -> l -> hl\nThe answer is hl"
      + Prompts.RESTATED_ANSWER + "hx: " + Prompts.JUDGED_WRONG);

  /**
   * Unified GenRM: each correct candidate's solution carries lambda times the loss weight of one Yes/No example (the
   * paper's L_verify + lambda * L_sft), whatever its length; a wrong candidate adds no solution.
   */
  @Test
  void aUnifiedSolutionWeighsLambdaVerificationExamples() {
    VerifierData.Labeled right = new VerifierData.Labeled("Last letters: Noah Paul", "Noah -> h -> h\n"
        + "Paul -> l -> hl\nThe answer is hl.", true, null);
    List<TokenExample> mix = VerifierData.unified(VerifierData.direct(TOK, Prompts.Format.COMPACT,
        List.of(right, WRONG)), VerifierData.solutionSft(TOK, Prompts.Format.COMPACT, List.of(right), 1f), 0.5);
    assertEquals(3, mix.size());
    double label = (mix.get(0).totalWeight() + mix.get(1).totalWeight()) / 2; // " Yes" / " No", a token a letter here
    assertTrue(mix.get(2).targetCount() > 30, "the solution's tokens are all targets");
    assertEquals(0.5 * label, mix.get(2).totalWeight(), 1e-5);
  }

  /** A verdict weight lands on the rationale's judgement word and the label, nowhere else; 1 adds no emphasis. */
  @Test
  void theVerdictWeightFallsOnTheJudgementAndTheLabel() {
    VerifierData.Labeled l = WRONG;
    for (RationalePositions rp : RationalePositions.values()) {
      TokenExample e = VerifierData.cot(TOK, Prompts.Format.COMPACT, List.of(l), rp, 7f).get(0);
      StringBuilder heavy = new StringBuilder();
      for (int i = 0; i < e.ids().length; i++) {
        if (e.emphasis()[i] == 7f) {
          heavy.append(TOK.tokenText(e.ids()[i]));
        } else {
          assertEquals(1f, e.emphasis()[i]);
        }
      }
      assertEquals(Prompts.JUDGED_WRONG + Prompts.NO, heavy.toString(), rp.id());
      assertNull(VerifierData.cot(TOK, Prompts.Format.COMPACT, List.of(l), rp, 1f).get(0).emphasis());
    }
  }

  /**
   * With running marks the rationale is written marked ({@code hl; the solution's answer is hx / 10: wrong.}) and
   * the marks weigh as the judgement and the label.
   */
  @Test
  void runningMarksAreWrittenAndWeighAsTheJudgement() {
    TokenExample e = VerifierData.cot(TOK, Prompts.Format.COMPACT, List.of(WRONG), RationalePositions.COUPLED, 7f,
        AnswerComparison.MARKED).get(0);
    StringBuilder text = new StringBuilder();
    StringBuilder heavy = new StringBuilder();
    for (int i = 0; i < e.ids().length; i++) {
      text.append(TOK.tokenText(e.ids()[i]));
      if (e.emphasis()[i] == 7f) {
        heavy.append(TOK.tokenText(e.ids()[i]));
      }
    }
    assertTrue(text.toString().contains(Prompts.RESTATED_ANSWER + "hx / 10: " + Prompts.JUDGED_WRONG), text.toString());
    assertEquals("10" + Prompts.JUDGED_WRONG + Prompts.NO, heavy.toString());
  }
}
