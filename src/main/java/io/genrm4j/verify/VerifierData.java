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
      out.add(TokenExample.completion(prompt(tok, f.solve(l.question())), withEos(tok, l.solution()), weight));
    }
    return out;
  }

  /** GenRM direct: prompt {@code f.verifyDirect(q, s)}, completion " Yes"/" No", loss on the label tokens only. */
  public static List<TokenExample> direct(Tokenizer tok, Prompts.Format f, List<Labeled> data) {
    List<TokenExample> out = new ArrayList<>();
    for (Labeled l : data) {
      String prompt = f.verifyDirect(l.question(), l.solution());
      int[] label = DecisionLabels.resolve(tok, prompt).of(l.correct());
      out.add(TokenExample.completion(prompt(tok, prompt), label, 1f));
    }
    return out;
  }

  /** GenRM-CoT: prompt {@code f.verifyCot(q, s)}, completion rationale + blank line + verdict line + EOS. */
  public static List<TokenExample> cot(Tokenizer tok, Prompts.Format f, List<Labeled> data) {
    List<TokenExample> out = new ArrayList<>();
    for (Labeled l : data) {
      if (l.rationale() == null) {
        throw new IllegalArgumentException("CoT training needs a rationale for every example");
      }
      String completion = Prompts.withVerdict(l.rationale(), l.correct());
      out.add(TokenExample.completion(prompt(tok, f.verifyCot(l.question(), l.solution())), withEos(tok, completion),
          1f));
    }
    return out;
  }

  /** Discriminative RM input: BOS + {@code f.solve(q)} + solution, with its label. */
  public static List<Losses.LabeledSequence> orm(Tokenizer tok, Prompts.Format f, List<Labeled> data) {
    List<Losses.LabeledSequence> out = new ArrayList<>();
    for (Labeled l : data) {
      out.add(new Losses.LabeledSequence(prompt(tok, f.solve(l.question()) + l.solution()), l.correct()));
    }
    return out;
  }

  /** BOS (when the tokenizer has one) + the text's tokens. */
  static int[] prompt(Tokenizer tok, String text) {
    int[] body = tok.encode(text);
    if (tok.bosId().isEmpty()) {
      return body;
    }
    int[] ids = new int[body.length + 1];
    ids[0] = tok.bosId().getAsInt();
    System.arraycopy(body, 0, ids, 1, body.length);
    return ids;
  }

  static int[] withEos(Tokenizer tok, String text) {
    int[] body = tok.encode(text);
    if (tok.eosId().isEmpty()) {
      return body;
    }
    int[] ids = java.util.Arrays.copyOf(body, body.length + 1);
    ids[body.length] = tok.eosId().getAsInt();
    return ids;
  }
}
