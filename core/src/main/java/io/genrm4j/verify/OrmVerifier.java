package io.genrm4j.verify;

import ai.djl.ndarray.NDManager;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.model.TokenBatch;
import io.genrm4j.model.tokenizer.Tokenizer;
import io.genrm4j.task.Prompts;
import io.genrm4j.train.Losses;
import java.util.ArrayList;
import java.util.List;

/** Discriminative reward model: sigmoid of the score head at the last token of question + solution. */
public final class OrmVerifier implements Verifier {
  private final LlamaModel model;
  private final Tokenizer tok;
  private final Prompts.Format format;

  public OrmVerifier(LlamaModel model, Tokenizer tok, Prompts.Format format) {
    if (model.config().numLabels() != 1) {
      throw new IllegalArgumentException("an ORM needs a model with a score head (num_labels = 1)");
    }
    this.model = model;
    this.tok = tok;
    this.format = format;
  }

  @Override
  public VerifierKind kind() {
    return VerifierKind.ORM;
  }

  @Override
  public List<VerifierScore> score(String question, List<String> solutions) {
    List<int[]> all = encode(question, solutions);
    requireFits(all); // every candidate before any tensor
    List<VerifierScore> out = new ArrayList<>();
    for (int start = 0; start < all.size(); start += GenRmDirect.BATCH) {
      List<int[]> rows = all.subList(start, Math.min(all.size(), start + GenRmDirect.BATCH));
      try (NDManager mgr = model.manager().newSubManager()) {
        float[] z = Losses.lastTokenScore(model, TokenBatch.rightPadded(rows, Math.max(0, tok.padId()), mgr), mgr)
            .toFloatArray();
        for (int i = 0; i < z.length; i++) {
          out.add(VerifierScore.scalar(1 / (1 + Math.exp(-z[i])), rows.get(i).length));
        }
      }
    }
    return out;
  }

  private List<int[]> encode(String question, List<String> solutions) {
    List<int[]> out = new ArrayList<>();
    for (String s : solutions) {
      out.add(tok.encodeWithBos(format.solve(question) + s));
    }
    return out;
  }

  @Override
  public void requireFits(String question, List<String> solutions) {
    requireFits(encode(question, solutions));
  }

  /** Question + solution is fed whole: its length in positions. */
  private void requireFits(List<int[]> rows) {
    int limit = model.config().maxPositionEmbeddings();
    for (int i = 0; i < rows.size(); i++) {
      int n = rows.get(i).length;
      ContextLengthException.require(i, n, limit, "question + solution of " + n + " tokens");
    }
  }
}
