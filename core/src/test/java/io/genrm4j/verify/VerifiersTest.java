package io.genrm4j.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.genrm4j.infer.SamplingParams;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.Checkpoint;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.Presets;
import io.genrm4j.model.tokenizer.CharTokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Oracle;
import io.genrm4j.task.Problem;
import io.genrm4j.task.Prompts;
import io.genrm4j.task.Split;
import io.genrm4j.task.Task;
import io.genrm4j.task.Tasks;
import io.genrm4j.train.TrainConfig;
import io.genrm4j.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Tiny verifiers trained here on last-letter data: correct solutions vs programmatic perturbations of them. */
class VerifiersTest {
  static final Task TASK = Tasks.LAST_LETTER;
  static final CharTokenizer TOK = CharTokenizer.of(TASK.alphabet());
  static final Prompts.Format F = Prompts.Format.COMPACT;
  static List<VerifierData.Labeled> train;
  static List<VerifierData.Labeled> heldOut;

  static List<VerifierData.Labeled> labeled(List<Problem> problems, long seed) {
    Random rng = new Random(seed);
    Oracle oracle = TASK.oracle().orElseThrow();
    List<VerifierData.Labeled> out = new ArrayList<>();
    for (Problem p : problems) {
      String good = TASK.solve(p);
      String bad = TASK.perturb(good, rng);
      for (String s : List.of(good, bad)) {
        boolean correct = TASK.grade(p, s).correct();
        String r = oracle.rationale(p, s);
        String body = r.substring(0, r.lastIndexOf(Prompts.VERDICT_SEPARATOR));
        out.add(new VerifierData.Labeled(p.question(), s, correct, body));
      }
    }
    return out;
  }

  @BeforeAll
  static void data() {
    train = labeled(TASK.problems(Split.TRAIN, 40, 1), 2);
    heldOut = labeled(TASK.problems(Split.TEST_ID, 8, 3), 4);
  }

  static TrainConfig cfg(int steps) {
    return TrainConfig.defaults(steps, 16, 3e-3, 5).withWarmupSteps(20);
  }

