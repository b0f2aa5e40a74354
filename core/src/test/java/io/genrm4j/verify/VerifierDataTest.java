package io.genrm4j.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Tasks;
import io.genrm4j.train.TokenExample;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerifierDataTest {
  static final CharTokenizer TOK = CharTokenizer.of(Tasks.LAST_LETTER.alphabet());

  /** A verdict weight lands on the rationale's judgement word and the label, nowhere else; 1 adds no emphasis. */
  @Test
  void theVerdictWeightFallsOnTheJudgementAndTheLabel() {
    VerifierData.Labeled l = new VerifierData.Labeled("Last letters: Noah Paul", "Noah -> h -> h\nPaul -> x -> hx\n"
        + "The answer is hx.", false, "Noah -> h -> h\nPaul -> l -> hl\nThe answer is hl" + Prompts.RESTATED_ANSWER
        + "hx: " + Prompts.JUDGED_WRONG);
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
}
