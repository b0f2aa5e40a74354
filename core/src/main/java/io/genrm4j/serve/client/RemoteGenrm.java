package io.genrm4j.serve.client;

import io.genrm4j.task.Prompts;
import io.genrm4j.verify.Verifier;
import io.genrm4j.verify.VerifierKind;
import io.genrm4j.verify.VerifierScore;
import java.util.ArrayList;
import java.util.List;

/**
 * A served model in the roles of the method: generator (N candidate solutions), GenRM direct scorer (p(Yes) after
 * the direct prompt) and GenRM-CoT / LLM-as-a-Judge (K sampled rationales, each read for p(Yes) at the verdict
 * line; the score is their mean). Prompts are the authors' exact strings. As a {@link Verifier}, its kind is one
 * read from p(Yes): genrm (or genrm-unified), genrm-cot or llm-judge (the CoT procedure on a model not trained to
 * verify); a completion server has neither a score head (orm) nor a reference model (dpo).
 */
public final class RemoteGenrm implements Verifier {
  /** Rationale tokens asked of a server when none are given (its context is unknown here). */
  public static final int DEFAULT_RATIONALE_TOKENS = 256;

  private final OpenAiClient client;
  private final VerifierKind kind;
  private final int votes;
  private final double temperature;
  private final int maxRationaleTokens;
  private final long seed;

  public RemoteGenrm(OpenAiClient client, VerifierKind kind, int votes, double temperature, int maxRationaleTokens,
      long seed) {
    if (kind.hasScoreHead() || kind.needsReference()) {
      throw new IllegalArgumentException(kind.id() + " needs a score head or a reference model, which a completion"
          + " server does not have (genrm, genrm-cot and llm-judge can be scored remotely)");
    }
    this.client = client;
    this.kind = kind;
    this.votes = votes;
    this.temperature = temperature;
    this.maxRationaleTokens = maxRationaleTokens;
    this.seed = seed;
  }

  /** The solving prompt (preamble, question, "A: Let's think step by step."). */
  public static String solvePrompt(String question) {
    return Prompts.Format.PAPER.solve(question);
  }

  /** N candidate solutions of a question, sampled with stream seed. */
  public static List<String> sampleCandidates(OpenAiClient client, String question, int n, double temperature,
      int maxTokens, long seed) {
    List<String> out = new ArrayList<>();
    OpenAiClient.Params p = OpenAiClient.Params.sample(maxTokens, temperature, n, seed).withStop(List.of("\nQ:"));
    client.complete(solvePrompt(question), p).forEach(c -> out.add(c.text().strip()));
    return out;
  }

  @Override
  public VerifierKind kind() {
    return kind;
  }

  @Override
  public List<VerifierScore> score(String question, List<String> solutions) {
    List<VerifierScore> out = new ArrayList<>();
    if (kind.samplesVotes()) {
      for (String s : solutions) {
        out.add(cot(question, s));
      }
      return out;
    }
    // one p(Yes) call for every solution: a server with /v1/score reads them in shared requests
    List<String> prompts = solutions.stream().map(s -> Prompts.Format.PAPER.verifyDirect(question, s)).toList();
    for (PYes p : client.pYesAll(prompts)) {
      out.add(new VerifierScore(p.score(), p.pYes(), p.pNo(), new double[0], new String[0], 0));
    }
    return out;
  }

  private VerifierScore cot(String question, String solution) {
    String prefix = Prompts.Format.PAPER.verifyCot(question, solution);
    OpenAiClient.Params p = OpenAiClient.Params.sample(maxRationaleTokens, temperature, votes, seed)
        .withStop(List.of(Prompts.DECISION));
    List<OpenAiClient.Choice> rs = client.complete(prefix, p);
    double[] v = new double[rs.size()];
    String[] rationales = new String[rs.size()];
    double sum = 0;
    double py = 0;
    double pn = 0;
    List<String> verdicts = new ArrayList<>();
    for (int i = 0; i < rs.size(); i++) {
      rationales[i] = rs.get(i).text().stripTrailing();
      // the rationale stops before the verdict line (or never reached it): append the verdict question
      verdicts.add(prefix + rationales[i] + Prompts.VERDICT_SEPARATOR + Prompts.DECISION);
    }
    List<PYes> read = client.pYesAll(verdicts);
    for (int i = 0; i < rs.size(); i++) {
      PYes y = read.get(i);
      v[i] = y.score();
      sum += y.score();
      py += y.pYes();
      pn += y.pNo();
    }
    int k = rs.size();
    return new VerifierScore(sum / k, py / k, pn / k, v, rationales, 0);
  }
}