  @Test
  void ormTrainsItsScoreHeadAndASavedReloadedOrmGivesIdenticalScores(@TempDir Path tmp) {
    try (NDManager root = NDManager.newBaseManager()) {
      LlamaModel base = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 1, root);
      LlamaModel orm = base.withScoreHead(7);
      float[] headBefore = orm.parameters().get("score.weight").toFloatArray();
      // 16 examples seen every step: the head and body can fit them, so the BCE must fall well below ln 2.
      Trainer.Result r = VerifierTrainer.orm(orm, TOK, F, train.subList(0, 16), cfg(160), null);
      double first = r.losses().subList(0, 5).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      double last = r.losses().subList(155, 160).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      assertTrue(last < 0.5 && last < first, "BCE " + first + " -> " + last);
      float[] headAfter = orm.parameters().get("score.weight").toFloatArray();
      assertTrue(!java.util.Arrays.equals(headBefore, headAfter), "the score head is trained");
      OrmVerifier ormV = new OrmVerifier(orm, TOK, F);
      Checkpoint.save(orm, TOK, tmp.resolve("orm"));
      try (Checkpoint.Loaded l = Checkpoint.load(tmp.resolve("orm"), root)) {
        OrmVerifier again = new OrmVerifier(l.model(), TOK, F);
        List<String> sols = heldOut.subList(0, 6).stream().map(VerifierData.Labeled::solution).toList();
        String q = heldOut.get(0).question();
        double[] a = ormV.score(q, sols).stream().mapToDouble(VerifierScore::score).toArray();
        double[] b = again.score(q, sols).stream().mapToDouble(VerifierScore::score).toArray();
        assertArrayEquals(a, b, 0.0);
        assertTrue(java.util.Arrays.stream(a).distinct().count() > 1, "scores depend on the solution");
      }
      base.close();
      orm.close();
    }
  }

  @Test
  void dpoRaisesTheMarginOfCorrectOverIncorrectSolutions() {
    try (NDManager root = NDManager.newBaseManager()) {
      LlamaModel policy = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 2, root);
      LlamaModel reference = policy.copy();
      List<VerifierData.Labeled> pairs = train.subList(0, 32);
      VerifierTrainer.dpo(policy, TOK, F, pairs, 0.5, cfg(30), null);
      DpoVerifier v = new DpoVerifier(policy, reference, TOK, F, 0.5);
      double margin = 0;
      for (int i = 0; i < pairs.size(); i += 2) {
        List<VerifierScore> s = v.score(pairs.get(i).question(),
            List.of(pairs.get(i).solution(), pairs.get(i + 1).solution()));
        margin += (pairs.get(i).correct() ? 1 : -1) * (s.get(0).score() - s.get(1).score());
      }
      assertTrue(margin > 0, "on its training pairs DPO prefers the correct solution: summed margin " + margin);
      policy.close();
      reference.close();
    }
  }

  @Test
  void pYesIsReadRightAfterThePromptNotOneTokenOff() {
    // A model trained so that the token after "?" is a space and the one after that is 'Y' or 'N' by label.
    // Reading one position early would see the distribution over '?' (no label mass); one late, over 'e'/'o'.
    try (NDManager root = NDManager.newBaseManager()) {
      LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 3, root);
      List<VerifierData.Labeled> simple = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        boolean yes = i % 2 == 0;
        simple.add(new VerifierData.Labeled(yes ? "Yes" : "No", "x", yes, null));
      }
      VerifierTrainer.sft(m, TOK, VerifierData.direct(TOK, F, simple), TrainConfig.defaults(120, 8, 1e-2, 1)
          .withWarmupSteps(5).withWeightDecay(0), null);
      GenRmDirect v = new GenRmDirect(m, TOK, F);
      VerifierScore yes = v.score("Yes", List.of("x")).get(0);
      VerifierScore no = v.score("No", List.of("x")).get(0);
      assertTrue(yes.score() > 0.9 && no.score() < 0.1, yes + " / " + no);
      assertTrue(yes.mass() > 0.9 && no.mass() > 0.9);
      // The exact label continuation, by teacher forcing over the whole text, agrees with the pinned read.
      String prompt = F.verifyDirect("Yes", "x");
      int[] ctx = TOK.encodeWithBos(prompt);
      DecisionLabels labels = DecisionLabels.resolve(TOK, prompt);
      assertArrayEquals(TOK.encode(" Yes"), labels.yes());
      int[] full = io.genrm4j.model.tokenizer.Tokenizer.concat(ctx, labels.yes());
      float[] lp = Scoring.tokenLogProbs(m, 0, List.of(full))[0];
      double sum = 0;
      for (int j = lp.length - labels.yes().length; j < lp.length; j++) {
        sum += lp[j];
      }
      assertEquals(Math.exp(sum), yes.pYes(), 1e-4);
      m.close();
    }
  }

  @Test
  void genRmCotIsReproducibleAveragesItsVotesAndMatchesReencoding() {
    try (NDManager root = NDManager.newBaseManager()) {
      LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 5, root);
      VerifierTrainer.sft(m, TOK, VerifierData.cot(TOK, F, train.subList(0, 64)), cfg(30), null);
      SamplingParams p = new SamplingParams(60, 0.7, 1, 0, List.of(), 11, true, 0);
      GenRmCot cot = new GenRmCot(m, TOK, F, 6, p);
      List<String> sols = List.of(train.get(0).solution(), train.get(1).solution(), train.get(2).solution());
      String q = train.get(0).question();
      List<VerifierScore> a = cot.score(q, sols);
      List<VerifierScore> b = cot.score(q, sols);
      for (int i = 0; i < sols.size(); i++) {
        // bit for bit, whether or not the JIT compiled the kernels in between: with the JDK's vector exp (it differs
        // in the last bit compiled) the first call's p(Yes) was 1e-7 off in 1 of 3 runs beside other test classes;
        // with the kernels' own exp (VectorRows.exp) 4 of 4 matched
        assertArrayEquals(a.get(i).rationales(), b.get(i).rationales(), "same seed, same rationales");
        assertArrayEquals(a.get(i).votes(), b.get(i).votes(), 0.0, "same seed, same votes");
        assertEquals(6, a.get(i).votes().length);
        double mean = java.util.Arrays.stream(a.get(i).votes()).average().orElseThrow();
        assertEquals(mean, a.get(i).score(), 1e-12);
      }
      // Prefix-cached batch path vs each rationale re-encoded from scratch.
      List<List<GenRmCot.Vote>> votes = cot.votes(
          List.of(new GenRmCot.Candidate(q, sols.get(0)), new GenRmCot.Candidate(q, sols.get(1))), 0);
      DecisionLabels labels = DecisionLabels.resolve(TOK, F.afterRationale(q, sols.get(0), ""));
      int checked = 0;
      for (List<GenRmCot.Vote> vs : votes) {
        List<int[]> ctx = vs.stream().map(GenRmCot.Vote::decisionContext).toList();
        double[][] lp = Scoring.continuationLogProbs(m, 0, ctx, List.of(labels.yes(), labels.no()));
        for (int k = 0; k < vs.size(); k++) {
          assertEquals(Math.exp(lp[k][0]), vs.get(k).pYes(), 1e-4);
          assertEquals(Math.exp(lp[k][1]), vs.get(k).pNo(), 1e-4);
          checked++;
        }
      }
      assertEquals(12, checked);
      m.close();
    }
  }

  /**
   * With a forced restatement every rationale that reaches {@code ; the solution's answer is } goes on with exactly
   * the candidate's answer and what the comparison writes after it ({@code : } or {@code  / }; its first marker
   * only), whatever the verifier would have copied; for a candidate without an answer, the rationale goes on from
   * {@code ; the solution} as the oracle's does, {@code  has no answer: }.
   */
  @ParameterizedTest
  @EnumSource(AnswerComparison.class)
  void aForcedRestatementIsTheCandidatesAnswer(AnswerComparison comparison) {
    try (NDManager root = NDManager.newBaseManager()) {
      LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 5, root);
      // rationales that are the restatement alone, so that a few steps teach a tiny model to reach it
      List<VerifierData.Labeled> restating = new ArrayList<>();
      for (VerifierData.Labeled l : train.subList(0, 64)) {
        String body = Prompts.RESTATED_ANSWER + TASK.extractAnswer(l.solution()) + comparison.afterRestatement()
            + (l.correct() ? Prompts.JUDGED_CORRECT : Prompts.JUDGED_WRONG);
        restating.add(new VerifierData.Labeled(l.question(), l.solution(), l.correct(), body));
      }
      VerifierTrainer.sft(m, TOK, VerifierData.cot(TOK, F, restating), cfg(200), null);
      SamplingParams p = new SamplingParams(40, 0.7, 1, 0, List.of(), 11, true, 0);
      GenRmCot cot = new GenRmCot(m, TOK, F, 4, p, RationalePositions.SEQUENTIAL,
          Restatement.forced(TASK, comparison));
      List<GenRmCot.Candidate> items = new ArrayList<>();
      for (int i = 0; i < 12; i++) { // the last four with their answer line garbled: no answer
        String solution = train.get(i).solution();
        items.add(new GenRmCot.Candidate(train.get(i).question(),
            i < 8 ? solution : solution.replace(Prompts.ANSWER_PREFIX, "The aswer is ")));
      }
      int restated = 0;
      int answerless = 0;
      List<List<GenRmCot.Vote>> votes = cot.votes(items, 0);
      for (int c = 0; c < items.size(); c++) {
        String answer = TASK.extractAnswer(items.get(c).solution());
        for (GenRmCot.Vote v : votes.get(c)) {
          int at = v.rationale().indexOf(Prompts.RESTATED_ANSWER);
          if (answer == null) {
            assertEquals(-1, at, "candidate " + c + ": " + v.rationale());
            int parted = v.rationale().indexOf(Prompts.NO_ANSWER);
            answerless += parted >= 0 ? 1 : 0;
            assertEquals(v.rationale().indexOf("; the solution"), parted, "candidate " + c + ": " + v.rationale());
          } else if (at >= 0) {
            restated++;
            String after = v.rationale().substring(at + Prompts.RESTATED_ANSWER.length());
            assertTrue(after.startsWith(answer + comparison.afterRestatement()), "candidate " + c + ": " + v.rationale());
          }
        }
      }
      assertTrue(restated >= 8, restated + " of 32 rationales reached the restatement");
      assertTrue(answerless >= 4, answerless + " of 16 rationales of answerless candidates say so");
      m.close();
    }
  }

  @Test
  void aRationaleRestartedAtTheSolutionsPositionsIsScoredWithThePositionsItWasTrainedWith() {
    RationalePositions rp = RationalePositions.SOLUTION;
    try (NDManager root = NDManager.newBaseManager()) {
      LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 8, root);
      List<io.genrm4j.train.TokenExample> data = VerifierData.cot(TOK, F, train.subList(0, 64), rp);
      VerifierData.Labeled l = train.get(0);
      int[] pos = data.get(0).positions();
      int prompt = TOK.encodeWithBos(F.verifyCot(l.question(), l.solution())).length;
      int solve = TOK.encodeWithBos(F.solve(l.question())).length;
      // the prompt counts from 0, the rationale restarts where the solution started
      assertEquals(prompt - 1, pos[prompt - 1]);
      assertEquals(solve, pos[prompt]);
      assertEquals(pos[prompt] + 1, pos[prompt + 1], "the rationale counts up by one");
      VerifierTrainer.sft(m, TOK, data, cfg(30), null);
      SamplingParams p = new SamplingParams(60, 0.7, 1, 0, List.of(), 11, true, 0);
      GenRmCot cot = new GenRmCot(m, TOK, F, 4, p, rp, Restatement.SAMPLED);
      String q = train.get(0).question();
      List<GenRmCot.Candidate> items = List.of(new GenRmCot.Candidate(q, train.get(0).solution()),
          new GenRmCot.Candidate(q, train.get(1).solution()));
      List<List<GenRmCot.Vote>> votes = cot.votes(items, 0);
      DecisionLabels labels = DecisionLabels.resolve(TOK, F.afterRationale(q, items.get(0).solution(), ""));
      int checked = 0;
      for (int c = 0; c < votes.size(); c++) {
        int cotPrompt = TOK.encodeWithBos(F.verifyCot(q, items.get(c).solution())).length;
        for (GenRmCot.Vote v : votes.get(c)) {
          // The training layout, and re-encoded from scratch without a cache: the same p(Yes) and p(No).
          int[] ctx = v.decisionContext();
          int[] at = v.decisionPositions();
          assertArrayEquals(rp.positions(TOK, F, q, cotPrompt, ctx), at);
          for (int[] label : List.of(labels.yes(), labels.no())) {
            int[] full = io.genrm4j.model.tokenizer.Tokenizer.concat(ctx, label);
            int[] fullPos = java.util.Arrays.copyOf(at, full.length);
            for (int i = ctx.length; i < full.length; i++) {
              fullPos[i] = fullPos[i - 1] + 1;
            }
            double lp = labelLogProb(m, full, fullPos, label.length);
            assertEquals(Math.exp(lp), label == labels.yes() ? v.pYes() : v.pNo(), 1e-4);
          }
          checked++;
        }
      }
      assertEquals(8, checked);
      // The positions are used: the same votes read with sequential positions give other probabilities.
      GenRmCot.Vote v = votes.get(0).get(0);
      int[] seq = io.genrm4j.model.tokenizer.Tokenizer.concat(v.decisionContext(), labels.yes());
      int[] seqPos = new int[seq.length];
      for (int i = 0; i < seq.length; i++) {
        seqPos[i] = i;
      }
      double sequential = labelLogProb(m, seq, seqPos, labels.yes().length);
      assertTrue(Math.abs(sequential - Math.log(v.pYes())) > 1e-4, sequential + " vs " + Math.log(v.pYes()));
      m.close();
    }
  }

  /** log p of the last {@code n} tokens of {@code ids} given the rest, one uncached forward pass. */
  private static double labelLogProb(LlamaModel m, int[] ids, int[] positions, int n) {
    try (NDManager mgr = m.manager().newSubManager()) {
      io.genrm4j.model.TokenBatch tb = io.genrm4j.model.TokenBatch.rightPadded(List.of(ids), java.util.Collections
          .singletonList(positions), 0, mgr);
      float[] lp = io.genrm4j.model.LogProbs.ofTargets(m, tb).toFloatArray();
      double sum = 0;
      for (int j = lp.length - n; j < lp.length; j++) {
        sum += lp[j];
      }
      return sum;
    }
  }

  @Test
  void genRmCotFitsRationalesInTheContextWithoutShorteningTheNeighbours() {
    try (NDManager root = NDManager.newBaseManager()) {
      // Untrained: its rationales run to the token budget, so any shortening shows in the votes.
      LlamaModel m = LlamaModel.init(Presets.get("test", TOK.vocabSize()), 6, root);
      int ctx = m.config().maxPositionEmbeddings();
      GenRmCot cot = new GenRmCot(m, TOK, F, 2, new SamplingParams(200, 1.0, 1, 0, List.of(), 3, false, 0));
      String q = train.get(0).question();
      String shortOne = train.get(0).solution();
      String longOne = "Noah -> h -> h\n".repeat(54); // 810 characters: room for ~70 rationale tokens, not 200
      List<VerifierScore> both = cot.score(q, List.of(shortOne, longOne));
      List<VerifierScore> alone = cot.score(q, List.of(shortOne));
      // Batched with a long neighbour (left padding) vs alone: the same rationales, so the same votes.
      assertArrayEquals(alone.get(0).votes(), both.get(0).votes(), 1e-5, "the long neighbour changed nothing");
      List<List<GenRmCot.Vote>> votes = cot.votes(
          List.of(new GenRmCot.Candidate(q, shortOne), new GenRmCot.Candidate(q, longOne)), 0);
      int forced = TOK.encode(Prompts.VERDICT_SEPARATOR + Prompts.DECISION).length;
      int shortPrompt = TOK.encodeWithBos(F.verifyCot(q, shortOne)).length;
      int longPrompt = TOK.encodeWithBos(F.verifyCot(q, longOne)).length;
      for (int k = 0; k < 2; k++) {
        assertEquals(shortPrompt + 200 + forced, votes.get(0).get(k).decisionContext().length, "full rationale");
        int longCtx = votes.get(1).get(k).decisionContext().length;
        assertTrue(longCtx > longPrompt + 20 + forced, "a shortened rationale, not none: " + longCtx);
        assertTrue(longCtx + 4 <= ctx, "decision context " + longCtx);
        assertEquals(both.get(1).votes()[k], GenRmDirect.renormalised(votes.get(1).get(k).pYes(),
            votes.get(1).get(k).pNo()), 1e-9);
      }
      m.close();
    }
  }
}
