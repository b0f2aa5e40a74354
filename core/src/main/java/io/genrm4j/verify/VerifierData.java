package io.genrm4j.verify;

import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.AnswerComparison;
import io.genrm4j.task.Prompts;
import io.genrm4j.train.Losses;
import io.genrm4j.train.TokenExample;
import java.util.ArrayList;
import java.util.List;

/** Turns labelled candidates into the token-level training examples of each verifier (and of the generator). */
public final class VerifierData {
  private VerifierData() {}

  /** A labelled candidate; {@code rationale} is a CoT rationale body (no verdict line), null when not needed. */
  public record Labeled(String question, String solution, boolean correct, String rationale) {}

  /** Generator SFT: prompt {@code f.solve(q)}, completion solution + EOS, loss on the completion. */
  public static List<TokenExample> solutionSft(Tokenizer tok, Prompts.Format f, List<Labeled> correctOnes,
      float weight) {
    List<TokenExample> out = new ArrayList<>();
    for (Labeled l : correctOnes) {
      out.add(TokenExample.completion(tok.encodeWithBos(f.solve(l.question())), tok.encodeWithEos(l.solution()),
          weight));
    }
    return out;
  }

  /** GenRM direct: prompt {@code f.verifyDirect(q, s)}, completion " Yes"/" No", loss on the label tokens only. */
  public static List<TokenExample> direct(Tokenizer tok, Prompts.Format f, List<Labeled> data) {
    List<TokenExample> out = new ArrayList<>();
    for (Labeled l : data) {
      String prompt = f.verifyDirect(l.question(), l.solution());
      int[] label = DecisionLabels.resolve(tok, prompt).of(l.correct());
      out.add(TokenExample.completion(tok.encodeWithBos(prompt), label, 1f));
    }
    return out;
  }

  /**
   * Unified GenRM's mix: the {@link #direct} examples, then the {@link #solutionSft} examples of the correct
   * candidates, each solution weighing {@code lambda} direct examples (the paper's L_verify + lambda * L_sft). The SFT
   * loss is a token mean, so at weight lambda per token a solution of ~100 tokens outweighed a one-token Yes/No label
   * a hundredfold: until 2026-12-07 the labels were ~2% of the unified verifier's loss.
   */
  public static List<TokenExample> unified(List<TokenExample> direct, List<TokenExample> solutions, double lambda) {
    List<TokenExample> out = new ArrayList<>(direct);
    for (TokenExample e : TokenExample.weighedLike(direct, solutions)) {
      out.add(e.withWeight(e.weight() * (float) lambda));
    }
    return out;
  }

  /** GenRM-CoT: prompt {@code f.verifyCot(q, s)}, completion rationale + blank line + verdict line + EOS. */
  public static List<TokenExample> cot(Tokenizer tok, Prompts.Format f, List<Labeled> data) {
    return cot(tok, f, data, RationalePositions.SEQUENTIAL);
  }

  /** As {@link #cot(Tokenizer, Prompts.Format, List)}, with the rationale placed in position space by {@code rp}. */
  public static List<TokenExample> cot(Tokenizer tok, Prompts.Format f, List<Labeled> data, RationalePositions rp) {
    return cot(tok, f, data, rp, 1f);
  }

  /**
   * As above, each verdict token ({@link #verdictEmphasis}) weighing {@code verdictWeight} rationale tokens: the
   * verdict is one token of ~100, and a tiny verifier memorised it per training example instead of learning to
   * compare the answers (issue #21).
   */
  public static List<TokenExample> cot(Tokenizer tok, Prompts.Format f, List<Labeled> data, RationalePositions rp,
      float verdictWeight) {
    return cot(tok, f, data, rp, verdictWeight, AnswerComparison.WHOLE);
  }

  /** As above, each rationale's comparison written as {@code comparison} says ({@link AnswerComparison#apply}). */
  public static List<TokenExample> cot(Tokenizer tok, Prompts.Format f, List<Labeled> data, RationalePositions rp,
      float verdictWeight, AnswerComparison comparison) {
    List<TokenExample> out = new ArrayList<>();
    for (Labeled l : data) {
      if (l.rationale() == null) {
        throw new IllegalArgumentException("CoT training needs a rationale for every example");
      }
      String body = comparison.apply(l.rationale());
      String completion = Prompts.withVerdict(body, l.correct());
      int[] prompt = tok.encodeWithBos(f.verifyCot(l.question(), l.solution()));
      TokenExample e = TokenExample.completion(prompt, tok.encodeWithEos(completion), 1f);
      if (verdictWeight != 1f) {
        e = e.withEmphasis(verdictEmphasis(tok, prompt.length, body, completion, e.ids().length,
            verdictWeight));
      }
      out.add(rp == RationalePositions.SEQUENTIAL ? e
          : e.withPositions(rp.positions(tok, f, l.question(), prompt.length, e.ids())));
    }
    return out;
  }

  /**
   * {@code w} on the tokens of the rationale body's last word (the oracle's {@code correct} / {@code wrong}), of its
   * running marks if it has them ({@link AnswerComparison#MARKED}: they are the judgement, character by character)
   * and of the verdict line's label, 1 elsewhere. Token spans come from encoding the completion's prefixes, exact for
   * a character tokenizer and at most a token off at a BPE merge.
   */
  static float[] verdictEmphasis(Tokenizer tok, int promptLength, String body, String completion, int total,
      float w) {
    float[] e = new float[total];
    java.util.Arrays.fill(e, 1f);
    String trimmed = body.stripTrailing();
    int wordStart = trimmed.lastIndexOf(' ') + 1;
    int labelStart = completion.length() - (completion.endsWith(Prompts.YES) ? Prompts.YES : Prompts.NO).length();
    int marker = body.indexOf(Prompts.RESTATED_ANSWER);
    int[] marks = marker < 0 ? null : AnswerComparison.marksIn(body, marker + Prompts.RESTATED_ANSWER.length());
    int[] markSpan = marks == null ? new int[] {0, 0} : marks;
    for (int[] span : new int[][] {{wordStart, trimmed.length()}, markSpan, {labelStart, completion.length()}}) {
      if (span[1] <= span[0]) {
        continue;
      }
      int from = promptLength + tok.encode(completion.substring(0, span[0])).length;
      int to = Math.min(total, promptLength + tok.encode(completion.substring(0, span[1])).length);
      for (int i = from; i < to; i++) {
        e[i] = w;
      }
    }
    return e;
  }

  /** Discriminative RM input: BOS + {@code f.solve(q)} + solution, with its label. */
  public static List<Losses.LabeledSequence> orm(Tokenizer tok, Prompts.Format f, List<Labeled> data) {
    List<Losses.LabeledSequence> out = new ArrayList<>();
    for (Labeled l : data) {
      out.add(new Losses.LabeledSequence(tok.encodeWithBos(f.solve(l.question()) + l.solution()), l.correct()));
    }
    return out;
  }
}
