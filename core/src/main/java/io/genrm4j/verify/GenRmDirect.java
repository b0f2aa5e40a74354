package io.genrm4j.verify;

import io.genrm4j.infer.Scoring;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Prompts;
import java.util.ArrayList;
import java.util.List;

/**
 * GenRM (direct): score = p(" Yes") after {@code question + solution + "Verification: Is the answer correct
 * (Yes/No)?"}, read at the pinned position right after the prompt, renormalised over {Yes, No}; the raw p(Yes),
 * p(No) and their mass are reported too. Each prompt is encoded once and forked for the two labels.
 */
public final class GenRmDirect implements Verifier {
  static final int BATCH = 16;
  private final LlamaModel model;
  private final Tokenizer tok;
  private final Prompts.Format format;

  public GenRmDirect(LlamaModel model, Tokenizer tok, Prompts.Format format) {
    this.model = model;
    this.tok = tok;
    this.format = format;
  }

  @Override
  public VerifierKind kind() {
    return VerifierKind.GENRM;
  }

  @Override
  public List<VerifierScore> score(String question, List<String> solutions) {
    return scoreAll(List.of(question), List.of(solutions)).get(0);
  }

  @Override
  public List<List<VerifierScore>> scoreAll(List<String> questions, List<List<String>> solutions) {
    List<Prompt> prompts = new ArrayList<>();
    for (int q = 0; q < questions.size(); q++) {
      List<Prompt> here = encode(questions.get(q), solutions.get(q));
      here.forEach(this::requireFits); // every candidate before any tensor
      prompts.addAll(here);
    }
    return Verifier.regroup(scorePrompts(prompts), solutions);
  }

  /** A verification prompt encoded once: its ids, its label tokens, its index among the question's solutions. */
  private record Prompt(int index, int[] ids, DecisionLabels labels) {}

  private List<Prompt> encode(String question, List<String> solutions) {
    List<Prompt> out = new ArrayList<>();
    for (int i = 0; i < solutions.size(); i++) {
      String p = format.verifyDirect(question, solutions.get(i));
      out.add(new Prompt(i, tok.encodeWithBos(p), DecisionLabels.resolve(tok, p)));
    }
    return out;
  }

  @Override
  public void requireFits(String question, List<String> solutions) {
    encode(question, solutions).forEach(this::requireFits);
  }

  /** Each prompt is fed whole, then the longer label but its last token: prompt + label - 1 positions. */
  private void requireFits(Prompt p) {
    int label = Math.max(p.labels().yes().length, p.labels().no().length);
    ContextLengthException.require(p.index(), p.ids().length + label - 1, model.config().maxPositionEmbeddings(),
        "its verification prompt of " + p.ids().length + " tokens plus a " + label + "-token label");
  }

  /** Scores prompts that end with the decision question, {@link #BATCH} at a time. */
  private List<VerifierScore> scorePrompts(List<Prompt> prompts) {
    List<VerifierScore> out = new ArrayList<>();
    for (int start = 0; start < prompts.size(); start += BATCH) {
      List<Prompt> chunk = prompts.subList(start, Math.min(prompts.size(), start + BATCH));
      DecisionLabels labels = chunk.get(0).labels();
      List<int[]> contexts = new ArrayList<>();
      for (Prompt p : chunk) {
        if (!java.util.Arrays.equals(p.labels().yes(), labels.yes())
            || !java.util.Arrays.equals(p.labels().no(), labels.no())) {
          throw new IllegalStateException("label tokens differ between prompts of one batch");
        }
        contexts.add(p.ids());
      }
      double[][] lp = Scoring.continuationLogProbs(model, Math.max(0, tok.padId()), contexts,
          List.of(labels.yes(), labels.no()));
      for (int i = 0; i < chunk.size(); i++) {
        double pYes = Math.exp(lp[i][0]);
        double pNo = Math.exp(lp[i][1]);
        long tokens = contexts.get(i).length + labels.yes().length + labels.no().length;
        out.add(new VerifierScore(renormalised(pYes, pNo), pYes, pNo, new double[0], new String[0], tokens));
      }
    }
    return out;
  }

  /** p(Yes) / (p(Yes) + p(No)); a zero mass is an error, never a silent 0.5. */
  static double renormalised(double pYes, double pNo) {
    double mass = pYes + pNo;
    if (!(mass > 0)) {
      throw new IllegalStateException("p(Yes) + p(No) is " + mass + ": the labels are unreachable at the decision");
    }
    return pYes / mass;
  }
}
