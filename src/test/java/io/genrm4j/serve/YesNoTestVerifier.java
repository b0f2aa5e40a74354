package io.genrm4j.serve;

import io.genrm4j.infer.Generator;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierScore;
import java.util.ArrayList;
import java.util.List;

/** A small real verifier for the tests: p(" Yes") vs p(" No") after the direct verification question. */
final class YesNoTestVerifier implements Verifier {
  private final LlamaModel model;
  private final Generator gen;

  YesNoTestVerifier(LlamaModel model, Generator gen) {
    this.model = model;
    this.gen = gen;
  }

  static String prompt(String q, String s) {
    return "Q: " + q + "\nA: " + s + "\nVerification: Is the answer correct (Yes/No)?";
  }

  @Override
  public String mode() {
    return "direct";
  }

  @Override
  public List<VerifierScore> score(String question, List<String> solutions) {
    List<int[]> ctx = new ArrayList<>();
    solutions.forEach(s -> ctx.add(gen.promptIds(prompt(question, s))));
    double[][] lp = Scoring.continuationLogProbs(model, 0, ctx,
        List.of(gen.tokenizer().encode(" Yes"), gen.tokenizer().encode(" No")));
    List<VerifierScore> out = new ArrayList<>();
    for (double[] r : lp) {
      out.add(new VerifierScore(1 / (1 + Math.exp(r[1] - r[0])), Math.exp(r[0]), Math.exp(r[1]), new double[0],
          new String[0], 0));
    }
    return out;
  }
}
