package io.genrm4j.verify;

import io.genrm4j.model.tokenizer.Tokenizer;
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

  /** GenRM-CoT: prompt {@code f.verifyCot(q, s)}, completion rationale + blank line + verdict line + EOS. */
  public static List<TokenExample> cot(Tokenizer tok, Prompts.Format f, List<Labeled> data) {
    return cot(tok, f, data, RationalePositions.SEQUENTIAL);
  }

  /** As {@link #cot(Tokenizer, Prompts.Format, List)}, with the rationale placed in position space by {@code rp}. */
  public static List<TokenExample> cot(Tokenizer tok, Prompts.Format f, List<Labeled> data, RationalePositions rp) {
    List<TokenExample> out = new ArrayList<>();
    for (Labeled l : data) {
      if (l.rationale() == null) {
        throw new IllegalArgumentException("CoT training needs a rationale for every example");
      }
      String completion = Prompts.withVerdict(l.rationale(), l.correct());
      int[] prompt = tok.encodeWithBos(f.verifyCot(l.question(), l.solution()));
      TokenExample e = TokenExample.completion(prompt, tok.encodeWithEos(completion), 1f);
      out.add(rp == RationalePositions.SEQUENTIAL ? e
          : e.withPositions(rp.positions(tok, f, l.question(), prompt.length, e.ids())));
    }
    return out;
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
