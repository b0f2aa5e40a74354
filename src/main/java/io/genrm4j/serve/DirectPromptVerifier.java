package io.genrm4j.serve;

import io.genrm4j.infer.Generator;
import io.genrm4j.infer.Scoring;
import io.genrm4j.model.LlamaModel;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierScore;
import java.util.ArrayList;
import java.util.List;

/**
 * The serve command's stand-in GenRM (direct) verifier, used until {@code io.genrm4j.verify.Verifiers} exists: the
 * paper's direct prompt (shared preamble, question, solution, {@code "\nVerification: Is the answer correct
 * (Yes/No)?"}) and p(" Yes"), p(" No") read teacher-forced with {@link Scoring#continuationLogProbs} (exact products
 * when a label spans several tokens). score = p(Yes) / (p(Yes) + p(No)), computed in log space.
 */
public final class DirectPromptVerifier implements Verifier {
  public static final String PREAMBLE =
      "Solve the math problems and provide step-by-step solutions, ending with \"The answer is [Insert Final Answer Here]\".\n"
          + "When asked \"Verification: Is the answer correct (Yes/No)?\", respond with \" Yes\" or \" No\" based on the answer's correctness.\n"
          + "When asked \"Verification: Let's verify step by step.\", verify every step of the solution and conclude with \"Verification: Is the answer correct (Yes/No)?\" followed by \" Yes\" or \" No\".\n";
  public static final String DIRECT_QUESTION = "\nVerification: Is the answer correct (Yes/No)?";
  private static final int CHUNK = 16;

  private final LlamaModel model;
  private final Generator generator;

  public DirectPromptVerifier(LlamaModel model, Generator generator) {
    this.model = model;
    this.generator = generator;
  }

  /** The direct verification prompt for one candidate. */
  public static String prompt(String question, String solution) {
    return PREAMBLE + "\nQ: " + question + "\nA: Let's think step by step.\n" + solution + DIRECT_QUESTION;
  }

  @Override
  public String mode() {
    return "direct";
  }

  @Override
  public List<VerifierScore> score(String question, List<String> solutions) {
    return scoreAll(List.of(question), List.of(solutions)).get(0);
  }

  @Override
  public List<List<VerifierScore>> scoreAll(List<String> questions, List<List<String>> solutions) {
    List<int[]> contexts = new ArrayList<>();
    for (int q = 0; q < questions.size(); q++) {
      for (String s : solutions.get(q)) {
        contexts.add(generator.promptIds(prompt(questions.get(q), s)));
      }
    }
    List<int[]> labels = List.of(generator.tokenizer().encode(" Yes"), generator.tokenizer().encode(" No"));
    int pad = Math.max(0, generator.tokenizer().padId());
    List<VerifierScore> flat = new ArrayList<>();
    for (int a = 0; a < contexts.size(); a += CHUNK) {
      List<int[]> part = contexts.subList(a, Math.min(contexts.size(), a + CHUNK));
      double[][] lp = Scoring.continuationLogProbs(model, pad, part, labels);
      for (int i = 0; i < part.size(); i++) {
        double yes = lp[i][0];
        double no = lp[i][1];
        double score = 1 / (1 + Math.exp(no - yes));
        flat.add(new VerifierScore(score, Math.exp(yes), Math.exp(no), new double[0], new String[0],
            part.get(i).length + 1L));
      }
    }
    List<List<VerifierScore>> out = new ArrayList<>();
    int at = 0;
    for (List<String> s : solutions) {
      out.add(new ArrayList<>(flat.subList(at, at + s.size())));
      at += s.size();
    }
    return out;
  }
}
