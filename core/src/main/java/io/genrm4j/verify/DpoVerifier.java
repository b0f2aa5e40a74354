package io.genrm4j.verify;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Prompts;
import io.genrm4j.train.Losses;
import io.genrm4j.train.TokenExample;
import java.util.ArrayList;
import java.util.List;

/** DPO verifier (V-STaR style): score = beta * (log pi(y|x) - log pi_ref(y|x)) over the solution tokens + EOS. */
public final class DpoVerifier implements Verifier {
  private final LlamaModel policy;
  private final LlamaModel reference;
  private final Tokenizer tok;
  private final Prompts.Format format;
  private final double beta;

  public DpoVerifier(LlamaModel policy, LlamaModel reference, Tokenizer tok, Prompts.Format format, double beta) {
    this.policy = policy;
    this.reference = reference;
    this.tok = tok;
    this.format = format;
    this.beta = beta;
  }

  @Override
  public VerifierKind kind() {
    return VerifierKind.DPO;
  }

  @Override
  public List<VerifierScore> score(String question, List<String> solutions) {
    List<TokenExample> ex = examples(question, solutions);
    requireFits(ex);
    float[] pi = sequenceLogProbs(policy, ex);
    float[] ref = sequenceLogProbs(reference, ex);
    List<VerifierScore> out = new ArrayList<>();
    for (int i = 0; i < ex.size(); i++) {
      out.add(VerifierScore.scalar(beta * (pi[i] - ref[i]), 2L * ex.get(i).ids().length));
    }
    return out;
  }

  @Override
  public void requireFits(String question, List<String> solutions) {
    requireFits(examples(question, solutions));
  }

  /** Prompt + solution + EOS is fed whole to both models. */
  private void requireFits(List<TokenExample> ex) {
    int limit = Math.min(policy.config().maxPositionEmbeddings(), reference.config().maxPositionEmbeddings());
    for (int i = 0; i < ex.size(); i++) {
      int n = ex.get(i).ids().length;
      ContextLengthException.require(i, n, limit, "question + solution + EOS of " + n + " tokens");
    }
  }

  private List<TokenExample> examples(String question, List<String> solutions) {
    List<VerifierData.Labeled> items = new ArrayList<>();
    solutions.forEach(s -> items.add(new VerifierData.Labeled(question, s, true, null)));
    return VerifierData.solutionSft(tok, format, items, 1f);
  }

  /** Summed completion log-probs under a model, in batches, without gradient. */
  static float[] sequenceLogProbs(LlamaModel m, List<TokenExample> ex) {
    float[] out = new float[ex.size()];
    for (int start = 0; start < ex.size(); start += GenRmDirect.BATCH) {
      List<TokenExample> chunk = ex.subList(start, Math.min(ex.size(), start + GenRmDirect.BATCH));
      try (NDManager mgr = m.manager().newSubManager()) {
        float[] lp = Losses.sequenceLogProbs(m, chunk, 0, mgr).toFloatArray();
        System.arraycopy(lp, 0, out, start, lp.length);
      }
    }
    return out;
  }
}
