package io.genrm4j.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Tasks;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OracleVerdictProbeTest {
  static final CharTokenizer TOK = RationalePositionsTest.TOK;
  static final Prompts.Format F = RationalePositionsTest.F;

  /**
   * With sequential positions the probe's margin is log p("correct.") - log p("wrong.") after the oracle's rationale
   * cut before its judgement, as the engine's teacher-forced scoring computes it (18 candidates: more than one batch,
   * right and wrong ones, one without an answer).
   */
  @Test
  void theMarginIsTheLogRatioOfTheTwoJudgementsAfterTheOraclesRationale() {
    Problem p = RationalePositionsTest.PROBLEM;
    List<GenRmCot.Candidate> items = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    java.util.Random rng = new java.util.Random(3);
    for (int i = 0; i < 18; i++) {
      String s = i == 0 ? "no answer here" : i % 2 == 0 ? p.referenceSolution()
          : Tasks.LAST_LETTER.perturb(p.referenceSolution(), rng);
      boolean right = Tasks.LAST_LETTER.grade(p.answer(), s).correct();
      items.add(new GenRmCot.Candidate(p.question(), s));
      bodies.add(Tasks.LAST_LETTER.rationaleBody(p, s, right));
    }
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 5, root)) {
      double[] margins = OracleVerdictProbe.margins(m, TOK, F, RationalePositions.SEQUENTIAL, items, bodies);
      for (int i = 0; i < items.size(); i++) {
        int[] context = Tokenizer.concat(TOK.encodeWithBos(F.verifyCot(p.question(), items.get(i).solution())),
            TOK.encode(OracleVerdictProbe.withoutJudgement(bodies.get(i))));
        double[][] lp = Scoring.continuationLogProbs(m, 0, List.of(context),
            List.of(TOK.encode(Prompts.JUDGED_CORRECT), TOK.encode(Prompts.JUDGED_WRONG)));
        assertEquals(lp[0][0] - lp[0][1], margins[i], 1e-4, "candidate " + i);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> OracleVerdictProbe.withoutJudgement("no judgement"));
  }

  /**
   * With running marks the probe stops before the oracle's marks and reads the accepting path (every mark 1, then
   * {@code correct.}): the margin is its log-odds, as teacher-forced scoring gives it at the coupled positions.
   */
  @Test
  void withMarksTheMarginIsTheLogOddsOfTheAcceptingPath() {
    Problem p = RationalePositionsTest.PROBLEM;
    String wrong = "Noah -> h -> h\nPaul -> x -> hx\nInes -> s -> hxs\nThe answer is hxs.";
    List<GenRmCot.Candidate> items = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    for (String s : List.of(p.referenceSolution(), wrong)) {
      items.add(new GenRmCot.Candidate(p.question(), s));
      bodies.add(AnswerComparison.MARKED.apply(Tasks.LAST_LETTER.rationaleBody(p, s,
          Tasks.LAST_LETTER.grade(p.answer(), s).correct())));
    }
    OracleVerdictProbe.Judged j = OracleVerdictProbe.judged(bodies.get(1));
    assertTrue(j.context().endsWith("hxs" + AnswerComparison.MARKS_FROM), j.context());
    assertEquals("111: " + Prompts.JUDGED_CORRECT, j.accept());
    RationalePositions rp = RationalePositions.COUPLED;
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 5, root)) {
      double[] margins = OracleVerdictProbe.margins(m, TOK, F, rp, items, bodies);
      for (int i = 0; i < items.size(); i++) {
        int[] prompt = TOK.encodeWithBos(F.verifyCot(p.question(), items.get(i).solution()));
        int[] accept = TOK.encode("111: " + Prompts.JUDGED_CORRECT);
        int[] ids = Tokenizer.concat(Tokenizer.concat(prompt, TOK.encode(OracleVerdictProbe.judged(bodies.get(i))
            .context())), accept);
        float[][] lp = io.genrm4j.model.LogProbs.perToken(m, List.of(ids),
            List.of(rp.positions(TOK, F, p.question(), prompt.length, ids)), Math.max(0, TOK.padId()), root);
        double sum = 0;
        for (int k = ids.length - 1 - accept.length; k < ids.length - 1; k++) {
          sum += lp[0][k];
        }
        assertEquals(sum - Math.log(-Math.expm1(sum)), margins[i], 1e-4, "candidate " + i);
      }
    }
  }
}
